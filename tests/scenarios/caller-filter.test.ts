/**
 * Issue 20 part 3: apimAllowedCallerRanges becomes an ip-filter (action allow) first in the product's inbound
 * policy, in every tier family (classic, v2, Consumption: the policy's reference page says "All API Management
 * tiers"), and the probes expect the refusal from where `verify` calls.
 * https://learn.microsoft.com/azure/api-management/ip-filter-policy
 */
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { evaluateScenario, type ScenarioEvaluation } from "../../automation/evaluate";
import { parseProbes } from "../../automation/driver/verify/verify";
import { CAPACITY_RANGE } from "../../config/rules";
import { APIM_SKUS } from "../../config/schema";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { callerAllowList, composeGatewayPolicies } from "../../components/gateway-policies";
import { ALL_TIERS } from "../../components/policy-support";
import { callerAdmitted, probesFor } from "../../scenarios/probes";
import { evaluated, one, POLICY_SETTINGS, T } from "./helpers";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["address", "address-range"].includes(name) });
const RANGES = ["203.0.113.7/32", "198.51.100.0/24"];

const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false });

/** The names of a policy document's inbound elements, in document order. */
function inboundOrder(xml: string): string[] {
  const policies = (ordered.parse(xml) as Record<string, unknown[]>[])[0].policies as Record<string, unknown>[];
  const inbound = (policies.find((e) => "inbound" in e)?.inbound ?? []) as Record<string, unknown>[];
  return inbound.map((e) => Object.keys(e).find((k) => k !== ":@")!).filter((n) => n !== "#text");
}

function ipFilterOf(e: ScenarioEvaluation): { action: string; address?: string[]; "address-range"?: { from: string; to: string }[] } | undefined {
  const doc = parser.parse(String(one(e, T.productPolicy).inputs.value));
  return doc.policies.inbound["ip-filter"];
}

/** Every tier the public scenario runs, at its smallest capacity. */
const TIERS = APIM_SKUS.map((sku) => ({ sku, apimCapacity: CAPACITY_RANGE[sku][0] }));

describe("caller allow-list at APIM: apimAllowedCallerRanges -> ip-filter (issue 20 part 3)", () => {
  it("turns CIDR blocks into ip-filter elements: a /32 is an address, a wider block its first-to-last range", () => {
    const xml = callerAllowList(["203.0.113.7/32", "198.51.100.0/24", "10.0.0.0/8"]).xml;
    const f = parser.parse(xml)["ip-filter"];
    assert.equal(f.action, "allow");
    assert.deepEqual(f.address, ["203.0.113.7"]);
    assert.deepEqual(f["address-range"], [
      { from: "198.51.100.0", to: "198.51.100.255" },
      { from: "10.0.0.0", to: "10.255.255.255" },
    ]);
    assert.throws(() => callerAllowList(["198.51.100.1/24"]), /not an IPv4 CIDR block/);
  });

  it("puts the ip-filter first in the product's inbound (after <base />, before the token check) in every tier, and omits nothing for it", () => {
    for (const tier of ALL_TIERS) {
      const p = composeGatewayPolicies(tier, { ...POLICY_SETTINGS, allowedCallerRanges: RANGES, jwt: { issuer: "https://login.example.com/t/v2.0", audience: "api://ai" } });
      const order = inboundOrder(p.product);
      assert.deepEqual(order.slice(0, 3), ["base", "ip-filter", "validate-jwt"], `${tier}: ${order.join(", ")}`);
      assert.ok(!p.omitted.some((o) => o.startsWith("ip-filter")), tier);
      const none = composeGatewayPolicies(tier, POLICY_SETTINGS);
      assert.equal(parser.parse(none.product).policies.inbound["ip-filter"], undefined, `${tier}: no list, no filter`);
    }
  });

  for (const { sku, apimCapacity } of TIERS) {
    it(`public on ${sku}: the real graph's product policy admits only the configured ranges`, async () => {
      const e = await evaluateScenario("public", { overrides: { apimSku: sku, apimCapacity, apimAllowedCallerRanges: RANGES }, stack: `public-callers-${sku}` });
      const f = ipFilterOf(e);
      assert.ok(f, `${sku}: no ip-filter in ${String(one(e, T.productPolicy).inputs.value)}`);
      assert.equal(f.action, "allow");
      assert.deepEqual(f.address, ["203.0.113.7"]);
      assert.deepEqual(f["address-range"], [{ from: "198.51.100.0", to: "198.51.100.255" }]);
      assert.deepEqual(inboundOrder(String(one(e, T.productPolicy).inputs.value)).slice(0, 2), ["base", "ip-filter"], "right after <base />: before any counter");
    });
  }

  it("the stack files as written set no allow-list, and their product policy has no ip-filter", async () => {
    const e = await evaluated("public");
    assert.equal(ipFilterOf(e), undefined);
  });

  describe("probes", () => {
    it("from the internet (verify's machine, outside the list): the keyless call still gets 401, a keyed one 403, and nothing else through APIM is probed", async () => {
      const e = await evaluateScenario("public", { overrides: { apimAllowedCallerRanges: RANGES }, stack: "public-callers-Developer" });
      const probes = parseProbes(e.outputs.probes?.value);
      const apim = probes.filter((p) => p.name.startsWith("apim-"));
      assert.deepEqual(
        apim.map((p) => [p.name, p.from, p.request.withSubscriptionKey, p.expect]),
        [
          ["apim-rejects-missing-key", "internet", false, { status: 401 }],
          ["apim-refuses-caller-outside-ranges", "internet", true, { status: 403 }],
        ],
      );
      assert.ok(probes.some((p) => p.name === "backend-answers-direct-call"), "the backend probes stay");
    });

    it("internal: probes from the VNet run as usual when the list covers the AKS subnet, and expect 403 when it does not", async () => {
      const aks = COMMON_DEFAULTS.aksSubnetPrefix;
      const covered = await evaluateScenario("internal", { overrides: { apimAllowedCallerRanges: ["10.42.0.0/16"] }, stack: "internal-callers-covered" });
      const names = parseProbes(covered.outputs.probes?.value).map((p) => p.name);
      assert.ok(names.includes("apim-accepts-key") && names.includes("apim-rate-limits-burst") && !names.includes("apim-refuses-caller-outside-ranges"), names.join(", "));
      const outside = await evaluateScenario("internal", { overrides: { apimAllowedCallerRanges: RANGES }, stack: "internal-callers-outside" });
      const refused = parseProbes(outside.outputs.probes?.value).filter((p) => p.name === "apim-refuses-caller-outside-ranges");
      assert.equal(refused.length, 1);
      assert.equal(refused[0].from, "vnet");
      assert.deepEqual(refused[0].expect, { status: 403 });
      assert.ok(!parseProbes(outside.outputs.probes?.value).some((p) => p.name === "apim-accepts-key"));
      assert.equal(callerAdmitted("vnet", { allowedRanges: ["10.42.16.0/23"], vnetProbeSubnet: aks }), false, "a list covering half the subnet does not admit it");
    });

    it("without a list the APIM probes are unchanged", () => {
      const base = { scenario: "public" as const, gatewayUrl: "https://gw.example", apiBasePath: "ai", backendHost: "b.example", rateLimitCalls: 5 };
      assert.deepEqual(probesFor(base), probesFor({ ...base, callerFilter: undefined }));
      assert.ok(probesFor(base).some((p) => p.name === "apim-accepts-key"));
      assert.ok(!probesFor({ ...base, callerFilter: { allowedRanges: RANGES, vnetProbeSubnet: COMMON_DEFAULTS.aksSubnetPrefix } }).some((p) => p.name === "apim-accepts-key"));
    });
  });
});
