/** What every `scenarios` command shares: scenario selection, `--config`, exit codes. */
import { type Command, Option } from "commander";
import { parseOverrides } from "../config/load";
import { SCENARIO_NAMES, type ScenarioName } from "../config/schema";
import { isScenarioName } from "../config/validate";

/** Exit codes: 2 for anything the user can fix in the command line or configuration; 130 after Ctrl-C. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** A mistake in the command line: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface SelectionOptions {
  all?: boolean;
  config: string[];
  json?: boolean;
}

export interface Selection {
  scenarios: ScenarioName[];
  overrides: Record<string, string>;
  json: boolean;
}

/**
 * Adds `[scenario...] --all --config key=value --json` to a command. Commands that do not deploy
 * (destroy, outputs, verify) pass `config: false`: `-c` is then left out of their help, and still parsed
 * so that their action can say plainly that it does not apply.
 */
export function withSelection(command: Command, options: { config?: boolean } = {}): Command {
  const config = new Option("-c, --config <key=value>", "override a setting, like pulumi -c (repeatable)").argParser((v: string, acc: string[]) => [...acc, v]).default([] as string[]);
  if (options.config === false) config.hideHelp();
  return command
    .argument("[scenario...]", `one or more of: ${SCENARIO_NAMES.join(", ")}`)
    .option("--all", "every scenario")
    .addOption(config)
    .option("--json", "machine-readable output on stdout");
}

export function resolveSelection(names: string[], options: SelectionOptions): Selection {
  const unknown = names.filter((n) => !isScenarioName(n));
  if (unknown.length) throw new UsageError(`unknown scenario ${unknown.map((n) => JSON.stringify(n)).join(", ")}; choose from ${SCENARIO_NAMES.join(", ")} or --all`);
  if (options.all && names.length) throw new UsageError("give scenario names or --all, not both");
  const scenarios = options.all ? [...SCENARIO_NAMES] : [...new Set(names as ScenarioName[])];
  if (!scenarios.length) throw new UsageError(`name a scenario (${SCENARIO_NAMES.join(", ")}) or use --all`);
  let overrides: Record<string, string>;
  try {
    overrides = parseOverrides(options.config ?? []);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { scenarios, overrides, json: Boolean(options.json) };
}

/**
 * `--expires-in <hours>`: the expires-at of the stacks a command makes, for `scenarios sweep` (compare's
 * ephemeral stacks, workshop prepare's and `up --shared`'s); `fallback` when not given, at most a week.
 */
export function expiresInHours(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const hours = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(hours) || hours <= 0 || hours > 168) throw new UsageError(`--expires-in ${JSON.stringify(value)}: hours, more than 0 and at most 168`);
  return hours;
}

/** destroy, outputs and verify take `--config` only to say that it does not apply to them. */
export function rejectOverrides(selection: Selection, command: string): void {
  if (Object.keys(selection.overrides).length) throw new UsageError(`--config applies to up, preview and compare, not ${command}`);
}

/**
 * The driver (automation/driver/index.ts), loaded only once a command line has been parsed, so that usage
 * errors answer at once. `require`, not `import()`: bin/scenarios.js registers tsx for CommonJS only.
 */
export function loadDriver(): typeof import("./driver") {
  return require("./driver") as typeof import("./driver");
}

/** Workshop mode's rules (automation/driver/workshop/room.ts), loaded as the driver is: once the command line has been parsed. */
export function loadRoom(): typeof import("./driver/workshop/room") {
  return require("./driver/workshop/room") as typeof import("./driver/workshop/room");
}
