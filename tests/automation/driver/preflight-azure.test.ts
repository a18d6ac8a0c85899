import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { defaultsFor } from "../../../config/defaults";
import type { ScenarioConfig, ScenarioName } from "../../../config/schema";
import { chooseBackend } from "../../../automation/driver/stack/env";
import { ConfigError } from "../../../config/validate";
import { PreflightError } from "../../../automation/driver/preflight/preflight";
import {
  type AzureTarget,
  azurePreflight,
  type AzurePreflightDeps,
  azureReader,
  azureTargets,
  type CheckOptions,
  checkSubscription,
  footprintFromState,
  type Footprint,
  modelQuotaProblems,
  modelUsageName,
  type PlannedTarget,
  providerProblems,
  realAzurePreflightDeps,
  requiredProviders,
  SKIP_VARIABLE,
  vcpuQuotaProblems,
  type UsageRow,
  type VmSku,
} from "../../../automation/driver/preflight/preflight-azure";
import type { StateResource } from "../../../automation/driver/stack/types";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "arm");
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

interface Exchange {
  apiVersion: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  status: number;
  body: unknown;
}

/**
 * A recorded Azure Resource Manager: answers the SDK clients' requests from tests/fixtures/arm/ recordings,
 * matching method, path, api-version and any recorded query; anything else gets 404 and is listed in
 * `unmatched`, so a client that changes its API version or path fails the test. `hang` paths never answer
 * (until the caller aborts).
 */
function recordedArm(files: string[], options: { hang?: RegExp } = {}): HttpClient & { unmatched: string[]; requests: string[] } {
  const exchanges: Exchange[] = files.flatMap((f) => (JSON.parse(fs.readFileSync(path.join(FIXTURES, f), "utf8")) as { exchanges: Exchange[] }).exchanges);
  const arm = {
    unmatched: [] as string[],
    requests: [] as string[],
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = new URL(request.url);
      const pathname = decodeURIComponent(url.pathname);
      arm.requests.push(`${request.method} ${pathname}`);
      if (options.hang?.test(pathname)) {
        await new Promise((_, reject) =>
          request.abortSignal?.addEventListener("abort", () => reject(Object.assign(new Error("The operation was aborted."), { name: "AbortError" }))),
        );
      }
      const match = exchanges.find(
        (e) =>
          e.method === request.method &&
          e.path.toLowerCase() === pathname.toLowerCase() &&
          url.searchParams.get("api-version") === e.apiVersion &&
          Object.entries(e.query ?? {}).every(([k, v]) => url.searchParams.get(k) === v),
      );
      const headers = createHttpHeaders({ "content-type": "application/json; charset=utf-8", "x-ms-request-id": "recorded" });
      if (!match) {
        arm.unmatched.push(`${request.method} ${pathname}?${url.searchParams}`);
        return { request, status: 404, headers, bodyAsText: JSON.stringify({ error: { code: "NoRecording", message: `no recorded answer for ${pathname}` } }) };
      }
      return { request, status: match.status, headers, bodyAsText: JSON.stringify(match.body) };
    },
  };
  return arm;
}

/** Stands in for DefaultAzureCredential: the recorded ARM does not look at the token. */
const imitationCredential = { getToken: async () => ({ token: "imitation-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

/** Settings pinned for the recordings (swedencentral, gpt-4.1-mini, 2 × Standard_D2s_v5), on the scenario's defaults. */
function config(scenario: ScenarioName, over: Partial<ScenarioConfig> = {}): ScenarioConfig {
  return {
    ...defaultsFor(scenario),
    location: "swedencentral",
    namePrefix: "aiapim",
    openAiModelName: "gpt-4.1-mini",
    openAiModelVersion: "2025-04-14",
    openAiDeploymentSku: "GlobalStandard",
    openAiModelCapacity: 10,
    aksNodeSize: "Standard_D2s_v5",
    aksNodeCount: 2,
    ...over,
  };
}

function target(scenario: ScenarioName, footprint: Footprint = {}, over: Partial<ScenarioConfig> = {}): PlannedTarget {
  return { scenario, stack: scenario, config: config(scenario, over), mayExist: true, footprint };
}

const ALL: ScenarioName[] = ["public", "external", "internal", "consumption"];
const READY = ["providers-registered.json", "cognitive-usages-ample.json", "deleted-apim-none.json", "deleted-accounts-none.json", "resource-skus-swedencentral.json", "compute-usages-ample.json"];

/** READY with some recordings swapped for others of the same endpoint. */
function swap(...files: string[]): string[] {
  const endpoint = (f: string) => ["providers-", "cognitive-usages-", "deleted-apim-", "deleted-accounts-", "resource-skus-", "compute-usages-"].find((e) => f.startsWith(e));
  return [...READY.filter((r) => !files.some((f) => endpoint(f) === endpoint(r))), ...files];
}

async function check(files: string[], targets: PlannedTarget[], options: CheckOptions & { hang?: RegExp } = {}) {
  const arm = recordedArm(files, { hang: options.hang });
  const progress: string[] = [];
  const report = await checkSubscription(targets, azureReader(SUBSCRIPTION, imitationCredential, { httpClient: arm }), {
    timeoutMs: options.timeoutMs ?? 20_000,
    heartbeatMs: options.heartbeatMs,
    onProgress: (l) => progress.push(l),
  });
  return { ...report, arm, progress };
}

describe("automation/driver/preflight/preflight-azure", () => {
  it("finds nothing on a ready subscription, asking ARM through the SDK clients at the recorded API versions", async () => {
    const r = await check(READY, [target("public", { suffix: "k3x9q2" })]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.unchecked, []);
    assert.deepEqual(r.arm.unmatched, [], "every request has a recording (same path and api-version)");
    const asked = new Set(r.arm.requests);
    for (const p of [
      `GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService`,
      `GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.CognitiveServices/locations/swedencentral/usages`,
      `GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.ApiManagement/deletedservices`,
      `GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.CognitiveServices/deletedAccounts`,
      `GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/skus`,
      `GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/locations/swedencentral/usages`,
    ])
      assert.ok(asked.has(p), `asked ${p}`);
    assert.equal(r.arm.requests.filter((q) => q.includes("/skus")).length, 1, "the region's SKU list is read once for both VM checks");
    assert.match(r.progress[0], /^preflight: checking the subscription: resource providers, model quota in swedencentral, soft-deleted names, VM size in swedencentral, vCPU quota in swedencentral$/);
    assert.ok(r.progress.some((l) => /^preflight: {3}resource providers: ok \(\d+\.\d s\)$/.test(l)));
  });

  describe("resource providers", () => {
    it("shows each provider that is not Registered with its state and what to run", async () => {
      const r = await check(swap("providers-pending.json"), [target("public")]);
      assert.deepEqual(r.problems, [
        "resource provider Microsoft.ContainerService is Registering (asynchronous, it can take several minutes): wait until `az provider show --namespace Microsoft.ContainerService --query registrationState --output tsv` prints Registered, then retry",
        "resource provider Microsoft.OperationalInsights is NotRegistered: run `az provider register --namespace Microsoft.OperationalInsights`, then wait until `az provider show --namespace Microsoft.OperationalInsights --query registrationState --output tsv` prints Registered (registration is asynchronous)",
      ]);
      assert.deepEqual(r.arm.unmatched, []);
    });

    it("needs Microsoft.ContainerRegistry only when a stack builds its own image", () => {
      const image = { appImage: "myregistry.azurecr.io/ai-api:1.0.0" };
      assert.ok(requiredProviders([{ config: config("public") }]).includes("Microsoft.ContainerRegistry"));
      assert.ok(!requiredProviders([{ config: config("public", image) }]).includes("Microsoft.ContainerRegistry"));
      assert.ok(requiredProviders([{ config: config("public", image) }, { config: config("internal") }]).includes("Microsoft.ContainerRegistry"));
      for (const ns of ["Microsoft.ApiManagement", "Microsoft.ContainerService", "Microsoft.CognitiveServices", "Microsoft.Network", "Microsoft.OperationalInsights", "Microsoft.Insights", "Microsoft.ManagedIdentity"])
        assert.ok(requiredProviders([{ config: config("public", image) }]).includes(ns), ns);
    });

    it("treats any state but Registered as a problem, Unregistering included", () => {
      assert.deepEqual(providerProblems([{ namespace: "Microsoft.Network", registrationState: "Registered" }]), []);
      assert.match(providerProblems([{ namespace: "Microsoft.Network", registrationState: "Unregistering" }])[0], /^resource provider Microsoft.Network is Unregistering: run `az provider register/);
      assert.match(providerProblems([{ namespace: "Microsoft.Network" }])[0], /is unknown: run/);
    });
  });

  describe("model quota", () => {
    it("fails when the row for the model and deployment type has less free than the capacity", async () => {
      const r = await check(swap("cognitive-usages-tight.json"), [target("public")]);
      assert.deepEqual(r.problems, [
        "model quota: OpenAI.GlobalStandard.gpt-4.1-mini in swedencentral has 5 of 30 (thousand tokens per minute) free, public needs 10 (openAiModelCapacity); lower openAiModelCapacity, use another openAiLocation or openAiDeploymentSku, or request more quota (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/quota)",
      ]);
    });

    it("credits what an existing stack's deployment already holds in the same row", async () => {
      const holds = (usageName: string): Footprint => ({ model: { location: "swedencentral", usageName, capacity: 10 } });
      assert.deepEqual((await check(swap("cognitive-usages-tight.json"), [target("public", holds("OpenAI.GlobalStandard.gpt-4.1-mini"))])).problems, []);
      const other = await check(swap("cognitive-usages-tight.json"), [target("public", holds("OpenAI.Standard.gpt-4.1-mini"))]);
      assert.equal(other.problems.length, 1, "a deployment in another row does not make room in this one");
      const bigger = await check(swap("cognitive-usages-tight.json"), [target("public", holds("OpenAI.GlobalStandard.gpt-4.1-mini"), { openAiModelCapacity: 20 })]);
      assert.match(bigger.problems[0], /has 5 of 30 .* free, public needs 10 \(openAiModelCapacity\)/, "raising the capacity needs only the difference");
    });

    it("adds up the stacks deployed together (compare --all)", async () => {
      assert.deepEqual((await check(swap("cognitive-usages-thirty.json"), [target("public")])).problems, []);
      const r = await check(swap("cognitive-usages-thirty.json"), ALL.map((s) => target(s)));
      assert.deepEqual(r.problems, [
        "model quota: OpenAI.GlobalStandard.gpt-4.1-mini in swedencentral has 30 of 30 (thousand tokens per minute) free, public, external, internal, consumption need 40 (openAiModelCapacity); lower openAiModelCapacity, use another openAiLocation or openAiDeploymentSku, or request more quota (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/quota)",
      ]);
    });

    it("fails when the region has no quota row for the model and deployment type", async () => {
      const r = await check(READY, [target("public", {}, { openAiDeploymentSku: "DataZoneStandard" })]);
      assert.deepEqual(r.problems, [
        "model quota: swedencentral has no OpenAI.DataZoneStandard.gpt-4.1-mini quota row, so this subscription cannot deploy that model with that deployment type there (public); change openAiLocation, openAiDeploymentSku or openAiModelName (https://learn.microsoft.com/azure/ai-foundry/openai/concepts/models)",
      ]);
    });

    it("reads the quota of openAiLocation when it is set, and of the configured model", async () => {
      const r = await check(READY, [target("public", {}, { openAiLocation: "eastus2" })]);
      assert.ok(r.arm.requests.includes(`GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.CognitiveServices/locations/eastus2/usages`));
      assert.deepEqual(r.unchecked, ["could not check model quota in eastus2: NoRecording: no recorded answer for /subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.CognitiveServices/locations/eastus2/usages"]);
      const d = defaultsFor("public");
      const rows: UsageRow[] = [{ name: { value: modelUsageName(d) }, currentValue: 0, limit: d.openAiModelCapacity - 1 }];
      assert.equal(modelQuotaProblems([{ ...target("public"), config: d }], new Map([[d.location, rows]])).length, 1, "the default model is read from config, not assumed");
    });

    it("reads the quota of openAiSecondaryLocation too: the failover account deploys the same model there (issue 16)", async () => {
      const secondary = { openAiSecondaryLocation: "germanywestcentral" };
      const files = [...READY, "cognitive-usages-germanywestcentral-tight.json"];
      const r = await check(files, [target("public", {}, secondary)]);
      assert.ok(r.arm.requests.includes(`GET /subscriptions/${SUBSCRIPTION}/providers/Microsoft.CognitiveServices/locations/germanywestcentral/usages`));
      assert.ok(r.progress[0].includes("model quota in swedencentral, model quota in germanywestcentral"), r.progress[0]);
      assert.deepEqual(r.problems, [
        "model quota: OpenAI.GlobalStandard.gpt-4.1-mini in germanywestcentral has 2 of 30 (thousand tokens per minute) free, public (secondary) needs 10 (openAiModelCapacity); lower openAiModelCapacity, use another openAiSecondaryLocation or openAiDeploymentSku, or request more quota (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/quota)",
      ]);
      assert.deepEqual(r.unchecked, []);
      // Without the setting nothing is asked there; an existing failover deployment keeps its quota on an update.
      const without = await check(files, [target("public")]);
      assert.ok(!without.arm.requests.some((q) => q.includes("germanywestcentral")));
      const held: Footprint = { secondaryModel: { location: "germanywestcentral", usageName: "OpenAI.GlobalStandard.gpt-4.1-mini", capacity: 10 } };
      assert.deepEqual((await check(files, [target("public", held, secondary)])).problems, []);
    });

    it("sums a stack's secondary with another stack's primary in the same region and row", async () => {
      const r = await check(swap("cognitive-usages-tight.json"), [target("public"), target("external", {}, { location: "germanywestcentral", openAiSecondaryLocation: "swedencentral" })]);
      const sweden = r.problems.find((p) => p.includes("in swedencentral"));
      assert.match(sweden ?? "", /has 5 of 30 .* free, public, external \(secondary\) need 20 \(openAiModelCapacity\); lower openAiModelCapacity, use another openAiLocation or openAiSecondaryLocation or openAiDeploymentSku/);
    });
  });

  describe("soft-deleted names", () => {
    it("fails when a soft-deleted APIM service or Azure OpenAI account holds a name the stack uses, with the purge command", async () => {
      const r = await check(swap("deleted-apim-holding-name.json", "deleted-accounts-holding-name.json"), [target("public", { suffix: "k3x9q2" })]);
      assert.deepEqual(r.problems, [
        "soft-deleted APIM service apim-aiapim-pub-k3x9q2 (swedencentral) holds the name stack public uses; purge it: az apim deletedservice purge --service-name apim-aiapim-pub-k3x9q2 --location swedencentral",
        "soft-deleted Azure OpenAI account oai-aiapim-pub-k3x9q2 (swedencentral) holds the name stack public uses; purge it: az cognitiveservices account purge --name oai-aiapim-pub-k3x9q2 --resource-group rg-aiapim-pub-k3x9q2 --location swedencentral",
      ]);
      assert.deepEqual(r.arm.unmatched, []);
    });

    it("passes when the stack's names differ from the soft-deleted ones", async () => {
      const r = await check(swap("deleted-apim-holding-name.json", "deleted-accounts-holding-name.json"), [target("public", { suffix: "zz0000" }), target("external", { suffix: "k3x9q2" })]);
      assert.deepEqual(r.problems, [], "same suffix, other scenario: other names");
    });

    it("is not asked for new stacks, whose random suffix is chosen at creation", async () => {
      const r = await check(swap("deleted-apim-holding-name.json", "deleted-accounts-holding-name.json"), [target("public")]);
      assert.deepEqual(r.problems, []);
      assert.ok(!r.arm.requests.some((q) => /deleted/i.test(q)));
    });
  });

  describe("AKS VM size", () => {
    it("fails for a size the region does not offer", async () => {
      const r = await check(READY, [target("public", {}, { aksNodeSize: "Standard_X99s_v9" })]);
      assert.deepEqual(r.problems, [
        "AKS node size Standard_X99s_v9 (aksNodeSize of public) is not offered in swedencentral; choose one `az vm list-skus --location swedencentral --resource-type virtualMachines --output table` lists without restrictions, or another location",
      ]);
    });

    it("fails for a size restricted for this subscription in the region", async () => {
      const r = await check(READY, [target("public", {}, { aksNodeSize: "Standard_E2s_v3" }), target("internal", {}, { aksNodeSize: "Standard_E2s_v3" })]);
      assert.deepEqual(r.problems, [
        "AKS node size Standard_E2s_v3 (aksNodeSize of public, internal) is restricted for this subscription in swedencentral (NotAvailableForSubscription); choose another size or location, or request access (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available)",
      ]);
    });

    it("passes a size restricted only in a zone (the node pool asks for no zones), and ignores non-VM SKUs", async () => {
      assert.deepEqual((await check(READY, [target("public", {}, { aksNodeSize: "Standard_D4s_v5" })])).problems, []);
      assert.match((await check(READY, [target("public", {}, { aksNodeSize: "Premium_LRS" })])).problems[0], /^AKS node size Premium_LRS .* is not offered/, "a disk SKU is not a VM size");
    });
  });

  describe("vCPU quota", () => {
    it("passes one stack on a fresh subscription's 10 vCPUs, fails compare --all's 16 in both tiers", async () => {
      assert.deepEqual((await check(swap("compute-usages-fresh.json"), [target("public")])).problems, []);
      const r = await check(swap("compute-usages-fresh.json"), ALL.map((s) => target(s)));
      assert.deepEqual(r.problems, [
        "vCPU quota: Standard DSv5 Family vCPUs in swedencentral has 10 of 10 free, public, external, internal, consumption need 16 (2 × Standard_D2s_v5 (2 vCPUs)); request more (https://learn.microsoft.com/azure/quotas/per-vm-quota-requests), lower aksNodeCount, choose a smaller aksNodeSize, or deploy fewer scenarios at once",
        "vCPU quota: Total Regional vCPUs in swedencentral has 10 of 10 free, public, external, internal, consumption need 16 (2 × Standard_D2s_v5 (2 vCPUs)); request more (https://learn.microsoft.com/azure/quotas/regional-quota-requests), lower aksNodeCount, choose a smaller aksNodeSize, or deploy fewer scenarios at once",
      ]);
      assert.deepEqual((await check(READY, ALL.map((s) => target(s)))).problems, [], "100 vCPUs are enough");
    });

    it("credits the nodes an existing stack already runs", () => {
      const skus: VmSku[] = [
        { name: "Standard_D2s_v5", family: "standardDSv5Family", locations: ["swedencentral"], capabilities: [{ name: "vCPUs", value: "2" }], restrictions: [] },
        { name: "Standard_D4s_v5", family: "standardDSv5Family", locations: ["swedencentral"], capabilities: [{ name: "vCPUs", value: "4" }], restrictions: [] },
      ];
      const usages: UsageRow[] = [
        { name: { value: "cores", localizedValue: "Total Regional vCPUs" }, currentValue: 4, limit: 10 },
        { name: { value: "standardDSv5Family", localizedValue: "Standard DSv5 Family vCPUs" }, currentValue: 4, limit: 10 },
      ];
      const problems = (targets: PlannedTarget[]) => vcpuQuotaProblems(targets, new Map([["swedencentral", skus]]), new Map([["swedencentral", usages]]));
      const running: Footprint = { nodes: { location: "swedencentral", vmSize: "Standard_D2s_v5", count: 2 } };
      assert.deepEqual(problems([target("public", running)]), [], "an update keeps its 4 vCPUs");
      assert.deepEqual(problems([target("public", running), target("external")]), [], "4 held + 4 new of 10");
      assert.equal(problems([target("public", running), target("external"), target("internal")]).length, 2, "4 held + 8 new > 10");
      assert.deepEqual(problems([target("public", running, { aksNodeSize: "Standard_D4s_v5" })]), [], "2 × 4 vCPUs replacing 2 × 2 need 4 more of 6");
      assert.match(problems([target("public", running, { aksNodeSize: "Standard_D4s_v5", aksNodeCount: 3 })])[0], /DSv5 Family vCPUs in swedencentral has 6 of 10 free, public needs 8 \(3 × Standard_D4s_v5/);
    });
  });

  describe("checks that cannot run", () => {
    it("say why on their own line instead of failing the command", async () => {
      const r = await check(swap("cognitive-usages-forbidden.json"), [target("public")]);
      assert.deepEqual(r.problems, []);
      assert.deepEqual(r.unchecked, [
        "could not check model quota in swedencentral: AuthorizationFailed: The client 'deployer@contoso.com' with object id '11111111-1111-1111-1111-111111111111' does not have authorization to perform action 'Microsoft.CognitiveServices/locations/usages/read' over scope '/subscriptions/00000000-0000-0000-0000-000000000000' or the scope is invalid.",
      ]);
    });

    it("give up at their time limit, and progress names what is still running", async () => {
      const started = Date.now();
      const r = await check(READY, [target("public")], { hang: /Microsoft\.Compute\/skus$/, timeoutMs: 300, heartbeatMs: 100 });
      assert.ok(Date.now() - started < 5_000, "bounded by the time limit");
      assert.deepEqual(r.unchecked, ["could not check VM size in swedencentral: no answer within 0.3 s", "could not check vCPU quota in swedencentral: no answer within 0.3 s"]);
      assert.ok(r.progress.some((l) => /^preflight: still waiting for VM size in swedencentral, vCPU quota in swedencentral \(\d+\.\d s\)$/.test(l)), r.progress.join("\n"));
      assert.deepEqual(r.problems, []);
    });
  });

  describe("what an existing stack holds, from its state", () => {
    // The shape AutomationStackHandle.resources() returns from `pulumi stack export` (workspace.ts).
    const state: StateResource[] = [
      { urn: "urn:pulumi:public::apim-aks-ai-scenarios::pkg:ScenarioRoot$random:index/randomString:RandomString::name-suffix", type: "random:index/randomString:RandomString", custom: true, inputs: { length: 6 }, outputs: { result: "k3x9q2" } },
      { urn: "urn:pulumi:public::p::azure-native:cognitiveservices:Account::model", type: "azure-native:cognitiveservices:Account", custom: true, inputs: { location: "swedencentral" }, outputs: { location: "Sweden Central", name: "oai-aiapim-pub-k3x9q2" } },
      { urn: "urn:pulumi:public::p::azure-native:cognitiveservices:Deployment::model-deployment", type: "azure-native:cognitiveservices:Deployment", custom: true, inputs: { sku: { name: "GlobalStandard", capacity: 10 }, properties: { model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" } } }, outputs: { sku: { name: "GlobalStandard", capacity: 10 }, properties: { model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" } } } },
      { urn: "urn:pulumi:public::p::azure-native:containerservice:ManagedCluster::aks", type: "azure-native:containerservice:ManagedCluster", custom: true, inputs: { location: "swedencentral", agentPoolProfiles: [{ name: "system", vmSize: "Standard_D2s_v5", count: 2 }] }, outputs: { location: "swedencentral", agentPoolProfiles: [{ name: "system", vmSize: "Standard_D2s_v5", count: 2 }] } },
    ];

    it("reads the name suffix, the model deployment and the node pool", () => {
      assert.deepEqual(footprintFromState(state), {
        suffix: "k3x9q2",
        model: { location: "swedencentral", usageName: "OpenAI.GlobalStandard.gpt-4.1-mini", capacity: 10 },
        nodes: { location: "swedencentral", vmSize: "Standard_D2s_v5", count: 2 },
      });
      assert.deepEqual(footprintFromState([]), {});
    });

    it("reads the failover account's deployment apart from the primary's (issue 16)", () => {
      const urn = (type: string, name: string) => `urn:pulumi:public::p::pkg:ScenarioRoot$pkg:ai:AiModel$${type}::${name}`;
      const deployment = (capacity: number) => ({ sku: { name: "GlobalStandard", capacity }, properties: { model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" } } });
      const both: StateResource[] = [
        { urn: urn("azure-native:cognitiveservices:Account", "ai-model-secondary"), type: "azure-native:cognitiveservices:Account", custom: true, inputs: { location: "germanywestcentral" }, outputs: {} },
        { urn: urn("azure-native:cognitiveservices:Deployment", "ai-model-secondary-deployment"), type: "azure-native:cognitiveservices:Deployment", custom: true, inputs: deployment(5), outputs: {} },
        { urn: urn("azure-native:cognitiveservices:Account", "ai-model"), type: "azure-native:cognitiveservices:Account", custom: true, inputs: { location: "swedencentral" }, outputs: {} },
        { urn: urn("azure-native:cognitiveservices:Deployment", "ai-model-deployment"), type: "azure-native:cognitiveservices:Deployment", custom: true, inputs: deployment(10), outputs: {} },
      ];
      assert.deepEqual(footprintFromState(both), {
        model: { location: "swedencentral", usageName: "OpenAI.GlobalStandard.gpt-4.1-mini", capacity: 10 },
        secondaryModel: { location: "germanywestcentral", usageName: "OpenAI.GlobalStandard.gpt-4.1-mini", capacity: 5 },
      });
    });
  });

  describe("reading a stack's state through the Pulumi CLI (realAzurePreflightDeps)", function () {
    // The real CLI H-engine's `npm run engine:build` puts in .engine/ (no cloud: a local file backend).
    const cli = path.join(__dirname, "..", "..", "..", ".engine", "bin", "pulumi");
    let dir: string;
    let saved: Record<string, string | undefined>;
    const run = (args: string[], cwd: string) =>
      execFileSync(cli, args, { cwd, env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "" }, stdio: ["ignore", "pipe", "pipe"] });

    before(function () {
      if (!fs.existsSync(cli)) this.skip(); // reason: no Pulumi CLI built into .engine/ (npm run engine:build)
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-state-"));
      saved = { PATH: process.env.PATH, PULUMI_HOME: process.env.PULUMI_HOME, PULUMI_SKIP_UPDATE_CHECK: process.env.PULUMI_SKIP_UPDATE_CHECK, PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL };
      process.env.PATH = `${path.dirname(cli)}${path.delimiter}${process.env.PATH}`;
      process.env.PULUMI_HOME = path.join(dir, "home");
      process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
      process.env.PULUMI_BACKEND_URL = `file://${path.join(dir, "state")}`;
      fs.mkdirSync(path.join(dir, "state"));
    });
    after(() => {
      if (!dir) return;
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("gives an existing stack's resources, and undefined for a stack that does not exist", async function () {
      this.timeout(60_000);
      // A stack of this project with a state as `pulumi up` leaves it, made with `pulumi stack import` in a
      // scratch project of the same name (so nothing is written to stacks/).
      const scratch = path.join(dir, "project");
      fs.mkdirSync(scratch);
      fs.writeFileSync(path.join(scratch, "Pulumi.yaml"), "name: apim-aks-ai-scenarios\nruntime: nodejs\n");
      const stack = `preflight-${randomBytes(3).toString("hex")}`;
      const version = "v3.274.1";
      const urn = (type: string, name: string) => `urn:pulumi:${stack}::apim-aks-ai-scenarios::${type}::${name}`;
      const deployment = {
        version: 3,
        deployment: {
          // The CLI checks the manifest's magic: sha256 of its version.
          manifest: { time: "2026-11-30T17:00:00Z", magic: createHash("sha256").update(version).digest("hex"), version },
          resources: [
            { urn: urn("pulumi:pulumi:Stack", `apim-aks-ai-scenarios-${stack}`), custom: false, type: "pulumi:pulumi:Stack" },
            { urn: urn("random:index/randomString:RandomString", "name-suffix"), custom: true, id: "k3x9q2", type: "random:index/randomString:RandomString", inputs: { length: 6 }, outputs: { result: "k3x9q2", length: 6 } },
            {
              urn: urn("azure-native:containerservice:ManagedCluster", "aks"),
              custom: true,
              id: "/subscriptions/s/resourceGroups/rg-aiapim-pub-k3x9q2/providers/Microsoft.ContainerService/managedClusters/aks-aiapim-pub-k3x9q2",
              type: "azure-native:containerservice:ManagedCluster",
              inputs: { location: "swedencentral", agentPoolProfiles: [{ name: "system", vmSize: "Standard_D2s_v5", count: 2 }] },
              outputs: { location: "swedencentral", agentPoolProfiles: [{ name: "system", vmSize: "Standard_D2s_v5", count: 2 }] },
            },
          ],
        },
      };
      fs.writeFileSync(path.join(scratch, "deployment.json"), JSON.stringify(deployment));
      run(["stack", "init", stack, "--non-interactive"], scratch);
      run(["stack", "import", "--file", "deployment.json", "--stack", stack], scratch);

      const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "" };
      const deps = realAzurePreflightDeps({ subscriptionId: SUBSCRIPTION, pulumiPath: cli, backend: chooseBackend(env), env });
      const asTarget = (name: string): AzureTarget => ({ scenario: "public", stack: name, config: config("public"), mayExist: true });
      const state = await deps.stackState(asTarget(stack));
      assert.ok(state, "the stack's state");
      assert.deepEqual(footprintFromState(state), { suffix: "k3x9q2", nodes: { location: "swedencentral", vmSize: "Standard_D2s_v5", count: 2 } });
      assert.equal(await deps.stackState(asTarget(`${stack}-missing`)), undefined);
    });
  });

  describe("azurePreflight (the entry point up and compare call)", () => {
    const backend = chooseBackend({}, "/tmp/state");
    const ctx = { subscriptionId: SUBSCRIPTION, backend, env: {} };
    const asTarget = (scenario: ScenarioName, mayExist = true): AzureTarget => ({ scenario, stack: scenario, config: config(scenario), mayExist });

    function deps(files: string[], states: Record<string, StateResource[] | undefined | Error> = {}): AzurePreflightDeps & { said: string[]; stateReads: string[] } {
      const d = {
        said: [] as string[],
        stateReads: [] as string[],
        reader: () => azureReader(SUBSCRIPTION, imitationCredential, { httpClient: recordedArm(files) }),
        stackState: async (t: AzureTarget) => {
          d.stateReads.push(t.stack);
          const s = states[t.stack];
          if (s instanceof Error) throw s;
          return s;
        },
        say: (l: string) => d.said.push(l),
      };
      return d;
    }

    const suffixState: StateResource[] = [{ urn: "urn:pulumi:public::p::random:index/randomString:RandomString::name-suffix", type: "random:index/randomString:RandomString", custom: true, inputs: {}, outputs: { result: "k3x9q2" } }];

    it("throws one PreflightError listing every problem, one line each", async () => {
      const d = deps(swap("providers-pending.json", "cognitive-usages-thirty.json", "compute-usages-fresh.json", "deleted-apim-holding-name.json"), { public: suffixState });
      await assert.rejects(azurePreflight(ALL.map((s) => asTarget(s)), ctx, d, { timeoutMs: 20_000 }), (e: unknown) => {
        assert.ok(e instanceof PreflightError);
        assert.equal(e.problems.length, 6);
        for (const p of e.problems) {
          assert.match(p, /^preflight: /);
          assert.ok(!p.includes("\n"));
        }
        assert.match(e.problems[0], /Microsoft\.ContainerService is Registering/);
        assert.match(e.problems[2], /^preflight: model quota: .* need 40/);
        assert.match(e.problems[3], /^preflight: soft-deleted APIM service apim-aiapim-pub-k3x9q2/);
        assert.match(e.problems[4], /^preflight: vCPU quota: Standard DSv5 Family vCPUs .* need 16/);
        return true;
      });
      assert.deepEqual(d.stateReads, ALL, "every stack's state is read (a missing stack reads as undefined)");
    });

    it("reads no state for stacks that cannot exist yet (compare's ephemeral stacks), and passes a ready subscription", async () => {
      const d = deps(READY);
      await azurePreflight([asTarget("public", false), asTarget("internal", false)], ctx, d);
      assert.deepEqual(d.stateReads, []);
      assert.ok(!d.said.some((l) => /reading the state/.test(l)));
    });

    it("continues, with a line saying so, when a stack's state cannot be read", async () => {
      const d = deps(READY, { public: new Error("error: decrypting secrets: incorrect passphrase") });
      await azurePreflight([asTarget("public")], ctx, d);
      assert.ok(
        d.said.includes(
          "preflight: could not read the state of stack public (error: decrypting secrets: incorrect passphrase): its names are not checked against soft-deleted services, and the quota it already uses is not credited (not a blocker; continuing)",
        ),
        d.said.join("\n"),
      );
    });

    it("takes each stack's settings through the config schema (azureTargets)", () => {
      const [t] = azureTargets([{ scenario: "internal", stack: "int-a" }], () => ({ openAiModelCapacity: "20", aksNodeCount: "3" }), { mayExist: true });
      assert.deepEqual([t.stack, t.scenario, t.mayExist, t.config.openAiModelCapacity, t.config.aksNodeCount], ["int-a", "internal", true, 20, 3]);
      assert.equal(t.config.openAiModelName, defaultsFor("internal").openAiModelName, "unset settings are the scenario's defaults");
      assert.throws(() => azureTargets([{ scenario: "internal", stack: "internal" }], () => ({ aksNodeCount: "0" }), { mayExist: false }), ConfigError);
    });

    it(`is skipped with ${SKIP_VARIABLE}=1, and says so`, async () => {
      const d = deps(swap("providers-pending.json"));
      await azurePreflight([asTarget("public")], { ...ctx, env: { [SKIP_VARIABLE]: "1" } }, d);
      assert.deepEqual(d.said, [`preflight: subscription checks skipped (${SKIP_VARIABLE}=1)`]);
      assert.deepEqual(d.stateReads, []);
    });
  });
});
