/**
 * The model pool's plain parts (components/ModelPool.ts) and the Azure OpenAI API's policy per tier: pool,
 * breaker-driven retry and what a tier without circuit breakers gets instead (issue 16 items 2 and 4).
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { XMLParser } from "fast-xml-parser";
import { composeGatewayPolicies, type GatewayPolicySettings, MODEL_BACKEND_HEADER } from "../../components/gateway-policies";
import { MODEL_POOL_BACKEND_ID, ModelPool, modelBackendId, modelBackendUrl, modelCircuitBreakerRule, poolRetry, poolServices } from "../../components/ModelPool";
import { GATEWAY_POLICY_SETTINGS } from "../helpers/gateway";
import { constructionError } from "../helpers/graph";
import { ALL_TIERS, BACKEND_FEATURE_SUPPORT, supportsBackendFeature } from "../../components/policy-support";

const SETTINGS: GatewayPolicySettings = GATEWAY_POLICY_SETTINGS;

const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" }).parse(xml).policies;

describe("ModelPool: backends, breaker and pool as data", () => {
  it("names the backends and their URLs after the accounts' endpoints", () => {
    assert.equal(modelBackendId(0), "openai-1");
    assert.equal(modelBackendId(1), "openai-2");
    assert.equal(modelBackendUrl("https://oai-x.openai.azure.com/"), "https://oai-x.openai.azure.com/openai");
    assert.equal(modelBackendUrl("https://oai-x.openai.azure.com"), "https://oai-x.openai.azure.com/openai");
  });

  it("one breaker rule trips on 429 and on 5xx, honours Retry-After and resets after a minute", () => {
    const rule = modelCircuitBreakerRule();
    assert.deepEqual(rule.failureCondition.statusCodeRanges, [
      { min: 429, max: 429 },
      { min: 500, max: 599 },
    ]);
    assert.equal(rule.failureCondition.count, 1);
    assert.equal(rule.acceptRetryAfter, true);
    assert.equal(rule.tripDuration, "PT1M");
  });

  it("the component refuses a pool of one before creating a backend, as a ResourceError of the component", async () => {
    const { error, e } = await constructionError(
      () => new ModelPool("pool", { resourceGroupName: "rg", serviceName: "apim", endpoints: ["https://oai-a.openai.azure.com/"] }),
    );
    assert.ok(error instanceof pulumi.ResourceError, String(error));
    assert.match((error as Error).message, /ModelPool "pool": a model pool needs at least two backends, got 1/);
    assert.deepEqual(e.resources.filter((r) => r.custom), []);
  });

  it("the pool lists its members by priority, primary first, and refuses a pool of one", () => {
    assert.deepEqual(poolServices(["/a", "/b"]), [
      { id: "/a", priority: 1 },
      { id: "/b", priority: 2 },
    ]);
    assert.throws(() => poolServices(["/a"]), /at least two backends/);
  });

  it("retries once per further backend, on 429 and 503 only", () => {
    assert.equal(poolRetry(2).count, 1);
    assert.equal(poolRetry(3).count, 2);
    assert.equal(poolRetry(2).condition, "@(context.Response.StatusCode == 429 || context.Response.StatusCode == 503)");
  });

  it("the tier table: every tier but Consumption has circuit breakers and pools, with the backends page as source", () => {
    assert.deepEqual(
      ALL_TIERS.filter((t) => !supportsBackendFeature(t, "circuit-breaker")),
      ["Consumption"],
    );
    assert.deepEqual(
      ALL_TIERS.filter((t) => !supportsBackendFeature(t, "backend-pool")),
      ["Consumption"],
    );
    assert.match(BACKEND_FEATURE_SUPPORT["circuit-breaker"].source, /api-management\/backends#circuit-breaker$/);
  });
});

describe("the Azure OpenAI API's policy with a model pool, per tier", () => {
  for (const tier of ALL_TIERS) {
    it(`${tier}`, () => {
      const without = composeGatewayPolicies(tier, SETTINGS);
      const withPool = composeGatewayPolicies(tier, { ...SETTINGS, openAiPool: { backendId: MODEL_POOL_BACKEND_ID, backends: 2 } });
      const doc = parse(withPool.openAiApi);
      if (tier === "Consumption") {
        // No breaker: the API keeps calling its service URL (the primary), and the omission is reported.
        assert.equal(withPool.openAiApi, without.openAiApi);
        assert.ok(withPool.omitted.some((o) => /model pool with circuit breakers: not available in the Consumption tier/.test(o)), withPool.omitted.join("\n"));
        return;
      }
      assert.deepEqual(withPool.omitted, without.omitted);
      const inbound = doc.inbound;
      assert.equal(inbound["set-backend-service"]["@backend-id"], MODEL_POOL_BACKEND_ID);
      // Authentication stays in front of the routing; the pool's members all take the same Entra ID audience.
      const order = withPool.openAiApi.indexOf("authentication-managed-identity") < withPool.openAiApi.indexOf("set-backend-service");
      assert.ok(order, "the token is fetched before the backend is chosen");
      const retry = doc.backend.retry;
      assert.equal(retry["@condition"], "@(context.Response.StatusCode == 429 || context.Response.StatusCode == 503)");
      assert.equal(retry["@count"], "1");
      assert.equal(retry["@first-fast-retry"], "true");
      assert.equal(retry["forward-request"]["@buffer-request-body"], "true");
      assert.equal(doc.backend.base, undefined, "no inherited forward-request next to the retry's");
      // The answer names the account it came from.
      assert.deepEqual(doc.outbound["set-header"], { value: "@(context.Request.Url.Host.Split('.')[0])", "@name": MODEL_BACKEND_HEADER, "@exists-action": "override" });
      // The pool adds nothing else to the document.
      const strip = (xml: string) => xml.replace(/\s*<set-backend-service[^>]*\/>/, "").replace(/\s*<backend>[\s\S]*?<\/backend>|\s*<backend \/>/, "").replace(/\s*<outbound>[\s\S]*?<\/outbound>|\s*<outbound \/>/, "");
      assert.equal(strip(withPool.openAiApi), strip(without.openAiApi));
    });
  }
});
