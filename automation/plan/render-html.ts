/**
 * The plan as one self-contained HTML page: inline CSS and hand-drawn SVG, no scripts, no external
 * resources, so it opens offline from the file system.
 */
import { durationOf, ESTIMATES, ESTIMATES_FILE } from "./estimates";
import {
  comparisonRows,
  fixedLines,
  fmtMinutes,
  fmtUsd,
  usagePrice,
  overSlowest,
  spinUpVerdict,
  type PlanResult,
  policyFindingsByText,
  SIMULATED_NOTICE,
  tableFootnotes,
  TRAITS_FOOTNOTE,
  sourcesUsed,
} from "./model";
import { escapeHtml, nameFromUrn } from "../shared/text";
import { resourceGraphSvg, timelineSvg, topologySvg } from "./svg";

const CSS = `
:root { --ink:#1c2833; --muted:#6c7a7d; --good:#1e8449; --bad:#c0392b; --warn:#b9770e; --line:#d5dbdb; --bg:#fbfcfc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); margin: 0; padding: 24px 32px 48px; max-width: 1380px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; }
.simulated { background: #fef5e7; border: 1px solid #f5cba7; border-left: 6px solid var(--warn); padding: 10px 14px; font-weight: 600; margin: 8px 0 4px; }
.meta { color: var(--muted); margin: 4px 0 0; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: #f2f4f4; }
table.comparison { width: 100%; table-layout: fixed; }
table.comparison th:first-child, table.comparison td:first-child { width: 210px; }
table.comparison tr.section td { background: #eaf2f8; font-weight: 700; }
td.good { color: var(--good); } td.bad { color: var(--bad); font-weight: 600; } td.warn { color: var(--warn); font-weight: 600; } td.muted { color: var(--muted); }
td.indent { padding-left: 22px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.cols table { width: 100%; font-size: 13px; }
figure { margin: 8px 0; }
figcaption { color: var(--muted); font-size: 12.5px; margin-bottom: 4px; }
svg.topology, svg.timeline { max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
section.scenario { margin-top: 28px; }
.gaps li { color: var(--bad); }
.num { text-align: right; white-space: nowrap; }
@media print { .screen-only { display: none; } }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
footer li { margin: 3px 0; }
`;

/** `appendix`: more HTML sections before the sources (the workshop estimate, automation/plan/workshop.ts). */
export function renderHtml(results: readonly PlanResult[], generatedAt = new Date(), appendix = ""): string {
  const names = results.map((r) => r.scenario);
  const out: string[] = [];
  out.push(`<!doctype html>`);
  out.push(`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  out.push(`<title>Offline plan: ${escapeHtml(names.join(", "))} (simulated)</title><style>${CSS}</style></head><body>`);
  out.push(`<header><h1>Offline plan: ${escapeHtml(names.join(", "))}</h1>`);
  out.push(`<p class="simulated" id="simulated">${escapeHtml(SIMULATED_NOTICE)}</p>`);
  out.push(`<p class="meta">Estimates from <code>${ESTIMATES_FILE}</code> (sources read ${escapeHtml(ESTIMATES.read)}), generated ${escapeHtml(generatedAt.toISOString())}. Spin-up is the critical path through the dependency graph.</p></header>`);

  out.push(`<section id="comparison"><h2>Comparison</h2><table class="comparison"><thead><tr><th></th>${names.map((n) => `<th><a href="#scenario-${n}">${escapeHtml(n)}</a></th>`).join("")}</tr></thead><tbody>`);
  for (const row of comparisonRows(results)) {
    if (row.section) {
      out.push(`<tr class="section"><td colspan="${names.length + 1}">${escapeHtml(row.label)}</td></tr>`);
      continue;
    }
    const indent = row.label.startsWith("  ");
    out.push(
      `<tr><td class="${indent ? "indent" : ""}">${escapeHtml(row.label.trim())}</td>${row.cells
        .map((c) => `<td class="${c.tone}"${c.detail ? ` title="${escapeHtml(c.detail)}"` : ""}>${escapeHtml(c.text)}</td>`)
        .join("")}</tr>`,
    );
  }
  const rows = comparisonRows(results);
  const notes = [...rows.filter((r) => r.rule).map((r) => escapeHtml(`${r.rule}.`)), ...(tableFootnotes(rows).traits ? [`<code>*</code>${escapeHtml(TRAITS_FOOTNOTE.slice(1))}.`] : [])];
  out.push(`</tbody></table><p class="meta"><span class="screen-only">Hover a cell for its detail. </span>Green: protection present, endpoint private, or target met; red: missing or public; amber: restricted, or target missed.</p>`);
  out.push(`<ul class="meta">${notes.map((n) => `<li>${n}</li>`).join("")}</ul>`);
  const findings = policyFindingsByText(results);
  if (findings.length) {
    out.push(`<h3>Policy pack: rules that did not pass</h3><ul class="findings">`);
    for (const { finding, scenarios } of findings) {
      const which = scenarios.length === results.length && results.length > 1 ? "all" : scenarios.join(", ");
      out.push(`<li class="${finding.level === "mandatory" ? "bad" : "warn"}">${escapeHtml(which)}: <strong>${finding.level}</strong> <code>${escapeHtml(finding.policy)}</code>: ${escapeHtml(finding.reason)}${finding.count > 1 ? ` (+${finding.count - 1} more)` : ""}</li>`);
    }
    out.push(`</ul>`);
  }
  out.push(`</section>`);

  for (const r of results) {
    const e = r.estimate;
    const over = overSlowest(e);
    out.push(`<section class="scenario" id="scenario-${r.scenario}"><h2><code>${escapeHtml(r.scenario)}</code> — ${escapeHtml(r.title)}</h2><p>${escapeHtml(r.summary)}</p>`);
    out.push(`<figure><figcaption>Request path, trust boundaries and the protections on each hop (read from the resource graph)</figcaption>`);
    out.push(topologySvg({ scenario: r.scenario, analysis: r.analysis, resources: r.evaluation.resources }));
    out.push(`</figure>`);

    out.push(`<div class="cols"><div><h3>Endpoints</h3><table><thead><tr><th>endpoint</th><th>reach</th><th>detail</th></tr></thead><tbody>`);
    for (const ep of Object.values(r.analysis.endpoints)) {
      const tone = ep.reach === "internet" ? "bad" : ep.reach === "internet-restricted" ? "warn" : ep.reach === "unknown" ? "muted" : "good";
      out.push(`<tr><td>${escapeHtml(ep.name)}</td><td class="${tone}">${escapeHtml(ep.summary)}</td><td>${escapeHtml(ep.detail)}${ep.from === "traits" ? " <em>(traits)</em>" : ""}</td></tr>`);
    }
    out.push(`</tbody></table>`);
    if (r.analysis.gaps.length) out.push(`<h3>Gaps the graph shows</h3><ul class="gaps">${r.analysis.gaps.map((g) => `<li>${escapeHtml(g)}</li>`).join("")}</ul>`);
    out.push(`</div><div><h3>Protections per hop</h3><table><thead><tr><th>hop</th><th>protection</th><th>state</th></tr></thead><tbody>`);
    for (const hop of r.analysis.hops) {
      for (const p of hop.protections) {
        const tone = p.tone ?? (p.present === true ? "good" : p.present === false ? "bad" : "muted");
        out.push(`<tr><td>${escapeHtml(hop.name)}</td><td>${escapeHtml(p.name)}</td><td class="${tone}" title="${escapeHtml(p.detail)}">${escapeHtml(p.summary)}</td></tr>`);
      }
    }
    out.push(`</tbody></table></div></div>`);

    out.push(`<h3>Spin-up: ${escapeHtml(fmtMinutes(e.spinUpMinutes))}</h3>`);
    out.push(
      `<p>Serial sum ${escapeHtml(fmtMinutes(e.serialMinutes))}; slowest single resource <code>${escapeHtml(nameFromUrn(e.slowest.urn))}</code> (${escapeHtml(e.slowest.type)}) ${escapeHtml(fmtMinutes(e.slowest.minutes))}; ` +
        `the critical path is +${(over * 100).toFixed(1)}% over it: ${escapeHtml(spinUpVerdict(e).text)}. ` +
        `Critical path: ${e.criticalPath.filter((c) => c.minutes > 0).map((c) => `<code>${escapeHtml(nameFromUrn(c.urn))}</code> ${escapeHtml(fmtMinutes(c.minutes))}`).join(" → ")}.</p>`,
    );
    out.push(`<figure><figcaption>Earliest start and finish of each resource that takes time</figcaption>${timelineSvg(e, r.scenario)}</figure>`);

    out.push(`<h3>Monthly cost: ${escapeHtml(fmtUsd(e.monthlyCostUsd))} fixed, plus usage</h3>`);
    out.push(`<table><thead><tr><th>item</th><th>count</th><th>USD/month</th><th>basis</th><th>source</th></tr></thead><tbody>`);
    for (const l of [...fixedLines(e.costLines), ...e.costLines.filter((x) => x.usage || x.unknown)]) {
      out.push(
        `<tr><td>${escapeHtml(l.item)}</td><td class="num">${l.count}</td><td class="num">${l.usage ? escapeHtml(usagePrice(l)) : l.unknown ? "price not read" : escapeHtml(fmtUsd(l.usd))}</td><td>${escapeHtml(l.basis)}</td><td>${l.source ? `<a href="${escapeHtml(l.source)}">${escapeHtml(new URL(l.source).hostname)}</a>` : ""}</td></tr>`,
      );
    }
    out.push(`</tbody></table>`);
    for (const note of e.notes) out.push(`<p class="meta">Note: ${escapeHtml(note)}.</p>`);

    const minutesOf = (x: (typeof r.evaluation.resources)[number]) => durationOf(x).minutes;
    out.push(`<h3>Resource graph (${r.analysis.customResources} resources, ${r.analysis.components} components)</h3>`);
    out.push(`<figure><figcaption>Columns are dependency depth: each box waits for the boxes its arrows come from (edges implied by longer paths left out). Colours are components; red is the critical path. <span class="screen-only">Hover a box for its URN and duration.</span></figcaption><div class="scroll">${resourceGraphSvg(r.evaluation.resources, minutesOf, r.scenario)}</div></figure>`);

    const probes = r.evaluation.outputs.probes?.value;
    if (Array.isArray(probes) && probes.length) {
      out.push(`<h3>Probes <code>scenarios verify</code> will run</h3><table><thead><tr><th>probe</th><th>from</th><th>expects</th><th>why</th></tr></thead><tbody>`);
      for (const p of probes as { name: string; from: string; expect: Record<string, unknown>; why: string }[]) {
        out.push(`<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.from)}</td><td><code>${escapeHtml(JSON.stringify(p.expect))}</code></td><td>${escapeHtml(p.why)}</td></tr>`);
      }
      out.push(`</tbody></table>`);
    }
    out.push(`</section>`);
  }
  if (appendix) out.push(appendix);
  out.push(`<footer><h2>Sources</h2><ul>`);
  for (const s of sourcesUsed(results)) {
    out.push(`<li><code>${escapeHtml(s.id)}</code> (read ${escapeHtml(s.read)}): ${s.url ? `<a href="${escapeHtml(s.url)}">${escapeHtml(s.url)}</a> — ` : ""}${escapeHtml(s.says)}</li>`);
  }
  out.push(`</ul><p>${escapeHtml(SIMULATED_NOTICE)}</p></footer></body></html>`);
  return `${out.join("\n")}\n`;
}
