/**
 * `scenarios workshop prepare | status | teardown` over the Automation API (issue 17 part 3, docs/workshop.md):
 * the shared stack first, then the attendee stacks at most `concurrency` at a time, under the same live display,
 * Ctrl-C handling and run reports as `up` and `compare` (they all run inside `openDriver`'s driver). Prepare
 * resumes: a stack whose latest operation is a successful update is left alone, any other is (re)deployed. An
 * update refused because the shared Azure OpenAI account was busy is run again after a wait (retry.ts).
 * Teardown destroys the attendee stacks, then the shared stack, and never the shared stack while an attendee
 * stack still reads it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StackSummary } from "@pulumi/pulumi/automation";
import type { ScenarioName } from "../../../config/schema";
import { sharedOutputProblems } from "../../plan/workshop-contract";
import { errorText, firstLine } from "../../shared/text";
import { emitFinished, emitMessage, type OperationRun, runOperation, type TeardownReport, teardown } from "../lifecycle/orchestrate";
import type { Driver } from "../lifecycle/session";
import type { StackOutputs } from "../stack/types";
import type { AutomationStackHandle, DriverWorkspace } from "../stack/workspace";
import type { VerifyOptions } from "../verify/verify";
import { verifyStack, type VerifyStackOptions, vnetOpener } from "../verify/verify-stack";
import { attendeeOfStack, latecomerRoomProblem, type PreparePlan, projectName, refuseSharedDestroy, sharedStackName, shortStackName, teardownPlan } from "./room";
import { DEFAULT_RETRY, resultText, type RetryPolicy, retryDelayMs, retryMessage, retryReason, waitUnlessAborted } from "./retry";
import { apiUrlOf, isUp, type LockState, type StatusRow } from "./status";

/** Runs at most `n` tasks at once, in the order they asked. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (running >= n) return;
    const start = queue.shift();
    if (start) {
      running++;
      start();
    }
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() =>
        task()
          .then(resolve, reject)
          .finally(() => {
            running--;
            next();
          }),
      );
      next();
    });
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * What is wrong with a shared stack's outputs for an attendee of `scenario`: the contract's checks
 * (automation/plan/workshop-contract.ts), and a shared stack of another topology.
 */
export function sharedStackProblems(scenario: string, outputs: StackOutputs): string[] {
  const problems = sharedOutputProblems(outputs);
  const topology = outputs.topology?.value;
  if (typeof topology === "string" && topology && topology !== scenario) problems.push(`the shared stack was built for ${topology}, not ${scenario}`);
  return problems;
}

/** The backend's stacks of this project by their short names (the names the workspace selects), with their summaries. */
async function existingStacks(workspace: DriverWorkspace): Promise<Map<string, StackSummary>> {
  return new Map((await workspace.listStacks()).map((s) => [shortStackName(s.name), s]));
}

/** Their short names alone. */
async function stackNames(workspace: DriverWorkspace): Promise<string[]> {
  return [...(await existingStacks(workspace)).keys()];
}

/**
 * Reads the shared stack's outputs through the Automation API and checks them; throws with every problem. With
 * `attendeeStack`, also whether the room still fits the shared APIM service with that stack in it.
 */
export async function checkSharedStack(workspace: DriverWorkspace, scenario: ScenarioName, shared: string, attendeeStack?: string): Promise<void> {
  const stacks = await stackNames(workspace);
  if (!stacks.includes(shared)) throw new Error(`the shared stack ${shared} does not exist in ${workspace.backend.url}; the host creates it with "scenarios workshop prepare ${scenario} --attendees <n>"`);
  const handle = await workspace.select(shared, scenario);
  const outputs = await handle.outputs();
  const problems = sharedStackProblems(scenario, outputs);
  if (problems.length) throw new Error(`the shared stack ${shared} is not ready for attendees: ${problems.join("; ")}`);
  const tooBig = attendeeStack && latecomerRoomProblem(scenario, outputs.apimSku?.value, stacks, attendeeStack);
  if (tooBig) throw new Error(tooBig);
}

/**
 * `destroy`: refuses (UsageError, exit 2) before destroying anything when a target is a workshop's shared stack
 * (`<scenario>-shared`) that attendee stacks in the backend still read; the same check as `workshop teardown`.
 */
export async function refuseSharedStackDestroy(workspace: DriverWorkspace, targets: readonly { scenario: string; stack: string }[]): Promise<void> {
  const shared = targets.filter((t) => t.stack === sharedStackName(t.scenario));
  if (!shared.length) return;
  const existing = await stackNames(workspace);
  for (const t of shared) refuseSharedDestroy(t.scenario, existing);
}

/** Whether an update holds a stack's lock. Pulumi Cloud says so in `stack ls`; a file backend keeps lock files. */
export function lockState(backendUrl: string, project: string, stack: string, summary?: Pick<StackSummary, "updateInProgress">): LockState {
  if (summary?.updateInProgress !== undefined) return summary.updateInProgress ? "held" : "free";
  if (!backendUrl.startsWith("file://")) return "unknown";
  // The DIY backend's lock files: <root>/.pulumi/locks/<organization>/<project>/<stack>/<lock id>.json
  // (pkg/backend/diy/lock.go, stackLockDir and lockPath; `organization` for project-scoped stacks).
  const root = backendUrl.slice("file://".length).replace(/^~(?=$|\/)/, os.homedir());
  const dir = path.join(root, ".pulumi", "locks", "organization", project, stack);
  try {
    return fs.readdirSync(dir).some((f) => f.endsWith(".json")) ? "held" : "free";
  } catch {
    return "free";
  }
}

export interface StackResult {
  ok: boolean;
  stack: string;
  attendee?: string;
  /** `up`, `left alone`, `failed`, `not started`, `destroyed`, `kept`. */
  status: string;
  /** Updates run by prepare, where more than one (a retried RequestConflict, retry.ts). */
  attempts?: number;
  durationMs?: number;
  apiUrl?: string;
  error?: string;
  teardown?: TeardownReport;
}

export interface PrepareOptions {
  overrides: Record<string, unknown>;
  concurrency: number;
  policyPacks?: string[];
  /** When a failed update is run again (retry.ts); DEFAULT_RETRY unless given (tests shorten the waits). */
  retry?: RetryPolicy;
  /** The jitter's source (tests). */
  random?: () => number;
}

async function isUpAlready(workspace: DriverWorkspace, existing: Map<string, StackSummary>, stack: string, scenario: ScenarioName): Promise<AutomationStackHandle | undefined> {
  if (!existing.has(stack)) return undefined;
  const handle = await workspace.select(stack, scenario);
  const last = await handle.lastOperation();
  return isUp({ exists: true, last: last && { kind: last.kind, result: last.result } }) ? handle : undefined;
}

export interface RetriedUpdate {
  /** The last update's run. */
  run: OperationRun;
  /** `succeeded`, `failed` or `cancelled` (Ctrl-C, during an update or a wait). */
  status: string;
  error?: string;
  attempts: number;
}

/**
 * A workshop stack's update, run again while it fails for a reason retry.ts retries (the shared Azure OpenAI
 * account busy with another deployment), waiting between updates; Ctrl-C ends a wait at once.
 */
export async function updateRetrying(
  handle: AutomationStackHandle,
  driver: Driver,
  options: { scenario: ScenarioName; policyPacks?: string[]; retry?: RetryPolicy; random?: () => number },
): Promise<RetriedUpdate> {
  const policy = options.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    const run = await runOperation(handle, "update", driver.ctx, { scenario: options.scenario, policyPacks: options.policyPacks, signal: driver.interrupt.operationSignal });
    if (run.result.status === "succeeded") return { run, status: "succeeded", attempts: attempt };
    const error = run.result.error ?? run.result.status;
    const reason = run.result.status === "failed" ? retryReason(error) : undefined;
    if (!reason || driver.interrupt.interrupted) return { run, status: run.result.status, error, attempts: attempt };
    if (attempt >= policy.attempts) return { run, status: run.result.status, error: `${reason.summary}, still after ${attempt} updates: ${error}`, attempts: attempt };
    const delay = retryDelayMs(attempt, policy, options.random);
    emitMessage(driver.ctx, handle.name, retryMessage(reason, attempt, policy, delay), "warning");
    if (!(await waitUnlessAborted(delay, driver.interrupt.signal))) {
      return { run, status: "cancelled", error: `interrupted while waiting to retry (${reason.summary})`, attempts: attempt };
    }
  }
}

/**
 * `prepare`: the shared stack (left alone when up, its outputs checked either way), then the attendee stacks,
 * `concurrency` at a time. Never throws for one stack's failure: every row's outcome is in the results.
 */
export async function prepareWorkshop(driver: Driver, plan: PreparePlan, options: PrepareOptions): Promise<StackResult[]> {
  const workspace = driver.workspace;
  if (!workspace) throw new Error("internal: no Pulumi workspace");
  const ctx = driver.ctx;
  const existing = await existingStacks(workspace);
  const sharedReady = deferred<string | undefined>();
  const limit = limiter(options.concurrency);
  const byStack = new Map(plan.attendees.map((a) => [a.stack, a]));

  const deploy = async (stack: string, settings: Record<string, string>): Promise<{ status: string; error?: string; durationMs?: number; handle?: AutomationStackHandle; attempts?: number }> => {
    const started = Date.now();
    const already = await isUpAlready(workspace, existing, stack, plan.scenario);
    if (already) {
      emitMessage(ctx, stack, "already up: left alone");
      return { status: "left alone", handle: already, durationMs: Date.now() - started };
    }
    if (driver.interrupt.interrupted) return { status: "not started", error: "interrupted before it started" };
    const handle = await workspace.prepare(stack, plan.scenario, options.overrides, settings);
    const u = await updateRetrying(handle, driver, { scenario: plan.scenario, policyPacks: options.policyPacks, retry: options.retry, random: options.random });
    const durationMs = Date.now() - started;
    if (u.status === "succeeded") return { status: "up", handle, durationMs, attempts: u.attempts };
    return { status: u.status, error: u.error, durationMs, attempts: u.attempts };
  };

  const finishRow = (r: StackResult): StackResult => {
    emitFinished(ctx, r.stack, r.ok, r.ok ? `${resultText(r)}${r.apiUrl ? `: ${r.apiUrl}` : ""}` : `${resultText(r)}: ${firstLine(r.error ?? "")}`);
    return r;
  };
  // Only where the stack was updated more than once: the final table and the JSON name the retries.
  const updates = (d: { attempts?: number }) => (d.attempts && d.attempts > 1 ? { attempts: d.attempts } : {});

  const work = async (stack: string): Promise<StackResult> => {
    if (stack === plan.shared.stack) {
      try {
        const d = await deploy(stack, plan.shared.settings);
        if (!d.handle) {
          sharedReady.resolve(`the shared stack ${stack} is not up (${d.status})`);
          return finishRow({ ok: false, stack, status: d.status, error: d.error, durationMs: d.durationMs, ...updates(d) });
        }
        const problems = sharedStackProblems(plan.scenario, await d.handle.outputs());
        if (problems.length) {
          sharedReady.resolve(`the shared stack ${stack} is not ready for attendees`);
          return finishRow({ ok: false, stack, status: "failed", error: problems.join("; "), durationMs: d.durationMs });
        }
        sharedReady.resolve(undefined);
        return finishRow({ ok: true, stack, status: d.status, durationMs: d.durationMs, ...updates(d) });
      } catch (e) {
        sharedReady.resolve(`the shared stack ${stack} failed`);
        return finishRow({ ok: false, stack, status: "failed", error: errorText(e) });
      }
    }
    const a = byStack.get(stack)!;
    const blocked = await sharedReady.promise;
    if (blocked) return finishRow({ ok: false, stack, attendee: a.attendee, status: "not started", error: blocked });
    return limit(async () => {
      try {
        const d = await deploy(stack, a.settings);
        if (!d.handle) return finishRow({ ok: false, stack, attendee: a.attendee, status: d.status, error: d.error, durationMs: d.durationMs, ...updates(d) });
        return finishRow({ ok: true, stack, attendee: a.attendee, status: d.status, durationMs: d.durationMs, apiUrl: apiUrlOf(await d.handle.outputs()), ...updates(d) });
      } catch (e) {
        return finishRow({ ok: false, stack, attendee: a.attendee, status: "failed", error: errorText(e) });
      }
    });
  };
  return driver.run([plan.shared.stack, ...plan.attendees.map((a) => a.stack)], work);
}

export interface StatusOptions {
  /** Attendee stacks expected (prepare's names), shown as rows even when they do not exist. */
  expected?: readonly string[];
  verify?: Partial<VerifyOptions>;
  concurrency: number;
  /** The way into an attendee stack's VNet for --verify (tests: over a simulated cloud); vnetOpener(driver) otherwise. */
  openVnet?: VerifyStackOptions["openVnet"];
}

/** `status`: the shared stack and every attendee stack in the backend (and any expected one), read in parallel. */
export async function workshopStatus(driver: Driver, scenario: ScenarioName, options: StatusOptions): Promise<StatusRow[]> {
  const workspace = driver.workspace;
  if (!workspace) throw new Error("internal: no Pulumi workspace");
  const existing = await existingStacks(workspace);
  const project = workspace.project.projectName ?? projectName(workspace.project.workDir);
  const shared = sharedStackName(scenario);
  const attendeeStacks = [...new Set([...[...existing.keys()].filter((s) => attendeeOfStack(scenario, s) !== undefined), ...(options.expected ?? [])])].sort();
  const limit = limiter(options.concurrency);
  const openVnet = options.openVnet ?? vnetOpener(driver);
  const read = (stack: string): Promise<StatusRow> =>
    limit(async () => {
      const attendee = attendeeOfStack(scenario, stack);
      const row: StatusRow = { stack, role: stack === shared ? "shared" : "attendee", ...(attendee && stack !== shared ? { attendee } : {}), exists: existing.has(stack), lock: "free" };
      const summary = existing.get(stack);
      if (!summary) return row;
      row.resources = summary.resourceCount;
      row.lock = lockState(workspace.backend.url, project, stack, summary);
      try {
        const handle = await workspace.select(stack, scenario);
        const last = await handle.lastOperation();
        if (last) row.last = { kind: last.kind, result: last.result, endedAt: last.endTime ? new Date(last.endTime).toISOString() : undefined };
        const outputs = row.role === "attendee" ? await handle.outputs() : undefined;
        if (outputs) row.apiUrl = apiUrlOf(outputs);
        if (options.verify && outputs) {
          if (!isUp(row)) row.verify = { passed: 0, total: 0, error: "the stack is not up" };
          else {
            try {
              const report = await verifyStack(handle, driver.ctx, { scenario, verify: options.verify, openVnet, outputs });
              row.verify = { passed: report.passed, total: report.results.length };
            } catch (e) {
              row.verify = { passed: 0, total: 0, error: firstLine(errorText(e)) };
            }
          }
        }
      } catch (e) {
        row.note = `could not read it: ${firstLine(errorText(e))}`;
      }
      return row;
    });
  return Promise.all([read(shared), ...attendeeStacks.map(read)]);
}

export interface TeardownOptions {
  only?: readonly string[];
  keepShared?: boolean;
  purge: boolean;
  concurrency: number;
}

/**
 * `teardown`: the attendee stacks at most `concurrency` at a time, then the shared stack once none is left.
 * Refuses (UsageError, exit 2) before destroying anything when asked for the shared stack alone while attendee
 * stacks read it; and at the end keeps the shared stack when an attendee stack could not be removed.
 */
export async function teardownWorkshop(driver: Driver, scenario: ScenarioName, options: TeardownOptions): Promise<StackResult[]> {
  const workspace = driver.workspace;
  if (!workspace) throw new Error("internal: no Pulumi workspace");
  const ctx = driver.ctx;
  const existing = await existingStacks(workspace);
  const plan = teardownPlan(scenario, [...existing.keys()], { only: options.only, keepShared: options.keepShared });
  const limit = limiter(options.concurrency);
  const attendeesDone = plan.attendees.map(() => deferred<boolean>());
  const rows = [...plan.attendees, ...(plan.shared ? [plan.shared] : [])];
  if (!rows.length) return [];

  const destroy = async (stack: string, attendee?: string): Promise<StackResult> => {
    const started = Date.now();
    const handle = await workspace.select(stack, scenario);
    const report = await teardown(handle, ctx, { scenario, purge: options.purge, remove: true });
    const r: StackResult = { ok: report.ok, stack, ...(attendee ? { attendee } : {}), status: report.ok ? "destroyed" : "failed", durationMs: Date.now() - started, teardown: report, ...(report.ok ? {} : { error: report.leftovers.join("; ") }) };
    emitFinished(ctx, stack, r.ok, r.ok ? "destroyed, stack removed" : firstLine(report.leftovers[0] ?? "failed"));
    return r;
  };

  const work = async (stack: string): Promise<StackResult> => {
    const i = plan.attendees.indexOf(stack);
    if (i >= 0) {
      const attendee = attendeeOfStack(scenario, stack);
      let r: StackResult;
      try {
        // A first Ctrl-C lets the teardowns that run finish (teardown's own rule) and starts no more.
        r = await limit(async () => (driver.interrupt.interrupted ? { ok: false, stack, attendee, status: "not started", error: "interrupted before it started" } : destroy(stack, attendee)));
        if (r.status === "not started") emitFinished(ctx, stack, false, r.error!);
      } catch (e) {
        r = { ok: false, stack, attendee, status: "failed", error: errorText(e) };
        emitFinished(ctx, stack, false, firstLine(r.error!));
      }
      attendeesDone[i].resolve(r.ok);
      return r;
    }
    await Promise.all(attendeesDone.map((d) => d.promise));
    const kept = (reason: string): StackResult => {
      emitFinished(ctx, stack, false, reason);
      return { ok: false, stack, status: "kept", error: reason };
    };
    if (driver.interrupt.interrupted) return kept("kept: interrupted before the shared stack's teardown");
    // Read the backend again: an attendee stack created since, or one that failed to go, still reads the shared stack.
    try {
      refuseSharedDestroy(scenario, await stackNames(workspace));
    } catch (e) {
      return kept(`kept: ${firstLine(errorText(e))}`);
    }
    try {
      return await destroy(stack);
    } catch (e) {
      return kept(`failed: ${firstLine(errorText(e))}`);
    }
  };
  return driver.run(rows, work);
}
