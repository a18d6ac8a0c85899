import type { Command } from "commander";
import { SCENARIO_TRAITS } from "../../config/defaults";
import { SCENARIO_NAMES } from "../../config/schema";
import { gatewayReach, modelReachedPrivately } from "../../scenarios/traits";
import { loadDriver, rejectOverrides, resolveSelection, type Selection, type SelectionOptions, UsageError, withSelection } from "../cli-common";
import type { VerifyOptions as ProbeOptions, VerifyReport } from "../driver/verify/verify";

export interface VerifyOptions extends SelectionOptions {
  stack?: string;
  timeout?: string;
  attempts?: string;
}

/** Scenarios with probes "from vnet": a gateway reached only in the VNet, or the model's private endpoint. */
export const VNET_PROBE_SCENARIOS = SCENARIO_NAMES.filter((s) => gatewayReach(SCENARIO_TRAITS[s]) === "vnet" || modelReachedPrivately(SCENARIO_TRAITS[s]));

export function registerVerify(program: Command): void {
  withSelection(program.command("verify"), { config: false })
    .description("run each stack's probes (its `probes` output) and print a pass/fail table")
    .option("--stack <name>", "verify this stack instead of the one named after the scenario (one scenario only)")
    .option("--timeout <seconds>", "per request (default 10)")
    .option("--attempts <n>", "tries per probe while DNS, certificates and backends settle (default 8)")
    .addHelpText(
      "after",
      `
Probes "from internet" run on this machine. Probes "from vnet" (in ${VNET_PROBE_SCENARIOS.join(", ")}: an
Internal-mode gateway, the model's private endpoint) run in a temporary pod in the stack's AKS cluster,
reached through the Kubernetes API with your Azure sign-in; your identity needs a Kubernetes role that may
create namespaces and pods (e.g. AKS RBAC Cluster Admin).
Exit code 1 when any probe fails or cannot run.`,
    )
    .action(async (names: string[], options: VerifyOptions) => {
      const selection = resolveSelection(names, options);
      await runVerify(selection, options);
    });
}

/** `--timeout` and `--attempts` (verify, compare) as the probes' options. */
export function verifyOptionsFrom(options: { timeout?: string; attempts?: string }): Partial<ProbeOptions> {
  const out: Partial<ProbeOptions> = {};
  if (options.timeout !== undefined) {
    const s = Number(options.timeout);
    if (!Number.isFinite(s) || s <= 0 || s > 300) throw new UsageError(`--timeout ${JSON.stringify(options.timeout)}: seconds per request, 1-300`);
    out.requestTimeoutMs = s * 1000;
  }
  if (options.attempts !== undefined) {
    const n = Number(options.attempts);
    if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError(`--attempts ${JSON.stringify(options.attempts)}: a whole number, 1-50`);
    out.attempts = n;
  }
  return out;
}

interface VerifyResult {
  ok: boolean;
  stack: string;
  report?: VerifyReport;
  error?: string;
}

async function runVerify(selection: Selection, options: VerifyOptions): Promise<void> {
  rejectOverrides(selection, "verify");
  const verify = verifyOptionsFrom(options);
  const d = loadDriver();
  const targets = d.targetsFor(selection, options.stack);
  await d.withDriver({ needs: ["pulumi", "secrets"], stacks: targets.map((t) => t.stack), json: selection.json, saveRuns: false }, async (driver) => {
    const results = await d.forEachStack(
      driver,
      targets,
      async (t, workspace): Promise<{ result: VerifyResult; summary: string }> => {
        const handle = await workspace.select(t.stack, t.scenario);
        const report = await d.verifyStack(handle, driver.ctx, { scenario: t.scenario, verify, openVnet: d.vnetOpener(driver) });
        const ok = report.failed === 0 && report.notRun === 0;
        return { result: { ok, stack: t.stack, report }, summary: `${report.passed} of ${report.results.length} probes passed` };
      },
      (t, error) => ({ ok: false, stack: t.stack, error }),
    );
    d.finish(driver, results, "verify", {
      json: selection.json,
      document: () => ({ results: results.map((r) => (r.report ? { ok: r.ok, ...r.report } : r)) }),
      lines: () => results.flatMap((r) => ["", ...(r.report ? d.formatVerifyTable(r.report) : [`${r.stack}: could not verify: ${d.firstLine(r.error ?? "")}`])]),
    });
  });
}
