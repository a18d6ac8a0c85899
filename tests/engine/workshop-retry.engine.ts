/**
 * `workshop prepare`'s retry of an update the shared Azure OpenAI account refused (automation/driver/workshop/
 * retry.ts) on the real engine: the product's driver over a file backend, with the SIMULATED workshop program
 * (tests/engine/workshop-program.ts) whose model deployment fails its create with the text it is given. The
 * texts are IMITATIONS of azure-native's error (its `Status=%d Code="%s" Message="%s"` format around the
 * service's message quoted in microsoft/aspire#3409); the waits are shortened. One attendee stack at a time:
 * inline programs share the Node.js SDK's global state, so the simulated room does not run them at once
 * (the real CLI runs each stack's program in its own process).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { type Driver, openDriver } from "../../automation/driver/lifecycle/session";
import type { ProgressEvent } from "../../automation/driver/stack/types";
import { expiresAtFromNow } from "../../automation/driver/stack/workspace";
import { preparePlan } from "../../automation/driver/workshop/room";
import { prepareWorkshop, updateRetrying } from "../../automation/driver/workshop/workshop";
import { ENGINE_BIN, type TestProject, testProject } from "./harness";
import { SIMULATED_PROJECT } from "./simulated-cloud";
import { workshopProgram } from "./workshop-program";

const ACCOUNT = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-room/providers/Microsoft.CognitiveServices/accounts/oai-room";
const PARENT_BUSY = `Status=409 Code="RequestConflict" Message="Another operation is being performed on the parent resource '${ACCOUNT}'. Please try again later."`;
const QUOTA = 'Status=400 Code="InsufficientQuota" Message="This operation require 10 new capacity in quota Tokens Per Minute (thousands), which is bigger than the current available capacity 0."';

describe("engine: workshop prepare retries an attendee update refused with 409 RequestConflict by the shared account", function () {
  let project: TestProject;
  let driver: Driver | undefined;
  const refusals = new Map<string, string[]>();
  const events: ProgressEvent[] = [];
  before(async function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    project = testProject({ createSeconds: 0 });
    Object.assign(process.env, project.env);
    process.env.PATH = `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}`;
    driver = await openDriver({
      needs: ["pulumi", "secrets"],
      stacks: ["public-shared", "public-a01", "public-a02", "public-a03", "public-a04"],
      json: true,
      saveRuns: false,
      project: { workDir: project.workDir, stacksDir: project.stacksDir, program: workshopProgram(new Set(), refusals), projectName: SIMULATED_PROJECT },
      extraEnv: { ...project.env, PATH: process.env.PATH },
    });
    driver.board.subscribe((e) => events.push(e));
  });
  after(() => {
    driver?.close();
    project?.cleanup();
  });

  const plan = (attendees: string[]) => preparePlan("public", attendees, { backendUrl: project.env.PULUMI_BACKEND_URL, project: SIMULATED_PROJECT, expiresAt: expiresAtFromNow(2) });
  const updates = (stack: string) => events.filter((e) => e.stack === stack && e.kind === "phase" && e.phase === "up").length;
  // The driver's own warnings (the engine's diagnostics are messages too, at level error).
  const warnings = (stack: string) => events.filter((e) => e.stack === stack && e.kind === "message" && e.level === "warning").map((e) => (e as { text: string }).text);

  it("a01 is refused once and comes up on its second update; a02 is refused for quota and is not retried; a03 is left to itself", async () => {
    refusals.set("a01", [PARENT_BUSY]);
    refusals.set("a02", [QUOTA, QUOTA]);
    refusals.set("a03", []);
    const results = await prepareWorkshop(driver!, plan(["a01", "a02", "a03"]), { overrides: {}, concurrency: 1, retry: { attempts: 3, baseMs: 400, maxMs: 800 }, random: () => 0.5 });
    const by = Object.fromEntries(results.map((r) => [r.stack, r]));
    assert.equal(by["public-shared"].status, "up", JSON.stringify(by["public-shared"]));

    assert.deepEqual([by["public-a01"].ok, by["public-a01"].status, by["public-a01"].attempts], [true, "up", 2], JSON.stringify(by["public-a01"]));
    assert.equal(updates("public-a01"), 2, "two updates of a01 ran on the engine");
    assert.deepEqual(warnings("public-a01"), ["409 RequestConflict: another operation on the shared Azure OpenAI account; update 2 of 3 in 0 s"]);
    const finished = events.filter((e) => e.stack === "public-a01" && e.kind === "finished").map((e) => (e as { summary: string }).summary);
    assert.deepEqual(finished, ["up (2 updates): https://service.simulated.invalid/a01"], "the live display's row says it took two updates");

    assert.deepEqual([by["public-a02"].ok, by["public-a02"].status, by["public-a02"].attempts], [false, "failed", undefined], JSON.stringify(by["public-a02"]));
    assert.match(by["public-a02"].error ?? "", /InsufficientQuota/);
    assert.equal(updates("public-a02"), 1, "a failure that is not the account's lock is not retried");
    assert.deepEqual(warnings("public-a02"), []);
    assert.deepEqual(refusals.get("a02"), [QUOTA], "the program ran once for a02");

    assert.deepEqual([by["public-a03"].status, by["public-a03"].attempts, updates("public-a03")], ["up", undefined, 1]);
  });

  it("gives up after the policy's updates, naming the refusal and the count", async () => {
    events.length = 0;
    refusals.set("a02", [PARENT_BUSY, PARENT_BUSY, PARENT_BUSY]);
    const results = await prepareWorkshop(driver!, plan(["a01", "a02", "a03"]), { overrides: {}, concurrency: 1, retry: { attempts: 2, baseMs: 200, maxMs: 200 }, random: () => 0 });
    const a02 = results.find((r) => r.stack === "public-a02")!;
    assert.deepEqual([a02.ok, a02.status, a02.attempts], [false, "failed", 2], JSON.stringify(a02));
    assert.match(a02.error ?? "", /^409 RequestConflict: another operation on the shared Azure OpenAI account, still after 2 updates: /);
    assert.equal(updates("public-a02"), 2);
    assert.deepEqual(refusals.get("a02"), [PARENT_BUSY], "two of the three refusals were used");
    assert.deepEqual(results.filter((r) => r.stack !== "public-a02").map((r) => r.status), ["left alone", "left alone", "left alone"]);
  });

  it("up --shared's update of one attendee stack (updateRetrying, as up.ts calls it) is retried the same way", async () => {
    events.length = 0;
    refusals.set("a04", [PARENT_BUSY]);
    const [a04] = plan(["a04"]).attendees;
    const handle = await driver!.workspace!.prepare(a04.stack, "public", {}, a04.settings);
    const u = await updateRetrying(handle, driver!, { scenario: "public", retry: { attempts: 3, baseMs: 200, maxMs: 200 }, random: () => 1 });
    assert.deepEqual([u.status, u.attempts, u.error, u.run.result.status], ["succeeded", 2, undefined, "succeeded"]);
    assert.equal(updates("public-a04"), 2);
    assert.deepEqual(warnings("public-a04"), ["409 RequestConflict: another operation on the shared Azure OpenAI account; update 2 of 3 in 0 s"]);
  });

  it("Ctrl-C during the wait ends it at once: the row is cancelled after one update, and no other update starts", async () => {
    events.length = 0;
    refusals.set("a02", [PARENT_BUSY]);
    let armed = true;
    driver!.board.subscribe((e) => {
      if (armed && e.stack === "public-a02" && e.kind === "message" && e.level === "warning") {
        armed = false;
        setTimeout(() => driver!.interrupt.trigger(), 100);
      }
    });
    const started = Date.now();
    const results = await prepareWorkshop(driver!, plan(["a02"]), { overrides: {}, concurrency: 1, retry: { attempts: 3, baseMs: 120_000, maxMs: 120_000 } });
    const a02 = results.find((r) => r.stack === "public-a02")!;
    assert.deepEqual([a02.ok, a02.status, a02.attempts], [false, "cancelled", undefined], JSON.stringify(a02));
    assert.match(a02.error ?? "", /^interrupted while waiting to retry \(409 RequestConflict/);
    assert.equal(updates("public-a02"), 1);
    assert.ok(Date.now() - started < 60_000, "the two-minute wait did not run out");
  });
});
