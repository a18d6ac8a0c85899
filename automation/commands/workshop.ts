import type { Command } from "commander";
import { expiresInHours, loadDriver, loadRoom, resolveSelection, type Selection, UsageError } from "../cli-common";
import { DEFAULT_CONCURRENCY } from "../plan/workshop-defaults";
import { roomFitProblem } from "../../config/apim-limits";
import type { ScenarioName } from "../../config/schema";
import type { DriverOptions } from "../driver/lifecycle/session";
import type { StackResult } from "../driver/workshop/workshop";
import { deployDriverOptions } from "./up";
import { verifyOptionsFrom } from "./verify";

interface CommonOptions {
  config: string[];
  json?: boolean;
}

export interface PrepareOptions extends CommonOptions {
  attendees?: string;
  prefix?: string;
  concurrency?: string;
  expiresIn?: string;
  policy?: boolean;
  secretsProvider?: string;
}

export interface StatusOptions extends CommonOptions {
  attendees?: string;
  prefix?: string;
  verify?: boolean;
  timeout?: string;
  attempts?: string;
}

export interface TeardownOptions extends CommonOptions {
  only?: string;
  keepShared?: boolean;
  purge: boolean;
  concurrency?: string;
}

function selectionOf(scenario: string, options: CommonOptions): Selection {
  return resolveSelection([scenario], { config: options.config, json: options.json });
}

const configOption = (cmd: Command) =>
  cmd.option("-c, --config <key=value>", "override a setting of every stack of the room, like pulumi -c (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[]).option("--json", "machine-readable output on stdout");

export function registerWorkshop(program: Command): void {
  const workshop = program
    .command("workshop")
    .description("workshop mode: one shared stack per scenario (APIM, network, cluster) and a small stack per attendee that reads it (docs/workshop.md)");

  configOption(
    workshop
      .command("prepare")
      .description("deploy <scenario>-shared, then the attendee stacks <scenario>-<prefix>01 … in parallel; run again to resume (stacks that are up are left alone, failed ones retried)")
      .argument("<scenario>", "the scenario of the room")
      .option("--attendees <n>", "how many attendee stacks (1-99, and what the tier's APIM limits hold: 98 on Developer and Consumption)")
      .option("--prefix <letters>", "attendee names are <prefix>01, <prefix>02, … (default a)")
      .option("--concurrency <n>", `attendee stacks deployed at once (default ${DEFAULT_CONCURRENCY})`)
      .option("--expires-in <hours>", "expires-at of every stack of the room, for `scenarios sweep` (default 24)")
      .option("--policy", "run the policy pack in policy/ during the updates")
      .option("--secrets-provider <url>", "secrets provider for new stacks (default: the backend's passphrase); attendee stacks must be able to read the shared stack's secrets"),
  )
    .addHelpText(
      "after",
      `
Preflight checks the subscription once for the whole room (model quota for every attendee's deployment where
the tier has no per-subscription token limit). Each attendee stack gets workshopRole=attendee, attendee=<name>,
sharedStack=<the shared stack's fully qualified name> and expiresAt. An update refused with 409 RequestConflict
(another operation on the shared Azure OpenAI account, where each attendee deploys its own model) is run again
up to 5 updates in all, after 30-120 s with jitter; RESULT says how many it took. Ctrl-C cancels the running
updates and the waits and starts no more; run the same command again to carry on.`,
    )
    .action(async (scenario: string, options: PrepareOptions) => runPrepare(scenario, options));

  const status = workshop
    .command("status")
    .description("one row per stack of the room: exists, latest operation and its result, lock, attendee API URL")
    .argument("<scenario>", "the scenario of the room")
    .option("--attendees <n>", "also list the attendee stacks prepare would make, when they do not exist")
    .option("--prefix <letters>", "with --attendees: their names' prefix (default a)")
    .option("--verify", "run each attendee stack's probes (as `scenarios verify`)")
    .option("--timeout <seconds>", "with --verify: per probe request (default 10)")
    .option("--attempts <n>", "with --verify: tries per probe (default 8)")
    .option("--json", "machine-readable output on stdout");
  status.action(async (scenario: string, options: StatusOptions) => runStatus(scenario, { ...options, config: [] }));

  configOption(
    workshop
      .command("teardown")
      .description("destroy and remove the attendee stacks in parallel, then the shared stack; never the shared stack while an attendee stack reads it")
      .argument("<scenario>", "the scenario of the room")
      .option("--only <names>", "comma-separated attendee names, and/or `shared`, instead of the whole room")
      .option("--keep-shared", "destroy the attendee stacks only")
      .option("--no-purge", "leave soft-deleted APIM services and Azure OpenAI accounts")
      .option("--concurrency <n>", `attendee stacks destroyed at once (default ${DEFAULT_CONCURRENCY})`),
  )
    .addHelpText(
      "after",
      `
What cannot be destroyed keeps the expires-at prepare gave it: "scenarios sweep" removes it after that time.`,
    )
    .action(async (scenario: string, options: TeardownOptions) => runTeardown(scenario, options));
}

function rejectWorkshopOverrides(selection: Selection): void {
  const keys = [...loadRoom().WORKSHOP_KEYS, "expiresAt"].filter((k) => k in selection.overrides);
  if (keys.length) throw new UsageError(`--config ${keys.join(", ")}: set by workshop prepare itself (use --expires-in for expiresAt)`);
}

function resultLines(d: ReturnType<typeof loadDriver>, results: StackResult[]): string[] {
  return [
    "",
    ...d.table(
      ["STACK", "RESULT", "TIME", "API URL / ERROR"],
      results.map((r) => [r.stack, d.resultText(r), d.formatDuration(r.durationMs), r.ok ? (r.apiUrl ?? "") : d.firstLine(r.error ?? "")]),
    ),
  ];
}

/**
 * What `workshop prepare` deploys and what its preflight checks, before anything runs: the stacks of the room
 * with their settings (validated), the room's size against the APIM service's limits, and the Azure targets of
 * one preflight for the room. Shared with the live workshop test, so that it prepares a room exactly as the CLI does.
 */
export function roomToPrepare(scenario: ScenarioName, names: string[], overrides: Record<string, unknown>, hours: number) {
  const r = loadRoom();
  const d = loadDriver();
  const { chooseBackend } = require("../driver/stack/env") as typeof import("../driver/stack/env");
  const plan = r.preparePlan(scenario, names, { backendUrl: chooseBackend(process.env).url, project: r.projectName(), expiresAt: d.expiresAtFromNow(hours) });
  const targets = [{ scenario, stack: plan.shared.stack }, ...plan.attendees.map((a) => ({ scenario, stack: a.stack }))];
  const extra = new Map<string, Record<string, string>>([[plan.shared.stack, plan.shared.settings], ...plan.attendees.map((a) => [a.stack, a.settings] as [string, Record<string, string>])]);
  const settings = (t: { scenario: ScenarioName; stack: string }) => d.effectiveSettings(t.scenario, t.stack, overrides, extra.get(t.stack));
  d.validateTargets(targets, settings);
  const [shared] = d.azureTargets([targets[0]], settings, { mayExist: true });
  const tooBig = roomFitProblem(shared.config.apimSku, names.length);
  if (tooBig) throw new UsageError(tooBig);
  return { plan, targets, azure: r.roomTargets(shared, plan.attendees.map((a) => a.stack)) };
}

async function runPrepare(scenario: string, options: PrepareOptions): Promise<void> {
  const selection = selectionOf(scenario, options);
  const r = loadRoom();
  if (options.attendees === undefined) throw new UsageError("workshop prepare needs --attendees <n>");
  if (!/^\d+$/.test(options.attendees.trim())) throw new UsageError(`--attendees ${JSON.stringify(options.attendees)}: a whole number from 1 to ${r.MAX_ATTENDEES}`);
  const names = r.attendeeNames(Number(options.attendees), options.prefix ?? "a");
  const concurrency = r.concurrencyOf(options.concurrency, DEFAULT_CONCURRENCY);
  const hours = expiresInHours(options.expiresIn, r.WORKSHOP_EXPIRES_IN_HOURS);
  rejectWorkshopOverrides(selection);
  const d = loadDriver();
  const name = selection.scenarios[0];
  const { plan, targets, azure } = roomToPrepare(name, names, selection.overrides, hours);
  await d.withDriver(deployDriverOptions(targets.map((t) => t.stack), selection, { secretsProvider: options.secretsProvider, azure }), async (driver) => {
    const results = await d.prepareWorkshop(driver, plan, { overrides: selection.overrides, concurrency, policyPacks: options.policy ? [d.POLICY_DIR] : undefined });
    d.finish(driver, results, "workshop prepare", {
      json: selection.json,
      document: () => ({ operation: "workshop prepare", scenario: name, results: results.map(({ teardown: _t, ...rest }) => rest) }),
      lines: () => [
        ...resultLines(d, results),
        "",
        `Each attendee's key: scenarios outputs ${name} --stack ${plan.attendees[0].stack} --show-secrets (one stack at a time). Status: scenarios workshop status ${name}`,
      ],
    });
  });
}

/** `workshop status` reads stacks, deploys nothing: Pulumi and the passphrase, and the `state:` line every command on stacks prints. */
export function statusDriverOptions(scenario: string, json: boolean): DriverOptions {
  return { needs: ["pulumi", "secrets"], stacks: [loadRoom().sharedStackName(scenario)], json, saveRuns: false, showBackend: true };
}

async function runStatus(scenario: string, options: StatusOptions): Promise<void> {
  const selection = selectionOf(scenario, options);
  const r = loadRoom();
  if (options.prefix !== undefined && options.attendees === undefined) throw new UsageError("--prefix goes with --attendees <n>");
  if (!options.verify && (options.timeout !== undefined || options.attempts !== undefined)) throw new UsageError("--timeout and --attempts go with --verify");
  const expected = options.attendees === undefined ? [] : r.attendeeNames(Number(options.attendees), options.prefix ?? "a").map((a) => r.attendeeStackName(scenario, a));
  const verify = options.verify ? verifyOptionsFrom(options) : undefined;
  const d = loadDriver();
  const name = selection.scenarios[0];
  await d.withDriver(statusDriverOptions(name, selection.json), async (driver) => {
    const rows = await d.workshopStatus(driver, name, { expected, verify, concurrency: DEFAULT_CONCURRENCY });
    if (selection.json) d.printJson(d.statusDocument(name, rows));
    else for (const line of ["", ...d.statusTable(rows, { verify: Boolean(verify) }), "", d.statusSummary(name, rows)]) console.log(line);
    if (verify) {
      const failed = rows.filter((row) => row.role === "attendee" && row.verify && (row.verify.error || row.verify.passed < row.verify.total));
      if (failed.length) throw new d.CommandFailed(`verify failed for ${failed.map((row) => row.stack).join(", ")} (${failed.length} of ${rows.filter((row) => row.role === "attendee").length})`, driver.interrupt.interrupted);
    }
  });
}

async function runTeardown(scenario: string, options: TeardownOptions): Promise<void> {
  const selection = selectionOf(scenario, options);
  if (Object.keys(selection.overrides).length) throw new UsageError("--config applies to workshop prepare, not teardown");
  const r = loadRoom();
  const only = options.only?.split(",").map((s) => s.trim()).filter(Boolean);
  if (options.only !== undefined && !only?.length) throw new UsageError("--only needs attendee names and/or shared");
  if (only?.includes("shared") && options.keepShared) throw new UsageError("--only shared and --keep-shared contradict each other");
  const concurrency = r.concurrencyOf(options.concurrency, DEFAULT_CONCURRENCY);
  const d = loadDriver();
  const name = selection.scenarios[0];
  await d.withDriver(deployDriverOptions([r.sharedStackName(name)], selection, {}), async (driver) => {
    const results = await d.teardownWorkshop(driver, name, { only, keepShared: options.keepShared, purge: options.purge !== false, concurrency });
    if (!results.length) {
      process.stderr.write(`nothing to tear down: no stack of the ${name} workshop in the backend\n`);
      return;
    }
    d.finish(driver, results, "workshop teardown", {
      json: selection.json,
      document: () => ({
        operation: "workshop teardown",
        scenario: name,
        results: results.map(({ teardown: t, ...rest }) => ({ ...rest, ...(t ? { removed: t.removed, purge: t.purge, leftovers: t.leftovers } : {}) })),
      }),
      lines: () => [
        ...resultLines(d, results),
        ...results.flatMap((x) => (x.teardown?.leftovers ?? []).map((l) => `  left behind: ${l}`)),
        ...(results.some((x) => !x.ok) ? ["", "What is left carries the expires-at prepare gave it: run this again, or \"scenarios sweep\" after that time."] : []),
      ],
    });
  });
}
