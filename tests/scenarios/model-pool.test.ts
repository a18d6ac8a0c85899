/**
 * The model pool on the real scenario graphs (issue 16 item 2): with `openAiSecondaryLocation` a second account
 * carries the same deployment, APIM gets a backend per account with a circuit breaker and a priority pool over
 * them, the Azure OpenAI API calls the pool and retries a throttled call on the next backend, and both
 * identities may call both accounts. Without the setting nothing of this exists.
 */
import assert from "node:assert/strict";
import type { RegisteredResource } from "../../automation/mock-engine";
import { evaluateScenario, type ScenarioEvaluation } from "../../automation/evaluate";
import { COGNITIVE_SERVICES_OPENAI_USER } from "../../components/roles";
import { requireConfig } from "../../config/validate";
import { offlineSettings } from "../../automation/evaluate";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import { runPolicies } from "../../policy/run";
import { evaluated, one, ofType, T } from "./helpers";

const BACKEND = "azure-native:apimanagement:Backend";
const DEPLOYMENT = "azure-native:cognitiveservices:Deployment";
const PE = "azure-native:network:PrivateEndpoint";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const SECONDARY = "germanywestcentral";

async function withSecondary(scenario: ScenarioName): Promise<ScenarioEvaluation> {
  await evaluated("consumption");
  return evaluateScenario(scenario, { overrides: { openAiSecondaryLocation: SECONDARY } });
}

const props = (r: RegisteredResource) => r.inputs as Record<string, any>;
const openAiPolicy = (e: ScenarioEvaluation) => String(props(one(e, T.apiPolicy, (p) => props(p).apiId === "azure-openai")).value);
const backendSection = (xml: string) => /<backend>([\s\S]*?)<\/backend>|<backend \/>/.exec(xml)?.[0] ?? "";

describe("model pool: a second account behind APIM's backend pool with circuit breakers", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario} as written: one account, no backends, the Azure OpenAI API calls its service URL`, async () => {
      const e = await evaluated(scenario);
      assert.equal(ofType(e, T.openAi).length, 1);
      // No model backends (integrated has one backend, for the AI API: tests/scenarios/integrated.test.ts).
      assert.equal(ofType(e, BACKEND).filter((b) => props(b).backendId !== "ai-api-backend").length, 0);
      assert.doesNotMatch(openAiPolicy(e), /set-backend-service|<retry/);
      assert.ok(!((e.outputs.probes?.value ?? []) as { name: string }[]).some((p) => p.name.startsWith("openai-secondary-")));
    });
  }

  for (const scenario of ["public", "external", "internal"] as const) {
    it(`${scenario} with openAiSecondaryLocation: two accounts, a breaker on each backend, a priority pool, retry to the next`, async () => {
      const e = await withSecondary(scenario);
      const accounts = ofType(e, T.openAi);
      assert.equal(accounts.length, 2);
      const [primary, secondary] = [accounts.find((a) => a.name === "ai-model")!, accounts.find((a) => a.name === "ai-model-secondary")!];
      assert.equal(props(secondary).location, SECONDARY);
      assert.equal(props(secondary).accountName, `${props(primary).accountName}-2`);
      assert.equal(ofType(e, DEPLOYMENT).length, 2);
      for (const d of ofType(e, DEPLOYMENT)) assert.deepEqual(props(d).properties.model, props(ofType(e, DEPLOYMENT)[0]).properties.model);
      // VNet scenarios: the secondary is reached privately too, through its own endpoint in the same subnet.
      assert.equal(ofType(e, PE).length, scenario === "public" ? 0 : 2);
      if (scenario !== "public") assert.equal(props(secondary).properties.publicNetworkAccess, "Disabled");

      const backends = ofType(e, BACKEND);
      assert.equal(backends.length, 3);
      const byId = (id: string) => backends.find((b) => props(b).backendId === id)!;
      const [b1, b2, pool] = [byId("openai-1"), byId("openai-2"), byId("openai-pool")];
      assert.equal(props(b1).url, `${String(primary.outputs.properties && (primary.outputs.properties as any).endpoint).replace(/\/$/, "")}/openai`);
      assert.equal(props(b2).url, `https://${props(secondary).accountName}.openai.azure.com/openai`);
      for (const b of [b1, b2]) {
        assert.equal(props(b).type, "Single");
        const rules = props(b).circuitBreaker.rules;
        assert.equal(rules.length, 1, "one rule per breaker");
        assert.deepEqual(rules[0].failureCondition.statusCodeRanges, [
          { min: 429, max: 429 },
          { min: 500, max: 599 },
        ]);
        assert.equal(rules[0].acceptRetryAfter, true);
      }
      assert.equal(props(pool).type, "Pool");
      assert.deepEqual(props(pool).pool.services, [
        { id: b1.id, priority: 1 },
        { id: b2.id, priority: 2 },
      ]);

      const xml = openAiPolicy(e);
      assert.match(xml, /<inbound>[\s\S]*<set-backend-service backend-id="openai-pool" \/>[\s\S]*<\/inbound>/);
      const backend = backendSection(xml);
      assert.match(backend, /<retry condition="@\(context\.Response\.StatusCode == 429 \|\| context\.Response\.StatusCode == 503\)" count="1" interval="1" first-fast-retry="true">/);
      assert.match(backend, /<forward-request buffer-request-body="true" \/>/);
      assert.doesNotMatch(backend, /<base \/>/, "the retry forwards; an inherited forward-request would send the call twice");

      // Both identities, APIM's and the AI API's, hold the inference role on both accounts.
      const apimPrincipal = String((one(e, T.apim).outputs.identity as { principalId: string }).principalId);
      const workloadPrincipal = String(one(e, IDENTITY).outputs.principalId);
      const grants = ofType(e, T.roleAssignment).filter((r) => String(props(r).roleDefinitionId).endsWith(COGNITIVE_SERVICES_OPENAI_USER));
      for (const account of [primary, secondary]) {
        const on = grants.filter((g) => props(g).scope === account.id).map((g) => props(g).principalId);
        assert.deepEqual(on.sort(), [apimPrincipal, workloadPrincipal].sort(), `grants on ${account.name}`);
      }
      // The AI API fails over itself where it reaches the secondary privately (VNet scenarios), not elsewhere.
      const container = props(one(e, "kubernetes:apps/v1:Deployment", (d) => props(d).metadata?.name === "ai-api")).spec.template.spec.containers[0];
      const failoverEnv = (container.env as { name: string; value: string }[]).find((v) => v.name === "AZURE_OPENAI_FAILOVER_ENDPOINTS");
      assert.deepEqual(failoverEnv?.value, scenario === "public" ? undefined : `https://${props(secondary).accountName}.openai.azure.com/`);
      // The second account is probed like the first: refused from the internet, reached privately in the VNet.
      const probes = (e.outputs.probes?.value ?? []) as { name: string; from: string; request: { url: string }; expect: unknown }[];
      const secondaryProbes = probes.filter((p) => p.name.startsWith("openai-secondary-"));
      assert.deepEqual(
        secondaryProbes.map((p) => [p.name, p.from, p.expect]),
        [
          ["openai-secondary-refuses-internet", "internet", { status: 403 }],
          ...(scenario === "public" ? [] : [["openai-secondary-private-endpoint", "vnet", { status: 401 }]]),
        ],
      );
      for (const p of secondaryProbes) assert.ok(p.request.url.startsWith(`https://${props(secondary).accountName}.openai.azure.com/openai/`), p.request.url);
      // The policy pack's mandatory rules hold for the second account too (private in the VNet scenarios).
      const mandatory = runPolicies(e).violations.filter((v) => v.enforcementLevel === "mandatory");
      assert.deepEqual(mandatory.map((v) => `${v.policy}: ${v.message}`), []);
    });
  }

  it("validation refuses a secondary on a tier without circuit breakers, or in the primary's region", () => {
    const problems = (scenario: ScenarioName, overrides: Record<string, unknown>) => {
      try {
        requireConfig(scenario, offlineSettings(scenario, overrides));
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.match(problems("consumption", { openAiSecondaryLocation: SECONDARY }), /openAiSecondaryLocation.*circuit breakers, which the Consumption tier lacks/);
    assert.match(problems("public", { openAiSecondaryLocation: "swedencentral" }), /openAiSecondaryLocation.*the primary account's region too/);
    assert.match(problems("public", { openAiSecondaryLocation: "westindia" }), /openAiSecondaryLocation.*not offered as GlobalStandard there/);
    assert.equal(problems("public", { openAiSecondaryLocation: SECONDARY }), "");
  });
});
