import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeItem } from "../../../automation/driver/estimates/estimates";
import { loadRecording, recordingProblem } from "../../../automation/driver/report/recorder";
import {
  compareHtml,
  compareMarkdown,
  type CompareReport,
  ganttSvg,
  runHtml,
  runMarkdown,
  runReport,
  tickStep,
  writeReportFiles,
} from "../../../automation/driver/report/report";
import { baseSeconds, schedule, type SynthResource, synthesizeRecording } from "../../../automation/driver/report/synthesize-events";
import { buildTimeline, NO_OP, type Timeline } from "../../../automation/driver/report/timeline";
import { SCENARIO_NAMES } from "../../../config/schema";

const FIXTURES = path.join(__dirname, "../../fixtures/events");
const P = "apim-aks-ai-scenarios";
const u = (type: string, name: string, parent?: string) => `urn:pulumi:s::${P}::${parent ? `${parent}$` : ""}${type}::${name}`;

/** A small graph shaped like a scenario: component, resource group, APIM and model that need it, a role grant after both. */
function graph(sku = "Developer", vnet = "None"): SynthResource[] {
  const root = u("apim-aks-ai:scenario:Scenario", "public");
  const rg = u("azure-native:resources:ResourceGroup", "resource-group", "apim-aks-ai:scenario:Scenario");
  const apim = u("azure-native:apimanagement:ApiManagementService", "gateway-service", "apim-aks-ai:scenario:Scenario");
  const oai = u("azure-native:cognitiveservices:Account", "openai", "apim-aks-ai:scenario:Scenario");
  const role = u("azure-native:authorization:RoleAssignment", "apim-inference", "apim-aks-ai:scenario:Scenario");
  return [
    { urn: root, type: "apim-aks-ai:scenario:Scenario", custom: false, dependencies: [] },
    { urn: rg, type: "azure-native:resources:ResourceGroup", custom: true, parent: root, dependencies: [], id: "/subscriptions/x/resourceGroups/rg" },
    { urn: apim, type: "azure-native:apimanagement:ApiManagementService", custom: true, parent: root, dependencies: [rg], inputs: { sku: { name: sku, capacity: 1 }, virtualNetworkType: vnet, publisherXml: "x".repeat(500) } },
    { urn: oai, type: "azure-native:cognitiveservices:Account", custom: true, parent: root, dependencies: [rg] },
    { urn: role, type: "azure-native:authorization:RoleAssignment", custom: true, parent: root, dependencies: [apim, oai] },
  ];
}

describe("automation/driver/report/synthesize-events (SYNTHETIC fixtures)", () => {
  it("starts every resource after its dependencies and provider, with the stated durations", () => {
    const recording = synthesizeRecording(graph(), { project: P, stack: "s", scenario: "public" });
    assert.equal(recording.synthetic, true);
    assert.match(recording.note ?? "", /^SYNTHETIC/);
    assert.equal(recordingProblem(recording), undefined);
    const t = buildTimeline(recording);
    const by = new Map(t.entries.map((e) => [e.name, e]));
    const [rg, apim, oai, role] = ["resource-group", "gateway-service", "openai", "apim-inference"].map((n) => by.get(n)!);
    assert.ok(apim.startMs >= rg.endMs!, "APIM waits for its resource group");
    assert.ok(oai.startMs >= rg.endMs!);
    assert.ok(role.startMs >= Math.max(apim.endMs!, oai.endMs!), "the role grant waits for both");
    assert.ok(Math.abs(apim.durationMs! - 2700_000) <= 0.15 * 2700_000, "a classic tier takes about 45 minutes");
    assert.equal(t.totals.status, "succeeded");
    assert.equal(t.totals.incomplete, 0);
    assert.ok(t.entries.some((e) => e.type === "pulumi:providers:azure-native"), "default providers appear as in a real run");
    const providerEntry = t.entries.find((e) => e.type === "pulumi:providers:azure-native")!;
    assert.ok(rg.startMs >= providerEntry.endMs!, "resources wait for their provider");
    const apimEvent = recording.events.find((e) => e.event.resourcePreEvent?.metadata.type === "azure-native:apimanagement:ApiManagementService")!;
    assert.equal(apimEvent.event.resourcePreEvent!.metadata.new!.inputs.publisherXml, undefined, "long inputs are left out of fixtures");
    assert.ok(recording.events.every((e, i) => i === 0 || e.event.sequence === recording.events[i - 1].event.sequence + 1));
    assert.ok(recording.events.every((e) => Number.isInteger(e.event.timestamp)), "engine timestamps are whole seconds");
  });

  it("models APIM by tier and VNet mode", () => {
    const apim = (sku: string, vnet = "None") => graph(sku, vnet)[2];
    assert.equal(baseSeconds(apim("Consumption"), "update"), 90);
    assert.equal(baseSeconds(apim("StandardV2"), "update"), 420);
    assert.equal(baseSeconds(apim("Developer"), "update"), 2700);
    assert.equal(baseSeconds(apim("Developer", "Internal"), "update"), 3300);
    assert.equal(baseSeconds(apim("Consumption"), "destroy"), 60);
  });

  it("destroys in reverse: a resource goes only after everything that depends on it", () => {
    const recording = synthesizeRecording(graph(), { project: P, stack: "s", operation: "destroy" });
    const t = buildTimeline(recording);
    const by = new Map(t.entries.map((e) => [e.name, e]));
    assert.ok(t.entries.every((e) => e.op === "delete"));
    assert.ok(by.get("gateway-service")!.startMs >= by.get("apim-inference")!.endMs!);
    assert.ok(by.get("resource-group")!.startMs >= Math.max(by.get("gateway-service")!.endMs!, by.get("openai")!.endMs!));
  });

  it("is deterministic", () => {
    const a = schedule(graph(), "update");
    const b = schedule(graph(), "update");
    assert.deepEqual([...a.entries()], [...b.entries()]);
  });
});

function fixtureFiles(): string[] {
  return fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).map((f) => path.join(FIXTURES, f)) : [];
}

describe("automation/driver: timelines and reports of the recorded event streams in tests/fixtures/events", () => {
  const files = fixtureFiles();
  it("has recordings for every scenario's update", () => {
    for (const s of SCENARIO_NAMES) {
      assert.ok(files.some((f) => path.basename(f).startsWith(`${s}-up`)), `missing tests/fixtures/events/${s}-up*.json (npx tsx automation/driver/report/synthesize-events.ts ${s})`);
    }
  });

  for (const file of files) {
    describe(path.basename(file), () => {
      const recording = loadRecording(file);
      const timeline = buildTimeline(recording);
      const ops = timeline.entries.filter((e) => e.custom && !NO_OP.has(e.op));

      it("is labelled: synthetic files say so, and how they were made", () => {
        if (path.basename(file).includes("synthetic")) {
          assert.equal(recording.synthetic, true);
          assert.match(recording.note ?? "", /SYNTHETIC/);
        }
      });

      it("pairs every resource operation and sums up", () => {
        assert.equal(timeline.totals.status, "succeeded");
        assert.equal(timeline.totals.incomplete, 0);
        assert.ok(ops.length > 10, `${ops.length} operations`);
        for (const e of ops) assert.ok(e.durationMs! >= 0 && e.endMs! <= timeline.totals.wallMs, e.urn);
        const summary = recording.events.find((e) => e.event.summaryEvent)!.event.summaryEvent!;
        assert.ok(Math.abs(summary.durationSeconds * 1000 - timeline.totals.wallMs) < 2000, "the engine's duration agrees with the arrival times");
        assert.equal(timeline.totals.slowest.length, 5);
        assert.ok(timeline.totals.peakConcurrency > 1, "a real graph runs things in parallel");
      });

      if (recording.operation === "update") {
        it("finds APIM among the slowest, as the scenario's tier dictates", () => {
          const apim = ops.find((e) => e.type === "azure-native:apimanagement:ApiManagementService");
          assert.ok(apim, "every scenario has an APIM service");
          if (recording.scenario === "consumption") assert.ok(apim.durationMs! < 5 * 60_000);
          else assert.equal(timeline.totals.slowest[0].type, "azure-native:apimanagement:ApiManagementService");
        });
      }

      it("renders Markdown and a self-contained HTML report with one Gantt bar per operation", () => {
        const report = runReport(timeline, "succeeded", undefined, new Date("2025-01-01T12:00:00Z"));
        const md = runMarkdown(report);
        assert.match(md, new RegExp(`^# ${recording.operation} of ${recording.stack}`));
        if (recording.synthetic) assert.match(md, /> SYNTHETIC/);
        assert.match(md, /## Slowest operations/);
        const html = runHtml(report);
        assert.doesNotMatch(html, /<script/i, "no scripts");
        assert.doesNotMatch(html, /(src|href)=["']https?:/i, "nothing loaded from elsewhere");
        assert.equal((html.match(/<rect /g) ?? []).length, ops.length);
        assert.match(html, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="gantt"/);
      });
    });
  }
});

function timelineOf(name: string): Timeline | undefined {
  const file = fixtureFiles().find((f) => path.basename(f) === name);
  return file ? buildTimeline(loadRecording(file)) : undefined;
}

describe("automation/driver/report/report", () => {
  const small = buildTimeline(synthesizeRecording(graph(), { project: P, stack: "public-eph-1a2b3c", scenario: "public" }));

  it("escapes names in HTML and SVG", () => {
    const evil: Timeline = { ...small, stack: '<img src=x onerror="alert(1)">', entries: small.entries.map((e) => ({ ...e, name: `${e.name}<b>&` })) };
    const html = runHtml(runReport(evil, "succeeded"));
    assert.doesNotMatch(html, /<img src=x/);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
    assert.match(html, /gateway-service&lt;b&gt;&amp;/);
  });

  it("draws unfinished operations to the end of the stream, and failed ones in red", () => {
    const t: Timeline = { ...small, entries: small.entries.map((e) => (e.name === "gateway-service" ? { ...e, endMs: undefined, durationMs: undefined, status: "incomplete" } : e.name === "openai" ? { ...e, status: "failed", error: "InsufficientQuota" } : e)) };
    const svg = ganttSvg(t);
    assert.match(svg, /stroke-dasharray/);
    assert.match(svg, /fill="#d62728"/);
    assert.match(svg, /not finished/);
    assert.equal(tickStep(45 * 60_000), 300_000);
    assert.equal(tickStep(8_000), 1000);
  });

  it("puts measurements beside the plan's estimates, and says when estimates are missing", () => {
    const report: CompareReport = {
      kind: "compare",
      generatedAt: "2025-01-01T12:00:00.000Z",
      synthetic: true,
      entries: [
        {
          scenario: "public",
          stack: "public-eph-1a2b3c",
          ok: true,
          measured: { spinUpMs: small.totals.wallMs, verifyMs: 21_400, teardownMs: 16 * 60_000, resources: 4 },
          up: small,
          estimates: {
            ok: true,
            estimates: {
              spinUpMinutes: 46,
              serialMinutes: 60,
              slowest: { urn: "urn:pulumi:s::p::azure-native:apimanagement:ApiManagementService::gateway-service", type: "azure-native:apimanagement:ApiManagementService", minutes: 45 },
              criticalPath: [{ urn: "urn:pulumi:s::p::azure-native:resources:ResourceGroup::resource-group", type: "azure-native:resources:ResourceGroup", minutes: 0.1 }],
              monthlyCostUsd: 123.45,
              costLines: [{ type: "azure-native:apimanagement:ApiManagementService", item: "APIM Developer unit", count: 1, usd: 48.04, basis: "per unit-month", source: "https://azure.microsoft.com/pricing/details/api-management/", usage: false }],
              notes: ["prices are eastus list prices"],
            },
          },
        },
        { scenario: "internal", ok: false, error: "up failed: InsufficientQuota", measured: {}, estimates: { ok: false, reason: "estimating internal failed (boom)" }, leftovers: ["resources of internal-eph-x may remain"] },
      ],
    };
    const md = compareMarkdown(report);
    assert.match(md, /\| public \| ok \| \d+m \d\ds \| 46 min \| 60 min \| 21s \| 16m 00s \| 4 \| \$123 \| - \|/);
    assert.match(md, /\| internal \| FAILED \| - \| - \| - \| - \| - \| - \| - \| - \|/);
    assert.match(md, /Plan estimates unavailable: estimating internal failed \(boom\)\./);
    assert.match(md, /\| gateway-service \(apimanagement:ApiManagementService\) \d+m \d\ds \| apimanagement:ApiManagementService gateway-service \(45\.0 min\) \|/);
    assert.match(md, /- APIM Developer unit: \$48\.04\/month \(per unit-month\)/);
    assert.match(md, /- resources of internal-eph-x may remain/);
    const html = compareHtml(report);
    assert.doesNotMatch(html, /<script/i);
    assert.equal((html.match(/<svg /g) ?? []).length, 1);
  });

  it("describes the plan's items whatever their exact shape", () => {
    assert.equal(describeItem({ urn: "urn:pulumi:s::p::azure-native:containerservice:ManagedCluster::aks", type: "azure-native:containerservice:ManagedCluster", minutes: 7 }), "containerservice:ManagedCluster aks (7.00 min)");
    assert.equal(describeItem({ item: "tokens", count: 1, usd: 0, basis: "per 1M tokens", usage: true }), "tokens: usage-based (per 1M tokens)");
    assert.equal(describeItem("plain"), "plain");
    assert.equal(describeItem({ weird: 1 }), '{"weird":1}');
  });

  it("writes JSON, Markdown and HTML side by side", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
    const files = writeReportFiles(path.join(dir, "runs", "public-update-20250101T090000Z"), runReport(timelineOf("public-up.synthetic.json") ?? small, "succeeded"));
    assert.deepEqual(files.map((f) => path.extname(f)), [".json", ".md", ".html"]);
    assert.equal(JSON.parse(fs.readFileSync(files[0], "utf8")).kind, "run");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
