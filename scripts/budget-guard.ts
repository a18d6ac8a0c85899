/**
 * The nightly workflow's budget guard (.github/workflows/nightly-compare.yml): refuses to start a comparison
 * whose estimated cost for the hours it may run exceeds the budget.
 *
 *   npx scenarios plan <scenario>… --json --no-report > plan.json
 *   npx tsx scripts/budget-guard.ts --plan plan.json --hours 4 --budget 25
 *
 * The cost is the plan's fixed monthly cost of every selected scenario (they run side by side), prorated to
 * the hours: monthly × hours / hoursPerMonth, hoursPerMonth from the data file the plan names
 * (`estimates.data`, data/estimates.json: 730). Usage-based charges (tokens, log ingestion) are not in the
 * plan's monthly figure; they are listed, not added. An item the data file has no price for makes the total a
 * lower bound: the guard then refuses too, unless `--allow-unpriced`. Exit codes: 0 within budget, 1 over it
 * (or unpriced), 2 bad input.
 * In GitHub Actions the table also goes to $GITHUB_STEP_SUMMARY, and `scenarios` (a JSON array, for the job
 * matrix) and `minutes` (the hours as a job timeout) to $GITHUB_OUTPUT.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { PreviewDocument } from "../automation/plan/document";
import type { CostLine } from "../automation/plan/estimates";

const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * GitHub-hosted runners end a job after 6 hours, so a comparison cannot be allowed more.
 * https://docs.github.com/en/actions/reference/limits
 */
export const MAX_HOURS = 6;

type PlanEstimate = PreviewDocument["estimates"];

/** The part of the plan's document (automation/plan/document.ts) the guard reads; the rest may be absent. */
export interface PlanDocument {
  outputs?: PreviewDocument["outputs"];
  estimates: Pick<PlanEstimate, "monthlyCostUsd"> &
    Partial<Pick<PlanEstimate, "notes" | "data">> & {
      costLines?: (Pick<CostLine, "item"> & Partial<Pick<CostLine, "usage" | "unknown">>)[];
    };
}

export class GuardInputError extends Error {}

function isDocument(v: unknown): v is PlanDocument {
  const e = (v as { estimates?: { monthlyCostUsd?: unknown } } | null)?.estimates;
  return typeof e === "object" && e !== null && typeof e.monthlyCostUsd === "number" && Number.isFinite(e.monthlyCostUsd);
}

/**
 * The plan's documents by scenario. `scenarios plan --json` prints one `pulumi preview --json`-shaped document
 * for one scenario (its name in `outputs.scenario`), and an object keyed by scenario name for several.
 */
export function planDocuments(json: unknown): Map<string, PlanDocument> {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new GuardInputError("the plan is not a JSON object");
  if ("steps" in json) {
    if (!isDocument(json)) throw new GuardInputError("the plan document has no estimates.monthlyCostUsd");
    const name = json.outputs?.scenario;
    if (typeof name !== "string") throw new GuardInputError("the plan document has no outputs.scenario");
    return new Map([[name, json]]);
  }
  const docs = new Map<string, PlanDocument>();
  for (const [name, doc] of Object.entries(json)) {
    if (!isDocument(doc)) throw new GuardInputError(`the plan of ${name} has no estimates.monthlyCostUsd`);
    docs.set(name, doc);
  }
  if (!docs.size) throw new GuardInputError("the plan has no scenario");
  return docs;
}

export interface BudgetInput {
  hours: number;
  budgetUsd: number;
  hoursPerMonth: number;
  /** Judge a lower-bound total (items without a price) as if it were complete. */
  allowUnpriced?: boolean;
}

export interface BudgetVerdict {
  ok: boolean;
  /** Why not, when not ok. */
  refusal?: "over budget" | "unpriced";
  hours: number;
  budgetUsd: number;
  totalUsd: number;
  scenarios: { scenario: string; monthlyUsd: number; usd: number }[];
  /** Items without a price in the data file: the total is a lower bound when there are any. */
  unpriced: string[];
  /** Billed by use, not in the total. */
  usageBased: string[];
  /** The plan's own caveats (prices of another region, …), each once. */
  notes: string[];
}

const cents = (n: number) => Math.ceil(n * 100 - 1e-9) / 100;

export function budgetVerdict(docs: ReadonlyMap<string, PlanDocument>, input: BudgetInput): BudgetVerdict {
  const { hours, budgetUsd, hoursPerMonth } = input;
  if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_HOURS) throw new GuardInputError(`hours ${hours}: more than 0 and at most ${MAX_HOURS} (a hosted runner's job limit)`);
  if (!Number.isFinite(budgetUsd) || budgetUsd < 0) throw new GuardInputError(`budget ${budgetUsd}: a non-negative amount of USD`);
  if (!Number.isFinite(hoursPerMonth) || hoursPerMonth <= 0) throw new GuardInputError(`hoursPerMonth ${hoursPerMonth}: must be positive`);
  const scenarios = [...docs].map(([scenario, doc]) => ({
    scenario,
    monthlyUsd: doc.estimates.monthlyCostUsd,
    usd: cents((doc.estimates.monthlyCostUsd * hours) / hoursPerMonth),
  }));
  const totalUsd = cents(scenarios.reduce((sum, s) => sum + s.usd, 0));
  const lines = [...docs.values()].flatMap((d) => d.estimates.costLines ?? []);
  const unique = (xs: string[]) => [...new Set(xs)].sort();
  const unpriced = unique(lines.filter((l) => l.unknown).map((l) => l.item));
  const refusal = totalUsd > budgetUsd ? "over budget" : unpriced.length && !input.allowUnpriced ? "unpriced" : undefined;
  return {
    ok: refusal === undefined,
    ...(refusal ? { refusal } : {}),
    hours,
    budgetUsd,
    totalUsd,
    scenarios,
    unpriced,
    usageBased: unique(lines.filter((l) => l.usage).map((l) => l.item)),
    notes: [...new Set([...docs.values()].flatMap((d) => d.estimates.notes ?? []))],
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export function summaryMarkdown(v: BudgetVerdict): string {
  const out = [
    `### Budget guard: ${v.ok ? "within budget" : v.refusal === "unpriced" ? "CANNOT JUDGE (items without a price), comparison not started" : "OVER BUDGET, comparison not started"}`,
    "",
    `Estimated cost of ${v.scenarios.map((s) => s.scenario).join(", ")}${v.scenarios.length > 1 ? " side by side" : ""} for ${v.hours} h: **${usd(v.totalUsd)}** of a ${usd(v.budgetUsd)} budget (the offline plan's pay-as-you-go list prices, simulated).`,
    "",
    "| scenario | plan $/month | for the allowed hours |",
    "|---|---:|---:|",
    ...v.scenarios.map((s) => `| ${s.scenario} | ${usd(s.monthlyUsd)} | ${usd(s.usd)} |`),
    `| **total** | | **${usd(v.totalUsd)}** |`,
  ];
  if (v.unpriced.length) {
    out.push("", `No price in the data file for ${v.unpriced.join(", ")}: the total is a lower bound${v.refusal === "unpriced" ? " (add the prices to data/estimates.json, or pass --allow-unpriced)" : ""}.`);
  }
  if (v.usageBased.length) out.push("", `Billed by use and not counted: ${v.usageBased.join(", ")}.`);
  for (const note of v.notes) out.push("", `Plan: ${note}.`);
  return `${out.join("\n")}\n`;
}

/** `hoursPerMonth` of the data file the plan names (data/estimates.json unless the document says otherwise). */
export function hoursPerMonthOf(docs: ReadonlyMap<string, PlanDocument>, projectDir = PROJECT_DIR): number {
  const named = [...new Set([...docs.values()].map((d) => d.estimates.data ?? "data/estimates.json"))];
  if (named.length !== 1) throw new GuardInputError(`the plans name different data files: ${named.join(", ")}`);
  const data = JSON.parse(fs.readFileSync(path.resolve(projectDir, named[0]), "utf8")) as { hoursPerMonth?: unknown };
  if (typeof data.hoursPerMonth !== "number") throw new GuardInputError(`${named[0]} has no hoursPerMonth`);
  return data.hoursPerMonth;
}

export interface MainIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  projectDir?: string;
}

export function main(argv: string[], io: MainIo): number {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { plan: { type: "string" }, hours: { type: "string" }, budget: { type: "string" }, "allow-unpriced": { type: "boolean" } },
      strict: true,
    });
    if (!values.plan || values.hours === undefined || values.budget === undefined) throw new GuardInputError("usage: budget-guard --plan <plan.json> --hours <h> --budget <usd> [--allow-unpriced]");
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(values.plan, "utf8"));
    } catch (e) {
      throw new GuardInputError(`cannot read the plan ${values.plan}: ${(e as Error).message}`);
    }
    const docs = planDocuments(json);
    const num = (name: string, s: string) => {
      const n = Number(s.trim());
      if (s.trim() === "" || !Number.isFinite(n)) throw new GuardInputError(`--${name} ${JSON.stringify(s)}: not a number`);
      return n;
    };
    const verdict = budgetVerdict(docs, {
      hours: num("hours", values.hours),
      budgetUsd: num("budget", values.budget),
      hoursPerMonth: hoursPerMonthOf(docs, io.projectDir),
      allowUnpriced: values["allow-unpriced"] === true,
    });
    const markdown = summaryMarkdown(verdict);
    io.stdout(markdown);
    if (io.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(io.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
    if (io.env.GITHUB_OUTPUT) {
      fs.appendFileSync(io.env.GITHUB_OUTPUT, `scenarios=${JSON.stringify(verdict.scenarios.map((s) => s.scenario))}\nminutes=${Math.ceil(verdict.hours * 60)}\n`);
    }
    return verdict.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof GuardInputError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`budget-guard: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  });
}
