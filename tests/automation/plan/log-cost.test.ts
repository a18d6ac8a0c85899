import assert from "node:assert/strict";
import { costOf } from "../../../automation/plan/estimates";
import { logIngestion } from "../../../automation/plan/log-cost";
import { comparisonRows } from "../../../automation/plan/model";
import { renderMarkdown } from "../../../automation/plan/render-markdown";
import { SCENARIO_NAMES } from "../../../config/schema";
import { planned, resource } from "./helpers";

const WORKSPACE = "azure-native:operationalinsights:Workspace";

describe("plan: the Log Analytics line of the cost table (issue 19 item 4)", () => {
  it("the month at the daily cap: cap × 730/24 days × the quoted price per GB", () => {
    const l = logIngestion(1, 2.3, 730, "b");
    assert.equal(l.gbAtCap, 30.4);
    assert.equal(l.usdAtCap, 69.92);
    assert.match(l.basis, /daily cap 1 GB: about 30.4 GB and \$69\.92 a month at most if every day reaches it \(the cap is approximate/);
    assert.equal(logIngestion(-1, 2.3, 730, "b").usdAtCap, undefined);
    assert.match(logIngestion(undefined, 2.3, 730, "b").basis, /no daily cap, so no ceiling/);
    assert.equal(logIngestion(2, undefined, 730, "b").usdAtCap, undefined, "no figure without a price");
  });

  it("a workspace's line reads its workspaceCapping from the graph and stays a usage line", () => {
    const [capped] = costOf(resource(WORKSPACE, "ws", { inputs: { workspaceCapping: { dailyQuotaGb: 0.5 } } }));
    assert.equal(capped.usage, true);
    assert.equal(capped.usd, 0);
    assert.equal(capped.usdAtCap, 34.96);
    const [open] = costOf(resource(WORKSPACE, "ws"));
    assert.equal(open.usdAtCap, undefined);
  });

  it("every scenario's plan shows the logs at the lab-sized cap, in the comparison and in the cost table", async () => {
    const results = await Promise.all(SCENARIO_NAMES.map(planned));
    const row = comparisonRows(results).find((r) => r.label.trim() === "logs at the daily cap");
    assert.ok(row);
    assert.deepEqual(row.cells.map((c) => c.text), SCENARIO_NAMES.map(() => "≈ $69.92"));
    const md = renderMarkdown([results[0]], new Date(0));
    assert.match(md, /\| Log Analytics ingestion \| 1 \| usage, ≈ \$69\.92 at the daily cap \|/);
  });
});
