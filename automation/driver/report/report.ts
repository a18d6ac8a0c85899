/**
 * Reports of runs and comparisons: JSON (the data), Markdown (for pull requests and terminals) and a
 * self-contained HTML page with a Gantt-like SVG per stack (inline CSS, no scripts, no CDN).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeList, type EstimatesResult } from "../estimates/estimates";
import { describePurgeable } from "../cleanup/purge";
import { escapeHtml, moduleAndType } from "../../shared/text";
import { tickStep as chooseTickStep, timeAxisSvg } from "../../shared/time-axis-svg";
import { formatDuration, NO_OP, type Timeline, type TimelineEntry } from "./timeline";
import type { OperationStatus, PurgeResult, StackOperation } from "../stack/types";
import type { VerifyReport } from "../verify/verify";

export interface RunReport {
  kind: "run";
  generatedAt: string;
  stack: string;
  scenario?: string;
  operation: StackOperation;
  status: OperationStatus;
  error?: string;
  synthetic: boolean;
  timeline: Timeline;
}

export interface CompareEntry {
  scenario: string;
  stack?: string;
  ok: boolean;
  error?: string;
  measured: {
    /** `up` from start to end. */
    spinUpMs?: number;
    verifyMs?: number;
    /** destroy + purge + remove. */
    teardownMs?: number;
    /** Provider-managed resources created. */
    resources?: number;
  };
  up?: Timeline;
  destroy?: Timeline;
  verify?: VerifyReport;
  purge?: PurgeResult[];
  leftovers?: string[];
  estimates: EstimatesResult;
}

export interface CompareReport {
  kind: "compare";
  generatedAt: string;
  /** True when any timeline came from a synthetic event stream. */
  synthetic: boolean;
  entries: CompareEntry[];
}

export function runReport(timeline: Timeline, status: OperationStatus, error?: string, generatedAt = new Date()): RunReport {
  return {
    kind: "run",
    generatedAt: generatedAt.toISOString(),
    stack: timeline.stack,
    scenario: timeline.scenario,
    operation: timeline.operation,
    status,
    ...(error ? { error } : {}),
    synthetic: timeline.synthetic,
    timeline,
  };
}

const SYNTHETIC_NOTE =
  "SYNTHETIC: these timings come from a generated event stream (automation/driver/report/synthesize-events.ts, durations from a stated model), not from a real deployment.";

// ---------------------------------------------------------------- Markdown

function mdCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function mdTable(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`)];
}

function changesText(changes: Record<string, number>): string {
  const parts = Object.entries(changes).filter(([, n]) => n > 0).map(([op, n]) => `${op} ${n}`);
  return parts.length ? parts.join(", ") : "none";
}

function at(ms: number | undefined): string {
  if (ms === undefined) return "-";
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

function timelineSummaryRows(t: Timeline): string[][] {
  return [
    ["status", t.totals.status],
    ["started", t.startedAt],
    ["wall time", formatDuration(t.totals.wallMs)],
    ["engine duration", t.totals.engineSeconds !== undefined ? formatDuration(t.totals.engineSeconds * 1000) : "-"],
    ["changes", changesText(t.totals.changes)],
    ["resource operations", `${t.totals.operations} (up to ${t.totals.peakConcurrency} at once)`],
    ...(t.totals.failed ? [["failed", String(t.totals.failed)]] : []),
    ...(t.totals.incomplete ? [["not finished", String(t.totals.incomplete)]] : []),
  ];
}

function entryRow(e: TimelineEntry): string[] {
  return [e.name, moduleAndType(e.type), e.op, at(e.startMs), e.durationMs !== undefined ? formatDuration(e.durationMs) : e.status === "incomplete" ? "not finished" : "-", e.status + (e.error ? `: ${e.error}` : "")];
}

export function timelineMarkdown(t: Timeline, level = 2): string[] {
  const h = "#".repeat(level);
  const out: string[] = [];
  out.push(...mdTable(["", ""], timelineSummaryRows(t)), "");
  out.push(`${h} Slowest operations`, "", ...mdTable(["resource", "type", "op", "start", "duration", "status"], t.totals.slowest.map(entryRow)), "");
  out.push(
    `${h} Time by type`,
    "",
    ...mdTable(
      ["type", "count", "longest", "sum"],
      t.totals.byType.slice(0, 12).map((b) => [moduleAndType(b.type), String(b.count), formatDuration(b.maxMs), formatDuration(b.totalMs)]),
    ),
    "",
  );
  const failures = t.entries.filter((e) => e.status === "failed");
  if (failures.length || t.errors.length) {
    out.push(`${h} Errors`, "");
    for (const e of failures) out.push(`- ${e.name} (${moduleAndType(e.type)}, ${e.op}): ${e.error ?? "failed"}`);
    for (const e of t.errors) out.push(`- ${e}`);
    out.push("");
  }
  const ops = t.entries.filter((e) => e.custom && !NO_OP.has(e.op));
  out.push("<details><summary>Every resource operation</summary>", "", ...mdTable(["resource", "type", "op", "start", "duration", "status"], ops.map(entryRow)), "", "</details>", "");
  return out;
}

export function runMarkdown(r: RunReport): string {
  const out = [`# ${r.operation} of ${r.stack}${r.scenario && r.scenario !== r.stack ? ` (${r.scenario})` : ""}`, ""];
  if (r.synthetic) out.push(`> ${SYNTHETIC_NOTE}`, "");
  if (r.error) out.push(`**${r.status}**: ${r.error}`, "");
  out.push(...timelineMarkdown(r.timeline));
  out.push(`_Generated ${r.generatedAt} by \`scenarios ${r.operation === "update" ? "up" : r.operation}\`._`, "");
  return out.join("\n");
}

function minutes(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "-" : `${n >= 10 ? n.toFixed(0) : n.toFixed(1)} min`;
}

function usd(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "-" : `$${n >= 100 ? n.toFixed(0) : n.toFixed(2)}`;
}

function probesText(v: VerifyReport | undefined): string {
  if (!v) return "-";
  return `${v.passed}/${v.results.length} passed${v.notRun ? ` (${v.notRun} not run)` : ""}`;
}

export function compareMarkdown(r: CompareReport): string {
  const out = [`# Scenario comparison`, ""];
  if (r.synthetic) out.push(`> ${SYNTHETIC_NOTE}`, "");
  out.push(
    ...mdTable(
      ...compareSummary(r),
    ),
    "",
    "Spin-up is `up` from start to finish; teardown is destroy, purge of soft-deleted APIM / Azure OpenAI and stack removal. " +
      "Plan figures come from `scenarios plan` (offline estimates), beside the measurement.",
    "",
  );
  for (const e of r.entries) {
    out.push(`## ${e.scenario}${e.stack ? ` (stack ${e.stack})` : ""}`, "");
    if (e.error) out.push(`**Failed**: ${e.error}`, "");
    if (e.leftovers?.length) {
      out.push("Left behind:", "");
      for (const l of e.leftovers) out.push(`- ${l}`);
      out.push("");
    }
    const est = e.estimates.ok ? e.estimates.estimates : undefined;
    if (!e.estimates.ok) out.push(`Plan estimates unavailable: ${e.estimates.reason}.`, "");
    const measured = e.up?.totals.slowest.map((s) => `${s.name} (${moduleAndType(s.type)}) ${formatDuration(s.durationMs)}`) ?? [];
    const planned = describeList(est?.slowest);
    if (measured.length || planned.length) {
      out.push("### Slowest resources", "");
      const n = Math.max(measured.length, planned.length);
      out.push(...mdTable(["measured", "plan"], Array.from({ length: n }, (_, i) => [measured[i] ?? "", planned[i] ?? ""])), "");
    }
    const critical = describeList(est?.criticalPath);
    if (critical.length) out.push("### Plan's critical path", "", critical.map((c, i) => `${i + 1}. ${c}`).join("\n"), "");
    if (e.up) out.push("### Up", "", ...timelineMarkdown(e.up, 4));
    if (e.verify) {
      out.push("### Verification", "", ...mdTable(["probe", "from", "expected", "observed", "result", "time"], e.verify.results.map((p) => [p.name, p.from, p.expected, p.observed, p.verdict, formatDuration(p.durationMs)])), "");
    }
    if (e.destroy || e.purge) {
      out.push("### Teardown", "");
      if (e.destroy) out.push(`- destroy: ${e.destroy.totals.status}, ${formatDuration(e.destroy.totals.wallMs)}, ${changesText(e.destroy.totals.changes)}`);
      for (const p of e.purge ?? []) out.push(`- purge ${describePurgeable(p.target)}: ${p.status}${p.error ? ` (${p.error})` : ""}`);
      out.push("");
    }
    const costs = describeList(est?.costLines);
    if (costs.length) out.push("### Estimated monthly cost (plan)", "", ...costs.map((c) => `- ${c}`), "");
    if (est?.notes?.length) out.push(...est.notes.map((n) => `_Note: ${n}._`), "");
  }
  out.push(`_Generated ${r.generatedAt} by \`scenarios compare\`._`, "");
  return out.join("\n");
}

// ---------------------------------------------------------------- HTML + SVG

const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);

export function tickStep(totalMs: number, maxTicks = 10): number {
  return chooseTickStep(totalMs, TICK_STEPS_MS, maxTicks);
}

const OP_COLOURS: Record<string, string> = {
  create: "#2f7ebc",
  update: "#8e6bbf",
  delete: "#c0504d",
  replace: "#d08a2e",
  "create-replacement": "#d08a2e",
  "delete-replaced": "#c0504d",
};

/** A Gantt-like chart of the provider-managed resource operations of one timeline. */
export function ganttSvg(t: Timeline, options: { width?: number; rowHeight?: number; labelWidth?: number } = {}): string {
  const labelWidth = options.labelWidth ?? 380;
  const entries = t.entries.filter((e) => e.custom && !NO_OP.has(e.op));
  const total = Math.max(t.totals.wallMs, ...entries.map((e) => e.endMs ?? e.startMs), 1);
  return timeAxisSvg({
    className: "gantt",
    ariaLabel: `${t.operation} of ${t.stack}: resource operations over time`,
    width: options.width ?? 1000,
    labelWidth,
    rightMargin: 70,
    rowHeight: options.rowHeight ?? 16,
    top: 22,
    bottom: 10,
    total,
    tickSteps: TICK_STEPS_MS,
    maxTicks: 10,
    tickLabel: axisLabel,
    // 11px monospace is about 6.7px a character.
    labelChars: Math.floor((labelWidth - 12) / 6.7),
    rows: entries.map((e) => ({
      label: `${moduleAndType(e.type)} ${e.name}`,
      start: e.startMs,
      end: e.endMs ?? total,
      colour: e.status === "failed" ? "#d62728" : e.status === "incomplete" ? "#9a9a9a" : (OP_COLOURS[e.op] ?? "#2f7ebc"),
      barAttrs: e.status === "incomplete" ? 'stroke="#555" stroke-dasharray="3 2"' : undefined,
      tooltip: `${e.op} ${e.type} ${e.name}: ${at(e.startMs)} + ${e.durationMs !== undefined ? formatDuration(e.durationMs) : "not finished"}${e.error ? ` (${e.error})` : ""}`,
      after: e.durationMs !== undefined ? formatDuration(e.durationMs) : "...",
    })),
  });
}

function axisLabel(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3600_000) return `${Math.round(ms / 60_000)}m`;
  const h = Math.floor(ms / 3600_000);
  const m = Math.round((ms % 3600_000) / 60_000);
  return m ? `${h}h${String(m).padStart(2, "0")}` : `${h}h`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1d1d1f;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{margin-top:1.4rem}
table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #d6d6d6;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.synthetic{background:#fff4ce;border:1px solid #e0c45c;padding:.6rem .9rem;border-radius:4px}
.fail{color:#b00020;font-weight:600}.pass{color:#1b7f3b;font-weight:600}
.gantt{display:block;margin:.6rem 0;max-width:100%;height:auto}
.gantt .label{font:11px ui-monospace,Menlo,Consolas,monospace;fill:#333}.gantt .after{font:10px system-ui,sans-serif;fill:#555}
.gantt .axis{font:10px system-ui,sans-serif;fill:#666}.gantt .tick{stroke:#e6e6e6;stroke-width:1}
details{margin:.6rem 0}summary{cursor:pointer}
footer{margin-top:3rem;color:#777;font-size:.85rem}
`;

function htmlTable(header: string[], rows: string[][], numeric: number[] = []): string {
  const head = header.some(Boolean) ? `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>` : "";
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ""}>${escapeHtml(c)}</td>`).join("")}</tr>`).join("");
  return `<table>${head}${body}</table>`;
}

function timelineHtml(t: Timeline): string {
  const ops = t.entries.filter((e) => e.custom && !NO_OP.has(e.op));
  const failures = t.entries.filter((e) => e.status === "failed");
  return [
    htmlTable(["", ""], timelineSummaryRows(t)),
    ganttSvg(t),
    "<h4>Slowest operations</h4>",
    htmlTable(["resource", "type", "op", "start", "duration", "status"], t.totals.slowest.map(entryRow), [3, 4]),
    failures.length || t.errors.length
      ? `<h4>Errors</h4><ul>${failures.map((e) => `<li>${escapeHtml(`${e.name} (${moduleAndType(e.type)}, ${e.op}): ${e.error ?? "failed"}`)}</li>`).join("")}${t.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul>`
      : "",
    `<details><summary>Every resource operation (${ops.length})</summary>${htmlTable(["resource", "type", "op", "start", "duration", "status"], ops.map(entryRow), [3, 4])}</details>`,
  ].join("\n");
}

function page(title: string, synthetic: boolean, body: string, generatedAt: string, command: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${synthetic ? `<p class="synthetic">${escapeHtml(SYNTHETIC_NOTE)}</p>` : ""}
${body}
<footer>Generated ${escapeHtml(generatedAt)} by <code>${escapeHtml(command)}</code>.</footer>
</body></html>
`;
}

export function runHtml(r: RunReport): string {
  const title = `${r.operation} of ${r.stack}${r.scenario && r.scenario !== r.stack ? ` (${r.scenario})` : ""}`;
  const error = r.error ? `<p class="fail">${escapeHtml(`${r.status}: ${r.error}`)}</p>` : "";
  return page(title, r.synthetic, error + timelineHtml(r.timeline), r.generatedAt, `scenarios ${r.operation === "update" ? "up" : r.operation}`);
}

/** The compare report's summary table, the same in Markdown and HTML: headers, then one row per scenario. */
function compareSummary(r: CompareReport): [string[], string[][]] {
  const headers = ["scenario", "result", "spin-up (measured)", "spin-up (plan)", "serial (plan)", "verify", "teardown", "resources", "est. monthly cost", "probes"];
  const rows = r.entries.map((e) => {
    const est = e.estimates.ok ? e.estimates.estimates : undefined;
    return [
      e.scenario,
      e.ok ? "ok" : "FAILED",
      formatDuration(e.measured.spinUpMs),
      minutes(est?.spinUpMinutes),
      minutes(est?.serialMinutes),
      formatDuration(e.measured.verifyMs),
      formatDuration(e.measured.teardownMs),
      e.measured.resources !== undefined ? String(e.measured.resources) : "-",
      usd(est?.monthlyCostUsd),
      probesText(e.verify),
    ];
  });
  return [headers, rows];
}

export function compareHtml(r: CompareReport): string {
  const summary = htmlTable(
    ...compareSummary(r),
    [2, 3, 4, 5, 6, 7, 8],
  );
  const sections = r.entries.map((e) => {
    const est = e.estimates.ok ? e.estimates.estimates : undefined;
    const parts = [`<h2>${escapeHtml(e.scenario)}${e.stack ? ` <small>(stack ${escapeHtml(e.stack)})</small>` : ""}</h2>`];
    if (e.error) parts.push(`<p class="fail">Failed: ${escapeHtml(e.error)}</p>`);
    if (e.leftovers?.length) parts.push(`<p>Left behind:</p><ul>${e.leftovers.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>`);
    if (!e.estimates.ok) parts.push(`<p>Plan estimates unavailable: ${escapeHtml(e.estimates.reason)}.</p>`);
    const measured = e.up?.totals.slowest.map((s) => `${s.name} (${moduleAndType(s.type)}) ${formatDuration(s.durationMs)}`) ?? [];
    const planned = describeList(est?.slowest);
    if (measured.length || planned.length) {
      const n = Math.max(measured.length, planned.length);
      parts.push("<h3>Slowest resources</h3>", htmlTable(["measured", "plan"], Array.from({ length: n }, (_, i) => [measured[i] ?? "", planned[i] ?? ""])));
    }
    const critical = describeList(est?.criticalPath);
    if (critical.length) parts.push(`<h3>Plan's critical path</h3><ol>${critical.map((c) => `<li>${escapeHtml(c)}</li>`).join("")}</ol>`);
    if (e.up) parts.push("<h3>Up</h3>", timelineHtml(e.up));
    if (e.verify) {
      parts.push(
        "<h3>Verification</h3>",
        `<table><tr><th>probe</th><th>from</th><th>expected</th><th>observed</th><th>result</th><th>time</th></tr>${e.verify.results
          .map(
            (p) =>
              `<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.from)}</td><td>${escapeHtml(p.expected)}</td><td>${escapeHtml(p.observed)}</td><td class="${p.verdict === "pass" ? "pass" : "fail"}">${escapeHtml(p.verdict)}</td><td class="num">${escapeHtml(formatDuration(p.durationMs))}</td></tr>`,
          )
          .join("")}</table>`,
      );
    }
    if (e.destroy) parts.push("<h3>Teardown</h3>", timelineHtml(e.destroy));
    if (e.purge?.length) parts.push(`<ul>${e.purge.map((p) => `<li>purge ${escapeHtml(describePurgeable(p.target))}: ${escapeHtml(p.status)}${p.error ? ` (${escapeHtml(p.error)})` : ""}</li>`).join("")}</ul>`);
    const costs = describeList(est?.costLines);
    if (costs.length) parts.push(`<h3>Estimated monthly cost (plan)</h3><ul>${costs.map((c) => `<li>${escapeHtml(c)}</li>`).join("")}</ul>`);
    if (est?.notes?.length) parts.push(`<p><em>${est.notes.map((n) => escapeHtml(n)).join("<br>")}</em></p>`);
    return parts.join("\n");
  });
  return page("Scenario comparison", r.synthetic, [summary, ...sections].join("\n"), r.generatedAt, "scenarios compare");
}

// ---------------------------------------------------------------- files

/** A file-name-safe time stamp: `20250101T090000Z`. */
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Writes `<base>.json`, `<base>.md` and `<base>.html`; returns their paths. */
export function writeReportFiles(base: string, data: RunReport | CompareReport): string[] {
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const files = [`${base}.json`, `${base}.md`, `${base}.html`];
  fs.writeFileSync(files[0], `${JSON.stringify(data, null, 1)}\n`);
  fs.writeFileSync(files[1], data.kind === "run" ? runMarkdown(data) : compareMarkdown(data));
  fs.writeFileSync(files[2], data.kind === "run" ? runHtml(data) : compareHtml(data));
  return files;
}
