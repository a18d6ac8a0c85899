import * as path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

const REPORT_DIR = path.resolve(__dirname, "..", "..", "reports", "plan");

interface PlanOptions extends SelectionOptions {
  /** `--no-report` sets this to false. */
  report: boolean;
  reportDir?: string;
  /** `--workshop <attendees>`: also estimate a workshop of that many (automation/plan/workshop.ts). */
  workshop?: number;
}

/** A whole number of attendees, at least 1. */
export function parseAttendees(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of attendees, at least 1");
  return n;
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
    .option("--workshop <attendees>", "also estimate a workshop of that many attendees: separate stacks vs one shared host stack (docs/workshop.md)", parseAttendees)
    .action(async (names: string[], options: PlanOptions) => {
      const selection = resolveSelection(names, options);
      // Loaded on demand so that usage errors answer at once. `require`, not `import()`: bin/scenarios.js
      // registers tsx for CommonJS only, and a dynamic import() would go to Node's ESM loader without it.
      const { runPlan } = require("../plan/run") as typeof import("../plan/run");
      const results = await runPlan(selection.scenarios, {
        overrides: selection.overrides,
        json: selection.json,
        reportDir: options.report === false ? false : options.reportDir ? path.resolve(options.reportDir) : REPORT_DIR,
        color: !selection.json && useColor(),
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
      if (options.workshop !== undefined) {
        const { estimateWorkshop, workshopText } = require("../plan/workshop") as typeof import("../plan/workshop");
        const text = results.map((r) => workshopText(r.scenario, estimateWorkshop(r.evaluation.resources, r.estimate, { attendees: options.workshop! }))).join("\n");
        // With --json, stdout holds only the JSON document.
        (selection.json ? process.stderr : process.stdout).write(`\n${text}`);
      }
    });
}
