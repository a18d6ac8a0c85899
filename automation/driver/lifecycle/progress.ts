/**
 * Live progress of stack operations. `StackBoard` keeps, per stack, the phase and the resource operations
 * in flight (from the orchestration's progress events); two renderers draw it:
 *  - on a terminal: listr2, one line per stack with its phase, the longest-running operation and the
 *    elapsed time, redrawn every second;
 *  - otherwise (pipes, CI logs, `--json`): plain lines on stderr, one per phase change, per resource
 *    operation that ends, per error, and a "waiting on" line every minute while something slow runs.
 */
import { moduleAndType } from "../../shared/text";
import { formatDuration } from "../report/timeline";
import type { Phase, ProgressEvent, ProgressListener } from "../stack/types";

interface InFlight {
  op: string;
  type: string;
  name: string;
  since: number;
}

export interface StackState {
  stack: string;
  phase: Phase | "waiting";
  phaseSince: number;
  startedAt: number;
  inFlight: Map<string, InFlight>;
  done: number;
  failed: number;
  lastError?: string;
  finished?: { ok: boolean; summary: string; at: number };
}

const VERB: Record<string, string> = {
  create: "creating",
  update: "updating",
  delete: "deleting",
  replace: "replacing",
  "create-replacement": "creating replacement",
  "delete-replaced": "deleting replaced",
  read: "reading",
  refresh: "refreshing",
  import: "importing",
};

export class StackBoard {
  readonly stacks = new Map<string, StackState>();
  private readonly listeners: ProgressListener[] = [];

  constructor(
    stacks: string[] = [],
    private readonly now: () => number = Date.now,
  ) {
    for (const s of stacks) this.ensure(s);
  }

  private ensure(stack: string): StackState {
    let s = this.stacks.get(stack);
    if (!s) {
      const t = this.now();
      s = { stack, phase: "waiting", phaseSince: t, startedAt: t, inFlight: new Map(), done: 0, failed: 0 };
      this.stacks.set(stack, s);
    }
    return s;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ProgressListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The `ProgressListener` to give the orchestration. */
  readonly listener: ProgressListener = (event: ProgressEvent) => {
    const s = this.ensure(event.stack);
    switch (event.kind) {
      case "phase":
        s.phase = event.phase;
        s.phaseSince = event.at;
        s.inFlight.clear();
        break;
      case "resource-start":
        s.inFlight.set(`${event.op} ${event.urn}`, { op: event.op, type: event.type, name: event.name, since: event.at });
        break;
      case "resource-end":
        s.inFlight.delete(`${event.op} ${event.urn}`);
        if (event.ok) s.done++;
        else s.failed++;
        break;
      case "message":
        if (event.level === "error") s.lastError = event.text;
        break;
      case "finished":
        s.finished = { ok: event.ok, summary: event.summary, at: event.at };
        s.inFlight.clear();
        break;
    }
    for (const l of this.listeners) l(event);
  };

  /** One line for a stack: `up  creating apimanagement:ApiManagementService gateway-service 12m 03s (+3 more)  14m 10s`. */
  line(stack: string): string {
    const s = this.ensure(stack);
    const t = this.now();
    if (s.finished) return `${s.finished.ok ? "done" : "FAILED"}: ${s.finished.summary} (${formatDuration(s.finished.at - s.startedAt)})`;
    const longest = [...s.inFlight.values()].sort((a, b) => a.since - b.since)[0];
    const activity = longest
      ? `${VERB[longest.op] ?? longest.op} ${moduleAndType(longest.type)} ${longest.name} ${formatDuration(t - longest.since)}${s.inFlight.size > 1 ? ` (+${s.inFlight.size - 1} more)` : ""}`
      : "";
    const counts = s.done || s.failed ? ` [${s.done} done${s.failed ? `, ${s.failed} failed` : ""}]` : "";
    return [s.phase, activity].filter(Boolean).join("  ") + counts + `  ${formatDuration(t - s.startedAt)}`;
  }

  /** Operations running longer than `minMs`, longest first: for the plain renderer's heartbeat. */
  slow(stack: string, minMs: number): string[] {
    const s = this.ensure(stack);
    const t = this.now();
    return [...s.inFlight.values()]
      .filter((f) => t - f.since >= minMs)
      .sort((a, b) => a.since - b.since)
      .map((f) => `${moduleAndType(f.type)} ${f.name} (${formatDuration(t - f.since)})`);
  }
}

/** Plain progress lines: `[public-eph-1a2b3c 12:04] created network:VirtualNetwork vnet (8.1s)`. */
export function plainRenderer(board: StackBoard, write: (line: string) => void, options: { heartbeatMs?: number; now?: () => number } = {}): { stop(): void } {
  const now = options.now ?? Date.now;
  const started = now();
  const stamp = () => {
    const s = Math.floor((now() - started) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  };
  const starts = new Map<string, number>();
  const unsubscribe = board.subscribe((e) => {
    const prefix = `[${e.stack} ${stamp()}]`;
    switch (e.kind) {
      case "phase":
        write(`${prefix} ${e.phase}`);
        break;
      case "resource-start":
        starts.set(`${e.stack} ${e.op} ${e.urn}`, e.at);
        break;
      case "resource-end": {
        const key = `${e.stack} ${e.op} ${e.urn}`;
        const since = starts.get(key);
        starts.delete(key);
        const verb = pastTense(e.op, e.ok) ?? (e.ok ? e.op : `FAILED ${e.op}`);
        write(`${prefix} ${verb} ${moduleAndType(e.type)} ${e.name}${since !== undefined ? ` (${formatDuration(e.at - since)})` : ""}`);
        break;
      }
      case "message":
        write(`${prefix} ${e.level === "info" ? "" : `${e.level}: `}${e.text}`);
        break;
      case "finished":
        write(`${prefix} ${e.ok ? "done" : "FAILED"}: ${e.summary}`);
        break;
    }
  });
  const heartbeat = options.heartbeatMs ?? 60_000;
  const timer = setInterval(() => {
    for (const s of board.stacks.values()) {
      if (s.finished) continue;
      const slow = board.slow(s.stack, heartbeat);
      if (slow.length) write(`[${s.stack} ${stamp()}] waiting on ${slow.slice(0, 3).join(", ")}${slow.length > 3 ? ` and ${slow.length - 3} more` : ""}`);
    }
  }, heartbeat);
  timer.unref?.();
  return {
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

function pastTense(op: string, ok: boolean): string | undefined {
  const past: Record<string, string> = {
    create: "created",
    update: "updated",
    delete: "deleted",
    replace: "replaced",
    "create-replacement": "created replacement",
    "delete-replaced": "deleted replaced",
    read: "read",
    refresh: "refreshed",
    import: "imported",
  };
  const word = past[op];
  if (!word) return undefined;
  return ok ? word : `FAILED to ${op.replace(/-.*/, "")}`;
}

export const LISTR_OPTIONS = { concurrent: true, exitOnError: false, renderer: "default", registerSignalListeners: false } as const;

/**
 * Runs `work` for each stack under a listr2 display (one concurrent task per stack, titles redrawn every
 * second). A task shows as failed when `work` resolves with `ok: false`; the results are returned either way.
 */
export async function withListr<R extends { ok: boolean }>(
  Listr: typeof import("listr2").Listr,
  board: StackBoard,
  stacks: string[],
  work: (stack: string) => Promise<R>,
): Promise<R[]> {
  const results = new Map<string, R>();
  const thrown = new Map<string, unknown>();
  const list = new Listr(
    stacks.map((stack) => ({
      title: `${stack}  ${board.line(stack)}`,
      task: async (_ctx: unknown, task: { title: string }) => {
        const timer = setInterval(() => (task.title = `${stack}  ${board.line(stack)}`), 1000);
        try {
          let r: R;
          try {
            r = await work(stack);
          } catch (e) {
            thrown.set(stack, e);
            throw e;
          }
          results.set(stack, r);
          task.title = `${stack}  ${board.line(stack)}`;
          if (!r.ok) throw new Error(board.stacks.get(stack)?.finished?.summary ?? "failed");
        } finally {
          clearInterval(timer);
        }
      },
    })),
    // registerSignalListeners: false, or listr2 answers the first Ctrl-C itself with process.exit(127),
    // cutting the driver's graceful cancel and teardown short (interrupt.ts handles SIGINT).
    { ...LISTR_OPTIONS, rendererOptions: { collapseErrors: false, formatOutput: "truncate" } } as never,
  );
  await list.run().catch(() => undefined);
  const firstThrown = [...thrown.values()][0];
  if (firstThrown !== undefined) throw firstThrown;
  return stacks.map((s) => results.get(s)!);
}

export type DisplayMode = "tty" | "plain";

export function displayMode(json: boolean, stream: NodeJS.WriteStream = process.stdout): DisplayMode {
  return !json && stream.isTTY && !process.env.CI ? "tty" : "plain";
}

/**
 * Runs `work` for every stack in parallel with the right display: listr2 on a terminal, plain lines on
 * stderr otherwise. Falls back to plain lines if listr2 cannot be loaded.
 */
export async function runWithDisplay<R extends { ok: boolean }>(
  board: StackBoard,
  stacks: string[],
  mode: DisplayMode,
  work: (stack: string) => Promise<R>,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<R[]> {
  if (mode === "tty") {
    let listr: typeof import("listr2") | undefined;
    try {
      listr = await import("listr2");
    } catch {
      listr = undefined; // plain lines below
    }
    if (listr) return withListr(listr.Listr, board, stacks, work);
  }
  const plain = plainRenderer(board, write);
  try {
    return await Promise.all(stacks.map(work));
  } finally {
    plain.stop();
  }
}
