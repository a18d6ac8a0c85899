/**
 * What the plan reports, as data: one result per scenario and the comparison table every renderer (terminal,
 * Markdown, HTML) draws from the same rows.
 */
import type { ScenarioName } from "../../config/schema";
import type { ScenarioEvaluation } from "../evaluate";
import type { ScenarioAnalysis } from "./analysis";
import { nameFromUrn, typeName } from "../shared/text";
import { type CostLine, ESTIMATES, type ScenarioEstimate } from "./estimates";
import { MODEL_FAILOVER, MODEL_REACHED_PRIVATELY } from "./model-path";

export interface PlanResult {
  scenario: ScenarioName;
  title: string;
  summary: string;
  evaluation: ScenarioEvaluation;
  estimate: ScenarioEstimate;
  analysis: ScenarioAnalysis;
  /** The policy pack (policy/) run over the same graph; absent where a caller did not run it. */
  policy?: PolicyOutcome;
  /** How long the offline evaluation took, milliseconds. */
  durationMs?: number;
}

/** A rule of the policy pack that reported something, with its first finding as the reason. */
export interface PolicyFinding {
  policy: string;
  level: "mandatory" | "advisory";
  /** One line: the first sentence of the first finding. */
  reason: string;
  /** How many findings the rule reported (resources or stacks). */
  count: number;
}

export interface PolicyOutcome {
  ok: boolean;
  summary: string;
  /** Mandatory rules that failed. */
  failed: string[];
  /** Rules that passed, of the rules that applied. */
  passed?: number;
  applied?: number;
  /** Every rule that reported something, mandatory first. */
  findings?: PolicyFinding[];
}

/** The first sentence of a message: up to the first ". " (or all of it). */
export function firstSentence(message: string): string {
  const one = message.replace(/\s+/g, " ").trim();
  const end = one.search(/\.\s/);
  return end >= 0 ? one.slice(0, end + 1) : one;
}

/** Rules of the policy pack that reported something, mandatory first, in the pack's order. */
export function policyFindings(violations: readonly { policy: string; enforcementLevel: "mandatory" | "advisory"; message: string }[]): PolicyFinding[] {
  const found = new Map<string, PolicyFinding>();
  for (const v of violations) {
    const key = `${v.enforcementLevel}/${v.policy}`;
    const known = found.get(key);
    if (known) known.count++;
    else found.set(key, { policy: v.policy, level: v.enforcementLevel, reason: firstSentence(v.message), count: 1 });
  }
  const all = [...found.values()];
  return [...all.filter((f) => f.level === "mandatory"), ...all.filter((f) => f.level === "advisory")];
}

/** One line per finding: `advisory apim-jwt-validation: No policy validates a caller token.` */
export function findingText(f: PolicyFinding): string {
  return `${f.level} ${f.policy}: ${f.reason}${f.count > 1 ? ` (+${f.count - 1} more)` : ""}`;
}

export type Tone = "good" | "bad" | "warn" | "neutral" | "muted";

export interface Cell {
  text: string;
  tone: Tone;
  /** Longer explanation (HTML title, Markdown footnote material). */
  detail?: string;
}

export interface Row {
  label: string;
  /** A section heading row: no cells. */
  section?: boolean;
  cells: Cell[];
  /** The rule its marks follow, where it is not "present or private is good, missing or public is bad". */
  rule?: string;
}

/** Spin-up may exceed the slowest single resource by this fraction (issue #5). */
export const SPIN_UP_TOLERANCE = 0.1;

/** What is simulated, precisely: automation/simulate.ts forms every other value as Azure does. */
export const SIMULATED_NOTICE =
  "SIMULATED: evaluated offline in the Pulumi mock engine; nothing was deployed. Simulated are the values Azure or a provider " +
  "assigns: IP addresses (from the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), resource and " +
  "principal IDs, keys, and random name parts (the stack's name suffix, the hash in AKS's API server host). Host names " +
  "Azure derives from resource names are formed as Azure forms them (<service>.azure-api.net, " +
  "<label>.<region>.cloudapp.azure.com, <name>.openai.azure.com). Times and prices are estimates.";

export const fmtMinutes = (m: number) => `${m >= 10 ? m.toFixed(1) : m === 0 ? "0" : m.toFixed(2).replace(/0$/, "")} min`;
/** The price cell of a usage line: "usage", with the month at the daily cap where the line has one. */
export const usagePrice = (l: CostLine) => (l.usdAtCap === undefined ? "usage" : `usage, ≈ ${fmtUsd(l.usdAtCap)} at the daily cap`);

export const fmtUsd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function overSlowest(e: ScenarioEstimate): number {
  return e.slowest.minutes > 0 ? e.spinUpMinutes / e.slowest.minutes - 1 : 0;
}

/** Minutes before the slowest resource can start (what it waits for). */
export function slowestStart(e: ScenarioEstimate): number {
  return e.timeline.find((t) => t.urn === e.slowest.urn)?.start ?? 0;
}

/**
 * Whether nothing waits needlessly: the slowest resource starts within the tolerance of its own duration.
 * What follows it on the critical path depends on it (that is what puts it there), so it cannot start
 * earlier: the Kubernetes layer after the cluster, say.
 */
export function spinUpVerdict(e: ScenarioEstimate): { ok: boolean; text: string } {
  const over = overSlowest(e);
  const start = slowestStart(e);
  const ok = startsAtOnce(e);
  if (over <= SPIN_UP_TOLERANCE) return { ok, text: `within ${SPIN_UP_TOLERANCE * 100}% of the slowest resource (target met)` };
  const at = e.criticalPath.findIndex((c) => c.urn === e.slowest.urn);
  const tail = e.criticalPath.slice(at + 1).filter((c) => c.minutes > 0).map((c) => nameFromUrn(c.urn));
  return {
    ok,
    text: ok
      ? `+${(over * 100).toFixed(0)}% over the slowest resource, above the ${SPIN_UP_TOLERANCE * 100}% target; the slowest starts at once and all of the rest needs it first (${tail.join(", ")})`
      : `the slowest resource waits ${fmtMinutes(start)} before it can start`,
  };
}

const reachTone = (reach: string): Tone => (reach === "internet" ? "bad" : reach === "internet-restricted" ? "warn" : reach === "unknown" ? "muted" : "good");

/** The comparison table: one column per scenario. */
export function comparisonRows(results: readonly PlanResult[]): Row[] {
  const rows: Row[] = [];
  const rules: Record<number, string> = {};
  const row = (label: string, cell: (r: PlanResult) => Cell) => rows.push({ label, cells: results.map(cell) });
  const section = (label: string) => rows.push({ label, section: true, cells: [] });

  const apimOf = (r: PlanResult) => r.evaluation.resources.find((x) => x.type === "azure-native:apimanagement:ApiManagementService");
  row("APIM tier", (r) => {
    const capacity = Number((apimOf(r)?.inputs.sku as { capacity?: number } | undefined)?.capacity ?? 0);
    const shared = r.analysis.sharedStack;
    if (shared) return { text: `${r.analysis.apimSku ?? "—"} (shared stack)`, tone: "neutral", detail: `the shared stack ${shared.name}'s APIM (topology ${shared.topology})` };
    return { text: `${r.analysis.apimSku ?? "—"}${capacity > 0 ? ` ×${capacity}` : ""}`, tone: "neutral", detail: capacity > 0 ? `${capacity} scale unit(s)` : "serverless, no units" };
  });
  row("APIM VNet mode", (r) => {
    const mode = r.analysis.apimVnetMode === "None" ? "none" : r.analysis.apimVnetMode;
    return r.analysis.sharedStack ? { text: `${mode} (shared stack)`, tone: "neutral", detail: `the ${r.analysis.sharedStack.topology} topology's, in the shared stack` } : { text: mode, tone: "neutral" };
  });
  row("Resources", (r) => ({ text: String(r.analysis.customResources), tone: "neutral", detail: Object.entries(r.analysis.byPackage).map(([k, v]) => `${k}: ${v}`).join(", ") }));
  row("  components", (r) => ({ text: String(r.analysis.components), tone: "muted" }));

  section("Facing the internet");
  // The edge, where there is one, shows in the client → APIM hop's "internet entry" row.
  const endpoint = (label: string, key: Exclude<keyof PlanResult["analysis"]["endpoints"], "edge">) =>
    row(label, (r) => {
      const e = r.analysis.endpoints[key];
      return { text: e.summary, tone: reachTone(e.reach), detail: `${e.detail}${e.from === "traits" ? " (from the scenario's traits)" : ""}` };
    });
  endpoint("  APIM gateway", "apim");
  endpoint("  AI API ingress", "ingress");
  endpoint("  AKS API server", "aksApi");
  endpoint("  Azure OpenAI", "openAi");
  row("  edge (WAF)", (r) => {
    const e = r.analysis.endpoints.edge;
    return e ? { text: e.summary, tone: /WAF Prevention/.test(e.summary) ? "warn" : "bad", detail: e.detail } : { text: "none", tone: "muted", detail: "no Application Gateway in front of APIM" };
  });

  const hops = results[0]?.analysis.hops.map((h) => h.id) ?? [];
  for (const id of hops) {
    const name = results[0].analysis.hops.find((h) => h.id === id)!.name;
    section(name);
    const names: string[] = [];
    for (const r of results) for (const p of r.analysis.hops.find((h) => h.id === id)?.protections ?? []) if (!names.includes(p.name)) names.push(p.name);
    for (const pname of names) {
      row(`  ${pname}`, (r) => {
        const p = r.analysis.hops.find((h) => h.id === id)?.protections.find((x) => x.name === pname);
        if (!p) return { text: "—", tone: "muted", detail: "not in the graph" };
        return { text: p.summary, tone: p.tone ?? (p.present === true ? "good" : p.present === false ? "bad" : "muted"), detail: p.detail };
      });
    }
  }

  const ruleFor = (label: string, rule: string) => {
    const at = rows.findIndex((r) => r.label.trim() === label);
    if (at >= 0) rules[at] = rule;
  };
  ruleFor(MODEL_REACHED_PRIVATELY, `${MODEL_REACHED_PRIVATELY}: amber where the public endpoint answers, limited by the account's firewall (or kept for debugging next to a private endpoint)`);
  ruleFor(MODEL_FAILOVER, `${MODEL_FAILOVER}: unmarked when off (one account) or when the tier has no backend circuit breakers`);

  row("Policy pack", (r) => (r.policy ? policyCell(r.policy) : { text: "—", tone: "muted", detail: "not run" }));
  rules[rows.length - 1] = "Policy pack: marked good when no mandatory rule fails; advisories are listed below the table";

  section("Spin-up (estimated)");
  row("  critical path", (r) => ({ text: fmtMinutes(r.estimate.spinUpMinutes), tone: "neutral", detail: pathText(r.estimate) }));
  row("  serial sum", (r) => ({ text: fmtMinutes(r.estimate.serialMinutes), tone: "muted" }));
  row("  slowest resource", (r) => ({
    text: `${fmtMinutes(r.estimate.slowest.minutes)} ${abbreviate(typeName(r.estimate.slowest.type))}`,
    tone: "neutral",
    detail: `${nameFromUrn(r.estimate.slowest.urn)} (${r.estimate.slowest.type})`,
  }));
  row("  slowest starts", (r) => {
    const start = slowestStart(r.estimate);
    return { text: `at ${fmtMinutes(start)}`, tone: startsAtOnce(r.estimate) ? "good" : "warn", detail: spinUpVerdict(r.estimate).text };
  });
  rules[rows.length - 1] = `slowest starts: marked good when the slowest resource starts within ${SPIN_UP_TOLERANCE * 100}% of its own duration`;
  row("  over slowest", (r) => {
    const over = overSlowest(r.estimate);
    return { text: `+${(over * 100).toFixed(0)}%`, tone: over <= SPIN_UP_TOLERANCE ? "good" : "warn", detail: spinUpVerdict(r.estimate).text };
  });
  rules[rows.length - 1] = `over slowest: marked good when spin-up is within ${SPIN_UP_TOLERANCE * 100}% of the slowest resource's duration`;

  section("Monthly cost (estimated)");
  row("  fixed, USD", (r) => ({
    text: fmtUsd(r.estimate.monthlyCostUsd) + (r.estimate.costLines.some((l) => l.unknown) ? "+" : ""),
    tone: "neutral",
    detail: fixedLines(r.estimate.costLines).map((l) => `${l.item}: ${fmtUsd(l.usd)}`).join("; "),
  }));
  if (results.some((r) => r.estimate.costLines.some((l) => l.unknown))) {
    rules[rows.length - 1] = "fixed, USD: a + marks a total without the prices its sources did not show (each scenario lists them as 'price not read')";
  }
  row("  plus usage", (r) => {
    const usage = r.estimate.costLines.filter((l) => l.usage);
    return { text: usageLabel(usage), tone: "muted", detail: usage.map((l) => `${l.item}: ${l.basis}`).join("; ") };
  });
  row("  logs at the daily cap", (r) => {
    const logs = r.estimate.costLines.find((l) => l.usdAtCap !== undefined);
    return logs
      ? { text: `≈ ${fmtUsd(logs.usdAtCap!)}`, tone: "muted", detail: `${logs.item}: ${logs.basis}` }
      : { text: "no cap", tone: "warn", detail: "the Log Analytics workspace has no daily cap (logAnalyticsDailyQuotaGb=-1): its ingestion has no ceiling" };
  });
  for (const [i, rule] of Object.entries(rules)) rows[Number(i)].rule = rule;
  return rows;
}

/** `pass 13/15` (rules that passed of those that applied), `+2 adv.` when advisories reported; `FAIL 1`. */
export function policyCell(p: PolicyOutcome): Cell {
  const findings = p.findings ?? [];
  const advisories = findings.filter((f) => f.level === "advisory").length;
  const ratio = p.applied !== undefined ? `${p.passed}/${p.applied}` : (p.summary.match(/\d+\/\d+/)?.[0] ?? "");
  const text = p.ok ? `pass ${ratio}`.trim() + (advisories ? `; ${advisories} advisory` : "") : `FAIL ${p.failed.length}`;
  return { text, tone: p.ok ? "good" : "bad", detail: findings.length ? findings.map(findingText).join(" ") : p.summary };
}

/** Whether the slowest resource starts within the tolerance of its own duration. */
export function startsAtOnce(e: ScenarioEstimate): boolean {
  return e.slowest.minutes === 0 || slowestStart(e) <= SPIN_UP_TOLERANCE * e.slowest.minutes;
}

/** Footnotes the table needs: the traits marker only when a cell carries it. */
export function tableFootnotes(rows: readonly Row[]): { traits: boolean } {
  return { traits: rows.some((r) => r.cells.some((c) => c.text.endsWith("*"))) };
}

export const TRAITS_FOOTNOTE = "* from the scenario's traits: the graph has no load balancer service for the ingress yet";

/** The critical path in words, without the resources that take no time. */
export function pathText(e: ScenarioEstimate, sep = " → "): string {
  return e.criticalPath
    .filter((c) => c.minutes > 0)
    .map((c) => `${nameFromUrn(c.urn)} ${fmtMinutes(c.minutes)}`)
    .join(sep);
}

/** Fixed cost lines that cost something, largest first. */
export function fixedLines(lines: readonly CostLine[]): CostLine[] {
  return lines.filter((l) => !l.usage && l.usd > 0);
}

/** What usage-based lines bill, in the order the words appear. */
const USAGE_WORDS: [type: string, word: string][] = [
  ["ApiManagementService", "calls"],
  ["Deployment", "tokens"],
  ["Workspace", "logs"],
  ["Component", "logs"],
];

export function usageLabel(lines: readonly CostLine[]): string {
  const types = lines.map((l) => typeName(l.type));
  const words = USAGE_WORDS.filter(([t]) => types.includes(t)).map(([, w]) => w);
  for (const t of types) if (!USAGE_WORDS.some(([u]) => u === t)) words.push(t.toLowerCase());
  return words.length ? [...new Set(words)].join(", ") : "—";
}

const ABBREVIATIONS: Record<string, string> = {
  ApiManagementService: "APIM",
  ManagedCluster: "AKS",
  Account: "OpenAI acct",
  Deployment: "deployment",
};
export const abbreviate = (t: string) => ABBREVIATIONS[t] ?? t;

/** Data sources the results used, with URL and date read. */
export function sourcesUsed(results: readonly PlanResult[]): { id: string; url: string; read: string; says: string }[] {
  const ids = [...new Set(results.flatMap((r) => r.estimate.sources))].sort();
  return ids.map((id) => ({ id, ...ESTIMATES.sources[id] }));
}

/** The findings of every scenario's policy run, each once, with the scenarios that reported it. */
export function policyFindingsByText(results: readonly PlanResult[]): { finding: PolicyFinding; scenarios: ScenarioName[] }[] {
  const grouped = new Map<string, { finding: PolicyFinding; scenarios: ScenarioName[] }>();
  for (const r of results) {
    for (const f of r.policy?.findings ?? []) {
      const key = findingText(f);
      const known = grouped.get(key);
      if (known) known.scenarios.push(r.scenario);
      else grouped.set(key, { finding: f, scenarios: [r.scenario] });
    }
  }
  const all = [...grouped.values()];
  return [...all.filter((g) => g.finding.level === "mandatory"), ...all.filter((g) => g.finding.level === "advisory")];
}
