/**
 * `scenarios workshop prepare | status | teardown` on the real engine (issue 17 part 3): the product's driver
 * (openDriver, prepareWorkshop, workshopStatus, teardownWorkshop) over a file backend, with a SIMULATED program
 * that keeps the workshop contract (tests/engine/workshop-program.ts): real stacks, a real StackReference, only
 * the cloud imitated. The Ctrl-C test runs tests/engine/drive.ts in a terminal, as ctrl-c.engine.ts does.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Driver, openDriver } from "../../automation/driver/lifecycle/session";
import type { ProgressEvent } from "../../automation/driver/stack/types";
import { expiresAtFromNow } from "../../automation/driver/stack/workspace";
import { preparePlan } from "../../automation/driver/workshop/room";
import { isUp } from "../../automation/driver/workshop/status";
import { checkSharedStack, lockState, prepareWorkshop, refuseSharedStackDestroy, teardownWorkshop, workshopStatus } from "../../automation/driver/workshop/workshop";
import { UsageError } from "../../automation/cli-common";
import { driveInTerminal, ENGINE_BIN, forceRemoveStacks, listStacks, skipWithoutTerminal, type TestProject, testProject } from "./harness";
import { SIMULATED_PROJECT } from "./simulated-cloud";
import { workshopProgram } from "./workshop-program";

describe("engine: scenarios workshop prepare / status / teardown (two attendees, a real StackReference, file backend)", function () {
  let project: TestProject;
  let driver: Driver | undefined;
  const refuse = new Set<string>();
  const events: ProgressEvent[] = [];
  before(async function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    project = testProject({ createSeconds: 1 });
    Object.assign(process.env, project.env);
    process.env.PATH = `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}`;
    driver = await openDriver({
      needs: ["pulumi", "secrets"],
      stacks: ["public-shared", "public-a01", "public-a02"],
      json: true,
      saveRuns: false,
      project: { workDir: project.workDir, stacksDir: project.stacksDir, program: workshopProgram(refuse), projectName: SIMULATED_PROJECT },
      extraEnv: { ...project.env, PATH: process.env.PATH },
    });
    driver.board.subscribe((e) => events.push(e));
  });
  after(() => {
    driver?.close();
    project?.cleanup();
  });

  const plan = () => preparePlan("public", ["a01", "a02"], { backendUrl: project.env.PULUMI_BACKEND_URL, project: SIMULATED_PROJECT, expiresAt: expiresAtFromNow(2) });
  const phases = (stack: string, phase: string) => events.filter((e) => e.stack === stack && e.kind === "phase" && e.phase === phase).map((e) => e.at);
  const finishedAt = (stack: string) => events.filter((e) => e.stack === stack && e.kind === "finished").map((e) => e.at).pop()!;

  it("prepare: the shared stack first, then the attendees one at a time (--concurrency 1); a failed attendee is retried by running it again, the rest left alone", async () => {
    refuse.add("a02");
    let lockSeen = false;
    const poll = setInterval(() => (lockSeen ||= lockState(project.env.PULUMI_BACKEND_URL, SIMULATED_PROJECT, "public-a01") === "held"), 100);
    const first = await prepareWorkshop(driver!, plan(), { overrides: {}, concurrency: 1 });
    clearInterval(poll);
    const byStack = Object.fromEntries(first.map((r) => [r.stack, r]));
    assert.equal(byStack["public-shared"].status, "up", JSON.stringify(byStack["public-shared"]));
    assert.equal(byStack["public-a01"].status, "up", JSON.stringify(byStack["public-a01"]));
    assert.equal(byStack["public-a01"].apiUrl, "https://service.simulated.invalid/a01");
    assert.equal(byStack["public-a02"].ok, false);
    assert.match(byStack["public-a02"].error ?? "", /a02's update refused/);
    assert.ok(lockSeen, "the file backend's lock of public-a01 was seen held during its update (lockState reads the right place)");
    assert.equal(lockState(project.env.PULUMI_BACKEND_URL, SIMULATED_PROJECT, "public-a01"), "free");
    // The shared stack was up before any attendee's update started; the attendees ran one after the other.
    const sharedDone = finishedAt("public-shared");
    const [a01Up] = phases("public-a01", "up");
    const [a02Up] = phases("public-a02", "up");
    assert.ok(a01Up >= sharedDone && a02Up >= sharedDone, "attendees wait for the shared stack");
    assert.ok(a02Up >= finishedAt("public-a01") || a01Up >= finishedAt("public-a02"), "at most one attendee at a time");
    const settings = fs.readFileSync(path.join(project.stacksDir, "Pulumi.public-a01.yaml"), "utf8");
    assert.match(settings, /apim-aks-ai-scenarios:workshopRole: attendee/);
    assert.match(settings, new RegExp(`apim-aks-ai-scenarios:sharedStack: organization/${SIMULATED_PROJECT}/public-shared`));
    assert.match(settings, /apim-aks-ai-scenarios:expiresAt: "?\d{4}-/);

    refuse.clear();
    events.length = 0;
    const second = await prepareWorkshop(driver!, plan(), { overrides: {}, concurrency: 5 });
    assert.deepEqual(
      second.map((r) => [r.stack, r.status]),
      [
        ["public-shared", "left alone"],
        ["public-a01", "left alone"],
        ["public-a02", "up"],
      ],
    );
    assert.deepEqual(phases("public-a01", "up"), [], "an attendee stack that is up gets no update");
    assert.equal(second.find((r) => r.stack === "public-a02")!.apiUrl, "https://service.simulated.invalid/a02");
  });

  it("status: one row per stack with its latest operation, lock and API URL; an expected attendee that does not exist shows as such", async () => {
    const rows = await workshopStatus(driver!, "public", { expected: ["public-a01", "public-a02", "public-a03"], concurrency: 5 });
    assert.deepEqual(
      rows.map((r) => [r.stack, r.role, r.exists, isUp(r), r.lock]),
      [
        ["public-shared", "shared", true, true, "free"],
        ["public-a01", "attendee", true, true, "free"],
        ["public-a02", "attendee", true, true, "free"],
        ["public-a03", "attendee", false, false, "free"],
      ],
    );
    assert.equal(rows[1].apiUrl, "https://service.simulated.invalid/a01");
    assert.ok((rows[1].resources ?? 0) >= 3, JSON.stringify(rows[1]));
  });

  it("up --shared's check reads the shared stack through the Automation API: ready for public, refused for another scenario or a missing stack", async () => {
    await checkSharedStack(driver!.workspace!, "public", "public-shared");
    await assert.rejects(checkSharedStack(driver!.workspace!, "external", "public-shared"), /built for public, not external/);
    await assert.rejects(checkSharedStack(driver!.workspace!, "public", "public-nohost"), /public-nohost does not exist .*scenarios workshop prepare public/);
  });

  it("destroy --stack public-shared: refused before anything is destroyed while attendee stacks read it, naming workshop teardown", async () => {
    await assert.rejects(
      refuseSharedStackDestroy(driver!.workspace!, [{ scenario: "public", stack: "public-shared" }]),
      (e: Error) => e instanceof UsageError && /^refusing to destroy public-shared while attendee stacks read it: public-a01, public-a02; .*\(scenarios workshop teardown public\)$/.test(e.message),
    );
    await refuseSharedStackDestroy(driver!.workspace!, [{ scenario: "public", stack: "public-a01" }]);
    await refuseSharedStackDestroy(driver!.workspace!, [{ scenario: "external", stack: "external-shared" }]);
    assert.deepEqual(listStacks(project).sort(), ["public-a01", "public-a02", "public-shared"]);
  });

  it("teardown: refuses the shared stack while attendee stacks read it; then attendees in parallel, the shared stack last, nothing left in the backend", async () => {
    await assert.rejects(teardownWorkshop(driver!, "public", { only: ["shared"], purge: false, concurrency: 5 }), (e: Error) => e instanceof UsageError && /refusing to destroy public-shared while attendee stacks read it: public-a01, public-a02/.test(e.message));
    assert.ok(listStacks(project).includes("public-shared"), "nothing was destroyed");
    events.length = 0;
    const results = await teardownWorkshop(driver!, "public", { purge: false, concurrency: 5 });
    for (const r of results) assert.equal(r.status, "destroyed", JSON.stringify(r));
    assert.deepEqual(results.map((r) => r.stack), ["public-a01", "public-a02", "public-shared"]);
    const [sharedDestroy] = phases("public-shared", "destroy");
    assert.ok(sharedDestroy >= finishedAt("public-a01") && sharedDestroy >= finishedAt("public-a02"), "the shared stack is destroyed after both attendees");
    const [a01, a02] = [phases("public-a01", "destroy")[0], phases("public-a02", "destroy")[0]];
    assert.ok(a01 < finishedAt("public-a02") && a02 < finishedAt("public-a01"), "the attendees' destroys overlapped");
    assert.deepEqual(listStacks(project), []);
    assert.deepEqual(await teardownWorkshop(driver!, "public", { purge: false, concurrency: 5 }), [], "a second teardown finds nothing");
  });
});

describe("engine: Ctrl-C during workshop prepare in a terminal, then prepare again", function () {
  let project: TestProject;
  before(function () {
    skipWithoutTerminal(this);
    project = testProject({ createSeconds: 3 });
  });
  after(() => {
    if (!project) return;
    forceRemoveStacks(project);
    project.cleanup();
  });

  it("the running attendee update is cancelled with one SIGINT, the others never start, exit 130; the same prepare again retries it and finishes the room", async () => {
    type Row = { stack: string; ok: boolean; status: string; error?: string };
    const first = driveInTerminal(project, ["workshop", "3"]);
    try {
      const ups = () => first.runs().filter((r) => r.command === "up");
      await first.terminal.waitFor("the first attendee's update", () => ups().length === 2 && ups()[1].exit === undefined, 120_000);
      await new Promise((r) => setTimeout(r, 1500));
      first.terminal.ctrlC();
      const code = await first.terminal.waitFor("the driver to exit", () => first.terminal.exitCode(), 120_000);
      const screen = first.terminal.screen();
      assert.equal(code, 130, screen);
      assert.match(screen, /interrupted: cancelling running operations/);
      assert.equal(ups().length, 2, "no attendee update started after Ctrl-C");
      assert.deepEqual(ups()[1].signals, ["SIGINT"], "the running update's CLI got exactly one SIGINT");
      const rows = Object.fromEntries(first.result<Row>().results.map((r) => [r.stack, r]));
      assert.equal(rows["public-shared"].status, "up", JSON.stringify(rows));
      assert.equal(rows["public-a01"].status, "cancelled", JSON.stringify(rows));
      for (const s of ["public-a02", "public-a03"]) assert.deepEqual([rows[s].status, rows[s].error], ["not started", "interrupted before it started"]);
    } finally {
      first.terminal.close();
    }
    const again = driveInTerminal(project, ["workshop", "3"]);
    try {
      const code = await again.terminal.waitFor("the second prepare to exit", () => again.terminal.exitCode(), 180_000);
      assert.equal(code, 0, again.terminal.screen());
      assert.deepEqual(
        again.result<Row>().results.map((r) => [r.stack, r.status]),
        [
          ["public-shared", "left alone"],
          ["public-a01", "up"],
          ["public-a02", "up"],
          ["public-a03", "up"],
        ],
      );
    } finally {
      again.terminal.close();
    }
  });
});
