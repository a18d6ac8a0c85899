/**
 * Turns an engine-event stream (with arrival offsets) into a per-resource timeline and totals: when each
 * resource operation started (`resourcePreEvent`) and ended (`resOutputsEvent`, or `resOpFailedEvent`).
 */
import type { RecordedEvent, Recording } from "./recorder";
import type { StackOperation } from "../stack/types";
import { nameFromUrn } from "../../shared/text";

export interface TimelineEntry {
  urn: string;
  type: string;
  name: string;
  op: string;
  /** Managed by a provider (false for components, which only group their children). */
  custom: boolean;
  parent?: string;
  startMs: number;
  endMs?: number;
  durationMs?: number;
  status: "done" | "failed" | "incomplete";
  error?: string;
}

/**
 * Whether an entry is a resource a provider manages (counted, drawn, timed). The engine omits
 * `custom: false` (Go omitempty): missing means a component. Provider instances
 * (`pulumi:providers:<pkg>`, e.g. a program's default providers) are custom to the engine but are not
 * cloud resources: the real engine reports their create and delete like any other.
 */
export function managedByProvider(type: string, custom: boolean | undefined): boolean {
  return custom === true && !type.startsWith("pulumi:providers:");
}

export interface TypeTotal {
  type: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

export type RunStatus = "succeeded" | "failed" | "incomplete";

export interface TimelineTotals {
  status: RunStatus;
  /** From the first to the last event this process saw. */
  wallMs: number;
  /** The engine's own duration (whole seconds), from its summary event. */
  engineSeconds?: number;
  /** The engine's summary of changes (`create: 12, same: 3`). */
  changes: Record<string, number>;
  /** Resource operations that did something (not `same`), on provider-managed resources. */
  operations: number;
  failed: number;
  incomplete: number;
  /** Most resource operations in flight at once. */
  peakConcurrency: number;
  /** Longest operations first. */
  slowest: TimelineEntry[];
  byType: TypeTotal[];
}

export interface Timeline {
  stack: string;
  scenario?: string;
  operation: StackOperation;
  startedAt: string;
  synthetic: boolean;
  /** Every resource operation, in the order they started. */
  entries: TimelineEntry[];
  totals: TimelineTotals;
  /** Error diagnostics without a resource, and policy violations. */
  errors: string[];
}

/** Operations that do not change anything; kept in entries, left out of the Gantt chart and totals. */
export const NO_OP = new Set(["same", "read", "refresh", "discard"]);


/** Removes Pulumi's colour markup (`<{%reset%}>`) and ANSI escapes from engine messages. */
export function plainMessage(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*m/g, "").trim();
}

export function buildTimeline(recording: Pick<Recording, "stack" | "scenario" | "operation" | "startedAt" | "synthetic" | "events">): Timeline {
  const open = new Map<string, TimelineEntry>();
  const entries: TimelineEntry[] = [];
  const errors: string[] = [];
  const lastErrorByUrn = new Map<string, string>();
  let summary: { durationSeconds?: number; resourceChanges?: Record<string, number> } | undefined;
  let sawFailure = false;
  const events: RecordedEvent[] = recording.events;
  const first = events.length ? events[0].offsetMs : 0;
  const last = events.length ? events[events.length - 1].offsetMs : 0;

  for (const { offsetMs, event } of events) {
    const at = offsetMs - first;
    if (event.resourcePreEvent) {
      const m = event.resourcePreEvent.metadata;
      const state = m.new ?? m.old;
      const entry: TimelineEntry = {
        urn: m.urn,
        type: m.type,
        name: nameFromUrn(m.urn),
        op: m.op,
        custom: managedByProvider(m.type, state?.custom),
        parent: state?.parent || undefined,
        startMs: at,
        status: "incomplete",
      };
      open.set(key(m.op, m.urn), entry);
      entries.push(entry);
    } else if (event.resOutputsEvent) {
      const m = event.resOutputsEvent.metadata;
      const entry = open.get(key(m.op, m.urn));
      if (entry) {
        close(entry, at, "done");
        open.delete(key(m.op, m.urn));
      }
    } else if (event.resOpFailedEvent) {
      sawFailure = true;
      const m = event.resOpFailedEvent.metadata;
      const entry = open.get(key(m.op, m.urn));
      if (entry) {
        close(entry, at, "failed");
        entry.error = lastErrorByUrn.get(m.urn);
        open.delete(key(m.op, m.urn));
      }
    } else if (event.diagnosticEvent && event.diagnosticEvent.severity === "error") {
      sawFailure = true;
      const message = plainMessage(event.diagnosticEvent.message);
      if (event.diagnosticEvent.urn) {
        lastErrorByUrn.set(event.diagnosticEvent.urn, message);
        const failed = entries.filter((e) => e.urn === event.diagnosticEvent!.urn).at(-1);
        if (failed && failed.status !== "done") failed.error = message;
        else if (!failed) errors.push(message);
      } else if (message) {
        errors.push(message);
      }
    } else if (event.policyEvent && event.policyEvent.enforcementLevel === "mandatory") {
      sawFailure = true;
      errors.push(`policy ${event.policyEvent.policyPackName}/${event.policyEvent.policyName}: ${plainMessage(event.policyEvent.message)}`);
    } else if (event.summaryEvent) {
      summary = { durationSeconds: event.summaryEvent.durationSeconds, resourceChanges: event.summaryEvent.resourceChanges as Record<string, number> };
    }
  }
  // Whatever is still open when the stream ends never finished (cancelled, or the process died).
  for (const entry of open.values()) entry.endMs = undefined;

  const counted = entries.filter((e) => e.custom && !NO_OP.has(e.op));
  const status: RunStatus = sawFailure || counted.some((e) => e.status === "failed") ? "failed" : summary ? "succeeded" : "incomplete";
  return {
    stack: recording.stack,
    scenario: recording.scenario,
    operation: recording.operation,
    startedAt: recording.startedAt,
    synthetic: recording.synthetic,
    entries,
    errors,
    totals: {
      status,
      wallMs: last - first,
      engineSeconds: summary?.durationSeconds,
      changes: summary?.resourceChanges ?? countChanges(entries),
      operations: counted.length,
      failed: counted.filter((e) => e.status === "failed").length,
      incomplete: counted.filter((e) => e.status === "incomplete").length,
      peakConcurrency: peakConcurrency(counted, last - first),
      slowest: [...counted].filter((e) => e.durationMs !== undefined).sort((a, b) => b.durationMs! - a.durationMs!).slice(0, 5),
      byType: totalsByType(counted),
    },
  };
}

function key(op: string, urn: string): string {
  return `${op}\u0000${urn}`;
}

function close(entry: TimelineEntry, at: number, status: "done" | "failed"): void {
  entry.endMs = at;
  entry.durationMs = at - entry.startMs;
  entry.status = status;
}

function countChanges(entries: TimelineEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) if (e.status === "done") out[e.op] = (out[e.op] ?? 0) + 1;
  return out;
}

function peakConcurrency(entries: TimelineEntry[], endOfStream: number): number {
  const points: [number, number][] = [];
  for (const e of entries) {
    points.push([e.startMs, 1]);
    points.push([e.endMs ?? endOfStream, -1]);
  }
  // Ends before starts at the same instant: back-to-back operations are not concurrent.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of points) {
    now += d;
    peak = Math.max(peak, now);
  }
  return peak;
}

function totalsByType(entries: TimelineEntry[]): TypeTotal[] {
  const byType = new Map<string, TypeTotal>();
  for (const e of entries) {
    const t = byType.get(e.type) ?? { type: e.type, count: 0, totalMs: 0, maxMs: 0 };
    t.count++;
    t.totalMs += e.durationMs ?? 0;
    t.maxMs = Math.max(t.maxMs, e.durationMs ?? 0);
    byType.set(e.type, t);
  }
  return [...byType.values()].sort((a, b) => b.maxMs - a.maxMs || a.type.localeCompare(b.type));
}

/** `1h 02m`, `14m 05s`, `42s`, `0.4s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m ${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}
