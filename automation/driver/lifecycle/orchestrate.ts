/**
 * The order of things, independent of how stacks are reached: operations with a recorded timeline and
 * live progress, teardown that leaves nothing (read state, destroy, purge soft-deleted resources, remove
 * the stack), ephemeral lifecycles whose teardown always runs, and parallel runs over several stacks.
 * Everything here talks to stacks only through `StackHandle` (types.ts).
 */
import { hostname } from "node:os";
import { purgeAll, purgeTargets } from "../cleanup/purge";
import { EventRecorder, type Recording } from "../report/recorder";
import { buildTimeline, managedByProvider, plainMessage, type Timeline } from "../report/timeline";
import { errorText, firstLine, nameFromUrn } from "../../shared/text";
import { withCertificateExplanation } from "../verify/certificate-errors";
import type { InterruptController } from "../interrupt/interrupt";
import type {
  EngineEvent,
  OperationResult,
  Phase,
  ProgressListener,
  PurgeResult,
  Purger,
  StackHandle,
  StackOperation,
} from "../stack/types";

export interface DriverContext {
  progress: ProgressListener;
  interrupt: InterruptController;
  /** Created on first use: purge needs Azure credentials, which tests and `preview` do not. */
  purger?: () => Promise<Purger>;
  /** Called after every operation (save the run report, write `--record` files). */
  onRun?: (run: OperationRun) => void | Promise<void>;
}

export interface OperationRun {
  stack: string;
  scenario?: string;
  result: OperationResult;
  recording: Recording;
  timeline: Timeline;
  durationMs: number;
}

export function emitPhase(ctx: DriverContext, stack: string, phase: Phase): void {
  ctx.progress({ stack, kind: "phase", phase, at: Date.now() });
}

export function emitMessage(ctx: DriverContext, stack: string, text: string, level: "info" | "warning" | "error" = "info"): void {
  ctx.progress({ stack, kind: "message", text, level, at: Date.now() });
}

/** Translates engine events into progress events (resource operations starting and ending, errors). */
export function eventProgress(stack: string, progress: ProgressListener): (event: EngineEvent) => void {
  return (event) => {
    const at = Date.now();
    if (event.resourcePreEvent) {
      const m = event.resourcePreEvent.metadata;
      if (m.op === "same" || !managedByProvider(m.type, (m.new ?? m.old)?.custom)) return;
      progress({ stack, kind: "resource-start", op: m.op, type: m.type, name: nameFromUrn(m.urn), urn: m.urn, at });
    } else if (event.resOutputsEvent) {
      const m = event.resOutputsEvent.metadata;
      if (m.op === "same" || !managedByProvider(m.type, (m.new ?? m.old)?.custom)) return;
      progress({ stack, kind: "resource-end", op: m.op, type: m.type, name: nameFromUrn(m.urn), urn: m.urn, ok: true, at });
    } else if (event.resOpFailedEvent) {
      const m = event.resOpFailedEvent.metadata;
      progress({ stack, kind: "resource-end", op: m.op, type: m.type, name: nameFromUrn(m.urn), urn: m.urn, ok: false, at });
    } else if (event.diagnosticEvent?.severity === "error") {
      const text = plainMessage(event.diagnosticEvent.message);
      if (text) progress({ stack, kind: "message", text: withCertificateExplanation(text, event.diagnosticEvent.urn), level: "error", at });
    }
  };
}

type OperationName = Extract<StackOperation, "update" | "preview" | "destroy">;

const PHASE_OF: Record<OperationName, Phase> = { update: "up", preview: "preview", destroy: "destroy" };

/** Runs one operation, recording its events; never throws (a failure is in `result`). */
export async function runOperation(
  handle: StackHandle,
  operation: OperationName,
  ctx: DriverContext,
  options: { scenario?: string; policyPacks?: string[]; signal?: AbortSignal; clearPendingCreates?: boolean } = {},
): Promise<OperationRun> {
  emitPhase(ctx, handle.name, PHASE_OF[operation]);
  const recorder = new EventRecorder(handle.name, operation, options.scenario);
  const progress = eventProgress(handle.name, ctx.progress);
  const onEvent = (e: EngineEvent) => {
    recorder.record(e);
    progress(e);
  };
  const opts = { onEvent, signal: options.signal, policyPacks: options.policyPacks, clearPendingCreates: options.clearPendingCreates };
  let result: OperationResult;
  try {
    result =
      operation === "update" ? await handle.up(opts) : operation === "preview" ? await handle.preview(opts) : await handle.destroy(opts);
  } catch (e) {
    const cancelled = Boolean(options.signal?.aborted) || ctx.interrupt.interrupted;
    result = { operation, status: cancelled ? "cancelled" : "failed", changes: {}, error: errorText(e) };
  }
  const recording = recorder.toRecording();
  const run: OperationRun = {
    stack: handle.name,
    scenario: options.scenario,
    result,
    recording,
    timeline: buildTimeline(recording),
    durationMs: recorder.elapsedMs(),
  };
  try {
    await ctx.onRun?.(run);
  } catch (e) {
    emitMessage(ctx, handle.name, `could not save the run report: ${errorText(e)}`, "warning");
  }
  return run;
}

export interface TeardownOptions {
  scenario?: string;
  purge: boolean;
  remove: boolean;
  /** After a cancelled or failed update: drop pending creates from the state before destroying. */
  clearPendingCreates?: boolean;
}

export interface TeardownReport {
  stack: string;
  destroy?: OperationRun;
  purge: PurgeResult[];
  removed: boolean;
  durationMs: number;
  /** What may remain (in Azure or the state backend) and what to do about it; empty when nothing does. */
  leftovers: string[];
  ok: boolean;
}

export interface LockHolder {
  user: string;
  host: string;
  pid: number;
}

/** The holders a self-managed backend names in its lock error: `<url>: created by user@host (pid N) at <time>`. */
export function lockHolders(text: string): LockHolder[] {
  return [...text.matchAll(/created by (\S+?)@(\S+) \(pid (\d+)\)/g)].map((m) => ({ user: m[1], host: m[2], pid: Number(m[3]) }));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether a lock is provably left by a dead process: every holder ran on this machine and is gone. On a
 * shared backend (azblob://, s3://) the holder may be a colleague's update still running; cancelling it
 * (`pulumi cancel` deletes the lock) would let two updates write one state.
 */
export function isStaleLock(text: string, here: { host: string; alive: (pid: number) => boolean } = { host: hostname(), alive: pidAlive }): boolean {
  const holders = lockHolders(text);
  return holders.length > 0 && holders.every((h) => h.host === here.host && !here.alive(h.pid));
}

const PENDING = /pending operations?|pending create/i;
const LOCKED = /locked|currently (?:in progress|being updated)|another update|ConcurrentUpdateError|conflict: Another update/i;

/**
 * Destroy, purge, remove: the names of soft-deletable resources are read from the state first (they are
 * gone from it after destroy), purge runs even when destroy failed (whatever was deleted gets purged), and
 * the stack is removed only when destroy succeeded (its state is how to retry). Runs through a first
 * Ctrl-C; a second one cancels it.
 */
export async function teardown(handle: StackHandle, ctx: DriverContext, options: TeardownOptions): Promise<TeardownReport> {
  const started = Date.now();
  const leftovers: string[] = [];
  const signal = ctx.interrupt.forceSignal;

  let targets: ReturnType<typeof purgeTargets> = [];
  try {
    targets = purgeTargets(await handle.resources());
  } catch (e) {
    leftovers.push(`could not read the state of ${handle.name} before destroying (${errorText(e)}): soft-deleted APIM / Azure OpenAI names unknown, nothing purged`);
  }

  const retry = destroyHint(handle.name, options.scenario, options.remove);
  if (signal.aborted) {
    // A second Ctrl-C came before the teardown started: abandon it, and say what is left.
    leftovers.push(`resources of ${handle.name} remain (teardown abandoned after a second Ctrl-C); run "${retry}", or "${SWEEP_HINT}" once its expires-at has passed`);
    return { stack: handle.name, purge: [], removed: false, durationMs: Date.now() - started, leftovers, ok: false };
  }
  let destroy = await runOperation(handle, "destroy", ctx, { scenario: options.scenario, signal, clearPendingCreates: options.clearPendingCreates });
  const locked = destroy.result.status === "failed" && LOCKED.test(destroy.result.error ?? "");
  if (locked && !isStaleLock(destroy.result.error ?? "")) {
    const holders = lockHolders(destroy.result.error ?? "");
    emitMessage(ctx, handle.name, `the stack is locked by ${holders.length ? holders.map((h) => `${h.user}@${h.host} (pid ${h.pid})`).join(", ") : "another update"}, which may still be running: not cancelling it`, "warning");
  }
  if (locked && isStaleLock(destroy.result.error ?? "") && !signal.aborted) {
    // A previous update of this stack died without releasing its lock (e.g. a killed process).
    emitMessage(ctx, handle.name, "the stack is locked by an update that is no longer running; cancelling it and retrying destroy", "warning");
    try {
      await handle.cancel();
      destroy = await runOperation(handle, "destroy", ctx, { scenario: options.scenario, signal, clearPendingCreates: true });
    } catch (e) {
      emitMessage(ctx, handle.name, `cancel failed: ${errorText(e)}`, "error");
    }
  }
  if (destroy.result.status === "failed" && PENDING.test(destroy.result.error ?? "") && !options.clearPendingCreates && !signal.aborted) {
    // An earlier update was interrupted mid-create: clear its pending operations and try again.
    emitMessage(ctx, handle.name, "the state has pending operations from an interrupted update; clearing them and retrying destroy", "warning");
    destroy = await runOperation(handle, "destroy", ctx, { scenario: options.scenario, signal, clearPendingCreates: true });
  }
  const destroyed = destroy.result.status === "succeeded";
  if (!destroyed) {
    leftovers.push(
      `resources of ${handle.name} may remain (destroy ${destroy.result.status}${destroy.result.error ? `: ${firstLine(destroy.result.error)}` : ""}); ` +
        `run "${retry}" again, or "${SWEEP_HINT}" once its expires-at has passed`,
    );
  }

  let purge: PurgeResult[] = [];
  if (options.purge && targets.length) {
    emitPhase(ctx, handle.name, "purge");
    try {
      if (!ctx.purger) throw new Error("no purger configured");
      purge = await purgeAll(await ctx.purger(), targets, signal);
    } catch (e) {
      purge = targets.map((target) => ({ target, status: "failed" as const, error: errorText(e) }));
    }
    for (const p of purge) {
      if (p.status === "failed") leftovers.push(`${p.target.kind === "apim" ? "APIM service" : "Azure OpenAI account"} ${p.target.name} may stay soft-deleted (purge failed: ${firstLine(p.error ?? "")})`);
    }
  }

  let removed = false;
  if (options.remove && destroyed && signal.aborted) {
    // The engine lets in-flight deletes finish after a SIGINT, so destroy may well succeed; the stack stays.
    leftovers.push(`stack ${handle.name} was destroyed but not removed (teardown abandoned after a second Ctrl-C); run "${retry}"`);
  }
  if (options.remove && destroyed && !signal.aborted) {
    emitPhase(ctx, handle.name, "remove");
    try {
      await handle.remove();
      removed = true;
    } catch (e) {
      leftovers.push(`stack ${handle.name} was destroyed but not removed (${firstLine(errorText(e))}); remove it with "pulumi stack rm ${handle.name}"`);
    }
  }
  return { stack: handle.name, destroy, purge, removed, durationMs: Date.now() - started, leftovers, ok: leftovers.length === 0 };
}

export const SWEEP_HINT = "scenarios sweep";

/** The command that retries a teardown; `--stack` needs its scenario (checked against the CLI's parser in tests). */
export function destroyHint(stack: string, scenario: string | undefined, remove: boolean): string {
  if (!scenario) return `pulumi destroy --stack ${stack}`;
  return `scenarios destroy ${scenario}${stack === scenario ? "" : ` --stack ${stack}`}${remove ? " --remove" : ""}`;
}

export interface LifecycleOptions<T = unknown> {
  scenario: string;
  policyPacks?: string[];
  purge?: boolean;
  /** Judges the body's value: a message when it is a failure (the value is kept either way). */
  check?: (value: T) => string | undefined;
}

export interface BodyOutcome<T> {
  ok: boolean;
  value?: T;
  error?: string;
  durationMs: number;
}

export interface LifecycleResult<T> {
  stack?: string;
  scenario: string;
  up?: OperationRun;
  body?: BodyOutcome<T>;
  teardown?: TeardownReport;
  interrupted: boolean;
  ok: boolean;
  /** The first thing that went wrong. */
  error?: string;
}

/**
 * An ephemeral stack's whole life: create, up, `body` (skipped when up did not succeed or after Ctrl-C),
 * and, always, teardown with purge and removal. Never throws; every outcome is in the result.
 */
export async function runEphemeralLifecycle<T>(
  create: () => Promise<StackHandle>,
  ctx: DriverContext,
  options: LifecycleOptions<T>,
  body?: (handle: StackHandle, up: OperationRun) => Promise<T>,
): Promise<LifecycleResult<T>> {
  const result: LifecycleResult<T> = { scenario: options.scenario, interrupted: false, ok: false };
  let handle: StackHandle;
  try {
    handle = await create();
  } catch (e) {
    result.error = `creating the stack failed: ${errorText(e)}`;
    result.interrupted = ctx.interrupt.interrupted;
    return result;
  }
  result.stack = handle.name;
  try {
    if (ctx.interrupt.interrupted) throw new Error("interrupted before the update started");
    result.up = await runOperation(handle, "update", ctx, { scenario: options.scenario, policyPacks: options.policyPacks, signal: ctx.interrupt.operationSignal });
    if (result.up.result.status !== "succeeded") {
      result.error = `up ${result.up.result.status}${result.up.result.error ? `: ${firstLine(result.up.result.error)}` : ""}`;
    } else if (body) {
      if (ctx.interrupt.interrupted) throw new Error("interrupted before verification");
      const started = Date.now();
      try {
        const value = await body(handle, result.up);
        const problem = options.check?.(value);
        result.body = { ok: !problem, value, durationMs: Date.now() - started, ...(problem ? { error: problem } : {}) };
        if (problem) result.error = problem;
      } catch (e) {
        result.body = { ok: false, error: errorText(e), durationMs: Date.now() - started };
        result.error = errorText(e);
      }
    }
  } catch (e) {
    result.error = errorText(e);
  } finally {
    result.teardown = await teardown(handle, ctx, {
      scenario: options.scenario,
      purge: options.purge ?? true,
      remove: true,
      clearPendingCreates: result.up?.result.status !== "succeeded",
    });
  }
  result.interrupted = ctx.interrupt.interrupted;
  if (result.interrupted && !result.error) result.error = "interrupted";
  if (!result.error && !result.teardown.ok) result.error = `teardown left things behind: ${result.teardown.leftovers.join("; ")}`;
  result.ok = !result.error;
  emitFinished(ctx, handle.name, result.ok, result.ok ? "up, checked and torn down" : (result.error ?? "failed"));
  return result;
}

export function emitFinished(ctx: DriverContext, stack: string, ok: boolean, summary: string): void {
  ctx.progress({ stack, kind: "finished", ok, summary, at: Date.now() });
}

/** Runs `fn` for every item at once; a failure of one never stops the others. */
export async function inParallel<I, R>(items: I[], fn: (item: I) => Promise<R>): Promise<R[]> {
  return Promise.all(items.map((item) => fn(item)));
}

