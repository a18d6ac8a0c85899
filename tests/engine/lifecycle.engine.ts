import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runOperation, teardown } from "../../automation/driver/orchestrate";
import type { DriverWorkspace } from "../../automation/driver/workspace";
import { listStacks, readStateFiles, openWorkspace, recordingContext, type TestProject, testProject } from "./harness";

describe("engine: a stack's life through the driver (real CLI, file backend, simulated cloud)", function () {
  let project: TestProject;
  let workspace: DriverWorkspace;
  before(async function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    project = testProject({ createSeconds: 0, deleteSeconds: 0 });
    workspace = await openWorkspace(project);
  });
  after(() => {
    if (workspace?.shim) require("../../automation/driver/shim").removeShim(workspace.shim);
    project?.cleanup();
  });

  it("up -> outputs (secret stays secret) -> preview with a change -> destroy -> stack removed", async () => {
    const ctx = recordingContext();
    const stackName = `public-eng-${Date.now().toString(36)}`;
    const handle = await workspace.prepare(stackName, "public", {});
    try {
      const up = await runOperation(handle, "update", ctx, { scenario: "public" });
      assert.equal(up.result.status, "succeeded", up.result.error);
      assert.equal(up.result.changes.create, 6, JSON.stringify(up.result.changes));
      const outputs = await handle.outputs();
      assert.equal(outputs.subscriptionKey.secret, true);
      assert.match(String(outputs.gatewayUrl.value), /^https:\/\/service\.simulated\.invalid$/);
      // The backend keeps it encrypted with the passphrase. (The SDK's exportStack, behind resources(),
      // runs `stack export --show-secrets`: that copy is decrypted and must never be printed.)
      const stateText = readStateFiles(project.stateDir);
      assert.ok(stateText.includes("ciphertext"), "the state holds ciphertext");
      assert.ok(!stateText.includes(String(outputs.subscriptionKey.value)), "the key is not in the backend in clear text");

      const changed = await workspace.prepare(stackName, "public", { greeting: "changed" });
      const preview = await runOperation(changed, "preview", ctx, { scenario: "public" });
      assert.equal(preview.result.status, "succeeded", preview.result.error);
      assert.equal(preview.result.changes.update, 3, JSON.stringify(preview.result.changes));
    } finally {
      const report = await teardown(handle, ctx, { scenario: "public", purge: false, remove: true });
      assert.deepEqual(report.leftovers, []);
      assert.equal(report.destroy?.result.status, "succeeded");
      assert.equal(report.removed, true);
    }
    assert.ok(!listStacks(project).includes(stackName));
    // A named stack keeps its stack file (remove --preserve-config); the config written went there.
    assert.ok(fs.existsSync(path.join(project.stacksDir, `Pulumi.${stackName}.yaml`)));
  });
});
