/** `scenarios workshop status`: one row per stack, as a table or a JSON document. Pure: the rows are read in workshop.ts. */
import { formatDuration } from "../report/timeline";

export type LockState = "held" | "free" | "unknown";

export interface StatusRow {
  stack: string;
  role: "shared" | "attendee";
  attendee?: string;
  exists: boolean;
  /** The latest operation in the stack's history. */
  last?: { kind: string; result: string; endedAt?: string; durationMs?: number };
  resources?: number;
  /** Whether an update holds the stack's lock: read from the backend where it says (file backends, Pulumi Cloud). */
  lock: LockState;
  /** The attendee's API: `gatewayUrl` + `apiBasePath` of its outputs. */
  apiUrl?: string;
  /** `--verify`: the probes' outcome. */
  verify?: { passed: number; total: number; error?: string };
  /** Why something could not be read. */
  note?: string;
}

/** Whether a row is what prepare leaves behind: the stack exists and its latest operation is a successful update. */
export function isUp(row: Pick<StatusRow, "exists" | "last">): boolean {
  return row.exists && row.last?.kind === "update" && row.last.result === "succeeded";
}

/** A stack's API URL from its outputs, or undefined when they do not have both parts. */
export function apiUrlOf(outputs: Record<string, { value: unknown }>): string | undefined {
  const base = outputs.gatewayUrl?.value;
  const path = outputs.apiBasePath?.value;
  if (typeof base !== "string" || !base) return undefined;
  return typeof path === "string" && path ? `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}` : base;
}

function lastText(row: StatusRow, now: Date): string {
  if (!row.last) return row.exists ? "never deployed" : "-";
  const ago = row.last.endedAt ? ` ${formatDuration(Math.max(0, now.getTime() - Date.parse(row.last.endedAt)))} ago` : "";
  return `${row.last.kind} ${row.last.result}${ago}`;
}

function verifyText(row: StatusRow): string {
  if (!row.verify) return "";
  if (row.verify.error) return `not run: ${row.verify.error}`;
  return `${row.verify.passed}/${row.verify.total} passed`;
}

/** The table: STACK, ROLE, EXISTS, LAST OPERATION, RESOURCES, LOCK, API URL (and VERIFY with --verify). */
export function statusTable(rows: readonly StatusRow[], options: { now?: Date; verify?: boolean } = {}): string[] {
  const now = options.now ?? new Date();
  const header = ["STACK", "ROLE", "EXISTS", "LAST OPERATION", "RESOURCES", "LOCK", "API URL", ...(options.verify ? ["VERIFY"] : [])];
  const cells = rows.map((r) => [
    r.stack,
    r.role === "shared" ? "shared" : `attendee ${r.attendee ?? ""}`.trim(),
    r.exists ? "yes" : "no",
    lastText(r, now),
    r.resources === undefined ? "-" : String(r.resources),
    r.lock,
    r.apiUrl ?? "-",
    ...(options.verify ? [verifyText(r) || "-"] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join("  ").trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `${r.stack}: ${r.note}`);
  return [line(header), ...cells.map(line), ...notes];
}

/** One line under the table: how many attendee stacks are up, and what to run next. */
export function statusSummary(scenario: string, rows: readonly StatusRow[]): string {
  const attendees = rows.filter((r) => r.role === "attendee");
  const up = attendees.filter(isUp).length;
  const shared = rows.find((r) => r.role === "shared");
  const sharedUp = shared ? isUp(shared) : false;
  const next = !sharedUp || up < attendees.length ? ` Run "scenarios workshop prepare ${scenario} --attendees <n>" to create or retry what is not up.` : "";
  return `shared stack ${sharedUp ? "up" : "not up"}; ${up} of ${attendees.length} attendee stack${attendees.length === 1 ? "" : "s"} up.${next}`;
}

/** `--json`: the rows as they are, with `up` decided. */
export function statusDocument(scenario: string, rows: readonly StatusRow[]): { scenario: string; stacks: (StatusRow & { up: boolean })[] } {
  return { scenario, stacks: rows.map((r) => ({ ...r, up: isUp(r) })) };
}
