import { strict as assert } from "node:assert";
import { ganttSvg } from "../../../automation/driver/report/report";
import type { Timeline } from "../../../automation/driver/report/timeline";
import { timelineSvg } from "../../../automation/plan/svg";
import type { ScenarioEstimate } from "../../../automation/plan/estimates";
import { type TimeAxisChart, tickStep, timeAxisSvg } from "../../../automation/shared/time-axis-svg";

const chart = (over: Partial<TimeAxisChart> = {}): TimeAxisChart => ({
  className: "bars",
  ariaLabel: "a <chart>",
  width: 500,
  labelWidth: 100,
  rightMargin: 0,
  rowHeight: 20,
  top: 20,
  bottom: 10,
  total: 40,
  tickSteps: [1, 2, 5, 10, 15],
  maxTicks: 4,
  tickLabel: (v) => `${v} min`,
  labelChars: 8,
  rows: [
    { label: "short", start: 0, end: 10, colour: "#111", tooltip: "a & b" },
    { label: "a long label", start: 20, end: 40, colour: "#222", tooltip: "t", after: "20m", barAttrs: 'opacity="0.5"' },
  ],
  ...over,
});

describe("automation/shared/time-axis-svg (bars on a time axis, for the plan and the driver)", () => {
  it("places bars on the axis, ticks at each step, labels clipped and everything escaped", () => {
    const svg = timeAxisSvg(chart());
    assert.match(svg, /^<svg [^>]*class="bars"[^>]*height="70"[^>]*aria-label="a &lt;chart&gt;"/);
    assert.deepEqual([...svg.matchAll(/class="axis"[^>]*>([^<]+)</g)].map((m) => m[1]), ["0 min", "10 min", "20 min", "30 min", "40 min"]);
    // plot 400px wide for 40 minutes: 10px a minute after the 100px label column
    assert.match(svg, /<rect x="100\.0" y="22" width="100\.0" height="16" rx="2" fill="#111"\/>/);
    assert.match(svg, /<rect x="300\.0" y="42" width="200\.0" height="16" rx="2" fill="#222" opacity="0.5"\/>/);
    assert.match(svg, />a long …</);
    assert.match(svg, /<title>a &amp; b<\/title>/);
    assert.equal((svg.match(/class="after"/g) ?? []).length, 1);
  });

  it("chooses the smallest tick step that keeps the axis within its number of ticks", () => {
    assert.equal(tickStep(40, [1, 2, 5, 10, 15], 4), 10);
    assert.equal(tickStep(41, [1, 2, 5, 10, 15], 4), 15);
    assert.equal(tickStep(1000, [1, 2, 5, 10, 15], 4), 15);
    assert.equal(tickStep(8, [1, 2, 5, 10, 15, 30, 60], 12), 1);
    assert.equal(tickStep(45, [1, 2, 5, 10, 15, 30, 60], 12), 5);
  });

  it("draws the plan's timeline and the driver's Gantt with it, each in its own look", () => {
    const estimate = {
      spinUpMinutes: 30,
      serialMinutes: 40,
      criticalPath: [{ urn: "urn:pulumi:s::p::azure-native:apimanagement:ApiManagementService::gw", type: "azure-native:apimanagement:ApiManagementService", minutes: 30 }],
      timeline: [
        { urn: "urn:pulumi:s::p::azure-native:apimanagement:ApiManagementService::gw", type: "azure-native:apimanagement:ApiManagementService", minutes: 30, start: 0, finish: 30, kind: "documented" },
        { urn: "urn:pulumi:s::p::azure-native:network:VirtualNetwork::vnet", type: "azure-native:network:VirtualNetwork", minutes: 1, start: 0, finish: 1, kind: "observed" },
      ],
    } as unknown as ScenarioEstimate;
    const plan = timelineSvg(estimate, "public");
    assert.match(plan, /class="timeline"/);
    assert.match(plan, /<g><title>gw: 0–30 min \(documented\)<\/title><text [^>]*fill="#[0-9a-f]+">gw · ApiManagementService</);
    assert.match(plan, /class="tick" stroke="#e5e8e8"/);
    assert.match(plan, /critical path/);

    const t = {
      stack: "s",
      operation: "update",
      totals: { wallMs: 60_000 },
      entries: [{ custom: true, op: "create", type: "azure-native:network:VirtualNetwork", name: "vnet", startMs: 0, endMs: 30_000, durationMs: 30_000, status: "succeeded" }],
    } as unknown as Timeline;
    const gantt = ganttSvg(t);
    assert.match(gantt, /class="gantt"/);
    assert.match(gantt, /<g><title>create azure-native:network:VirtualNetwork vnet: [^<]*<\/title><text [^>]*class="label"[^>]*>network:VirtualNetwork vnet</);
    assert.match(gantt, /class="after">30s</);
    assert.doesNotMatch(gantt, /stroke="#e5e8e8"/);
  });
});
