/** The plan's view of the edge (issue 20 part 4): the "internet entry" row for every scenario and the WAF hop in the trust-boundary diagram. */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../../automation/evaluate";
import { analyzeScenario, type Protection } from "../../../automation/plan/analysis";
import { comparisonRows } from "../../../automation/plan/model";
import { planScenarios } from "../../../automation/plan/run";
import { topologySvg } from "../../../automation/plan/svg";
import { SCENARIO_NAMES, type ScenarioName } from "../../../config/schema";
import { evaluated } from "../../scenarios/helpers";

const entry = (scenario: ScenarioName, resources: Parameters<typeof analyzeScenario>[1]): Protection | undefined =>
  analyzeScenario(scenario, resources).hops.find((h) => h.id === "client-apim")?.protections.find((p) => p.name === "internet entry");

const edgeStack = () => evaluateScenario("internal", { overrides: { edge: "appgw-waf" }, stack: "internal-edge" });

describe("plan: internet entry and the WAF hop", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario} as written: the row follows APIM's endpoint in the graph`, async () => {
      const e = await evaluated(scenario);
      const a = analyzeScenario(scenario, e.resources);
      const row = entry(scenario, e.resources)!;
      assert.ok(row, "every scenario has the row");
      const expected = a.endpoints.apim.reach === "internet" || a.endpoints.apim.reach === "internet-restricted" ? "APIM directly" : "none";
      assert.deepEqual([row.present, row.summary], [null, expected]);
      assert.equal(a.endpoints.edge, undefined);
    });
  }

  it("internal with edge=appgw-waf: only through the WAF in Prevention mode, and the edge is a public endpoint of its own", async () => {
    const e = await edgeStack();
    const a = analyzeScenario("internal", e.resources);
    const row = entry("internal", e.resources)!;
    assert.deepEqual([row.present, row.summary], [true, "WAF (Prevention)"]);
    assert.match(row.detail, /Microsoft_DefaultRuleSet 2\.1.*no public endpoint/);
    assert.deepEqual([a.endpoints.edge?.reach, a.endpoints.edge?.summary], ["internet", "internet, WAF Prevention"]);
  });

  it("a WAF that only logs is a gap: Detection mode reads as present false", async () => {
    const e = structuredClone(await edgeStack());
    const waf = e.resources.find((r) => r.type === "azure-native:network:WebApplicationFirewallPolicy")!;
    (waf.inputs.policySettings as Record<string, unknown>).mode = "Detection";
    const a = analyzeScenario("internal", e.resources);
    const row = entry("internal", e.resources)!;
    assert.deepEqual([row.present, row.summary], [false, "WAF (Detection)"]);
    assert.ok(a.gaps.some((g) => /only logs \(Detection mode\)/.test(g)), a.gaps.join("\n"));
  });

  it("draws the edge on the VNet's boundary between client and APIM, and the client on the internet", async () => {
    const e = await edgeStack();
    const svg = topologySvg({ scenario: "internal", analysis: analyzeScenario("internal", e.resources), resources: e.resources });
    const box = /<g class="edge-node"><rect x="(\d+(?:\.\d+)?)" y="[\d.]+" width="(\d+)"/.exec(svg);
    assert.ok(box, "an edge box");
    const vnet = /<rect x="(\d+(?:\.\d+)?)" y="34" [^>]*stroke-dasharray="7 5"/.exec(svg)!;
    assert.equal(Number(box[1]) + Number(box[2]) / 2, Number(vnet[1]), "the box straddles the VNet's boundary");
    assert.match(svg, />App Gateway</);
    assert.match(svg, />WAF Prevention</);
    assert.match(svg, />Internet</);
    const plain = await evaluated("internal");
    const without = topologySvg({ scenario: "internal", analysis: analyzeScenario("internal", plain.resources), resources: plain.resources });
    assert.doesNotMatch(without, /edge-node/);
    assert.match(without, />Caller in the VNet</);
  });

  it("the comparison table says, for every scenario, how the internet gets in and whether an edge faces it", async function () {
    this.timeout(120_000);
    const plain = await planScenarios(SCENARIO_NAMES);
    const [edge] = await planScenarios(["internal"], { edge: "appgw-waf" });
    const rows = comparisonRows([...plain, edge]);
    const cells = (label: string) => rows.find((r) => r.label.trim() === label)!.cells.map((c) => c.text);
    const entry = cells("internet entry");
    assert.equal(entry.length, SCENARIO_NAMES.length + 1);
    assert.equal(entry[SCENARIO_NAMES.length], "WAF (Prevention)");
    SCENARIO_NAMES.forEach((s, i) => assert.ok(["APIM directly", "none"].includes(entry[i]), `${s}: ${entry[i]}`));
    assert.equal(entry[SCENARIO_NAMES.indexOf("internal")], "none");
    const edgeRow = cells("edge (WAF)");
    assert.deepEqual(edgeRow.slice(0, SCENARIO_NAMES.length), SCENARIO_NAMES.map(() => "none"));
    assert.equal(edgeRow[SCENARIO_NAMES.length], "internet, WAF Prevention");
  });

  it("is tall enough for every protection under a hop", async () => {
    const e = await edgeStack();
    const a = analyzeScenario("internal", e.resources);
    const svg = topologySvg({ scenario: "internal", analysis: a, resources: e.resources });
    const height = Number(/viewBox="0 0 \d+ (\d+)"/.exec(svg)![1]);
    const lastLine = 92 + 74 + 88 + (Math.max(...a.hops.map((h) => h.protections.length)) - 1) * 15;
    assert.ok(height > lastLine, `${height} <= ${lastLine}`);
  });
});
