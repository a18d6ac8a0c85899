import type { Command } from "commander";
import { loadDriver, rejectOverrides, resolveSelection, type Selection, type SelectionOptions, withSelection } from "../cli-common";
import type { TeardownReport } from "../driver/lifecycle/orchestrate";
import { deployDriverOptions } from "./up";

export interface DestroyOptions extends SelectionOptions {
  stack?: string;
  purge: boolean;
  remove?: boolean;
  record?: string;
  secretsProvider?: string;
}

export function registerDestroy(program: Command): void {
  withSelection(program.command("destroy"), { config: false })
    .description("destroy stacks, then purge their soft-deleted APIM services and Azure OpenAI accounts so the names can be reused")
    .option("--stack <name>", "destroy this stack instead of the one named after the scenario (one scenario only)")
    .option("--no-purge", "leave soft-deleted APIM services and Azure OpenAI accounts (recoverable for 48 hours / their retention)")
    .option("--remove", "also remove the stack from the backend (its stack file in stacks/ is kept)")
    .option("--record <file>", "save the engine-event stream; {stack} in the name is replaced")
    .option("--secrets-provider <url>", "secrets provider (only for stacks that do not name one)")
    .action(async (names: string[], options: DestroyOptions) => {
      const selection = resolveSelection(names, options);
      await runDestroy(selection, options);
    });
}

interface DestroyResult {
  ok: boolean;
  stack: string;
  scenario: string;
  report?: TeardownReport;
  error?: string;
}

async function runDestroy(selection: Selection, options: DestroyOptions): Promise<void> {
  rejectOverrides(selection, "destroy");
  const d = loadDriver();
  const targets = d.targetsFor(selection, options.stack);
  await d.withDriver(deployDriverOptions(targets.map((t) => t.stack), selection, options), async (driver) => {
    if (driver.workspace) await d.refuseSharedStackDestroy(driver.workspace, targets);
    const results = await d.forEachStack(
      driver,
      targets,
      async (t, workspace): Promise<{ result: DestroyResult; summary: string }> => {
        const handle = await workspace.select(t.stack, t.scenario);
        const report = await d.teardown(handle, driver.ctx, { scenario: t.scenario, purge: options.purge !== false, remove: Boolean(options.remove) });
        const summary = report.ok ? `destroyed${report.purge.length ? `, purged ${report.purge.filter((p) => p.status === "purged").length}` : ""}${report.removed ? ", stack removed" : ""}` : report.leftovers[0];
        return { result: { ok: report.ok, stack: t.stack, scenario: t.scenario, report }, summary };
      },
      (t, error) => ({ ok: false, stack: t.stack, scenario: t.scenario, error }),
    );
    d.finish(driver, results, "destroy", {
      json: selection.json,
      document: () => ({
        operation: "destroy",
        results: results.map((r) =>
          r.report
            ? { ok: r.ok, stack: r.stack, scenario: r.scenario, status: r.report.destroy?.result.status, durationMs: r.report.durationMs, purge: r.report.purge, removed: r.report.removed, leftovers: r.report.leftovers }
            : r,
        ),
      }),
      lines: () => [
        "",
        ...results.flatMap((r) => {
          if (!r.report) return [`${r.stack}: FAILED: ${d.firstLine(r.error ?? "")}`];
          return [
            `${r.stack}: destroy ${r.report.destroy?.result.status ?? "not run"} in ${d.formatDuration(r.report.durationMs)}`,
            ...r.report.purge.map((p) => `  purge ${d.describePurgeable(p.target)}: ${p.status}${p.error ? ` (${p.error})` : ""}`),
            ...(r.report.removed ? ["  stack removed (its stack file kept)"] : []),
            ...r.report.leftovers.map((l) => `  left behind: ${l}`),
          ];
        }),
      ],
    });
  });
}
