/**
 * Workshop mode on the real evaluated graphs (issue 17 part 3, docs/workshop.md): for each topology, the
 * shared half and two attendee halves of this project's program, the attendees reading the shared half's
 * evaluated outputs through a StackReference the mock engine simulates.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluateScenario, offlineSettings, type ScenarioEvaluation } from "../../automation/evaluate";
import { evaluateProgram, type ProgramOutput, type RegisteredResource } from "../../automation/mock-engine";
import { SHARED_OUTPUTS, sharedOutputProblems } from "../../automation/plan/workshop-contract";
import { clusterFromId } from "../../automation/driver/verify/incluster";
import { apimTrustsPrivateCa, certificatePath } from "../../config/certificates";
import { CONFIG_NAMESPACE } from "../../config/load";
import { SCENARIO_TRAITS } from "../../config/defaults";
import type { ScenarioName } from "../../config/schema";
import { requireConfig, resolveConfig } from "../../config/validate";
import { AKS_CLUSTER_USER, AKS_RBAC_WRITER, COGNITIVE_SERVICES_OPENAI_USER } from "../../components/roles";
import { runPolicies } from "../../policy/run";
import { buildProgram } from "../../scenarios";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";
import { attendeeDeploymentName, modelSharing, sharedStackRefusals } from "../../scenarios/workshop";
import program = require("../../index");
import { ofType, one, T } from "./helpers";

const ORGANIZATION = "organization/apim-aks-ai-scenarios";
/** A made-up Entra group object id: the mock engine resolves nothing against Entra ID. */
const GROUP = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
const TOKEN_LIMIT_COUNTER = 'counter-key="@(context.Subscription.Id)"';

/** Public ingresses give attendees hosts in a zone of the user's (config/workshop-rules.ts). */
const zoneSettings = (s: ScenarioName) => (SCENARIO_TRAITS[s].publicIngress ? { ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "rg-dns" } : {});
const sharedStack = (s: ScenarioName) => `${ORGANIZATION}/${s}-shared`;
const attendeeSettings = (s: ScenarioName, attendee: string) => ({
  ...zoneSettings(s),
  workshopRole: "attendee",
  attendee,
  sharedStack: sharedStack(s),
  attendeeGroupObjectId: GROUP,
});
const shared = (s: ScenarioName) => evaluateScenario(s, { overrides: { ...zoneSettings(s), workshopRole: "shared" }, stack: `${s}-shared` });
const attendee = (s: ScenarioName, name: string) => evaluateScenario(s, { overrides: attendeeSettings(s, name), stack: `${s}-${name}` });
const out = (e: ScenarioEvaluation, key: string) => e.outputs[key].value as string;
const metadata = (r: RegisteredResource) => (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };

/**
 * Types both halves make, each for itself: the stack's root component, its Kubernetes provider, namespaces and
 * their NetworkPolicies (the attendee's in ai-<attendee>), role assignments, private DNS records (the attendee's
 * host). Every other type of the shared half is the shared stack's alone (the estimate's shared part,
 * automation/plan/workshop.ts).
 */
const PER_OWNER_TYPES = new Set([
  "apim-aks-ai:scenario:Scenario",
  "pulumi:providers:kubernetes",
  "kubernetes:core/v1:Namespace",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  "azure-native:authorization:RoleAssignment",
  "azure-native:privatedns:PrivateRecordSet",
]);

/** What a resource claims in a shared service, cluster, account or zone: two attendees must never claim the same. */
function claims(e: ScenarioEvaluation): string[] {
  const identifying = ["productId", "apiId", "operationId", "apiLinkId", "sid", "namedValueId", "backendId", "path", "resourceName", "deploymentName", "relativeRecordSetName"];
  return e.resources.flatMap((r) => {
    if (r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm")) return [`${r.type} ${metadata(r).namespace ?? ""}/${metadata(r).name ?? ""}`];
    if (!r.type.startsWith("azure-native:") || r.type.startsWith("azure-native:authorization")) return [];
    const keys = identifying.filter((k) => typeof r.inputs[k] === "string");
    return keys.length ? [`${r.type} ${keys.map((k) => `${k}=${String(r.inputs[k])}`).join(" ")}`] : [];
  });
}

describe("workshop mode (shared and attendee stacks)", () => {
  for (const { name: s } of SCENARIO_CATALOG) {
    describe(s, () => {
      it("the shared stack has no product, APIs, subscription or AI API workload, and exports every SHARED_OUTPUT, the kubeconfig as a secret", async () => {
        const e = await shared(s);
        for (const type of ["apim-aks-ai:gateway:GatewayApis", "apim-aks-ai:kubernetes:AiBackend", T.api, "azure-native:apimanagement:Product", T.subscription, "azure-native:managedidentity:UserAssignedIdentity"]) {
          assert.equal(ofType(e, type).length, 0, type);
        }
        assert.equal(ofType(e, T.apim).length, 1);
        assert.deepEqual(sharedOutputProblems(e.outputs), []);
        for (const o of SHARED_OUTPUTS) {
          if (o.name in e.outputs) assert.equal(e.outputs[o.name].secret, o.secret, o.name);
        }
        assert.equal(e.outputs.kubeconfig.secret, true);
        assert.match(String(e.outputs.kubeconfig.value), /kubelogin/);
        assert.equal(out(e, "topology"), s);
        const sharing = modelSharing(out(e, "apimSku") as never);
        assert.equal(out(e, "modelSharing"), sharing);
        assert.equal(ofType(e, "azure-native:cognitiveservices:Deployment").length, sharing === "shared" ? 1 : 0);
      });

      it("an attendee stack holds nothing the shared stack owns: no type of the shared half but those each stack makes for itself, and none of its claims", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        const hostTypes = new Set(host.resources.map((r) => r.type));
        const sharedSide = e.resources.filter((r) => hostTypes.has(r.type) && !PER_OWNER_TYPES.has(r.type)).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(sharedSide, []);
        const hostClaims = new Set(claims(host));
        assert.deepEqual(claims(e).filter((c) => hostClaims.has(c)), []);
        for (const type of [T.apim, T.aks, T.openAi, T.vnet, "azure-native:resources:ResourceGroup", "kubernetes:helm.sh/v4:Chart"]) assert.equal(ofType(e, type).length, 0, type);
        assert.ok(ofType(e, "apim-aks-ai:gateway:GatewayApis").length === 1 && ofType(e, "apim-aks-ai:kubernetes:AiBackend").length === 1);
      });

      it("an attendee's product, APIs (under <attendee>/) and subscription go on the shared service, and its outputs are the usual ones", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        const apim = e.resources.filter((r) => r.type.startsWith("azure-native:apimanagement:"));
        assert.ok(apim.length >= 10);
        for (const r of apim) {
          assert.equal(r.inputs.serviceName, out(host, "apimServiceName"), `${r.type} ${r.name}`);
          assert.equal(r.inputs.resourceGroupName, out(host, "resourceGroupName"), `${r.type} ${r.name}`);
        }
        assert.deepEqual(ofType(e, T.api).map((r) => r.inputs.path).sort(), ["a01/ai", "a01/openai"]);
        assert.equal(one(e, "azure-native:apimanagement:Product").inputs.productId, "a01-ai");
        const subscription = one(e, T.subscription);
        assert.equal(subscription.inputs.sid, "a01-ai");
        assert.equal(subscription.inputs.scope, "/products/a01-ai");
        assert.equal(out(e, "apiBasePath"), "a01/ai");
        assert.equal(out(e, "gatewayUrl"), out(host, "apimGatewayUrl"));
        assert.equal(e.outputs.subscriptionKey.secret, true);
        assert.equal(out(e, "backendHost"), `a01.${out(host, "backendDomain")}`);
        const probes = e.outputs.probes.value as { request: { url: string } }[];
        assert.ok(probes.some((p) => p.request.url.startsWith(`${out(host, "apimGatewayUrl")}/a01/ai/`)), "a probe calls the attendee's AI API");
        for (const p of probes.filter((p) => p.request.url.startsWith(out(host, "apimGatewayUrl")))) {
          assert.ok(new URL(p.request.url).pathname.startsWith("/a01/"), `${p.request.url} is under the attendee's path`);
        }
      });

      it("an attendee's Kubernetes objects live in ai-<attendee> on the shared cluster, through a provider built from the kubeconfig secret", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        const provider = one(e, "pulumi:providers:kubernetes");
        assert.ok(provider.secretInputs.includes("kubeconfig"));
        assert.equal(metadata(one(e, "kubernetes:core/v1:Namespace")).name, "ai-a01");
        const objects = e.resources.filter((r) => r.type.startsWith("kubernetes:"));
        assert.ok(objects.length >= 8);
        for (const r of objects) {
          assert.ok(r.provider?.startsWith(provider.urn), `${r.type} ${r.name} uses the shared cluster's provider`);
          const { namespace, name } = metadata(r);
          if (r.type === "kubernetes:core/v1:Namespace") continue;
          // Only the websecure allow-list joins Traefik's namespace, under the attendee's name.
          assert.ok(namespace === "ai-a01" || (namespace === "traefik" && name!.includes("a01")), `${r.type} ${namespace}/${name}`);
        }
        assert.ok(ofType(e, "kubernetes:networking.k8s.io/v1:NetworkPolicy").some((p) => metadata(p).name === "default-deny"));
        const federation = one(e, "azure-native:managedidentity:FederatedIdentityCredential");
        assert.equal(federation.inputs.issuer, out(host, "aksOidcIssuerUrl"));
        assert.equal(federation.inputs.subject, "system:serviceaccount:ai-a01:ai-api");
        const route = one(e, "kubernetes:networking.k8s.io/v1:Ingress").inputs.spec as { rules: { host: string }[] };
        assert.equal(route.rules[0].host, `a01.${out(host, "backendDomain")}`);
      });

      it("the model: one shared deployment with a token limit per subscription where the tier runs it, else the attendee's own deployment", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        const openAiPolicy = String(ofType(e, T.apiPolicy).find((p) => String(p.inputs.apiId).includes("openai"))!.inputs.value);
        const deployments = ofType(e, "azure-native:cognitiveservices:Deployment");
        const env = JSON.stringify(one(e, "kubernetes:apps/v1:Deployment").inputs);
        if (out(host, "modelSharing") === "shared") {
          assert.equal(deployments.length, 0);
          assert.match(openAiPolicy, /<azure-openai-token-limit[^>]*/);
          assert.ok(openAiPolicy.includes(TOKEN_LIMIT_COUNTER));
          assert.ok(env.includes(`"${out(host, "modelDeploymentName")}"`));
        } else {
          assert.equal(deployments.length, 1);
          const model = requireConfig(s, offlineSettings(s, zoneSettings(s))).openAiModelName;
          assert.equal(deployments[0].inputs.deploymentName, attendeeDeploymentName(model, "a01"));
          assert.equal(deployments[0].inputs.accountName, out(host, "openAiAccountName"));
          assert.ok(!openAiPolicy.includes("azure-openai-token-limit"));
          assert.ok(env.includes(`"${attendeeDeploymentName(model, "a01")}"`));
        }
      });

      it("role assignments: the workload's inference role on the shared account, the group's Kubernetes roles on its namespace and the kubeconfig only", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        const assignments = ofType(e, T.roleAssignment);
        const role = (r: RegisteredResource) => String(r.inputs.roleDefinitionId).split("/").pop();
        const inference = assignments.filter((r) => role(r) === COGNITIVE_SERVICES_OPENAI_USER);
        assert.equal(inference.length, 1);
        assert.equal(inference[0].inputs.scope, out(host, "openAiAccountId"));
        const group = assignments.filter((r) => r.inputs.principalId === GROUP);
        assert.deepEqual(
          group.map((r) => [role(r), r.inputs.scope, r.inputs.principalType]).sort(),
          [
            [AKS_CLUSTER_USER, out(host, "aksClusterId"), "Group"],
            [AKS_RBAC_WRITER, `${out(host, "aksClusterId")}/namespaces/ai-a01`, "Group"],
          ].sort(),
        );
        assert.equal(assignments.length, 3);
      });

      it("where the tier cannot trust the shared private CA (v2), the attendee's AI API calls through its own backend entity that checks the name", async () => {
        const e = await attendee(s, "a01");
        const config = requireConfig(s, offlineSettings(s, attendeeSettings(s, "a01")));
        const nameOnly = certificatePath(config, SCENARIO_TRAITS[s]).path !== "letsencrypt" && !apimTrustsPrivateCa(config.apimSku);
        const backends = ofType(e, "azure-native:apimanagement:Backend");
        assert.deepEqual(
          backends.map((b) => [b.inputs.backendId, b.inputs.tls]),
          nameOnly ? [["a01-ai-api-backend", { validateCertificateChain: false, validateCertificateName: true }]] : [],
        );
      });

      it("verify finds the shared cluster for the attendee's in-VNet probes from the attendee's outputs", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        const cluster = clusterFromId(out(e, "aksClusterId"));
        assert.deepEqual(cluster && [cluster.name, cluster.resourceGroupName], [out(host, "aksClusterName"), out(host, "resourceGroupName")]);
      });

      it("the attendee's host has its own DNS record pointing at the shared ingress", async () => {
        const [e, host] = [await attendee(s, "a01"), await shared(s)];
        if (SCENARIO_TRAITS[s].publicIngress) {
          const record = one(e, "azure-native:dns:RecordSet");
          assert.equal(`${record.inputs.relativeRecordSetName}.${record.inputs.zoneName}`, `a01.${out(host, "backendDomain")}`);
          assert.deepEqual(record.inputs.cnameRecord, { cname: out(host, "ingressTarget") });
        } else {
          const record = one(e, "azure-native:privatedns:PrivateRecordSet");
          assert.deepEqual([record.inputs.privateZoneName, record.inputs.relativeRecordSetName, record.inputs.aRecords], [out(host, "backendDomain"), "a01", [{ ipv4Address: out(host, "ingressTarget") }]]);
        }
      });

      it("the policy pack's mandatory rules pass on both halves", async () => {
        for (const e of [await shared(s), await attendee(s, "a01")]) {
          const mandatory = runPolicies(e).violations.filter((v) => v.enforcementLevel === "mandatory");
          assert.deepEqual(mandatory.map((v) => `${v.policy}: ${v.message}`), [], e.stack);
        }
      });

      it("two attendees' stacks claim nothing in common: names, paths, ids, namespaces, records", async () => {
        const [a, b] = [claims(await attendee(s, "a01")), claims(await attendee(s, "b02"))];
        assert.ok(a.length >= 20, `only ${a.length} claims`);
        assert.equal(a.length, b.length);
        assert.deepEqual(a.filter((c) => b.includes(c)), []);
      });
    });
  }

  it("index.ts (what pulumi up runs) builds the half workshopRole names, as the offline evaluation does", async () => {
    const asConfig = (settings: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${CONFIG_NAMESPACE}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
    const shape = (e: { resources: RegisteredResource[]; outputs: Record<string, unknown> }) => [e.resources.map((r) => `${r.type}::${r.name}`).sort(), Object.keys(e.outputs).sort()];
    const viaEntry = (settings: Record<string, unknown>, stack: string, stackReferences?: Record<string, Record<string, ProgramOutput>>) =>
      evaluateProgram(
        async () => {
          pulumi.runtime.setAllConfig(asConfig(offlineSettings("internal", settings)));
          return program();
        },
        { project: CONFIG_NAMESPACE, stack, stackReferences },
      );
    const host = await shared("internal");
    assert.deepEqual(shape(await viaEntry({ workshopRole: "shared" }, "internal-shared")), shape(host));
    const a01 = await viaEntry(attendeeSettings("internal", "a01"), "internal-a01", { [sharedStack("internal")]: host.outputs });
    assert.deepEqual(shape(a01), shape(await attendee("internal", "a01")));
  });

  it("the policy pack refuses the attendee group's Writer role on the whole cluster", async () => {
    const e = await attendee("internal", "a01");
    const clusterId = out(await shared("internal"), "aksClusterId");
    const widened = {
      ...e,
      resources: e.resources.map((r) => (r.inputs.principalId === GROUP && String(r.inputs.roleDefinitionId).endsWith(AKS_RBAC_WRITER) ? { ...r, inputs: { ...r.inputs, scope: clusterId } } : r)),
    };
    const messages = runPolicies(widened).violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.message);
    assert.deepEqual(messages, ["Azure Kubernetes Service RBAC Writer is assigned on a Microsoft.ContainerService/managedClusters: this project grants it only on a Microsoft.ContainerService/managedClusters/namespaces."]);
  });

  describe("an attendee stack refuses a shared stack it cannot use, saying why", () => {
    const attendeeConfig = () => requireConfig("public", offlineSettings("public", attendeeSettings("public", "a01")));
    const run = (outputs: Record<string, ProgramOutput>) =>
      evaluateProgram(() => buildProgram(attendeeConfig(), "public-a01"), { project: CONFIG_NAMESPACE, stack: "public-a01", stackReferences: { [sharedStack("public")]: outputs } });

    it("a shared stack of another topology", async () => {
      const other = await shared("internal");
      await assert.rejects(run(other.outputs), /shared stack organization\/apim-aks-ai-scenarios\/public-shared: the shared stack built the internal scenario, not public/);
    });

    it("a kubeconfig it cannot decrypt (the engine gives an empty object: another passphrase)", async () => {
      const own = await shared("public");
      await assert.rejects(run({ ...own.outputs, kubeconfig: { value: {}, secret: true } }), /secret output kubeconfig could not be read \(got object\)/);
    });

    it("a shared stack missing an output of the contract", async () => {
      const { ingressTarget: _, ...rest } = (await shared("public")).outputs;
      await assert.rejects(run(rest), /the shared stack has no output ingressTarget/);
    });

    it("reads the shared stack it is given: the refusals' pure check agrees on good outputs", async () => {
      assert.deepEqual(sharedStackRefusals("public", (await shared("public")).outputs), []);
    });
  });

  describe("settings", () => {
    const problems = (s: ScenarioName, settings: Record<string, unknown>) => {
      const r = resolveConfig(s, offlineSettings(s, settings));
      return r.ok ? [] : r.problems.map((p) => `${p.key}: ${p.message}`);
    };

    it("workshopRole is shared or attendee", () => {
      assert.deepEqual(problems("internal", { workshopRole: "host" }), ["workshopRole: allowed: shared, attendee"]);
    });

    it("an attendee stack needs its name and the shared stack", () => {
      assert.deepEqual(problems("internal", { workshopRole: "attendee" }), [
        "attendee: workshopRole attendee needs the attendee's name (1-12 lowercase letters or digits)",
        "sharedStack: workshopRole attendee needs the shared stack's fully qualified name, such as organization/apim-aks-ai-scenarios/public-shared",
      ]);
    });

    it("the attendee's name: 1-12 lowercase letters or digits, a letter first; the shared stack fully qualified", () => {
      for (const bad of ["A01", "1st", "a-01", "abcdefghijklm", ""]) {
        assert.deepEqual(problems("internal", { workshopRole: "attendee", attendee: bad, sharedStack: sharedStack("internal") }), [
          "attendee: must be 1-12 lowercase letters or digits, starting with a letter, such as a01",
        ], bad);
      }
      assert.match(problems("internal", { workshopRole: "attendee", attendee: "a01", sharedStack: "internal-shared" })[0], /^sharedStack: must be the shared stack's fully qualified name/);
      assert.deepEqual(problems("internal", { workshopRole: "attendee", attendee: "abcdefghijkl", sharedStack: sharedStack("internal") }), []);
    });

    it("attendee settings without the attendee role are refused", () => {
      assert.deepEqual(problems("internal", { attendee: "a01", attendeeGroupObjectId: GROUP }), [
        "attendee: only for workshopRole attendee (workshopRole is not set)",
        "attendeeGroupObjectId: only for workshopRole attendee (workshopRole is not set)",
      ]);
    });

    it("a public ingress needs a zone for the attendees' hosts; the failover account, the edge and client certificates are refused", () => {
      assert.deepEqual(problems("public", { workshopRole: "shared" }), [
        "ingressDomain: workshop mode with a public ingress needs an Azure DNS zone of yours: each attendee's host is <attendee>.<label>.<zone>; set ingressDomain=<zone> and ingressDomainResourceGroup=<its resource group>",
      ]);
      assert.ok(problems("internal", { workshopRole: "shared", openAiSecondaryLocation: "westeurope" }).includes("openAiSecondaryLocation: not available in workshop mode: attendees use the shared account only"));
      assert.deepEqual(problems("internal", { workshopRole: "attendee", attendee: "a01", sharedStack: sharedStack("internal"), edge: "appgw-waf", apimClientCertificates: true }).filter((p) => p.includes("workshop mode")), [
        "edge: not available in workshop mode: set edge=none",
        "apimClientCertificates: not available in workshop mode: the attendees' APIs would not check client certificates",
      ]);
    });

    it("verify's cluster from a resource ID: a managed cluster's only", () => {
      assert.deepEqual(clusterFromId("/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.ContainerService/managedClusters/aks-a"), {
        subscriptionId: "s1",
        resourceGroupName: "rg-a",
        name: "aks-a",
      });
      for (const bad of [undefined, "", "/subscriptions/s1/resourceGroups/rg-a", "/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/v"]) {
        assert.equal(clusterFromId(bad), undefined, String(bad));
      }
    });

    it("shares the deployment where the tier runs azure-openai-token-limit, not on Consumption", () => {
      assert.equal(modelSharing("Developer"), "shared");
      assert.equal(modelSharing("Consumption"), "per-attendee");
    });
  });
});
