// Writes the figures the workshop labs quote (docs/labs/*.md, docs/primer.md) from the code that owns them:
//   npx tsx scripts/lab-figures.ts            rewrite every marked figure in place
//   npx tsx scripts/lab-figures.ts --check    exit 1 and list the figures that differ (tests/docs/labs.test.ts does the same)
// A figure is marked in the Markdown as `<!--fig KEY-->text<!--/fig-->`; the comment does not render. Keys:
//   spinUp:<scenarios>  cost:<scenarios>  hourly:<scenarios>   the offline plan's estimates (automation/plan);
//                       <scenarios> is one scenario, several joined by "+" (run in parallel: slowest; costs: sum), or "all"
//   verifyAttempts, verifyPauses, verifyBackoff               verify's retry window (automation/driver/verify/verify.ts), measured by running it
//   apimActivation, apimVnetChange, apimReported, apimConsumption, consumptionCalls   data/estimates.json
//   subnetRelease       how long destroy waits for a VNet-injected APIM's subnet (components/subnet-release.ts), measured
//   modelCapacity, modelCapacity:20   the model deployment's default capacity, and a room of twenty's (config/defaults.ts)
//   dnsTtl:internal     the TTL of the private DNS records the program writes (offline evaluation)
//   probeCount:<scenario>[:<from>], burstCalls:<scenario>   how many probes verify runs (from internet/vnet), how many calls its burst makes
//   verifySample:<scenario>  a SAMPLE verify table: verify's own renderer over the scenario's offline probes, each
//                       answered as it expects by an imitation transport (no request is sent, times are zero)
import * as fs from "node:fs";
import * as path from "node:path";
import { SCENARIO_NAMES, type ScenarioName } from "../config/schema";
import { readStackSettings } from "../config/load";
import { requireConfig } from "../config/validate";
import { offlineSettings, simulatedSettings } from "../automation/evaluate";
import { planScenarios } from "../automation/plan/run";
import type { PlanResult } from "../automation/plan/model";
import { ESTIMATES } from "../automation/plan/estimates";
import { DEFAULT_VERIFY_OPTIONS, formatVerifyTable, parseProbes, runProbe, runProbes, type ProbeTransport } from "../automation/driver/verify/verify";
import type { AttemptOutcome } from "../automation/driver/verify/probe-http";
import type { Probe } from "../scenarios/probes";
import { releaseApimSubnet } from "../components/subnet-release";
import type { PurgeResult } from "../automation/driver/stack/types";

export const FIGURE_FILES = [
  "docs/labs/README.md",
  "docs/labs/00-setup.md",
  "docs/labs/01-public.md",
  "docs/labs/02-external.md",
  "docs/labs/03-internal.md",
  "docs/labs/04-consumption.md",
  "docs/labs/05-compare.md",
  "docs/labs/06-integrated.md",
  "docs/primer.md",
];
const ROOT = path.resolve(__dirname, "..");

/** `<!--fig KEY-->text<!--/fig-->`, text possibly spanning lines (a sample table in its code fence). */
export const FIGURE = /<!--fig ([\w:+.-]+)-->([\s\S]*?)<!--\/fig-->/g;

export type Figures = Map<string, string>;

const minutes = (m: number) => `about ${Math.round(m)} minutes`;
/** A total that leaves out fixed charges whose price data/estimates.json does not have is a lower bound, and says so. */
const dollars = (usd: number, notRead: string[]) =>
  notRead.length ? `at least $${Math.round(usd).toLocaleString("en-US")} per month (prices not read: ${notRead.join("; ")})` : `about $${Math.round(usd).toLocaleString("en-US")} per month`;
const perHour = (usd: number, notRead: string[]) => `${notRead.length ? "at least" : "about"} $${(usd / ESTIMATES.hoursPerMonth).toFixed(2)} an hour`;

/** A number quoted in a data file's source text, so that the lab says what the source says. */
function quoted(text: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`data/estimates.json no longer says ${what} (${re}) in: ${text}`);
  return m;
}

/**
 * Verify's retry window, measured by running its own retry loop against an imitation endpoint that answers
 * 503 (a backend still settling) forever, on a virtual clock: the pauses it takes and the attempts it makes.
 */
export async function verifyRetryWindow(): Promise<{ attempts: number; pausesMs: number; backoffs: number[] }> {
  const backoffs: number[] = [];
  let clock = 0;
  const realNow = Date.now;
  Date.now = () => clock;
  try {
    const probe: Probe = { name: "imitation", from: "internet", request: { method: "GET", url: "https://imitation.invalid/", withSubscriptionKey: false }, expect: { status: 200 }, why: "imitation" };
    const settling: ProbeTransport = { description: "imitation", attempt: async () => ({ ok: true, status: 503, ms: 0 }) };
    const result = await runProbe(probe, settling, undefined, {
      ...DEFAULT_VERIFY_OPTIONS,
      sleep: async (ms) => {
        backoffs.push(ms);
        clock += ms;
      },
    });
    return { attempts: result.attempts, pausesMs: backoffs.reduce((a, b) => a + b, 0), backoffs };
  } finally {
    Date.now = realNow;
  }
}

/**
 * How long destroy waits for Azure to release a VNet-injected APIM's subnet, measured by running the release
 * step (components/subnet-release.ts) against an imitation subnet that stays in use, on a virtual clock.
 */
export async function subnetReleaseLimit(): Promise<string> {
  let clock = 0;
  try {
    await releaseApimSubnet({
      apimName: "imitation",
      subnetName: "imitation",
      apimExists: async () => false,
      purge: async () => ({ status: "purged" }) as PurgeResult,
      holders: async () => ["imitation-service-association-link"],
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
      log: () => {},
    });
  } catch (e) {
    const m = /after (\d+) min/.exec((e as Error).message);
    if (m) return `${m[1]} minutes`;
    throw e;
  }
  throw new Error("the subnet release step never gave up on a subnet that stays in use");
}

/** The answer a probe expects, as an imitation transport gives it; a burst is refused after the rate limit. */
function imitationTransport(rateLimitCalls: number): ProbeTransport & { expectFor(probe: Probe): void } {
  let probe: Probe | undefined;
  let calls = 0;
  return {
    description: "imitation (sample)",
    expectFor(p) {
      probe = p;
      calls = 0;
    },
    async attempt(): Promise<AttemptOutcome> {
      const expect = probe!.expect;
      calls++;
      // A name only a private zone holds has no public DNS answer; a public name resolves and the connection gets nowhere.
      if ("unreachable" in expect) {
        const privateName = new URL(probe!.request.url).hostname.endsWith(".internal");
        const error = privateName ? { kind: "dns" as const, code: "ENOTFOUND" } : { kind: "timeout" as const, code: "ETIMEDOUT" };
        return { ok: false, ms: 0, unreachable: true, error: { ...error, message: "imitation", connected: false } };
      }
      if ("statusOnLast" in expect) return { ok: true, ms: 0, status: calls > rateLimitCalls ? expect.statusOnLast : 200 };
      return { ok: true, ms: 0, status: expect.status, ...(expect.eventReadsAtLeast === undefined ? {} : { eventReads: expect.eventReadsAtLeast }) };
    },
  };
}

/** A SAMPLE verify table for a scenario: its offline probes through verify's own runner and renderer. */
export async function sampleVerifyTable(result: PlanResult): Promise<string[]> {
  const probes = parseProbes(result.evaluation.outputs.probes?.value);
  const config = requireConfig(result.scenario, offlineSettings(result.scenario));
  const transport = imitationTransport(config.rateLimitCalls);
  const realNow = Date.now;
  Date.now = () => 0;
  try {
    // One probe at a time, so the imitation knows which expectation it answers.
    const results = [];
    for (const probe of probes) {
      transport.expectFor(probe);
      results.push(...(await runProbes(`${result.scenario} (SAMPLE)`, [probe], { internet: transport, vnet: transport }, "imitation-key")).results);
    }
    return formatVerifyTable({ stack: `${result.scenario} (SAMPLE)`, scenario: result.scenario, results, passed: results.length, failed: 0, notRun: 0, durationMs: 0 });
  } finally {
    Date.now = realNow;
  }
}

/** Every figure the labs may quote, by key. */
export async function labFigures(): Promise<Figures> {
  const figures: Figures = new Map();
  const plans = new Map<ScenarioName, PlanResult>();
  for (const scenario of SCENARIO_NAMES) {
    const [result] = await planScenarios([scenario], simulatedSettings(scenario, readStackSettings(scenario)));
    plans.set(scenario, result);
  }
  // Every non-empty selection of scenarios, as `up`/`compare` may run them side by side.
  const groups = Array.from({ length: 2 ** SCENARIO_NAMES.length - 1 }, (_, bits) => SCENARIO_NAMES.filter((_s, k) => ((bits + 1) >> k) & 1));
  for (const group of groups) {
    const key = group.length === SCENARIO_NAMES.length ? "all" : [...group].sort().join("+");
    const estimates = group.map((s) => plans.get(s)!.estimate);
    const cost = estimates.reduce((sum, e) => sum + e.monthlyCostUsd, 0);
    const notRead = [...new Set(estimates.flatMap((e) => e.costLines.filter((l) => l.unknown && !l.usage).map((l) => l.item)))];
    figures.set(`spinUp:${key}`, minutes(Math.max(...estimates.map((e) => e.spinUpMinutes))));
    figures.set(`cost:${key}`, dollars(cost, notRead));
    figures.set(`hourly:${key}`, perHour(cost, notRead));
  }

  const window = await verifyRetryWindow();
  const seconds = Math.round(window.pausesMs / 1000);
  figures.set("verifyAttempts", String(window.attempts));
  figures.set("verifyPauses", `${Math.floor(seconds / 60)} minutes ${seconds % 60} seconds`);
  figures.set("verifyBackoff", `${DEFAULT_VERIFY_OPTIONS.backoffMs / 1000} seconds doubling up to ${DEFAULT_VERIFY_OPTIONS.maxBackoffMs / 1000}`);

  figures.set("subnetRelease", await subnetReleaseLimit());

  const capacity = requireConfig("public", offlineSettings("public")).openAiModelCapacity;
  figures.set("modelCapacity", String(capacity));
  figures.set("modelCapacity:20", String(20 * capacity));

  const apim = ESTIMATES.durations["azure-native:apimanagement:ApiManagementService"];
  const created = quoted(ESTIMATES.sources["apim-create"].says, /(\d+) to (\d+) minutes/, "how long APIM takes to create");
  figures.set("apimActivation", `${created[1]}–${created[2]} minutes`);
  const vnet = quoted(ESTIMATES.sources["apim-vnet"].says, /(\d+) to (\d+) minutes/, "how long a VNet change takes");
  figures.set("apimVnetChange", `${vnet[1]}–${vnet[2]} minutes`);
  const reported = quoted(apim.map((d) => d.note ?? "").join(" "), /report up to (\d+)/, "what users report");
  figures.set("apimReported", `up to ${reported[1]} minutes`);
  const consumption = apim.find((d) => d.when?.["sku.name"]?.includes("Consumption"));
  if (!consumption) throw new Error("data/estimates.json has no APIM Consumption duration");
  figures.set("apimConsumption", `about ${consumption.minutes} minutes`);
  const calls = ESTIMATES.prices["azure-native:apimanagement:ApiManagementService"].find((p) => p.when?.["sku.name"]?.includes("Consumption"));
  if (!calls) throw new Error("data/estimates.json has no APIM Consumption price");
  // The data's own words (what is free, what is billed), since the price itself may not have been read.
  figures.set("consumptionCalls", calls.basis.replace(/^Consumption:\s*/, ""));

  const records = plans.get("internal")!.evaluation.resources.filter((r) => r.type === "azure-native:privatedns:PrivateRecordSet");
  const ttls = [...new Set(records.map((r) => (r.inputs as { ttl?: number }).ttl))];
  if (ttls.length !== 1 || typeof ttls[0] !== "number") throw new Error(`internal's private DNS records have TTLs ${JSON.stringify(ttls)}; the lab quotes one`);
  figures.set("dnsTtl:internal", `${ttls[0]} seconds`);

  const words = ["none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
  for (const [scenario, result] of plans) {
    const probes = parseProbes(result.evaluation.outputs.probes?.value);
    figures.set(`probeCount:${scenario}`, words[probes.length] ?? String(probes.length));
    for (const from of ["internet", "vnet"] as const) {
      const n = probes.filter((p) => p.from === from).length;
      figures.set(`probeCount:${scenario}:${from}`, words[n] ?? String(n));
    }
    const burst = probes.find((p) => p.request.repeat !== undefined);
    if (burst) figures.set(`burstCalls:${scenario}`, `${burst.request.repeat} calls`);
    figures.set(`verifySample:${scenario}`, ["", "```text", ...(await sampleVerifyTable(result)), "```", ""].join("\n"));
  }
  return figures;
}

export interface FigureProblem {
  key: string;
  found: string;
  expected?: string;
}

/** The marked figures of a Markdown text that differ from the code's, or whose key is unknown. */
export function figureProblems(md: string, figures: Figures): FigureProblem[] {
  const problems: FigureProblem[] = [];
  for (const m of md.matchAll(FIGURE)) {
    const expected = figures.get(m[1]);
    if (expected !== m[2]) problems.push({ key: m[1], found: m[2], expected });
  }
  return problems;
}

/** The text with every marked figure replaced by the code's; unknown keys are left for the check to report. */
export function writeFigures(md: string, figures: Figures): string {
  return md.replace(FIGURE, (whole, key: string) => (figures.has(key) ? `<!--fig ${key}-->${figures.get(key)}<!--/fig-->` : whole));
}

async function main(args: string[]): Promise<void> {
  const check = args.includes("--check");
  const figures = await labFigures();
  let differ = 0;
  for (const rel of FIGURE_FILES) {
    const file = path.join(ROOT, rel);
    if (!fs.existsSync(file)) continue;
    const md = fs.readFileSync(file, "utf8");
    const problems = figureProblems(md, figures);
    for (const p of problems) console.log(`${rel}: ${p.key}: ${p.expected === undefined ? "unknown figure" : `says ${JSON.stringify(p.found)}, the code ${JSON.stringify(p.expected)}`}`);
    differ += problems.length;
    if (!check && problems.length) fs.writeFileSync(file, writeFigures(md, figures));
  }
  if (check && differ) process.exit(1);
  console.log(check ? "every figure matches the code" : `${differ} figure(s) rewritten`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
