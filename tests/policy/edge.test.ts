/** Policy pack rules for the edge (issue 20 part 4): WAF in Prevention mode (mandatory), Internal mode without an edge (advisory). */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../automation/evaluate";
import { runPolicies } from "../../policy/run";
import { edit, evaluated, find, show, violationsOf } from "./helpers";

const WAF = "azure-native:network:WebApplicationFirewallPolicy";
const GATEWAY = "azure-native:network:ApplicationGateway";

const withEdge = async () => structuredClone(await evaluateScenario("internal", { overrides: { edge: "appgw-waf" }, stack: "internal-edge" }));

describe("policy pack: the edge in front of APIM", () => {
  it("internal with edge=appgw-waf passes edge-waf-prevention and draws no internal-apim-edge advisory", async () => {
    const report = runPolicies(await withEdge());
    assert.deepEqual(violationsOf(report, "edge-waf-prevention"), [], show(report.violations));
    assert.equal(report.results.find((r) => r.policy === "edge-waf-prevention")?.status, "pass");
    assert.deepEqual(violationsOf(report, "internal-apim-edge"), []);
    assert.deepEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory"), [], show(report.violations));
  });

  it("refuses (mandatory) a WAF policy in Detection mode, a disabled one, one without managed rules, and a gateway without WAF", async () => {
    const cases: [string, (e: Awaited<ReturnType<typeof withEdge>>) => void, RegExp][] = [
      ["Detection", (e) => edit(find(e, WAF), (p) => (p.policySettings.mode = "Detection")), /Detection mode, which logs attacks and lets them through/],
      ["Disabled", (e) => edit(find(e, WAF), (p) => (p.policySettings.state = "Disabled")), /is Disabled/],
      ["no rules", (e) => edit(find(e, WAF), (p) => (p.managedRules.managedRuleSets = [])), /no managed rule set/],
      ["Standard_v2", (e) => edit(find(e, GATEWAY), (p) => (p.sku = { name: "Standard_v2", tier: "Standard_v2" })), /tier is Standard_v2/],
      ["no policy", (e) => edit(find(e, GATEWAY), (p) => delete p.firewallPolicy), /no firewallPolicy/],
    ];
    for (const [label, change, message] of cases) {
      const e = await withEdge();
      change(e);
      const vs = violationsOf(runPolicies(e), "edge-waf-prevention");
      assert.equal(vs.length, 1, `${label}:\n${show(vs)}`);
      assert.equal(vs[0].enforcementLevel, "mandatory");
      assert.match(vs[0].message, message, label);
    }
  });

  it("advises an edge for Internal mode without one, and says nothing for scenarios with a public gateway", async () => {
    const internal = violationsOf(runPolicies(await evaluated("internal")), "internal-apim-edge");
    assert.equal(internal.length, 1, show(internal));
    assert.equal(internal[0].enforcementLevel, "advisory");
    assert.match(internal[0].message, /edge=appgw-waf/);
    for (const scenario of ["public", "external"] as const) {
      const report = runPolicies(await evaluated(scenario));
      assert.equal(report.results.find((r) => r.policy === "internal-apim-edge")?.status, "not-applicable", scenario);
      assert.equal(report.results.find((r) => r.policy === "edge-waf-prevention")?.status, "not-applicable", scenario);
    }
  });
});
