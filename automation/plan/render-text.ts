/**
 * The plan for a terminal: one comparison table and a summary per scenario, fitted to the terminal's width.
 * Cells and labels wrap onto more lines instead of being cut, so nothing is lost at 80 columns.
 */
import { nameFromUrn } from "../shared/text";
import { ESTIMATES_FILE } from "./estimates";
import {
  comparisonRows,
  findingText,
  fixedLines,
  fmtMinutes,
  fmtUsd,
  spinUpVerdict,
  pathText,
  type PlanResult,
  policyFindingsByText,
  SIMULATED_NOTICE,
  tableFootnotes,
  type Tone,
  TRAITS_FOOTNOTE,
} from "./model";

export interface TextOptions {
  /** ANSI colours; the CLI turns them on only when stdout is a TTY and NO_COLOR is unset. */
  color: boolean;
  /** Columns; default terminalWidth(). */
  width?: number;
}

/** Narrowest layout the table supports; a narrower terminal gets this width. */
export const MIN_WIDTH = 40;

/** The terminal's width: stdout's columns when it is a terminal, else `COLUMNS`, else 80. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const columns = stream.isTTY && stream.columns ? stream.columns : Number.parseInt(env.COLUMNS ?? "", 10);
  return Number.isInteger(columns) && columns > 0 ? Math.max(MIN_WIDTH, columns) : 80;
}

const ANSI: Record<Tone | "bold" | "heading", string> = {
  good: "\x1b[32m",
  bad: "\x1b[31m",
  warn: "\x1b[33m",
  neutral: "",
  muted: "\x1b[2m",
  bold: "\x1b[1m",
  heading: "\x1b[1;36m",
};

/**
 * Word-wraps `text` to `width`, indenting continuation lines by `indent`. A word longer than a line is
 * broken across lines rather than left to overflow.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  const room = (l: string) => width - l.length;
  for (let word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = "";
    }
    let prefix = line ? `${line} ` : lines.length ? indent : "";
    while (prefix.length + word.length > width && room(prefix) > 0) {
      lines.push(prefix + word.slice(0, room(prefix)));
      word = word.slice(room(prefix));
      prefix = indent;
    }
    line = prefix + word;
  }
  if (line) lines.push(line);
  return lines;
}

export function renderText(results: readonly PlanResult[], options: TextOptions): string {
  const width = Math.max(MIN_WIDTH, options.width ?? terminalWidth());
  const paint = (tone: Tone | "bold" | "heading", s: string) => (options.color && ANSI[tone] && s ? `${ANSI[tone]}${s}\x1b[0m` : s);
  const para = (text: string, tone: Tone | "bold" | "heading" = "neutral", indent = "", hanging = "") =>
    wrap(text, width - indent.length, hanging).map((l) => indent + paint(tone, l));
  const rows = comparisonRows(results);
  const n = Math.max(1, results.length);
  const longestLabel = Math.max(...rows.filter((r) => !r.section).map((r) => r.label.length));
  const baseLabelWidth = Math.min(longestLabel + 1, Math.max(12, Math.floor(width * 0.3)));
  const even = Math.min(32, Math.floor((width - baseLabelWidth) / n));
  // A column as wide as its longest word (a scenario's name, "Consumption") where the table has the room, taken
  // from the labels down to a quarter of the width; otherwise equal columns, and long words break.
  const longestWord = (j: number) =>
    Math.max([...results[j].scenario].length, ...rows.filter((r) => !r.section).flatMap((r) => r.cells[j].text.split(/\s+/).map((w) => [...w].length)));
  const wanted = results.map((_, j) => Math.max(even, Math.min(32, longestWord(j) + 1)));
  const over = wanted.reduce((a, b) => a + b, 0) - (width - baseLabelWidth);
  const fits = over <= 0 || baseLabelWidth - over >= Math.floor(width / 4);
  const labelWidth = fits && over > 0 ? baseLabelWidth - over : baseLabelWidth;
  const columns = fits ? wanted : results.map(() => even);
  const out: string[] = [];

  out.push(...para(SIMULATED_NOTICE, "warn"));
  out.push(...para(`Estimates come from ${ESTIMATES_FILE}: durations per resource type, USD list prices (pay-as-you-go).`, "muted"));
  out.push("");

  /** Lays out one table row: the label and each cell wrapped within their columns, side by side. */
  const tableRow = (label: string, cells: { text: string; tone: Tone | "bold" }[], labelTone: Tone | "bold" | "heading" = "neutral") => {
    const indent = label.match(/^ */)![0];
    const labelLines = wrap(label.trimStart(), labelWidth - 1 - indent.length, "  ").map((l) => indent + l);
    const cellLines = cells.map((c, j) => wrap(c.text, columns[j] - 1));
    const height = Math.max(labelLines.length, ...cellLines.map((l) => l.length));
    for (let i = 0; i < height; i++) {
      const left = labelLines[i] ?? "";
      let line = paint(labelTone, left) + " ".repeat(labelWidth - left.length);
      cellLines.forEach((lines, j) => {
        const text = lines[i] ?? "";
        line += paint(cells[j].tone, text) + " ".repeat(columns[j] - text.length);
      });
      out.push(line.trimEnd());
    }
  };

  tableRow("", results.map((r) => ({ text: r.scenario, tone: "bold" })));
  for (const row of rows) {
    if (row.section) out.push(...para(row.label, "heading"));
    else tableRow(row.label, row.cells);
  }
  if (tableFootnotes(rows).traits) out.push(...para(TRAITS_FOOTNOTE, "muted"));
  for (const row of rows) if (row.rule) out.push(...para(`${row.rule}.`, "muted", "", "  "));
  out.push(...para("Spin-up is the critical path through the dependency graph.", "muted"));

  const findings = policyFindingsByText(results);
  if (findings.length) {
    out.push("");
    out.push(paint("heading", "Policy pack: rules that did not pass"));
    for (const { finding, scenarios } of findings) {
      const which = scenarios.length === results.length && results.length > 1 ? "all" : scenarios.join(", ");
      out.push(...para(`${which}: ${findingText(finding)}`, finding.level === "mandatory" ? "bad" : "warn", "  ", "  "));
    }
  }

  for (const r of results) {
    const e = r.estimate;
    out.push("");
    out.push(...para(`${r.scenario} — ${r.title}`, "bold"));
    out.push(...para(r.summary, "neutral", "  "));
    const shared = r.analysis.sharedStack;
    if (shared) out.push(...para(`Workshop attendee stack: reads the shared stack ${shared.name}, whose APIM, cluster and model account are counted in its own plan, not here.`, "neutral", "  ", "  "));
    out.push(
      ...para(
        `Spin-up ≈ ${fmtMinutes(e.spinUpMinutes)} (serial ${fmtMinutes(e.serialMinutes)}; slowest ${nameFromUrn(e.slowest.urn)} ${fmtMinutes(e.slowest.minutes)}; ` +
          `${spinUpVerdict(e).text}). Critical path: ${pathText(e)}`,
        "neutral",
        "  ",
        "  ",
      ),
    );
    const fixed = fixedLines(e.costLines);
    const unread = e.costLines.filter((l) => l.unknown);
    const priced = [...fixed.map((l) => `${l.item}${l.count > 1 ? ` ×${l.count}` : ""} ${fmtUsd(l.usd)}`), ...unread.map((l) => `${l.item}${l.count > 1 ? ` ×${l.count}` : ""} price not read`)];
    out.push(
      ...para(
        `Monthly ≈ ${fmtUsd(e.monthlyCostUsd)}${unread.length ? "+" : ""} fixed${priced.length ? `: ${priced.join(", ")}` : " (no resource with a fixed price)"}.`,
        "neutral",
        "  ",
        "  ",
      ),
    );
    const usage = e.costLines.filter((l) => l.usage);
    if (usage.length) out.push(...para(`Plus usage: ${usage.map((l) => l.basis).join("; ")}.`, "muted", "  ", "  "));
    for (const note of e.notes) out.push(...para(`Note: ${note}.`, "muted", "  ", "  "));
    for (const gap of r.analysis.gaps) out.push(...para(`Gap: ${gap}`, "bad", "  ", "  "));
  }
  return `${out.join("\n")}\n`;
}
