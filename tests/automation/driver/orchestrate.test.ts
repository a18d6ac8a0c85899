import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { InterruptController } from "../../../automation/driver/interrupt/interrupt";
import { type DriverContext, inParallel, isStaleLock, lockHolders, type OperationRun, runEphemeralLifecycle, runOperation, teardown } from "../../../automation/driver/lifecycle/orchestrate";
import { concise } from "../../../automation/driver/stack/workspace";
import type { ProgressEvent } from "../../../automation/driver/stack/types";
import { apimAndOpenAi, MemoryPurger, MemoryStack } from "./helpers/memory-stack";

function context(log: string[], options: { failingPurges?: string[]; interrupt?: InterruptController } = {}) {
  const events: ProgressEvent[] = [];
  const runs: OperationRun[] = [];
  const purger = new MemoryPurger(log, options.failingPurges);
  const ctx: DriverContext = {
    progress: (e) => events.push(e),
    interrupt: options.interrupt ?? new InterruptController(),
    purger: async () => purger,
    onRun: (r) => {
      runs.push(r);
    },
  };
  return { ctx, events, runs, purger };
}

const phases = (events: ProgressEvent[], stack: string) => events.filter((e) => e.stack === stack && e.kind === "phase").map((e) => (e as { phase: string }).phase);

describe("automation/driver/lifecycle/orchestrate: ephemeral lifecycle", () => {
  it("up, body, then state read, destroy, purge of what the state named, remove", async () => {
    const log: string[] = [];
    const { ctx, events, runs, purger } = context(log);
    const stack = new MemoryStack("public-eph-1", log, { resources: apimAndOpenAi("public-eph-1") });
    const result = await runEphemeralLifecycle(async () => stack, ctx, { scenario: "public" }, async (h) => {
      log.push(`body:${h.name}`);
      return 42;
    });
    assert.equal(result.ok, true, result.error);
    assert.equal(result.body?.value, 42);
    assert.deepEqual(log, [
      "public-eph-1:up",
      "public-eph-1:up-done",
      "body:public-eph-1",
      "public-eph-1:resources",
      "public-eph-1:destroy",
      "public-eph-1:destroy-done",
      "purge:apim:apim-public-eph-1",
      "purge:cognitive:oai-public-eph-1",
      "public-eph-1:remove",
    ]);
    assert.deepEqual(purger.purged, [
      { kind: "apim", name: "apim-public-eph-1", location: "swedencentral" },
      { kind: "cognitive", name: "oai-public-eph-1", location: "swedencentral", resourceGroupName: "rg-public-eph-1" },
    ]);
    assert.deepEqual(phases(events, "public-eph-1"), ["up", "destroy", "purge", "remove"]);
    assert.deepEqual(events.filter((e) => e.kind === "finished").map((e) => (e as { ok: boolean }).ok), [true]);
    assert.deepEqual(runs.map((r) => r.recording.operation), ["update", "destroy"], "every operation is reported");
    assert.equal(runs[0].timeline.entries.length, 1);
    assert.equal(result.teardown?.removed, true);
  });

  it("tears down after a failed up, clearing pending creates, and does not run the body", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const stack = new MemoryStack("internal-eph-2", log, { upFails: "InsufficientQuota: set openAiModelCapacity lower" });
    let bodyRan = false;
    const result = await runEphemeralLifecycle(async () => stack, ctx, { scenario: "internal" }, async () => {
      bodyRan = true;
    });
    assert.equal(bodyRan, false);
    assert.equal(result.ok, false);
    assert.match(result.error ?? "", /up failed: InsufficientQuota/);
    assert.deepEqual(log, ["internal-eph-2:up", "internal-eph-2:up-failed", "internal-eph-2:resources", "internal-eph-2:destroy(clear-pending)", "internal-eph-2:destroy-done", "internal-eph-2:remove"]);
    assert.equal(result.up?.timeline.totals.failed, 1);
  });

  it("tears down when the body throws, and reports the body's error", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const stack = new MemoryStack("consumption-eph-3", log);
    const result = await runEphemeralLifecycle(async () => stack, ctx, { scenario: "consumption" }, async () => {
      throw new Error("probe apim-accepts-key failed");
    });
    assert.equal(result.ok, false);
    assert.equal(result.error, "probe apim-accepts-key failed");
    assert.equal(result.body?.ok, false);
    assert.deepEqual(log.slice(-3), ["consumption-eph-3:destroy", "consumption-eph-3:destroy-done", "consumption-eph-3:remove"]);
  });

  it("keeps the body's value when `check` calls it a failure", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const result = await runEphemeralLifecycle(async () => new MemoryStack("s", log), ctx, { scenario: "public", check: (v: number) => (v < 5 ? `only ${v} of 5 probes passed` : undefined) }, async () => 3);
    assert.equal(result.ok, false);
    assert.equal(result.body?.value, 3);
    assert.equal(result.error, "only 3 of 5 probes passed");
    assert.ok(log.includes("s:remove"));
  });

  it("Ctrl-C during up cancels the update through its signal, then still destroys, purges and removes", async () => {
    const log: string[] = [];
    const interrupt = new InterruptController();
    const fakeProcess = new EventEmitter() as unknown as NodeJS.Process;
    const uninstall = interrupt.install(fakeProcess, () => assert.fail("must not exit on the first interrupt"));
    const { ctx } = context(log, { interrupt });
    const stack = new MemoryStack("external-eph-4", log, {
      upRunsUntilAborted: true,
      resources: apimAndOpenAi("external-eph-4"),
      onUpStarted: () => setTimeout(() => fakeProcess.emit("SIGINT"), 5),
    });
    let bodyRan = false;
    const result = await runEphemeralLifecycle(async () => stack, ctx, { scenario: "external" }, async () => {
      bodyRan = true;
    });
    uninstall();
    assert.equal(bodyRan, false);
    assert.equal(result.interrupted, true);
    assert.equal(result.ok, false);
    assert.equal(stack.calls[0].options?.signal, interrupt.operationSignal, "up got the interrupt's operation signal");
    assert.deepEqual(log, [
      "external-eph-4:up",
      "external-eph-4:up-cancelled",
      "external-eph-4:resources",
      "external-eph-4:destroy(clear-pending)",
      "external-eph-4:destroy-done",
      "purge:apim:apim-external-eph-4",
      "purge:cognitive:oai-external-eph-4",
      "external-eph-4:remove",
    ]);
    assert.equal(result.up?.timeline.totals.incomplete, 1, "the APIM create never finished");
    assert.equal(result.teardown?.ok, true);
  });

  it("a second Ctrl-C during teardown cancels destroy; the stack is kept and the leftovers say what to do", async () => {
    const log: string[] = [];
    const interrupt = new InterruptController();
    const { ctx } = context(log, { interrupt });
    const stack = new MemoryStack("public-eph-5", log, {
      upRunsUntilAborted: true,
      destroyMs: 10_000,
      resources: apimAndOpenAi("public-eph-5"),
      onUpStarted: () => setTimeout(() => interrupt.trigger(), 5),
      onDestroyStarted: () => setTimeout(() => interrupt.trigger(), 5),
    });
    const result = await runEphemeralLifecycle(async () => stack, ctx, { scenario: "public" });
    assert.ok(log.includes("public-eph-5:destroy-cancelled"));
    assert.ok(!log.includes("public-eph-5:remove"), "a stack whose destroy did not finish keeps its state");
    assert.equal(result.teardown?.removed, false);
    assert.match(result.teardown!.leftovers.join("\n"), /scenarios destroy public --stack public-eph-5 --remove.*scenarios sweep/);
  });

  it("a third Ctrl-C exits at once with 130", () => {
    const interrupt = new InterruptController();
    const fakeProcess = new EventEmitter() as unknown as NodeJS.Process;
    const exits: number[] = [];
    const uninstall = interrupt.install(fakeProcess, (c) => exits.push(c));
    fakeProcess.emit("SIGINT");
    fakeProcess.emit("SIGTERM");
    assert.deepEqual(exits, []);
    assert.equal(interrupt.signal.aborted, true);
    assert.equal(interrupt.forceSignal.aborted, true);
    fakeProcess.emit("SIGINT");
    assert.deepEqual(exits, [130]);
    uninstall();
    assert.equal((fakeProcess as unknown as EventEmitter).listenerCount("SIGINT"), 0);
  });

  it("without the shim, operations are not signalled (the terminal already sent Ctrl-C to the CLI)", () => {
    const interrupt = new InterruptController(false);
    interrupt.trigger();
    assert.equal(interrupt.signal.aborted, true);
    assert.equal(interrupt.operationSignal.aborted, false);
  });

  it("does not start the update at all after an interrupt, and still removes the empty stack", async () => {
    const log: string[] = [];
    const interrupt = new InterruptController();
    interrupt.trigger();
    const { ctx } = context(log, { interrupt });
    const result = await runEphemeralLifecycle(async () => new MemoryStack("s", log), ctx, { scenario: "public" });
    assert.ok(!log.includes("s:up"));
    assert.deepEqual(log, ["s:resources", "s:destroy(clear-pending)", "s:destroy-done", "s:remove"]);
    assert.equal(result.interrupted, true);
  });

  it("when creating the stack fails there is nothing to tear down", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const result = await runEphemeralLifecycle(async () => {
      throw new Error("pulumi stack init failed");
    }, ctx, { scenario: "public" });
    assert.equal(result.ok, false);
    assert.match(result.error ?? "", /creating the stack failed: pulumi stack init failed/);
    assert.deepEqual(log, []);
  });

  it("runs several lifecycles at once; each stack's progress is its own", async () => {
    const log: string[] = [];
    const { ctx, events } = context(log);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = new MemoryStack("public-eph-a", log, { upGate: gate });
    const b = new MemoryStack("internal-eph-b", log, { onUpStarted: () => setTimeout(release, 5) });
    const results = await inParallel([a, b], (s) => runEphemeralLifecycle(async () => s, ctx, { scenario: s.name.split("-")[0] }));
    assert.deepEqual(results.map((r) => r.ok), [true, true]);
    // b's update started while a's was still running (a waits on a gate that b's start opens).
    assert.ok(log.indexOf("internal-eph-b:up") < log.indexOf("public-eph-a:up-done"));
    for (const s of ["public-eph-a", "internal-eph-b"]) {
      assert.deepEqual(phases(events, s), ["up", "destroy", "remove"]);
      const starts = events.filter((e) => e.stack === s && e.kind === "resource-start");
      assert.equal(starts.length, 2, "create and delete of the resource group");
    }
  });
});

describe("automation/driver/lifecycle/orchestrate: teardown", () => {
  it("reads the state before destroying, purges even when destroy fails, and keeps the stack", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const stack = new MemoryStack("public", log, { resources: apimAndOpenAi("public"), destroyFails: "resource group deletion timed out" });
    const report = await teardown(stack, ctx, { purge: true, remove: true });
    assert.deepEqual(log, ["public:resources", "public:destroy", "public:destroy-failed", "purge:apim:apim-public", "purge:cognitive:oai-public"]);
    assert.equal(report.ok, false);
    assert.equal(report.removed, false);
    assert.match(report.leftovers[0], /destroy failed: resource group deletion timed out/);
  });

  it("releases a stale lock with cancel() and retries destroy once", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const stack = new MemoryStack("external", log, { destroyLockedOnce: true });
    const report = await teardown(stack, ctx, { purge: true, remove: false });
    assert.deepEqual(log, ["external:resources", "external:destroy", "external:destroy-locked", "external:cancel", "external:destroy(clear-pending)", "external:destroy-done"]);
    assert.equal(report.ok, true);
  });

  it("never cancels a lock that may be live: another machine's, or a running process's", async () => {
    const other = "ConcurrentUpdateError: error: the stack is currently locked by 1 lock(s).\n  azblob://state/.pulumi/locks/x/a.json: created by colleague@laptop-7 (pid 4242) at 2025-06-01T08:00:00Z";
    const log: string[] = [];
    const { ctx, events } = context(log);
    const report = await teardown(new MemoryStack("external", log, { destroyFails: other }), ctx, { purge: false, remove: false });
    assert.ok(!log.includes("external:cancel"), log.join(", "));
    assert.equal(report.ok, false);
    assert.ok(events.some((e) => e.kind === "message" && /locked by colleague@laptop-7 \(pid 4242\), which may still be running: not cancelling it/.test(e.text)));
    const here = { host: "build-1", alive: (pid: number) => pid === 7 };
    assert.equal(isStaleLock("created by me@build-1 (pid 8)", here), true);
    assert.equal(isStaleLock("created by me@build-1 (pid 7)", here), false, "a running process's lock");
    assert.equal(isStaleLock("created by me@build-2 (pid 8)", here), false, "another machine's lock");
    assert.equal(isStaleLock("error: [409] Conflict: Another update is currently in progress.", here), false, "no holder named: cannot tell");
    assert.deepEqual(lockHolders(other), [{ user: "colleague", host: "laptop-7", pid: 4242 }]);
    assert.equal(concise(new Error(`command failed\nerror: the stack is currently locked by 1 lock(s).\n  ${other.split("\n")[1].trim()}`), []), `error: the stack is currently locked by 1 lock(s).\n${other.split("\n")[1].trim()}`);
  });

  it("retries destroy once with pending creates cleared when an interrupted update left some", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    const stack = new MemoryStack("public", log, { destroyFails: "error: the current deployment has 1 resource(s) with pending operations" });
    const report = await teardown(stack, ctx, { purge: false, remove: false });
    assert.deepEqual(log, ["public:resources", "public:destroy", "public:destroy-failed", "public:destroy(clear-pending)", "public:destroy-failed"]);
    assert.equal(report.ok, false, "still failing after the retry is reported, not retried forever");
  });

  it("reports purge failures and unreadable state as leftovers", async () => {
    const log: string[] = [];
    const { ctx } = context(log, { failingPurges: ["apim-public"] });
    const report = await teardown(new MemoryStack("public", log, { resources: apimAndOpenAi("public") }), ctx, { purge: true, remove: true });
    assert.equal(report.ok, false);
    assert.match(report.leftovers.join("\n"), /APIM service apim-public may stay soft-deleted \(purge failed: purge refused\)/);
    assert.equal(report.removed, true, "a destroyed stack is removed even when a purge failed");

    const log2: string[] = [];
    const { ctx: ctx2 } = context(log2);
    const report2 = await teardown(new MemoryStack("x", log2, { resourcesFail: "passphrase wrong" }), ctx2, { purge: true, remove: false });
    assert.match(report2.leftovers[0], /could not read the state of x .*passphrase wrong.*nothing purged/);
  });

  it("skips purge when asked (destroy --no-purge)", async () => {
    const log: string[] = [];
    const { ctx } = context(log);
    await teardown(new MemoryStack("public", log, { resources: apimAndOpenAi("public") }), ctx, { purge: false, remove: false });
    assert.ok(!log.some((l) => l.startsWith("purge:")));
  });

  it("a failing onRun (report writing) does not fail the operation", async () => {
    const log: string[] = [];
    const { ctx, events } = context(log);
    ctx.onRun = () => {
      throw new Error("disk full");
    };
    const run = await runOperation(new MemoryStack("s", log), "update", ctx);
    assert.equal(run.result.status, "succeeded");
    assert.ok(events.some((e) => e.kind === "message" && /could not save the run report: disk full/.test(e.text)));
  });
});
