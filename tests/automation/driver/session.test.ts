import assert from "node:assert/strict";
import { InterruptController } from "../../../automation/driver/interrupt/interrupt";
import { CommandFailed, type Driver, finish, forEachStack } from "../../../automation/driver/lifecycle/session";
import type { DriverWorkspace } from "../../../automation/driver/stack/workspace";
import type { ProgressEvent } from "../../../automation/driver/stack/types";

/** A driver without a display or a Pulumi CLI: rows run side by side and their progress events are kept. */
function recordingDriver(events: ProgressEvent[], interrupt = new InterruptController(false)): Driver {
  return {
    ctx: { progress: (e) => events.push(e), interrupt },
    board: undefined as never,
    interrupt,
    workspace: {} as DriverWorkspace,
    files: [],
    run: (stacks, work) => Promise.all(stacks.map(work)),
    close: () => {},
  };
}

describe("automation/driver/lifecycle/session: the commands' per-stack body", () => {
  const targets = [
    { scenario: "public" as const, stack: "public" },
    { scenario: "internal" as const, stack: "internal" },
  ];

  it("closes each row with the work's summary, and a throwing row as failed with its first line, without stopping the others", async () => {
    const events: ProgressEvent[] = [];
    const results = await forEachStack<{ ok: boolean; stack: string; error?: string }>(
      recordingDriver(events),
      targets,
      async (t) => {
        if (t.stack === "internal") throw new Error("the stack is locked\nsecond line");
        return { result: { ok: true, stack: t.stack }, summary: "3 of 3 probes passed" };
      },
      (t, error) => ({ ok: false, stack: t.stack, error }),
    );
    assert.deepEqual(results, [{ ok: true, stack: "public" }, { ok: false, stack: "internal", error: "the stack is locked\nsecond line" }]);
    const finished = events.filter((e) => e.kind === "finished").map((e) => e.kind === "finished" && [e.stack, e.ok, e.summary]);
    assert.deepEqual(finished, [["public", true, "3 of 3 probes passed"], ["internal", false, "the stack is locked"]]);
  });

  it("finish prints the JSON document or the lines, then fails with exit 1, or 130 after Ctrl-C", () => {
    const printed: string[] = [];
    const log = console.log;
    const write = process.stdout.write;
    console.log = (line: string) => printed.push(line);
    process.stdout.write = ((text: string) => printed.push(text) > 0) as typeof process.stdout.write;
    try {
      const results = [{ ok: true, stack: "public" }, { ok: false, stack: "internal" }];
      const interrupt = new InterruptController(false);
      assert.throws(() => finish(recordingDriver([], interrupt), results, "verify", { json: false, document: () => ({ results }), lines: () => ["", "a table"] }), (e: CommandFailed) => e.exitCode === 1 && e.message === "verify failed for internal (1 of 2)");
      interrupt.trigger();
      assert.throws(() => finish(recordingDriver([], interrupt), results, "up", { json: true, document: () => ({ results }), lines: () => ["not printed"] }), (e: CommandFailed) => e.exitCode === 130 && e.message === "up interrupted for internal (1 of 2)");
      finish(recordingDriver([]), [results[0]], "destroy", { json: false, document: () => ({}), lines: () => ["done"] });
    } finally {
      console.log = log;
      process.stdout.write = write;
    }
    assert.deepEqual(printed, ["", "a table", `${JSON.stringify({ results: [{ ok: true, stack: "public" }, { ok: false, stack: "internal" }] }, null, 2)}\n`, "done"]);
  });
});
