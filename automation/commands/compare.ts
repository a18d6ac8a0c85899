import * as path from "node:path";
import type { Command } from "commander";
import { expiresInHours, loadDriver, resolveSelection, type Selection, type SelectionOptions, withSelection } from "../cli-common";
import type { EstimatesResult } from "../driver/estimates/estimates";
import type { DriverContext, LifecycleResult } from "../driver/lifecycle/orchestrate";
import type { Target } from "../driver/lifecycle/session";
import type { CompareEntry, CompareReport } from "../driver/report/report";
import type { VerifyReport } from "../driver/verify/verify";
import { deployDriverOptions } from "./up";
import { verifyOptionsFrom } from "./verify";

export interface CompareOptions extends SelectionOptions {
  policy?: boolean;
  expiresIn?: string;
  secretsProvider?: string;
  timeout?: string;
  attempts?: string;
  estimates: boolean;
}

export function registerCompare(program: Command): void {
  withSelection(program.command("compare"))
    .description("bring scenarios up on ephemeral stacks in parallel, verify them, tear them down, and write one report")
    .option("--policy", "run the policy pack in policy/ during the updates")
    .option("--expires-in <hours>", "expires-at tag of the ephemeral resources, for `sweep` (default 4)")
    .option("--timeout <seconds>", "per probe request (default 10)")
    .option("--attempts <n>", "tries per probe (default 8)")
    .option("--no-estimates", "skip the offline plan's estimates")
    .option("--secrets-provider <url>", "secrets provider for the ephemeral stacks (default: the backend's)")
    .addHelpText(
      "after",
      `
Each scenario gets a stack named <scenario>-eph-<random>; it is always destroyed, its soft-deleted APIM
service and Azure OpenAI account purged, and the stack removed, also after a failure or Ctrl-C. The report
(reports/compare-<time>.{json,md,html}) puts measured spin-up, verification and teardown times beside the
plan's estimates and estimated monthly cost.`,
    )
    .action(async (names: string[], options: CompareOptions) => {
      const selection = resolveSelection(names, options);
      await runCompare(selection, options);
    });
}

function compareEntry(scenario: string, life: LifecycleResult<VerifyReport>, estimates: EstimatesResult): CompareEntry {
  return {
    scenario,
    stack: life.stack,
    ok: life.ok,
    ...(life.error ? { error: life.error } : {}),
    measured: {
      spinUpMs: life.up?.durationMs,
      verifyMs: life.body?.durationMs,
      teardownMs: life.teardown?.durationMs,
      resources: life.up ? life.up.timeline.entries.filter((e) => e.custom && e.op === "create" && e.status === "done").length : undefined,
    },
    up: life.up?.timeline,
    destroy: life.teardown?.destroy?.timeline,
    verify: life.body?.value,
    purge: life.teardown?.purge,
    leftovers: life.teardown?.leftovers,
    estimates,
  };
}

async function runCompare(selection: Selection, options: CompareOptions): Promise<void> {
  const hours = expiresInHours(options.expiresIn, 4);
  const verify = verifyOptionsFrom(options);
  const d = loadDriver();
  const expiresAt = d.expiresAtFromNow(hours);
  // The ephemeral stacks get their names when created; until then they are known by their scenario.
  const targets: Target[] = selection.scenarios.map((scenario) => ({ scenario, stack: scenario }));
  // The ephemeral stacks do not exist yet: validate the scenario's settings as they will be given.
  const settings = (t: Target) => d.effectiveSettings(t.scenario, t.scenario, selection.overrides, { expiresAt });
  d.validateTargets(targets, settings);

  // Offline estimates first (the mock engine; one scenario at a time), before anything is deployed.
  // Each evaluation runs in a process of its own (estimates.ts), so they can run side by side.
  const estimates = new Map<string, EstimatesResult>(
    await Promise.all(
      targets.map(async (t): Promise<[string, EstimatesResult]> => [
        t.scenario,
        options.estimates === false ? { ok: false, reason: "not requested (--no-estimates)" } : await d.planEstimates(t.scenario, selection.overrides),
      ]),
    ),
  );

  // Ephemeral stacks are new: nothing to read from state.
  const azure = d.azureTargets(targets, settings, { mayExist: false });
  await d.withDriver(deployDriverOptions(targets.map((t) => t.scenario), selection, { ...options, azure }), async (driver) => {
    const workspace = driver.workspace;
    if (!workspace) throw new Error("internal: no Pulumi workspace");
    const lives = await driver.run(
      targets.map((t) => t.scenario),
      async (scenario) => {
        const t = targets.find((x) => x.scenario === scenario)!;
        // Progress is keyed by scenario here: the stack name is only known once created.
        const ctx: DriverContext = { ...driver.ctx, progress: (e) => driver.ctx.progress({ ...e, stack: scenario }) };
        return d.runEphemeralLifecycle(
          async () => {
            const handle = await workspace.createEphemeral(t.scenario, { overrides: selection.overrides, expiresAt });
            d.emitMessage(ctx, scenario, `ephemeral stack ${handle.name} (expires-at ${expiresAt})`);
            return handle;
          },
          ctx,
          {
            scenario: t.scenario,
            policyPacks: options.policy ? [d.POLICY_DIR] : undefined,
            check: (r: VerifyReport) => (r.failed || r.notRun ? `${r.failed + r.notRun} of ${r.results.length} probes did not pass` : undefined),
          },
          (handle) => d.verifyStack(handle, ctx, { scenario: t.scenario, verify, openVnet: d.vnetOpener(driver, ctx) }),
        );
      },
    );
    const entries = targets.map((t, i) => compareEntry(t.scenario, lives[i], estimates.get(t.scenario)!));
    const report: CompareReport = { kind: "compare", generatedAt: new Date().toISOString(), synthetic: false, entries };
    const files = d.writeReportFiles(path.join(d.REPORTS_DIR, `compare-${d.fileStamp()}`), report);
    d.finish(driver, entries.map((e) => ({ ok: e.ok, stack: e.stack ?? e.scenario })), "compare", {
      json: selection.json,
      document: () => ({ report: files.find((f) => f.endsWith(".json")), entries: entries.map(({ up, destroy, ...rest }) => ({ ...rest, upTotals: up?.totals, destroyTotals: destroy?.totals })) }),
      lines: () => [
        "",
        ...d.table(
          ["SCENARIO", "RESULT", "SPIN-UP", "VERIFY", "TEARDOWN", "RESOURCES", "EST. $/MONTH"],
          entries.map((e) => [
            e.scenario,
            e.ok ? "ok" : `FAILED: ${d.firstLine(e.error ?? "")}`.slice(0, 60),
            d.formatDuration(e.measured.spinUpMs),
            d.formatDuration(e.measured.verifyMs),
            d.formatDuration(e.measured.teardownMs),
            e.measured.resources !== undefined ? String(e.measured.resources) : "-",
            e.estimates.ok && e.estimates.estimates.monthlyCostUsd !== undefined ? e.estimates.estimates.monthlyCostUsd.toFixed(0) : "-",
          ]),
        ),
        `\nreport: ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}`,
      ],
    });
  });
}
