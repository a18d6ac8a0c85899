/**
 * Workshop mode's rules as plain functions (issue 17 part 3, docs/workshop.md): stack names, the settings each
 * stack gets (the contract in /work/shared/DESIGN.md's terms: `workshopRole`, `attendee`, `sharedStack`),
 * what `up --shared` and `workshop teardown` refuse, and what the room's preflight asks of the subscription.
 * No Pulumi, no Azure: the commands (automation/commands/workshop.ts, up.ts) and the driver (workshop.ts) use them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICY_SUPPORT } from "../../../components/policy-support";
import { PROJECT_DIR } from "../../../config/load";
import { roomFitProblem } from "../../../config/apim-limits";
import { APIM_SKUS, type ApimSku, type ScenarioName } from "../../../config/schema";
import { expiresInHours, UsageError } from "../../cli-common";
import { sharedStackReference } from "../../plan/workshop-contract";
import type { AzureTarget } from "../preflight/preflight-azure";
import { isValidStackName } from "../stack/env";

/** An attendee's name, as the contract has it: a lowercase letter, then lowercase letters or digits, at most 12. */
export const ATTENDEE_NAME = /^[a-z][a-z0-9]{0,11}$/;
/** The settings workshop mode writes; `--config` may not set them beside `--shared` or `workshop`. */
export const WORKSHOP_KEYS = ["workshopRole", "attendee", "sharedStack"] as const;
/** Attendees in one `prepare`: a choice (a room, not a conference); the estimate takes any number. */
export const MAX_ATTENDEES = 99;

export const sharedStackName = (scenario: string) => `${scenario}-shared`;
export const attendeeStackName = (scenario: string, attendee: string) => `${scenario}-${attendee}`;

/** `--attendees N --prefix a`: a01 … aNN, numbered with as many digits as N needs (at least two). */
export function attendeeNames(count: number, prefix = "a"): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_ATTENDEES) throw new UsageError(`--attendees ${count}: a whole number from 1 to ${MAX_ATTENDEES}`);
  if (!/^[a-z][a-z0-9]*$/.test(prefix)) throw new UsageError(`--prefix ${JSON.stringify(prefix)}: a lowercase letter, then lowercase letters or digits`);
  const width = Math.max(2, String(count).length);
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, "0")}`);
  const long = names.find((n) => !ATTENDEE_NAME.test(n));
  if (long) throw new UsageError(`--prefix ${JSON.stringify(prefix)}: attendee names such as ${long} would be longer than 12 characters`);
  return names;
}

/** The attendee an attendee stack belongs to (`<scenario>-<attendee>`), or undefined for any other stack name. */
export function attendeeOfStack(scenario: string, stack: string): string | undefined {
  const prefix = `${scenario}-`;
  if (!stack.startsWith(prefix)) return undefined;
  const rest = stack.slice(prefix.length);
  return rest !== "shared" && ATTENDEE_NAME.test(rest) ? rest : undefined;
}

/** The project's name in Pulumi.yaml: the middle part of a fully qualified stack name. */
export function projectName(dir = PROJECT_DIR): string {
  const { parse } = require("yaml") as typeof import("yaml");
  const doc = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { name?: string };
  if (!doc?.name) throw new Error(`no project name in ${path.join(dir, "Pulumi.yaml")}`);
  return doc.name;
}

/**
 * The `sharedStack` setting: the name a StackReference takes. A name with slashes is taken as already
 * qualified (`<organization>/<project>/<stack>`, the form Pulumi Cloud needs); a plain stack name is qualified
 * for the backend in use by `sharedStackReference`.
 */
export function qualifiedShared(shared: string, backendUrl: string, project: string): string {
  if (shared.includes("/")) {
    const parts = shared.split("/");
    if (parts.length !== 3 || parts.some((p) => !p) || !isValidStackName(parts[2])) throw new UsageError(`--shared ${JSON.stringify(shared)}: a stack name, or <organization>/<project>/<stack>`);
    return shared;
  }
  if (!isValidStackName(shared)) throw new UsageError(`--shared ${JSON.stringify(shared)}: use letters, digits, ".", "-" and "_" (up to 100 characters)`);
  try {
    return sharedStackReference(backendUrl, project, shared);
  } catch (e) {
    throw new UsageError(`--shared ${shared}: ${(e as Error).message} (give --shared <organization>/${project}/${shared})`);
  }
}

/** The last part of a (possibly qualified) stack name: the stack the workspace selects. */
export const shortStackName = (name: string) => name.split("/").pop()!;

export interface AttendeeUpInput {
  scenarios: readonly string[];
  stack?: string;
  shared?: string;
  attendee?: string;
  /** `--expires-in <hours>`: as workshop prepare's (default 24). */
  expiresIn?: string;
  overrides: Record<string, unknown>;
  backendUrl: string;
  project: string;
  /** The clock expiresAt counts from (tests). */
  now?: Date;
}

export interface AttendeeUp {
  scenario: string;
  stack: string;
  /** The shared stack's own (short) name, for reading its outputs. */
  sharedStack: string;
  /** The settings the attendee stack gets besides its scenario's. */
  settings: { workshopRole: "attendee"; attendee: string; sharedStack: string; scenario: string; expiresAt: string };
}

/**
 * `up --shared`: the attendee stack and its settings, or undefined without `--shared`. Refuses, with one line
 * each (exit 2), the combinations that cannot make an attendee stack.
 */
export function attendeeUp(input: AttendeeUpInput): AttendeeUp | undefined {
  const { scenarios, stack, shared, attendee, overrides } = input;
  if (shared === undefined) {
    if (attendee !== undefined) throw new UsageError("--attendee needs --shared <scenario>-shared: it names the attendee of a workshop stack");
    if (input.expiresIn !== undefined) throw new UsageError("--expires-in goes with --shared: ordinary stacks do not expire");
    return undefined;
  }
  if (scenarios.length !== 1) throw new UsageError("--shared deploys one attendee stack: give exactly one scenario with it");
  const scenario = scenarios[0];
  if (stack === undefined) throw new UsageError(`--shared needs --stack ${scenario}-<attendee>: the scenario's own stack ${scenario} is a whole deployment, not an attendee's`);
  const set = WORKSHOP_KEYS.filter((k) => k in overrides);
  if (set.length) throw new UsageError(`--config ${set.join(", ")}: set by --shared and --attendee, not by --config`);
  if ("expiresAt" in overrides) throw new UsageError("--config expiresAt: set by --shared (use --expires-in)");
  const hours = expiresInHours(input.expiresIn, WORKSHOP_EXPIRES_IN_HOURS);
  const sharedShort = shortStackName(shared);
  if (stack === sharedShort) throw new UsageError(`--stack ${stack} is the shared stack itself: an attendee stack needs a name of its own, such as ${scenario}-a01`);
  const who = attendee ?? attendeeOfStack(scenario, stack);
  if (who === undefined) throw new UsageError(`--stack ${stack}: name it ${scenario}-<attendee> (a lowercase letter, then up to 11 lowercase letters or digits), or give --attendee <name>`);
  if (!ATTENDEE_NAME.test(who)) throw new UsageError(`--attendee ${JSON.stringify(who)}: a lowercase letter, then up to 11 lowercase letters or digits`);
  const named = attendeeOfStack(scenario, stack);
  if (attendee !== undefined && named !== undefined && named !== attendee) throw new UsageError(`--attendee ${attendee} does not match --stack ${stack} (attendee ${named}): give one or make them agree`);
  const sharedStack = qualifiedShared(shared, input.backendUrl, input.project);
  return { scenario, stack, sharedStack: sharedShort, settings: { workshopRole: "attendee", attendee: who, sharedStack, scenario, expiresAt: (require("../stack/workspace") as typeof import("../stack/workspace")).expiresAtFromNow(hours, input.now) } };
}

/** What `prepare` deploys: the shared stack, then one stack per attendee, with the settings each gets. */
export interface PreparePlan {
  scenario: ScenarioName;
  shared: { stack: string; settings: Record<string, string> };
  attendees: { attendee: string; stack: string; settings: Record<string, string> }[];
}

export function preparePlan(scenario: ScenarioName, attendees: readonly string[], options: { backendUrl: string; project: string; expiresAt: string }): PreparePlan {
  const shared = sharedStackName(scenario);
  const sharedStack = sharedStackReference(options.backendUrl, options.project, shared);
  return {
    scenario,
    shared: { stack: shared, settings: { scenario, workshopRole: "shared", expiresAt: options.expiresAt } },
    attendees: attendees.map((attendee) => ({
      attendee,
      stack: attendeeStackName(scenario, attendee),
      settings: { scenario, workshopRole: "attendee", attendee, sharedStack, expiresAt: options.expiresAt },
    })),
  };
}

/**
 * `--expires-in` of prepare and `up --shared` when not given: a workshop is often prepared the day before. Every
 * workshop stack gets `expiresAt` that many hours from now, as ephemeral stacks get it
 * (automation/driver/stack/workspace.ts expiresAtFromNow), so that `scenarios sweep` removes what a teardown left.
 */
export const WORKSHOP_EXPIRES_IN_HOURS = 24;

/** `--concurrency <n>`: attendee stacks deployed or destroyed at once. */
export function concurrencyOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 20) throw new UsageError(`--concurrency ${JSON.stringify(value)}: a whole number from 1 to 20`);
  return n;
}

/** The stacks in the backend that read `<scenario>-shared`: the room's attendee stacks, `<scenario>-<attendee>`. */
export function sharedStackReaders(scenario: string, existing: readonly string[]): string[] {
  return existing.filter((s) => attendeeOfStack(scenario, s) !== undefined).sort();
}

/**
 * `up --shared` for an attendee stack the room does not have yet: refused when the room would outgrow what the
 * shared APIM service holds (config/apim-limits.ts), counting the attendee stacks in the backend and this one.
 */
export function latecomerRoomProblem(scenario: string, apimSku: unknown, existing: readonly string[], stack: string): string | undefined {
  if (!(APIM_SKUS as readonly unknown[]).includes(apimSku)) return undefined;
  const room = new Set([...sharedStackReaders(scenario, existing), stack]);
  const problem = roomFitProblem(apimSku as ApimSku, room.size);
  return problem && `${stack}: ${problem}; ${sharedStackName(scenario)} already has ${room.size - 1} attendee stacks`;
}

/**
 * The one check before the shared stack is destroyed, by `workshop teardown` and by `destroy --stack
 * <scenario>-shared`: refuses (one line, exit 2) while attendee stacks read it, other than those `goingFirst`
 * (torn down earlier in the same run). They would be left pointing at nothing.
 */
export function refuseSharedDestroy(scenario: string, existing: readonly string[], goingFirst: readonly string[] = []): void {
  const left = sharedStackReaders(scenario, existing).filter((s) => !goingFirst.includes(s));
  if (left.length) throw new UsageError(`refusing to destroy ${sharedStackName(scenario)} while attendee stacks read it: ${left.join(", ")}; tear them down first or in the same run (scenarios workshop teardown ${scenario})`);
}

export interface TeardownPlan {
  /** Attendee stacks to destroy, in parallel. */
  attendees: string[];
  /** The shared stack, destroyed after every attendee stack is gone; undefined when kept. */
  shared?: string;
}

/**
 * Which stacks `teardown` destroys. `only` (attendee names, or `shared`) narrows it; without it, every attendee
 * stack in the backend and then the shared stack. The shared stack is refused while attendee stacks exist that
 * this run does not tear down: they read it, and would be left pointing at nothing.
 */
export function teardownPlan(scenario: string, existing: readonly string[], options: { only?: readonly string[]; keepShared?: boolean } = {}): TeardownPlan {
  const shared = sharedStackName(scenario);
  const attendeeStacks = sharedStackReaders(scenario, existing);
  const sharedExists = existing.includes(shared);
  if (!options.only?.length) return { attendees: attendeeStacks, shared: sharedExists && !options.keepShared ? shared : undefined };
  const wantShared = options.only.includes("shared");
  if (wantShared && options.keepShared) throw new UsageError("--only shared and --keep-shared contradict each other");
  const unknown = options.only.filter((n) => n !== "shared" && !ATTENDEE_NAME.test(n));
  if (unknown.length) throw new UsageError(`--only ${unknown.join(",")}: attendee names (lowercase letter first, then letters or digits) or "shared"`);
  const attendees = options.only.filter((n) => n !== "shared").map((n) => attendeeStackName(scenario, n));
  const missing = attendees.filter((s) => !existing.includes(s));
  if (missing.length) throw new UsageError(`no stack ${missing.join(", ")} in the backend; "scenarios workshop status ${scenario}" lists the stacks`);
  if (wantShared) {
    refuseSharedDestroy(scenario, existing, attendees);
    if (!sharedExists) throw new UsageError(`no stack ${shared} in the backend`);
  }
  return { attendees, shared: wantShared ? shared : undefined };
}

/**
 * Whether the attendees share one model deployment (a token limit per subscription) or get one each: the
 * program's rule (scenarios/workshop.ts modelSharing, which the shared stack exports and the estimate reads),
 * shared where the tier runs azure-openai-token-limit; here without loading the program.
 */
export function roomModelMode(apimSku: ApimSku): "shared" | "per-attendee" {
  return (POLICY_SUPPORT["azure-openai-token-limit"].tiers as readonly ApimSku[]).includes(apimSku) ? "shared" : "per-attendee";
}

/**
 * The room as the subscription checks see it (preflight-azure.ts sums demands over targets): the shared stack
 * with its APIM, cluster, account and (shared mode) the one deployment; where the model is per attendee, one
 * target per attendee that needs only its deployment's capacity (no nodes: the cluster is the shared stack's).
 */
export function roomTargets(shared: AzureTarget, attendeeStacks: readonly string[]): AzureTarget[] {
  if (roomModelMode(shared.config.apimSku) === "shared") return [shared];
  // Per attendee, the shared stack holds the account but no deployment (docs/workshop.md, "The model").
  return [{ ...shared, config: { ...shared.config, openAiModelCapacity: 0 } }, ...attendeeStacks.map((stack) => attendeeTarget({ ...shared, stack }))];
}

/**
 * An attendee stack as the subscription checks see it: no nodes (the cluster is the shared stack's), and model
 * capacity only where each attendee gets a deployment of its own.
 */
export function attendeeTarget(target: AzureTarget): AzureTarget {
  const perAttendee = roomModelMode(target.config.apimSku) === "per-attendee";
  return { ...target, config: { ...target.config, aksNodeCount: 0, ...(perAttendee ? {} : { openAiModelCapacity: 0 }) } };
}
