/** The plan for a terminal: one comparison table and a summary per scenario, within 100 columns. */
import { ESTIMATES_FILE } from "./estimates";
import {
  comparisonRows,
  fixedLines,
  fmtMinutes,
  fmtUsd,
  spinUpVerdict,
  pathText,
  type PlanResult,
  SIMULATED_NOTICE,
  SPIN_UP_TOLERANCE,
  type Tone,
  urnName,
} from "./model";

export interface TextOptions {
  /** ANSI colours; the CLI turns them on only when stdout is a TTY and NO_COLOR is unset. */
  color: boolean;
  width?: number;
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

/** Cuts a string to `n` characters, marking the cut. */
export function fit(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}…`;
}

/** Word-wraps `text` to `width`, indenting continuation lines by `indent`. */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function renderText(results: readonly PlanResult[], options: TextOptions): string {
  const width = options.width ?? 100;
  const paint = (tone: Tone | "bold" | "heading", s: string) => (options.color && ANSI[tone] ? `${ANSI[tone]}${s}\x1b[0m` : s);
  const labelWidth = 20;
  const column = Math.max(14, Math.min(30, Math.floor((width - labelWidth) / Math.max(1, results.length))));
  const out: string[] = [];

  out.push(...wrap(SIMULATED_NOTICE, width).map((l) => paint("warn", l)));
  out.push(...wrap(`Estimates come from ${ESTIMATES_FILE}: durations per resource type, USD list prices (pay-as-you-go).`, width).map((l) => paint("muted", l)));
  out.push("");
  out.push(paint("bold", " ".repeat(labelWidth) + results.map((r) => fit(r.scenario, column - 1).padEnd(column)).join("").trimEnd()));

  let fromTraits = false;
  for (const row of comparisonRows(results)) {
    if (row.section) {
      out.push(paint("heading", fit(row.label, width)));
      continue;
    }
    const cells = row.cells.map((c) => {
      if (c.text.endsWith("*")) fromTraits = true;
      const text = fit(c.text, column - 1);
      return paint(c.tone, text) + " ".repeat(column - text.length);
    });
    out.push((fit(row.label, labelWidth - 1).padEnd(labelWidth) + cells.join("")).trimEnd());
  }
  if (fromTraits) out.push(paint("muted", fit("* from the scenario's traits: the graph has no load balancer service for the ingress yet", width)));
  const footer = `Spin-up is the critical path through the dependency graph; target: the slowest resource starts at once (within ${SPIN_UP_TOLERANCE * 100}% of its duration).`;
  out.push(...wrap(footer, width).map((l) => paint("muted", l)));

  for (const r of results) {
    const e = r.estimate;
    out.push("");
    out.push(paint("bold", fit(`${r.scenario} — ${r.title}`, width)));
    out.push(...wrap(r.summary, width - 2).map((l) => `  ${l}`));
    out.push(
      ...wrap(
        `Spin-up ≈ ${fmtMinutes(e.spinUpMinutes)} (serial ${fmtMinutes(e.serialMinutes)}; slowest ${urnName(e.slowest.urn)} ${fmtMinutes(e.slowest.minutes)}; ` +
          `${spinUpVerdict(e).text}). Critical path: ${pathText(e)}`,
        width - 2,
        "  ",
      ).map((l) => `  ${l}`),
    );
    const fixed = fixedLines(e.costLines);
    out.push(
      ...wrap(
        `Monthly ≈ ${fmtUsd(e.monthlyCostUsd)} fixed: ` + fixed.map((l) => `${l.item}${l.count > 1 ? ` ×${l.count}` : ""} ${fmtUsd(l.usd)}`).join(", ") + ".",
        width - 2,
        "  ",
      ).map((l) => `  ${l}`),
    );
    const usage = e.costLines.filter((l) => l.usage);
    if (usage.length) out.push(...wrap(`Plus usage: ${usage.map((l) => l.basis).join("; ")}.`, width - 2, "  ").map((l) => `  ${paint("muted", l)}`));
    for (const note of e.notes) out.push(...wrap(`Note: ${note}.`, width - 2, "  ").map((l) => `  ${paint("muted", l)}`));
    for (const gap of r.analysis.gaps) out.push(...wrap(`Gap: ${gap}`, width - 2, "  ").map((l) => `  ${paint("bad", l)}`));
  }
  return `${out.join("\n")}\n`;
}
