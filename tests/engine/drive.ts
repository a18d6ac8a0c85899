/**
 * The driver as `scenarios compare | destroy | up` runs it (openDriver: preflight, workspace through the
 * shim, Ctrl-C handling, listr2 display on a terminal), over the engine tests' simulated-cloud project
 * instead of this project's Azure program. The engine tests start it in a pseudo-terminal (tmux) and
 * press Ctrl-C there.
 *
 *   node --import tsx tests/engine/drive.ts compare <n>     n ephemeral stacks of `public`, in parallel
 *   node --import tsx tests/engine/drive.ts destroy <stack> destroy and remove a stack
 *   node --import tsx tests/engine/drive.ts workshop <n>    workshop prepare of `public` for n attendees, one at a time
 *
 * Environment: SCENARIOS_ENGINE_WORKDIR, SCENARIOS_ENGINE_STACKS (the test project), SCENARIOS_ENGINE_FAIL
 * (comma-separated row numbers whose stack fails), SCENARIOS_DRIVE_RESULT (a JSON summary is written there),
 * and the PULUMI_* variables of the test. Exit codes as the CLI's: 0, 1, or 130 after Ctrl-C.
 */
import * as fs from "node:fs";
import { emitFinished, emitMessage, runEphemeralLifecycle, teardown } from "../../automation/driver/lifecycle/orchestrate";
import { firstLine } from "../../automation/shared/text";
import { CommandFailed, failIfAny, openDriver } from "../../automation/driver/lifecycle/session";
import { expiresAtFromNow } from "../../automation/driver/stack/workspace";
import { SIMULATED_PROJECT, simulatedProgram } from "./simulated-cloud";
import { preparePlan } from "../../automation/driver/workshop/room";
import { prepareWorkshop } from "../../automation/driver/workshop/workshop";
import { workshopProgram } from "./workshop-program";

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  const program = mode === "workshop" ? workshopProgram(new Set()) : simulatedProgram();
  const project = { workDir: process.env.SCENARIOS_ENGINE_WORKDIR!, stacksDir: process.env.SCENARIOS_ENGINE_STACKS!, program, projectName: SIMULATED_PROJECT };
  const attendees = Array.from({ length: Number(arg) }, (_, i) => `a${String(i + 1).padStart(2, "0")}`);
  const rows = mode === "compare" ? Array.from({ length: Number(arg) }, (_, i) => `row${i + 1}`) : mode === "workshop" ? ["public-shared", ...attendees.map((a) => `public-${a}`)] : [arg];
  const failing = new Set((process.env.SCENARIOS_ENGINE_FAIL ?? "").split(",").filter(Boolean).map((n) => `row${n}`));
  const driver = await openDriver({ needs: ["pulumi", "secrets"], stacks: rows, json: false, saveRuns: false, project });
  const summary: unknown[] = [];
  try {
    const workspace = driver.workspace!;
    if (mode === "compare") {
      const expiresAt = expiresAtFromNow(1);
      const lives = await driver.run(rows, async (row) => {
        const ctx = { ...driver.ctx, progress: (e: Parameters<typeof driver.ctx.progress>[0]) => driver.ctx.progress({ ...e, stack: row }) };
        const life = await runEphemeralLifecycle(
          async () => {
            const handle = await workspace.createEphemeral("public", { overrides: failing.has(row) ? { fail: "api:create" } : {}, expiresAt });
            emitMessage(ctx, row, `ephemeral stack ${handle.name}`);
            return handle;
          },
          ctx,
          { scenario: "public", purge: false },
        );
        summary.push({ row, stack: life.stack, ok: life.ok, error: life.error, up: life.up?.result.status, destroy: life.teardown?.destroy?.result.status, removed: life.teardown?.removed, leftovers: life.teardown?.leftovers ?? [] });
        return { ...life, stack: life.stack ?? row };
      });
      console.log("");
      for (const l of lives) console.log(`${l.stack}: ${l.ok ? "ok" : `FAILED: ${firstLine(l.error ?? "")}`}${(l.teardown?.leftovers ?? []).map((x) => `\n  left behind: ${x}`).join("")}`);
      failIfAny(lives.map((l) => ({ ok: l.ok, stack: l.stack })), "compare", driver);
    } else if (mode === "destroy") {
      const results = await driver.run(rows, async (stack) => {
        const handle = await workspace.select(stack, "public");
        const report = await teardown(handle, driver.ctx, { scenario: "public", purge: false, remove: true });
        emitFinished(driver.ctx, stack, report.ok, report.ok ? "destroyed, stack removed" : report.leftovers[0]);
        summary.push({ stack, ok: report.ok, destroy: report.destroy?.result.status, removed: report.removed, leftovers: report.leftovers });
        return { ok: report.ok, stack };
      });
      failIfAny(results, "destroy", driver);
    } else if (mode === "workshop") {
      const plan = preparePlan("public", attendees, { backendUrl: process.env.PULUMI_BACKEND_URL!, project: SIMULATED_PROJECT, expiresAt: expiresAtFromNow(1) });
      const results = await prepareWorkshop(driver, plan, { overrides: {}, concurrency: 1 });
      summary.push(...results.map(({ teardown: _t, ...r }) => r));
      failIfAny(results, "workshop prepare", driver);
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  } finally {
    if (process.env.SCENARIOS_DRIVE_RESULT) fs.writeFileSync(process.env.SCENARIOS_DRIVE_RESULT, JSON.stringify({ interrupted: driver.interrupt.interrupted, results: summary }, null, 2));
    driver.close();
  }
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exitCode = e instanceof CommandFailed ? e.exitCode : 1;
  },
);
