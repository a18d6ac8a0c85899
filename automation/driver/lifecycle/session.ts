/**
 * What the driver's commands share: which stacks a command line means, validation of their settings
 * before anything starts, preflight, the workspace, the progress display, Ctrl-C, and saving run reports.
 */
import * as path from "node:path";
import { ConfigError, requireConfig, type Problem } from "../../../config/validate";
import type { ScenarioName } from "../../../config/schema";
import { UsageError, type Selection } from "../../cli-common";
import { chooseBackend, describeBackend, isValidStackName, RUNS_DIR } from "../stack/env";
import { announceInterrupts, InterruptController } from "../interrupt/interrupt";
import { errorText, firstLine } from "../../shared/text";
import { type DriverContext, emitFinished, type OperationRun } from "./orchestrate";
import { type Need, preflight, realPreflightDeps } from "../preflight/preflight";
import type { AzureTarget } from "../preflight/preflight-azure";
import { displayMode, runWithDisplay, StackBoard } from "./progress";
import { recordPathFor, saveRecording } from "../report/recorder";
import { fileStamp, runReport, writeReportFiles } from "../report/report";
import type { DriverWorkspace, ProjectSource } from "../stack/workspace";

export interface Target {
  scenario: ScenarioName;
  stack: string;
}

/** The stacks a selection means: one per scenario, named after it unless `--stack` names the one stack. */
export function targetsFor(selection: Selection, stack: string | undefined): Target[] {
  if (stack !== undefined) {
    if (selection.scenarios.length !== 1) throw new UsageError("--stack names one stack: give exactly one scenario with it");
    if (!isValidStackName(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)}: use letters, digits, ".", "-" and "_" (up to 100 characters)`);
    return [{ scenario: selection.scenarios[0], stack }];
  }
  return selection.scenarios.map((scenario) => ({ scenario, stack: scenario }));
}

/**
 * Validates every target's settings (stack file + overrides + extra) and throws one ConfigError listing
 * every problem; a problem that only some of several stacks have is prefixed with the stack's name.
 */
export function validateTargets(
  targets: Target[],
  settingsOf: (t: Target) => Record<string, unknown>,
): void {
  const byLine = new Map<string, { problem: Problem; stacks: string[] }>();
  for (const t of targets) {
    try {
      requireConfig(t.scenario, settingsOf(t));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) {
        const line = `${p.key}\u0000${JSON.stringify(p.value)}\u0000${p.message}`;
        const entry = byLine.get(line) ?? { problem: p, stacks: [] };
        entry.stacks.push(t.stack);
        byLine.set(line, entry);
      }
    }
  }
  if (!byLine.size) return;
  const problems: Problem[] = [...byLine.values()].map(({ problem, stacks }) =>
    targets.length > 1 && stacks.length < targets.length ? { ...problem, key: `${stacks.join(",")}: ${problem.key}` } : problem,
  );
  throw new ConfigError(problems);
}

export interface DriverOptions {
  needs: Need[];
  stacks: string[];
  json: boolean;
  secretsProvider?: string;
  /** Save a report (JSON, Markdown, HTML) for every operation under reports/runs/. */
  saveRuns?: boolean;
  /** `--record <file>`: save each operation's raw event stream. */
  record?: string;
  /** Commands that never run a stack operation (sweep) need no workspace. */
  workspace?: boolean;
  /** Another Pulumi project than this one (the engine tests' simulated cloud); see workspace.ts. */
  project?: ProjectSource;
  extraEnv?: Record<string, string>;
  /** `up` and `compare`: stacks whose needs are checked against the subscription first (preflight-azure.ts). */
  azure?: AzureTarget[];
  /** Commands that deploy or destroy say which state backend they use, once preflight has passed. */
  showBackend?: boolean;
}

export interface Driver {
  ctx: DriverContext;
  board: StackBoard;
  interrupt: InterruptController;
  workspace?: DriverWorkspace;
  subscriptionId?: string;
  /** Every file written (reports, recordings). */
  files: string[];
  /** Runs `work` for each stack in parallel under the live display. */
  run<R extends { ok: boolean }>(stacks: string[], work: (stack: string) => Promise<R>): Promise<R[]>;
  close(): void;
}

/** Preflight, then the workspace, Ctrl-C handling and the display. Throws PreflightError (exit 2) first. */
export async function openDriver(options: DriverOptions): Promise<Driver> {
  const env = process.env;
  const backend = chooseBackend(env);
  const azure = options.azure?.length ? options.azure : undefined;
  const subscriptionChecks =
    azure &&
    ((subscriptionId: string, f: { pulumiPath?: string }) =>
      (require("../preflight/preflight-azure") as typeof import("../preflight/preflight-azure")).azureProblems(azure, { subscriptionId, pulumiPath: f.pulumiPath, backend, env, secretsProvider: options.secretsProvider }));
  const found = await preflight(options.needs, { backend, stacks: options.stacks, secretsProvider: options.secretsProvider, subscriptionChecks }, realPreflightDeps(env));
  if (options.showBackend) process.stderr.write(`state: ${describeBackend(backend.url)}\n`);
  let workspace: DriverWorkspace | undefined;
  if (options.workspace !== false && found.pulumiPath) {
    const { DriverWorkspace } = require("../stack/workspace") as typeof import("../stack/workspace");
    workspace = await DriverWorkspace.create({ pulumiPath: found.pulumiPath, subscriptionId: found.subscriptionId, secretsProvider: options.secretsProvider, env, backend, project: options.project, extraEnv: options.extraEnv });
  }
  const board = new StackBoard(options.stacks);
  const interrupt = new InterruptController(Boolean(workspace?.shim));
  const files: string[] = [];
  const say = (line: string) => process.stderr.write(`${line}\n`);
  announceInterrupts(interrupt, workspace?.shim, say);
  const uninstall = interrupt.install();
  let purgerPromise: ReturnType<NonNullable<DriverContext["purger"]>> | undefined;
  const ctx: DriverContext = {
    progress: board.listener,
    interrupt,
    purger: found.subscriptionId
      ? () => (purgerPromise ??= (require("../cleanup/purge") as typeof import("../cleanup/purge")).azurePurger(found.subscriptionId!))
      : undefined,
    onRun: (run: OperationRun) => {
      if (options.record) {
        const file = recordPathFor(options.record, run.stack, options.stacks.length);
        saveRecording(file, run.recording);
        files.push(file);
      }
      if (options.saveRuns !== false && run.recording.operation !== "preview") {
        files.push(...writeReportFiles(path.join(RUNS_DIR, `${run.stack}-${run.recording.operation}-${fileStamp(new Date(run.recording.startedAt))}`), runReport(run.timeline, run.result.status, run.result.error)));
      }
    },
  };
  const mode = displayMode(options.json);
  return {
    ctx,
    board,
    interrupt,
    workspace,
    subscriptionId: found.subscriptionId,
    files,
    run: (stacks, work) => runWithDisplay(board, stacks, mode, work),
    close: () => {
      uninstall();
      if (workspace?.shim) (require("../interrupt/shim") as typeof import("../interrupt/shim")).removeShim(workspace.shim);
    },
  };
}

/** A fixed-width table for the summaries commands print at the end. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Raised at the end of a command when some stacks failed (exit code 1 via the CLI's generic handler). */
export class CommandFailed extends Error {
  /** 130 when the user interrupted the command (Ctrl-C), 1 otherwise. */
  readonly exitCode: number;
  constructor(message: string, interrupted = false) {
    super(message);
    this.name = "CommandFailed";
    this.exitCode = interrupted ? 130 : 1;
  }
}

/** Exit 1 when a stack failed; 130 when that happened after Ctrl-C. */
export function failIfAny<R extends { ok: boolean; stack: string }>(results: R[], verb: string, driver: Driver): void {
  const failed = results.filter((r) => !r.ok);
  const interrupted = driver.interrupt.interrupted;
  if (failed.length) throw new CommandFailed(`${verb} ${interrupted ? "interrupted" : "failed"} for ${failed.map((r) => r.stack).join(", ")} (${failed.length} of ${results.length})`, interrupted);
}

/** Opens a driver, runs `body`, and closes the driver (Ctrl-C handler, shim) whatever happens. */
export async function withDriver(options: DriverOptions, body: (driver: Driver) => Promise<void>): Promise<void> {
  const driver = await openDriver(options);
  try {
    await body(driver);
  } finally {
    driver.close();
  }
}

/**
 * The body of the commands that work stack by stack: `work` runs for every target in parallel under the live
 * display and returns its result with the row's closing line; a throw closes the row as failed with its
 * first line, and `failed` turns the error into that stack's result.
 */
export function forEachStack<R extends { ok: boolean }>(
  driver: Driver,
  targets: Target[],
  work: (target: Target, workspace: DriverWorkspace) => Promise<{ result: R; summary: string }>,
  failed: (target: Target, error: string) => R,
): Promise<R[]> {
  const workspace = driver.workspace;
  if (!workspace) throw new Error("internal: no Pulumi workspace");
  const byStack = new Map(targets.map((t) => [t.stack, t]));
  return driver.run(targets.map((t) => t.stack), async (stack) => {
    const t = byStack.get(stack)!;
    try {
      const { result, summary } = await work(t, workspace);
      emitFinished(driver.ctx, stack, result.ok, summary);
      return result;
    } catch (e) {
      emitFinished(driver.ctx, stack, false, firstLine(errorText(e)));
      return failed(t, errorText(e));
    }
  });
}

/** The end of a command: its JSON document on stdout, or its summary lines; then exit 1 (130) if a stack failed. */
export function finish<R extends { ok: boolean; stack: string }>(driver: Driver, results: R[], verb: string, output: { json: boolean; document: () => unknown; lines: () => string[] }): void {
  if (output.json) printJson(output.document());
  else for (const line of output.lines()) console.log(line);
  failIfAny(results, verb, driver);
}
