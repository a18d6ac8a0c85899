/**
 * LIVE: a workshop room of two attendees for one scenario, through the driver functions `scenarios workshop`
 * runs (automation/commands/workshop.ts: the same plan, settings checks and preflight, then prepareWorkshop,
 * workshopStatus, teardownWorkshop): prepare, status (every row up), every probe of each attendee stack, then
 * teardown, always, in `finally`, and a check that nothing is left: no stack of the room in the backend, its
 * resource groups gone, APIM and Azure OpenAI purged. Off by default: a room costs what its scenario costs.
 *
 *   LIVE_SCENARIOS=none LIVE_WORKSHOP=internal npm run test:live
 *   LIVE_SCENARIOS=none LIVE_WORKSHOP=public LIVE_WORKSHOP_CONFIG="ingressDomain=<zone> ingressDomainResourceGroup=<group>" npm run test:live
 *
 * LIVE_WORKSHOP_CONFIG holds `key=value` settings for every stack of the room, as `workshop prepare --config`
 * takes them: a scenario with a public ingress needs an Azure DNS zone of yours (config/workshop-rules.ts).
 * Needs what ephemeral.test.ts needs. The attendees are named lv01 and lv02; the shared stack's name is fixed
 * (<scenario>-shared), so the test refuses to start while the backend holds any stack of that scenario's room.
 */
import assert from "node:assert/strict";
import type { Driver } from "../../automation/driver/lifecycle/session";
import type { StatusRow } from "../../automation/driver/workshop/status";
import type { StackResult } from "../../automation/driver/workshop/workshop";
import type { ScenarioName } from "../../config/schema";
import { assertNothingLeftInAzure, type LiveOutcome, liveOverrides, liveSkipReason, newOutcome, noteResources, printVerifyTable, skipWith, verifyAll } from "./live-stack";
import { liveTeardownOnly, parseLiveWorkshop, parseLiveWorkshopConfig, roomStacksIn } from "./selection";

/** Attendee names of the live room: lv01, lv02 (room.ts attendeeNames). */
const PREFIX = "lv";
const ATTENDEES = 2;

function selection(): { scenario?: ScenarioName; config: Record<string, string>; error?: string } {
  try {
    return { scenario: parseLiveWorkshop(process.env.LIVE_WORKSHOP), config: parseLiveWorkshopConfig(process.env.LIVE_WORKSHOP_CONFIG) };
  } catch (e) {
    return { config: {}, error: (e as Error).message };
  }
}

describe("live: a workshop room of two attendees (LIVE_WORKSHOP=<scenario>)", function () {
  const chosen = selection();
  const room: LiveOutcome = newOutcome();
  const attendeeStacks: string[] = [];
  const verified = new Map<string, LiveOutcome>();
  let prepared: StackResult[] = [];
  let rows: StatusRow[] = [];
  let tornDown: StackResult[] = [];
  let teardownError: string | undefined;
  let leftInBackend: string[] = [];
  let subscriptionId = "";

  before(async function () {
    if (chosen.error) throw new Error(chosen.error);
    skipWith(this, "live workshop", chosen.scenario ? liveSkipReason() : "LIVE_WORKSHOP is not set (the scenario whose room of two attendees to prepare, e.g. internal)");
    const scenario = chosen.scenario!;
    const r = await import("../../automation/driver/workshop/room");
    const w = await import("../../automation/driver/workshop/workshop");
    const { openDriver } = await import("../../automation/driver/lifecycle/session");
    const { resolveSelection } = await import("../../automation/cli-common");
    const { deployDriverOptions } = await import("../../automation/commands/up");
    const { roomToPrepare } = await import("../../automation/commands/workshop");

    // The room exactly as `scenarios workshop prepare` plans and checks it.
    const names = r.attendeeNames(ATTENDEES, PREFIX);
    const overrides = await liveOverrides(scenario, chosen.config);
    const { plan, targets, azure } = roomToPrepare(scenario, names, overrides, 6);
    attendeeStacks.push(...plan.attendees.map((a) => a.stack));
    const selection = resolveSelection([scenario], { config: [], json: true });
    const driver: Driver = await openDriver(deployDriverOptions(targets.map((t) => t.stack), selection, { azure }));
    subscriptionId = driver.subscriptionId!;
    const workspace = driver.workspace!;
    const roomStacks = async () => roomStacksIn(scenario, (await workspace.listStacks()).map((s) => r.shortStackName(s.name)));

    const already = await roomStacks();
    if (already.length) {
      driver.close();
      throw new Error(`refusing to run: the backend already holds ${already.join(", ")}, which teardown would destroy; tear that room down first (scenarios workshop teardown ${scenario})`);
    }
    try {
      prepared = await w.prepareWorkshop(driver, plan, { overrides, concurrency: ATTENDEES });
      if (prepared.every((p) => p.ok)) {
        rows = await w.workshopStatus(driver, scenario, { expected: attendeeStacks, concurrency: ATTENDEES });
        for (const stack of attendeeStacks) {
          const outcome = newOutcome();
          verified.set(stack, outcome);
          try {
            await verifyAll(driver, driver.ctx, await workspace.select(stack, scenario), scenario, outcome);
            outcome.ok = true;
          } catch (e) {
            outcome.error = (e as Error).message;
          }
        }
      }
    } finally {
      try {
        const present = await roomStacks();
        for (const stack of present) await noteResources(room, await workspace.select(stack, scenario));
        const only = liveTeardownOnly(scenario, names, present);
        if (only.length) tornDown = await w.teardownWorkshop(driver, scenario, { only, purge: true, concurrency: ATTENDEES });
        leftInBackend = await roomStacks();
      } catch (e) {
        teardownError = (e as Error).message;
      } finally {
        driver.close();
      }
    }
  });

  it("prepare: the shared stack, then both attendee stacks, up, each with its API URL", () => {
    assert.deepEqual(
      prepared.map((p) => [p.stack, p.status, p.error]),
      [[`${chosen.scenario}-shared`, "up", undefined], ...attendeeStacks.map((s) => [s, "up", undefined])],
    );
    for (const p of prepared.filter((x) => x.attendee)) assert.match(p.apiUrl ?? "", /^https:\/\//, p.stack);
  });

  it("status: a row per stack, each existing, up and unlocked; the attendees' with their API URL", async () => {
    const { isUp } = await import("../../automation/driver/workshop/status");
    assert.deepEqual(
      rows.map((row) => [row.stack, row.role, row.exists, isUp(row), row.lock]),
      [[`${chosen.scenario}-shared`, "shared", true, true, "free"], ...attendeeStacks.map((s) => [s, "attendee", true, true, "free"])],
    );
    for (const row of rows.filter((x) => x.role === "attendee")) assert.equal(row.apiUrl, prepared.find((p) => p.stack === row.stack)?.apiUrl);
  });

  it("verify: each attendee stack passes every probe it exports", () => {
    assert.deepEqual([...verified.keys()], attendeeStacks);
    for (const [stack, outcome] of verified) {
      console.log(`    ${stack}:`);
      printVerifyTable(outcome);
      assert.ok(outcome.ok, `${stack}: ${outcome.error}`);
    }
  });

  it("teardown: every stack destroyed and removed, the shared one last; nothing left in the backend or Azure", async () => {
    assert.equal(teardownError, undefined);
    assert.deepEqual(
      tornDown.map((t) => [t.stack, t.status, t.error]),
      [...attendeeStacks.map((s) => [s, "destroyed", undefined]), [`${chosen.scenario}-shared`, "destroyed", undefined]],
    );
    assert.deepEqual(leftInBackend, []);
    await assertNothingLeftInAzure(subscriptionId, room);
  });
});
