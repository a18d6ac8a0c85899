import * as path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { resolveSelection, type SelectionOptions, UsageError, withSelection } from "../cli-common";
import { DEFAULT_CONCURRENCY, DEFAULT_HOURS } from "../plan/workshop-defaults";

const REPORT_DIR = path.resolve(__dirname, "..", "..", "reports", "plan");

interface PlanOptions extends SelectionOptions {
  /** `--no-report` sets this to false. */
  report: boolean;
  reportDir?: string;
  /** `--workshop <attendees>`: also estimate a workshop of that many (automation/plan/workshop.ts). */
  workshop?: number;
  workshopConcurrency?: number;
  workshopHours?: number;
}

/** `--workshop-hours`: hours of the workshop itself, 0 or more (at most a week). */
export function parseHours(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n >= 0) || n > 168) throw new InvalidArgumentError("hours, 0 to 168");
  return n;
}

/** `--workshop-concurrency`: attendee stacks deployed at once, 1 to 20 (as `scenarios workshop prepare --concurrency`). */
export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 20) throw new InvalidArgumentError("a whole number from 1 to 20");
  return n;
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
    .option("--workshop <attendees>", "also estimate a workshop of that many attendees: separate stacks vs one shared host stack (docs/workshop.md); in the text, the reports and the JSON", parseAttendees)
    .option("--workshop-concurrency <n>", `with --workshop: attendee stacks deployed at once (default ${DEFAULT_CONCURRENCY})`, parseConcurrency)
    .option("--workshop-hours <hours>", `with --workshop: hours of the workshop after everything is up, for its cost (default ${DEFAULT_HOURS})`, parseHours)
    .action(async (names: string[], options: PlanOptions) => {
      const selection = resolveSelection(names, options);
      if (options.workshop === undefined && (options.workshopConcurrency !== undefined || options.workshopHours !== undefined)) {
        throw new UsageError("--workshop-concurrency and --workshop-hours go with --workshop <attendees>");
      }
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
        workshop: options.workshop === undefined ? undefined : { attendees: options.workshop, concurrency: options.workshopConcurrency, hours: options.workshopHours },
      });
    });
}
