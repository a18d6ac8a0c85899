/**
 * Timelines and reports from REAL engine events: an update and a destroy of the simulated cloud, whose
 * durations are known (create 2 s, delete 1 s; the API waits for the service), and an update where one
 * resource fails. With SCENARIOS_RECORD_FIXTURES=1 the recordings are saved as tests/fixtures/engine-events/
 * (marked "recorded from the real engine with a simulated cloud"), which the offline tests read.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../config/load";
import { runOperation, teardown } from "../../automation/driver/lifecycle/orchestrate";
import type { Recording } from "../../automation/driver/report/recorder";
import { runMarkdown, runReport } from "../../automation/driver/report/report";
import { removeShim } from "../../automation/driver/interrupt/shim";
import type { DriverWorkspace } from "../../automation/driver/stack/workspace";
import { openWorkspace, pulumiVersion, recordingContext, type TestProject, testProject } from "./harness";

export const ENGINE_FIXTURES = path.join(PROJECT_DIR, "tests", "fixtures", "engine-events");

function save(recording: Recording, name: string, what: string): void {
  if (process.env.SCENARIOS_RECORD_FIXTURES !== "1") return;
  fs.mkdirSync(ENGINE_FIXTURES, { recursive: true });
  const labelled: Recording = {
    ...recording,
    synthetic: false,
    note: `RECORDED from the real engine (pulumi ${pulumiVersion()}) with a SIMULATED cloud (tests/engine/simulated-cloud.ts): ${what}`,
  };
  fs.writeFileSync(path.join(ENGINE_FIXTURES, `${name}.recorded.json`), `${JSON.stringify(labelled, null, 1)}\n`);
}

describe("engine: timelines and reports from real engine events", function () {
  let project: TestProject;
  let workspace: DriverWorkspace;
  before(async function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    project = testProject({ createSeconds: 2, deleteSeconds: 1 });
    workspace = await openWorkspace(project);
  });
  after(() => {
    if (workspace?.shim) removeShim(workspace.shim);
    project?.cleanup();
  });

  it("an update and a destroy: durations, order and parallelism as the simulated cloud dictates", async () => {
    const ctx = recordingContext();
    const handle = await workspace.prepare("public-rec", "public", {});
    let up;
    try {
      up = await runOperation(handle, "update", ctx, { scenario: "public" });
      assert.equal(up.result.status, "succeeded", up.result.error);
    } finally {
      const down = await teardown(handle, ctx, { scenario: "public", purge: false, remove: true });
      assert.equal(down.ok, true, down.leftovers.join("\n"));
      const t = down.destroy!.timeline;
      const deletes = t.entries.filter((e) => e.custom && e.op === "delete");
      assert.deepEqual(deletes.map((e) => e.name).sort(), ["api", "cluster", "service"]);
      for (const e of deletes) assert.ok(e.durationMs! >= 900 && e.durationMs! < 5000, `${e.name} ${e.durationMs}`);
      save(down.destroy!.recording, "public-destroy", "delete takes 1 s per resource; the API is deleted before the service it depends on");
    }
    const t = up!.timeline;
    const creates = Object.fromEntries(t.entries.filter((e) => e.custom && e.op === "create").map((e) => [e.name, e]));
    assert.deepEqual(Object.keys(creates).sort(), ["api", "cluster", "service"]);
    for (const e of Object.values(creates)) assert.ok(e.durationMs! >= 1900 && e.durationMs! < 6000, `${e.name} ${e.durationMs}`);
    assert.ok(creates.api.startMs >= creates.service.endMs!, "the API starts after the service it depends on");
    assert.ok(creates.cluster.startMs < creates.service.endMs!, "the cluster is created beside the service");
    assert.equal(t.totals.status, "succeeded");
    assert.equal(t.totals.incomplete, 0);
    assert.ok(t.totals.peakConcurrency >= 2);
    const md = runMarkdown(runReport(t, "succeeded"));
    assert.match(md, /## Slowest operations/);
    save(up!.recording, "public-up", "create takes 2 s per resource; the API waits for the service, the cluster runs beside them");
  });

  it("a failing resource: the update fails, and the timeline and report say which", async () => {
    const ctx = recordingContext();
    const handle = await workspace.prepare("public-fail", "public", { fail: "api:create" });
    try {
      const up = await runOperation(handle, "update", ctx, { scenario: "public" });
      assert.equal(up.result.status, "failed");
      assert.match(up.result.error ?? "", /simulated cloud: api refused \(QuotaExceeded\)/);
      const failed = up.timeline.entries.filter((e) => e.status === "failed");
      assert.deepEqual(failed.map((e) => e.name), ["api"]);
      const md = runMarkdown(runReport(up.timeline, up.result.status, up.result.error));
      assert.match(md, /QuotaExceeded/);
      assert.match(md, /api/);
      assert.ok(ctx.events.some((e) => e.kind === "resource-end" && e.name === "api" && !e.ok), "progress shows the failed operation");
      save(up.recording, "public-up-failing", "the API's create fails (simulated QuotaExceeded) after 2 s");
    } finally {
      const down = await teardown(handle, ctx, { scenario: "public", purge: false, remove: true, clearPendingCreates: true });
      assert.equal(down.ok, true, down.leftovers.join("\n"));
    }
  });
});
