/**
 * Timelines, progress and reports over event streams RECORDED from the real engine (pulumi v3.274.1) with a
 * SIMULATED cloud: tests/fixtures/engine-events/, written by `SCENARIOS_RECORD_FIXTURES=1 npm run
 * test:engine` (tests/engine/recordings.engine.ts). Offline; the durations are the simulated cloud's (create
 * 2 s, delete 1 s, the API after the service), the event shapes are the engine's own.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { eventProgress } from "../../../automation/driver/lifecycle/orchestrate";
import { loadRecording } from "../../../automation/driver/report/recorder";
import { runHtml, runMarkdown, runReport } from "../../../automation/driver/report/report";
import { buildTimeline } from "../../../automation/driver/report/timeline";
import type { ProgressEvent } from "../../../automation/driver/stack/types";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "engine-events");
const load = (name: string) => loadRecording(path.join(FIXTURES, name));

describe("automation/driver: timelines of real engine recordings (simulated cloud)", () => {
  it("are labelled as recorded from the real engine with a simulated cloud", () => {
    for (const f of ["public-up.recorded.json", "public-destroy.recorded.json", "public-up-failing.recorded.json"]) {
      const r = load(f);
      assert.equal(r.synthetic, false, f);
      assert.match(r.note ?? "", /^RECORDED from the real engine \(pulumi v3\.274\.1\) with a SIMULATED cloud/, f);
    }
  });

  it("an update: three resources timed as created, the API after the service, the provider instance not counted", () => {
    const recording = load("public-up.recorded.json");
    const t = buildTimeline(recording);
    // The engine reports its default provider (pulumi:providers:pulumi-nodejs) like a resource.
    assert.ok(recording.events.some((e) => e.event.resourcePreEvent?.metadata.type === "pulumi:providers:pulumi-nodejs"));
    const ops = t.entries.filter((e) => e.custom);
    assert.deepEqual(ops.map((e) => e.name).sort(), ["api", "cluster", "service"]);
    assert.equal(t.totals.operations, 3);
    const by = Object.fromEntries(ops.map((e) => [e.name, e]));
    for (const e of ops) assert.ok(e.durationMs! >= 1900 && e.durationMs! < 6000, `${e.name} ${e.durationMs}`);
    assert.ok(by.api.startMs >= by.service.endMs!);
    assert.ok(by.cluster.startMs < by.service.endMs!);
    assert.equal(t.totals.status, "succeeded");
    assert.equal(t.totals.peakConcurrency, 2);
    const html = runHtml(runReport(t, "succeeded"));
    assert.equal((html.match(/<rect /g) ?? []).length, 3, "one Gantt bar per cloud resource");
    assert.match(runMarkdown(runReport(t, "succeeded")), /^# update of public-rec/);
  });

  it("live progress shows the three resources, not the provider instance", () => {
    const seen: ProgressEvent[] = [];
    const progress = eventProgress("public-rec", (e) => seen.push(e));
    for (const { event } of load("public-up.recorded.json").events) progress(event);
    assert.deepEqual(seen.filter((e) => e.kind === "resource-end").map((e) => (e as { name: string }).name).sort(), ["api", "cluster", "service"]);
  });

  it("a destroy: the three resources deleted, the API before the service", () => {
    const t = buildTimeline(load("public-destroy.recorded.json"));
    const by = Object.fromEntries(t.entries.filter((e) => e.custom).map((e) => [e.name, e]));
    assert.deepEqual(Object.keys(by).sort(), ["api", "cluster", "service"]);
    assert.ok(by.service.startMs >= by.api.endMs!);
    assert.equal(t.totals.status, "succeeded");
  });

  it("a failing resource: the timeline and the report name it and the cloud's reason", () => {
    const t = buildTimeline(load("public-up-failing.recorded.json"));
    assert.equal(t.totals.status, "failed");
    const failed = t.entries.filter((e) => e.status === "failed");
    assert.deepEqual(failed.map((e) => e.name), ["api"]);
    assert.match(failed[0].error ?? "", /simulated cloud: api refused \(QuotaExceeded\)/);
    const md = runMarkdown(runReport(t, "failed", failed[0].error));
    assert.match(md, /api/);
    assert.match(md, /QuotaExceeded/);
  });
});
