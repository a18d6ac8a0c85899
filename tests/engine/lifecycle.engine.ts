import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runOperation, teardown } from "../../automation/driver/lifecycle/orchestrate";
import type { DriverWorkspace } from "../../automation/driver/stack/workspace";
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
    if (workspace?.shim) require("../../automation/driver/interrupt/shim").removeShim(workspace.shim);
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

  it("configuration goes to the stack file in stacks/ (stackConfigDir), and nothing else changes", async () => {
    const before = snapshot(project.workDir);
    const handle = await workspace.prepare("public", "public", { greeting: "from -c" });
    const after = snapshot(project.workDir);
    const changed = Object.keys({ ...before, ...after }).filter((f) => before[f] !== after[f]);
    assert.deepEqual(changed, ["stacks/Pulumi.public.yaml"]);
    assert.match(after["stacks/Pulumi.public.yaml"], /apim-aks-ai-scenarios:greeting: from -c/);
    assert.match(after["stacks/Pulumi.public.yaml"], /apim-aks-ai-scenarios:createSeconds: "0"/, "the committed settings are kept");
    assert.ok(!fs.existsSync(path.join(project.workDir, "Pulumi.public.yaml")), "no stack file beside Pulumi.yaml");
    await handle.remove();
    assert.ok(fs.existsSync(path.join(project.stacksDir, "Pulumi.public.yaml")), "a scenario's stack file survives stack removal");
  });

  it("a stale lock (the CLI killed mid-update): destroy fails on the lock, the driver cancels it and retries", async () => {
    const slow = testProject({ createSeconds: 20, deleteSeconds: 0 });
    const ws = await openWorkspace(slow);
    try {
      const ctx = recordingContext();
      const handle = await ws.prepare("public-lock", "public", {});
      const up = runOperation(handle, "update", ctx, { scenario: "public" });
      const { runningClis } = await import("../../automation/driver/interrupt/shim");
      let cli: number | undefined;
      for (let i = 0; i < 150 && !cli; i++) {
        cli = runningClis(ws.shim!).find((c) => c.args[0] === "up")?.cli;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(cli, "the update started");
      await new Promise((r) => setTimeout(r, 3000));
      // Kill the CLI and its plugins at once, as a crash would. The engine starts each plugin in a process
      // group of its own, so the CLI's group alone would leave the dynamic provider running, orphaned.
      const victims = [cli!, ...descendants(cli!)];
      for (const pid of victims) process.kill(pid, "SIGKILL");
      assert.equal((await up).result.status, "failed");
      const lockDir = path.join(slow.stateDir, ".pulumi", "locks");
      assert.ok(fs.existsSync(lockDir) && readStateFiles(lockDir).length > 0, "the killed update left its lock");

      const report = await teardown(handle, ctx, { scenario: "public", purge: false, remove: true, clearPendingCreates: true });
      const messages = ctx.events.filter((e) => e.kind === "message").map((e) => (e as { text: string }).text);
      assert.ok(messages.some((m) => /locked by an update that is no longer running; cancelling it and retrying destroy/.test(m)), messages.join("\n"));
      assert.deepEqual(report.leftovers, []);
      assert.equal(report.removed, true);
      assert.ok(!listStacks(slow).includes("public-lock"));
    } finally {
      if (ws.shim) require("../../automation/driver/interrupt/shim").removeShim(ws.shim);
      slow.cleanup();
    }
  });
});

/** Every process below `pid` (from `ps`). */
function descendants(pid: number): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number));
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of rows) if (parent === p) out.push(child), walk(child);
  };
  walk(pid);
  return out;
}

/** Every file under `dir` (relative path -> content). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}
