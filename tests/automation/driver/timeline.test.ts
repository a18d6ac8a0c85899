import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EventRecorder, loadRecording, type RecordedEvent, recordingProblem, recordPathFor, saveRecording } from "../../../automation/driver/report/recorder";
import { buildTimeline, formatDuration, plainMessage } from "../../../automation/driver/report/timeline";
import { moduleAndType, nameFromUrn } from "../../../automation/shared/text";
import type { EngineEvent } from "../../../automation/driver/stack/types";

const STACK = "public-eph-abc123";
const urn = (type: string, name: string) => `urn:pulumi:${STACK}::apim-aks-ai-scenarios::${type}::${name}`;

/** A recorded stream built event by event: `at(ms, event)`. */
function stream() {
  const events: RecordedEvent[] = [];
  let seq = 1;
  const meta = (op: string, type: string, name: string, custom = true) => ({
    op,
    urn: urn(type, name),
    type,
    provider: "",
    new: { type, urn: urn(type, name), ...(custom ? { custom: true } : {}), id: "", parent: "", inputs: {}, outputs: {}, provider: "" },
  });
  const api = {
    events,
    at(offsetMs: number, event: Omit<EngineEvent, "sequence" | "timestamp">) {
      events.push({ offsetMs, event: { sequence: seq++, timestamp: 1735722000 + Math.floor(offsetMs / 1000), ...event } as EngineEvent });
      return api;
    },
    start(ms: number, op: string, type: string, name: string, custom = true) {
      return api.at(ms, { resourcePreEvent: { metadata: meta(op, type, name, custom) as never } });
    },
    end(ms: number, op: string, type: string, name: string, custom = true) {
      return api.at(ms, { resOutputsEvent: { metadata: meta(op, type, name, custom) as never } });
    },
    fail(ms: number, op: string, type: string, name: string) {
      return api.at(ms, { resOpFailedEvent: { metadata: meta(op, type, name) as never, status: 1, steps: 1 } });
    },
  };
  return api;
}

const rec = (events: RecordedEvent[], synthetic = false) => ({ stack: STACK, scenario: "public", operation: "update" as const, startedAt: "2025-01-01T09:00:00.000Z", synthetic, events });

describe("automation/driver/report/timeline", () => {
  it("pairs each resource's start and end by arrival time, not by the engine's whole-second timestamps", () => {
    const s = stream()
      .at(100, { preludeEvent: { config: {} } })
      .start(1000, "create", "pulumi:pulumi:Stack", "apim-aks-ai-scenarios-public", false)
      .start(1200, "create", "azure-native:resources:ResourceGroup", "resource-group")
      .end(1450, "create", "azure-native:resources:ResourceGroup", "resource-group")
      .start(1500, "create", "azure-native:apimanagement:ApiManagementService", "gateway-service")
      .start(1510, "create", "azure-native:network:VirtualNetwork", "vnet")
      .end(1800, "create", "azure-native:network:VirtualNetwork", "vnet")
      .end(2_701_500, "create", "azure-native:apimanagement:ApiManagementService", "gateway-service")
      .end(2_701_600, "create", "pulumi:pulumi:Stack", "apim-aks-ai-scenarios-public", false)
      .at(2_701_700, { summaryEvent: { maybeCorrupt: false, durationSeconds: 2702, resourceChanges: { create: 4 }, policyPacks: {} } })
      .at(2_701_710, { cancelEvent: {} });
    const t = buildTimeline(rec(s.events));
    assert.equal(t.totals.status, "succeeded");
    const rg = t.entries.find((e) => e.name === "resource-group")!;
    assert.equal(rg.startMs, 1100, "offsets are relative to the first event");
    assert.equal(rg.durationMs, 250, "sub-second durations survive although timestamps are whole seconds");
    assert.equal(t.totals.operations, 3, "the stack component is not an operation");
    assert.equal(t.totals.slowest[0].name, "gateway-service");
    assert.equal(t.totals.slowest[0].durationMs, 2_700_000);
    assert.equal(t.totals.peakConcurrency, 2, "APIM and the VNet overlapped");
    assert.equal(t.totals.engineSeconds, 2702);
    assert.deepEqual(t.totals.changes, { create: 4 });
    assert.equal(t.totals.wallMs, 2_701_610);
    assert.equal(t.totals.byType[0].type, "azure-native:apimanagement:ApiManagementService");
  });

  it("marks failed operations with the engine's error for that resource, and the run as failed", () => {
    const t = buildTimeline(
      rec(
        stream()
          .start(0, "create", "azure-native:cognitiveservices:Deployment", "model")
          .at(5000, { diagnosticEvent: { urn: urn("azure-native:cognitiveservices:Deployment", "model"), message: "<{%reset%}>InsufficientQuota: not enough quota<{%reset%}>\n", color: "raw", severity: "error" } })
          .fail(5100, "create", "azure-native:cognitiveservices:Deployment", "model")
          .at(5200, { diagnosticEvent: { message: "update failed", color: "raw", severity: "error" } }).events,
      ),
    );
    assert.equal(t.totals.status, "failed");
    assert.equal(t.totals.failed, 1);
    assert.equal(t.entries[0].status, "failed");
    assert.equal(t.entries[0].error, "InsufficientQuota: not enough quota");
    assert.deepEqual(t.errors, ["update failed"]);
  });

  it("leaves operations that never ended as not finished (a cancelled update)", () => {
    const t = buildTimeline(
      rec(
        stream()
          .start(0, "create", "azure-native:apimanagement:ApiManagementService", "gateway-service")
          .start(10, "create", "azure-native:network:VirtualNetwork", "vnet")
          .end(9000, "create", "azure-native:network:VirtualNetwork", "vnet")
          .at(60_000, { cancelEvent: {} }).events,
      ),
    );
    assert.equal(t.totals.status, "incomplete");
    assert.equal(t.totals.incomplete, 1);
    const apim = t.entries.find((e) => e.name === "gateway-service")!;
    assert.equal(apim.status, "incomplete");
    assert.equal(apim.endMs, undefined);
  });

  it("keeps the steps of a replacement apart, and leaves `same` out of the totals", () => {
    const t = buildTimeline(
      rec(
        stream()
          .start(0, "same", "azure-native:resources:ResourceGroup", "resource-group")
          .end(1, "same", "azure-native:resources:ResourceGroup", "resource-group")
          .start(10, "create-replacement", "azure-native:network:PublicIPAddress", "pip")
          .end(5000, "create-replacement", "azure-native:network:PublicIPAddress", "pip")
          .start(5010, "replace", "azure-native:network:PublicIPAddress", "pip")
          .end(5011, "replace", "azure-native:network:PublicIPAddress", "pip")
          .start(9000, "delete-replaced", "azure-native:network:PublicIPAddress", "pip")
          .end(12_000, "delete-replaced", "azure-native:network:PublicIPAddress", "pip").events,
      ),
    );
    assert.deepEqual(t.entries.map((e) => `${e.op}:${e.durationMs}`), ["same:1", "create-replacement:4990", "replace:1", "delete-replaced:3000"]);
    assert.equal(t.totals.operations, 3);
    assert.equal(t.totals.peakConcurrency, 1, "back-to-back steps are not concurrent");
  });

  it("formats durations and names for people", () => {
    assert.equal(formatDuration(420), "0.4s");
    assert.equal(formatDuration(42_000), "42s");
    assert.equal(formatDuration(14 * 60_000 + 5000), "14m 05s");
    assert.equal(formatDuration(3_720_000), "1h 02m");
    assert.equal(formatDuration(undefined), "-");
    assert.equal(nameFromUrn(urn("a:b:C", "my-name")), "my-name");
    assert.equal(moduleAndType("azure-native:apimanagement:ApiManagementService"), "apimanagement:ApiManagementService");
    assert.equal(plainMessage("\u001b[31m<{%fg 1%}>boom<{%reset%}>\u001b[0m"), "boom");
  });
});

describe("automation/driver/report/recorder", () => {
  it("records each event with its arrival offset, in the fixture format, and reads it back", () => {
    let now = 1000;
    const r = new EventRecorder("public-eph-1", "update", "public", () => now);
    now = 1012.5;
    r.record({ sequence: 1, timestamp: 1, preludeEvent: { config: {} } });
    now = 4000;
    r.record({ sequence: 2, timestamp: 4, cancelEvent: {} });
    const recording = r.toRecording();
    assert.deepEqual(recording.events.map((e) => e.offsetMs), [12.5, 3000]);
    assert.equal(recording.synthetic, false);
    assert.equal(recording.format, "pulumi-engine-events");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rec-"));
    const file = path.join(dir, "sub", "r.json");
    saveRecording(file, recording);
    assert.deepEqual(loadRecording(file), recording);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses files that are not recordings", () => {
    assert.match(recordingProblem({ format: "x" as never }) ?? "", /not a recording/);
    assert.match(recordingProblem({ format: "pulumi-engine-events", version: 1, synthetic: true, events: [{ offsetMs: 5, event: {} }, { offsetMs: 1, event: {} }] as never }) ?? "", /arrives before/);
    assert.equal(recordingProblem({ format: "pulumi-engine-events", version: 1, synthetic: false, events: [] }), undefined);
  });

  it("names one file per stack when several stacks record", () => {
    assert.equal(recordPathFor("run.json", "public", 1), "run.json");
    assert.equal(recordPathFor("runs/up.json", "internal", 3), "runs/up-internal.json");
    assert.equal(recordPathFor("up-{stack}.json", "public", 1), "up-public.json");
  });
});
