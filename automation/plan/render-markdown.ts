/** The plan as Markdown: the comparison table, then a section per scenario, then the sources. */
import { markdownCell, nameFromUrn } from "../shared/text";
import { ESTIMATES, ESTIMATES_FILE } from "./estimates";
import {
  comparisonRows,
  fixedLines,
  fmtMinutes,
  fmtUsd,
  usagePrice,
  overSlowest,
  spinUpVerdict,
  type PlanResult,
  SIMULATED_NOTICE,
  policyFindingsByText,
  sourcesUsed,
  tableFootnotes,
  TRAITS_FOOTNOTE,
} from "./model";

const MARK: Record<string, string> = { good: "✅ ", bad: "⚠️ ", warn: "⚠️ ", neutral: "", muted: "" };

/** `appendix`: more sections before the sources (the workshop estimate, automation/plan/workshop.ts). */
export function renderMarkdown(results: readonly PlanResult[], generatedAt = new Date(), appendix: readonly string[] = []): string {
  const out: string[] = [];
  out.push(`# Offline plan: ${results.map((r) => r.scenario).join(", ")}`);
  out.push("");
  out.push(`> **${markdownCell(SIMULATED_NOTICE)}**`);
  out.push(`> Estimates: \`${ESTIMATES_FILE}\` (read ${ESTIMATES.read}); generated ${generatedAt.toISOString()}.`);
  out.push("");
  out.push("## Comparison");
  out.push("");
  out.push(`| | ${results.map((r) => `\`${r.scenario}\``).join(" | ")} |`);
  out.push(`|---|${results.map(() => "---").join("|")}|`);
  for (const row of comparisonRows(results)) {
    if (row.section) out.push(`| **${markdownCell(row.label)}** |${results.map(() => " ").join("|")}|`);
    else out.push(`| ${markdownCell(row.label.trim())} | ${row.cells.map((c) => markdownCell(`${MARK[c.tone]}${c.text}`)).join(" | ")} |`);
  }
  out.push("");
  const rows = comparisonRows(results);
  out.push("✅ protection present, endpoint private, or target met · ⚠️ missing, public, or target missed; rows with their own rule:");
  out.push("");
  for (const row of rows) if (row.rule) out.push(`- ${markdownCell(row.rule)}.`);
  if (tableFootnotes(rows).traits) out.push(`- \`*\`: ${markdownCell(TRAITS_FOOTNOTE.replace(/^\* /, ""))}.`);
  out.push("");
  out.push(`Spin-up is the critical path through the real dependency graph; what follows the slowest resource on it needs that resource first.`);
  const findings = policyFindingsByText(results);
  if (findings.length) {
    out.push("");
    out.push("### Policy pack: rules that did not pass");
    out.push("");
    for (const { finding, scenarios } of findings) {
      const which = scenarios.length === results.length && results.length > 1 ? "all" : scenarios.map((s) => `\`${s}\``).join(", ");
      out.push(`- ${which}: **${finding.level}** \`${finding.policy}\`: ${markdownCell(finding.reason)}${finding.count > 1 ? ` (+${finding.count - 1} more)` : ""}`);
    }
  }

  for (const r of results) {
    const e = r.estimate;
    out.push("");
    out.push(`## \`${r.scenario}\` — ${r.title}`);
    out.push("");
    out.push(r.summary);
    out.push("");
    out.push("### Exposure and protections");
    out.push("");
    out.push("| endpoint | reach | detail |");
    out.push("|---|---|---|");
    for (const ep of Object.values(r.analysis.endpoints)) out.push(`| ${ep.name} | ${markdownCell(ep.summary)} | ${markdownCell(ep.detail)}${ep.from === "traits" ? " *(traits)*" : ""} |`);
    out.push("");
    out.push("| hop | protection | state | detail |");
    out.push("|---|---|---|---|");
    for (const hop of r.analysis.hops) {
      for (const p of hop.protections) {
        out.push(`| ${hop.name} | ${p.name} | ${p.present === true ? "✅" : p.present === false ? "⚠️" : "—"} ${markdownCell(p.summary)} | ${markdownCell(p.detail)} |`);
      }
    }
    if (r.analysis.gaps.length) {
      out.push("");
      out.push("Gaps the graph shows:");
      out.push("");
      for (const g of r.analysis.gaps) out.push(`- ${g}`);
    }
    out.push("");
    out.push("### Spin-up");
    out.push("");
    const over = overSlowest(e);
    out.push(
      `**${fmtMinutes(e.spinUpMinutes)}** on the critical path (serial sum ${fmtMinutes(e.serialMinutes)}; slowest single resource ` +
        `\`${nameFromUrn(e.slowest.urn)}\` ${fmtMinutes(e.slowest.minutes)}; +${(over * 100).toFixed(1)}%: ${spinUpVerdict(e).text}).`,
    );
    out.push("");
    out.push("| # | resource | type | minutes | finishes at |");
    out.push("|---|---|---|---|---|");
    e.criticalPath.forEach((c, i) => {
      const t = e.timeline.find((x) => x.urn === c.urn);
      out.push(`| ${i + 1} | \`${nameFromUrn(c.urn)}\` | \`${c.type}\` | ${c.minutes} | ${t ? t.finish : ""} |`);
    });
    out.push("");
    out.push("### Monthly cost");
    out.push("");
    out.push(`**${fmtUsd(e.monthlyCostUsd)}** fixed per month (USD, pay-as-you-go, ${e.priceRegion} list prices), plus usage.`);
    out.push("");
    out.push("| item | count | USD/month | basis | source |");
    out.push("|---|---|---|---|---|");
    for (const l of [...fixedLines(e.costLines), ...e.costLines.filter((x) => x.usage || x.unknown)]) {
      out.push(`| ${markdownCell(l.item)} | ${l.count} | ${l.usage ? usagePrice(l) : l.unknown ? "price not read" : fmtUsd(l.usd)} | ${markdownCell(l.basis)} | ${l.source ? `[link](${l.source})` : ""} |`);
    }
    const free = e.costLines.filter((l) => !l.usage && !l.unknown && l.usd === 0).reduce((n, l) => n + l.count, 0);
    out.push("");
    out.push(`${free} more resources have no charge of their own.`);
    for (const note of e.notes) out.push(`Note: ${note}.`);
    const probes = r.evaluation.outputs.probes?.value;
    if (Array.isArray(probes) && probes.length) {
      out.push("");
      out.push("### Probes `scenarios verify` will run");
      out.push("");
      out.push("| probe | from | expects | why |");
      out.push("|---|---|---|---|");
      for (const p of probes as { name: string; from: string; expect: Record<string, unknown>; why: string }[]) {
        out.push(`| ${p.name} | ${p.from} | ${markdownCell(JSON.stringify(p.expect))} | ${markdownCell(p.why)} |`);
      }
    }
  }
  out.push("");
  if (appendix.length) out.push(...appendix);
  out.push("## Sources");
  out.push("");
  for (const s of sourcesUsed(results)) out.push(`- \`${s.id}\` (read ${s.read}): ${s.url ? `<${s.url}> — ` : ""}${s.says}`);
  out.push("");
  return out.join("\n");
}
