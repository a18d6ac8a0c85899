/**
 * The `model-failover` probe (issue 16 item 3) on the real scenario graphs: absent unless the failover account
 * exists; with it, one chat call through APIM's Azure OpenAI API, the key in the header that API takes, before the
 * burst that uses up the product's rate limit, expecting the header the API's policy sets to name one of the two
 * accounts. Everything the probe names is compared with the graph, not with constants.
 */
import assert from "node:assert/strict";
import { evaluateScenario, type ScenarioEvaluation } from "../../automation/evaluate";
import { judge, parseProbes } from "../../automation/driver/verify/verify";
import type { RegisteredResource } from "../../automation/mock-engine";
import { SCENARIO_NAMES } from "../../config/schema";
import { type Probe, accountOfEndpoint } from "../../scenarios/probes";
import { evaluated, one, ofType, T } from "./helpers";

const SECONDARY = "germanywestcentral";
const props = (r: RegisteredResource) => r.inputs as Record<string, any>;
const probesOf = (e: ScenarioEvaluation) => parseProbes(e.outputs.probes?.value);

describe("model-failover probe: observes which account APIM's pool answered from", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario} as written (no openAiSecondaryLocation): no model-failover probe`, async () => {
      assert.ok(!probesOf(await evaluated(scenario)).some((p) => p.name === "model-failover"));
    });
  }

  for (const scenario of ["public", "external", "internal"] as const) {
    it(`${scenario} with openAiSecondaryLocation: a chat call through the Azure OpenAI API, key in its header, answer from either account`, async () => {
      await evaluated("consumption");
      const e = await evaluateScenario(scenario, { overrides: { openAiSecondaryLocation: SECONDARY } });
      const probes = probesOf(e);
      const failover = probes.filter((p) => p.name === "model-failover");
      assert.equal(failover.length, 1);
      const [probe] = failover;

      const api = one(e, T.api, (a) => props(a).apiId === "azure-openai");
      const deployment = ofType(e, "azure-native:cognitiveservices:Deployment").find((d) => d.name === "ai-model-deployment")!;
      const gatewayUrl = String(e.outputs.gatewayUrl.value).replace(/\/$/, "");
      assert.equal(probe.request.url, `${gatewayUrl}/${props(api).path}/deployments/${props(deployment).deploymentName}/chat/completions?api-version=${new URL(probe.request.url).searchParams.get("api-version")}`);
      assert.match(new URL(probe.request.url).searchParams.get("api-version")!, /^\d{4}-\d{2}-\d{2}(-preview)?$/);
      assert.equal(probe.request.withSubscriptionKey, true);
      assert.equal(probe.request.keyHeader, props(api).subscriptionKeyParameterNames.header, "the header the Azure OpenAI API takes the key in");
      // Internal mode: the gateway answers only inside the VNet.
      assert.equal(probe.from, scenario === "internal" ? "vnet" : "internet");
      assert.ok(probes.findIndex((p) => p.name === "model-failover") < probes.findIndex((p) => p.name === "apim-rate-limits-burst"), "before the burst uses up the rate limit");

      // The header the API's policy sets in outbound, and the names of the two accounts it can carry.
      const policy = String(props(one(e, T.apiPolicy, (p) => props(p).apiId === "azure-openai")).value);
      const outbound = /<outbound>([\s\S]*?)<\/outbound>/.exec(policy)![1];
      const expect = probe.expect as Extract<Probe["expect"], { status: number }>;
      assert.equal(expect.status, 200);
      assert.match(outbound, new RegExp(`<set-header name="${expect.header!.name}" exists-action="override">`));
      const accounts = ofType(e, T.openAi).map((a) => String(props(a).accountName)).sort();
      assert.deepEqual([...expect.header!.oneOf].sort(), accounts);
      assert.deepEqual(expect.header!.oneOf.map((n) => `https://${n}.openai.azure.com/`).map(accountOfEndpoint), expect.header!.oneOf);
      // The token parameter of the deployed model, a small answer.
      const body = probe.request.body as Record<string, unknown>;
      assert.equal(Object.keys(body).filter((k) => /^max_(completion_)?tokens$/.test(k)).length, 1);

      // As verify judges it: either account passes, anything else or no header fails.
      const seen = (value?: string) => judge({ statuses: [200], headers: value === undefined ? {} : { [expect.header!.name]: value } }, probe.expect);
      assert.equal(seen(accounts[0]), true);
      assert.equal(seen(accounts[1]), true);
      assert.equal(seen("oai-someone-else"), false);
      assert.equal(seen(), false);
    });
  }
});
