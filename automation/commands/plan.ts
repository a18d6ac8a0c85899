import * as path from "node:path";
import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

const REPORT_DIR = path.resolve(__dirname, "..", "..", "reports", "plan");

interface PlanOptions extends SelectionOptions {
  /** `--no-report` sets this to false. */
  report: boolean;
  reportDir?: string;
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
}

export function registerPlan(program: Command): void {
  withSelection(program.command("plan"))
    .description(
      "evaluate scenarios offline in the Pulumi mock engine (no cloud, no Pulumi CLI) and compare them: exposure, " +
        "protections per hop, estimated spin-up and monthly cost; writes Markdown and HTML reports. With --json, prints " +
        "a `pulumi preview --json`-shaped document (for several scenarios, one object keyed by scenario name)",
    )
    .option("--report-dir <dir>", "where to write the reports (default: reports/plan in the project)")
    .option("--no-report", "write no report files")
    .action(async (names: string[], options: PlanOptions) => {
      const selection = resolveSelection(names, options);
      // Loaded on demand so that usage errors answer at once. `require`, not `import()`: bin/scenarios.js
      // registers tsx for CommonJS only, and a dynamic import() would go to Node's ESM loader without it.
      const { runPlan } = require("../plan/run") as typeof import("../plan/run");
      await runPlan(selection.scenarios, {
        overrides: selection.overrides,
        json: selection.json,
        reportDir: options.report === false ? false : options.reportDir ? path.resolve(options.reportDir) : REPORT_DIR,
        color: !selection.json && useColor(),
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    });
}
