/**
 * Horizontal bars on a time axis, one row each, with a label column on the left and vertical ticks: the plan's
 * spin-up timeline (automation/plan/svg.ts) and the driver's Gantt of a run (automation/driver/report/report.ts).
 * Each caller keeps its own look through `look` (attributes; the driver's page styles the classes in CSS).
 */
import { escapeHtml } from "./text";

export interface TimeAxisRow {
  label: string;
  start: number;
  /** Where the bar ends, in the unit of `start`. */
  end: number;
  colour: string;
  tooltip: string;
  /** Extra attributes of the label and the bar (a colour, an opacity, a dash). */
  labelAttrs?: string;
  barAttrs?: string;
  /** Text right of the bar (a duration). */
  after?: string;
}

export interface TimeAxisChart {
  className: string;
  ariaLabel: string;
  width: number;
  labelWidth: number;
  /** Room right of the plot (for `after` texts). */
  rightMargin: number;
  rowHeight: number;
  /** The first row's top; tick labels stand above it. */
  top: number;
  /** Room below the last row (for `footer`). */
  bottom: number;
  /** The axis' end, in the unit of the rows. */
  total: number;
  /** Tick steps to choose from, smallest first (see `tickStep`), and how many ticks the axis may have. */
  tickSteps: readonly number[];
  maxTicks: number;
  tickLabel: (value: number) => string;
  rows: readonly TimeAxisRow[];
  /** Label characters that fit the label column; longer labels end in "…". */
  labelChars: number;
  /** A line under the rows. */
  footer?: string;
  /** Extra attributes of each element kind. */
  look?: { svg?: string; tick?: string; axis?: string; label?: string; after?: string; footer?: string };
}

/** The smallest step that puts at most `maxTicks` ticks on an axis of `total`; the largest step beyond that. */
export function tickStep(total: number, steps: readonly number[], maxTicks: number): number {
  return steps.find((s) => total / s <= maxTicks) ?? steps[steps.length - 1];
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const attrs = (a: string | undefined) => (a ? ` ${a}` : "");

export function timeAxisSvg(c: TimeAxisChart): string {
  const total = Math.max(c.total, Number.MIN_VALUE);
  const plot = c.width - c.labelWidth - c.rightMargin;
  const x = (v: number) => c.labelWidth + (v / total) * plot;
  const rowsEnd = c.top + c.rows.length * c.rowHeight;
  const height = rowsEnd + c.bottom;
  const look = c.look ?? {};
  const step = tickStep(total, c.tickSteps, c.maxTicks);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${c.className}" width="${c.width}" height="${height}" viewBox="0 0 ${c.width} ${height}" role="img" aria-label="${escapeHtml(c.ariaLabel)}"${attrs(look.svg)}>`,
  ];
  // A hair over `total`, so that a last tick on the end itself is drawn despite rounding.
  for (let v = 0; v <= total * (1 + 1e-9); v += step) {
    const tx = x(v).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${c.top - 4}" x2="${tx}" y2="${rowsEnd + 4}" class="tick"${attrs(look.tick)}/>`);
    parts.push(`<text x="${tx}" y="${c.top - 8}" class="axis" text-anchor="middle"${attrs(look.axis)}>${escapeHtml(c.tickLabel(v))}</text>`);
  }
  c.rows.forEach((r, i) => {
    const y = c.top + i * c.rowHeight;
    const bx = x(r.start);
    const bw = Math.max(1.5, x(r.end) - bx);
    parts.push(
      `<g><title>${escapeHtml(r.tooltip)}</title>` +
        `<text x="${c.labelWidth - 6}" y="${y + c.rowHeight - 4}" class="label" text-anchor="end"${attrs(look.label)}${attrs(r.labelAttrs)}>${escapeHtml(clip(r.label, c.labelChars))}</text>` +
        `<rect x="${bx.toFixed(1)}" y="${y + 2}" width="${bw.toFixed(1)}" height="${c.rowHeight - 4}" rx="2" fill="${r.colour}"${attrs(r.barAttrs)}/>` +
        (r.after !== undefined ? `<text x="${(bx + bw + 4).toFixed(1)}" y="${y + c.rowHeight - 4}" class="after"${attrs(look.after)}>${escapeHtml(r.after)}</text>` : "") +
        `</g>`,
    );
  });
  if (c.footer) parts.push(`<text x="${c.labelWidth}" y="${height - 6}" class="footer"${attrs(look.footer)}>${escapeHtml(c.footer)}</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}
