import assert from "node:assert/strict";
import * as fs from "node:fs";
import { runOperation } from "../../automation/driver/lifecycle/orchestrate";
import { removeShim } from "../../automation/driver/interrupt/shim";
import { driveInTerminal, forceRemoveStacks, listStacks, openWorkspace, recordingContext, skipWithoutTerminal, type TestProject, testProject } from "./harness";
import type { CliRun } from "./terminal";

const drive = driveInTerminal;

const running = (runs: CliRun[], command: string) => runs.filter((r) => r.command === command && r.exit === undefined);
const of = (runs: CliRun[], command: string) => runs.filter((r) => r.command === command);

describe("engine: Ctrl-C in a terminal (tmux), the real CLI through the shim", function () {
  let project: TestProject;
  before(function () {
    skipWithoutTerminal(this);
  });
  afterEach(() => {
    if (project) {
      // Leftover stacks of a test that abandoned its teardown.
      forceRemoveStacks(project);
      project.cleanup();
    }
  });

  it("first Ctrl-C: each update's CLI gets exactly one SIGINT, cancels gracefully, the ephemeral stacks are still destroyed and removed; exit 130", async () => {
    project = testProject({ createSeconds: 4, deleteSeconds: 1 });
    const d = drive(project, ["compare", "2"]);
    try {
      await d.terminal.waitFor("both updates to run", () => running(d.runs(), "up").length === 2, 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      d.terminal.ctrlC();
      const code = await d.terminal.waitFor("the driver to exit", () => d.terminal.exitCode(), 120_000);
      const screen = d.terminal.screen();
      assert.equal(code, 130, screen);
      assert.match(screen, /[✔✖] row[12] /, "listr2 drew the display (the renderer whose SIGINT handler used to exit 127)");
      assert.match(screen, /interrupted: cancelling running operations/);
      const runs = d.runs();
      assert.equal(of(runs, "up").length, 2);
      for (const up of of(runs, "up")) assert.deepEqual(up.signals, ["SIGINT"], `pulumi ${up.args.join(" ")}`);
      for (const destroy of of(runs, "destroy")) assert.deepEqual(destroy.signals, [], "teardown's destroy is not interrupted by the first Ctrl-C");
      const result = d.result();
      assert.equal(result.interrupted, true);
      for (const r of result.results) {
        assert.equal(r.up, "cancelled", JSON.stringify(r));
        assert.equal(r.destroy, "succeeded", JSON.stringify(r));
        assert.equal(r.removed, true);
        assert.deepEqual(r.leftovers, []);
      }
      assert.deepEqual(listStacks(project), []);
      assert.deepEqual(fs.readdirSync(project.stacksDir), ["Pulumi.public.yaml"], "the ephemeral stack files are gone");
    } finally {
      d.terminal.close();
    }
  });

  it("second Ctrl-C: the teardown is abandoned, the leftovers are named with a command that cleans them; exit 130", async () => {
    project = testProject({ createSeconds: 2, deleteSeconds: 6 });
    const d = drive(project, ["compare", "1"]);
    try {
      await d.terminal.waitFor("the update to run", () => running(d.runs(), "up").length === 1, 60_000);
      // After the service and the cluster exist (2 s each, side by side), while the API is being created.
      await new Promise((r) => setTimeout(r, 3500));
      d.terminal.ctrlC();
      await d.terminal.waitFor("the teardown's destroy", () => running(d.runs(), "destroy").length === 1, 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      d.terminal.ctrlC();
      const code = await d.terminal.waitFor("the driver to exit", () => d.terminal.exitCode(), 120_000);
      const screen = d.terminal.screen();
      assert.equal(code, 130, screen);
      assert.match(screen, /interrupted again: abandoning teardown/);
      const runs = d.runs();
      assert.deepEqual(of(runs, "up")[0].signals, ["SIGINT"]);
      assert.deepEqual(of(runs, "destroy")[0].signals, ["SIGINT"], `the destroy CLI got one SIGINT, at the second Ctrl-C: ${JSON.stringify(runs)}\n${screen}`);
      const [r] = d.result().results;
      // A SIGINT lets the engine finish the deletes in flight: the destroy ends cancelled (something left)
      // or, when every delete was in flight, succeeded; either way the stack is not removed, and said so.
      assert.ok(r.destroy === "cancelled" || r.destroy === "succeeded", JSON.stringify(r));
      assert.equal(r.removed, false);
      assert.match(r.leftovers.join("\n"), new RegExp(`${r.stack} .*"scenarios destroy public --stack ${r.stack} --remove"`));
      assert.match(screen, new RegExp(`left behind: .*${r.stack}`));
      assert.deepEqual(listStacks(project), [r.stack], "the stack is still there to clean up");
    } finally {
      d.terminal.close();
    }
  });

  it("destroy survives a first Ctrl-C: it finishes and removes the stack, and its CLI gets no SIGINT", async () => {
    project = testProject({ createSeconds: 0, deleteSeconds: 4 });
    const workspace = await openWorkspace(project);
    try {
      const handle = await workspace.prepare("public-keep", "public", {});
      const up = await runOperation(handle, "update", recordingContext(), { scenario: "public" });
      assert.equal(up.result.status, "succeeded", up.result.error);
    } finally {
      if (workspace.shim) removeShim(workspace.shim);
    }
    const d = drive(project, ["destroy", "public-keep"]);
    try {
      await d.terminal.waitFor("the destroy to run", () => running(d.runs(), "destroy").length === 1, 60_000);
      await new Promise((r) => setTimeout(r, 1000));
      d.terminal.ctrlC();
      const code = await d.terminal.waitFor("the driver to exit", () => d.terminal.exitCode(), 120_000);
      const screen = d.terminal.screen();
      assert.equal(code, 0, screen);
      assert.match(screen, /interrupted: cancelling running operations/);
      assert.deepEqual(of(d.runs(), "destroy")[0].signals, []);
      assert.deepEqual(d.result().results[0], { stack: "public-keep", ok: true, destroy: "succeeded", removed: true, leftovers: [] });
      assert.deepEqual(listStacks(project), []);
    } finally {
      d.terminal.close();
    }
  });
});
