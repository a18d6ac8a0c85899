import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runOperation, teardown } from "../../automation/driver/lifecycle/orchestrate";
import { removeShim } from "../../automation/driver/interrupt/shim";
import type { DriverWorkspace } from "../../automation/driver/stack/workspace";
import { type Azurite, azuriteUnavailable, startAzurite } from "./azurite";
import { listStacks, openWorkspace, recordingContext, type TestProject, testProject } from "./harness";

describe("engine: shared state in Azure Blob Storage (azblob:// against Azurite)", function () {
  let azurite: Azurite | undefined;
  let project: TestProject;
  const workspaces: DriverWorkspace[] = [];
  before(async function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    const missing = azuriteUnavailable();
    if (missing) {
      console.log(`    (skipped: ${missing})`);
      this.skip();
    }
    project = testProject({ createSeconds: 8, deleteSeconds: 0 });
    fs.mkdirSync(path.join(project.root, "azurite"));
    azurite = await startAzurite(path.join(project.root, "azurite"));
    const backend = await azurite.backend("pulumi-state");
    Object.assign(project.env, backend.env, { PULUMI_BACKEND_URL: backend.url });
  });
  after(async () => {
    for (const w of workspaces) if (w.shim) removeShim(w.shim);
    await azurite?.stop();
    project?.cleanup();
  });

  it("two drivers updating one stack: the second fails at once with a clear 'locked by' line; nothing is corrupted", async () => {
    const first = await openWorkspace(project);
    const second = await openWorkspace(project);
    workspaces.push(first, second);
    assert.match(first.backend.url, /^azblob:\/\/pulumi-state\?domain=127\.0\.0\.1:\d+&protocol=http&localemu=true$/);
    const ctx = recordingContext();
    const a = await first.prepare("public-shared", "public", {});
    const running = runOperation(a, "update", ctx, { scenario: "public" });
    // Wait until the first update holds the lock (its first resource operation has begun).
    for (let i = 0; i < 300 && !ctx.events.some((e) => e.kind === "resource-start"); i++) await new Promise((r) => setTimeout(r, 100));
    const b = await second.select("public-shared", "public");
    const blocked = await runOperation(b, "update", recordingContext(), { scenario: "public" });
    assert.equal(blocked.result.status, "failed");
    assert.match(blocked.result.error ?? "", /locked by 1 lock/, blocked.result.error);
    assert.match(blocked.result.error ?? "", /azblob:\/\/.*: created by \S+@\S+ \(pid \d+\)/, "and by whom");
    // A teardown from the second driver meanwhile must not break the lock of an update still running.
    const ctx2 = recordingContext();
    const refused = await teardown(b, ctx2, { scenario: "public", purge: false, remove: true });
    assert.equal(refused.ok, false);
    assert.equal(refused.removed, false);
    const said = ctx2.events.filter((e) => e.kind === "message").map((e) => (e as { text: string }).text);
    assert.ok(said.some((m) => /which may still be running: not cancelling it/.test(m)), said.join("\n"));
    assert.ok(!said.some((m) => /cancelling it and retrying/.test(m)));
    const done = await running;
    assert.equal(done.result.status, "succeeded", done.result.error);
    // The state is whole: a preview from the second driver sees nothing to change.
    const preview = await runOperation(b, "preview", recordingContext(), { scenario: "public" });
    assert.equal(preview.result.status, "succeeded", preview.result.error);
    assert.deepEqual(Object.keys(preview.result.changes).filter((k) => k !== "same" && preview.result.changes[k] > 0), []);
    const report = await teardown(b, recordingContext(), { scenario: "public", purge: false, remove: true });
    assert.deepEqual(report.leftovers, []);
    assert.ok(!listStacks(project).includes("public-shared"));
    console.log(`      (the second driver was told: ${blocked.result.error?.replace(/\n/g, " / ")})`);
  });
});
