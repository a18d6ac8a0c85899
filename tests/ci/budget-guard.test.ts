/**
 * The nightly workflow's budget guard (scripts/budget-guard.ts) over real `scenarios plan --json` documents:
 * the one-scenario shape and the keyed shape, prorating, the refusal, and the GitHub outputs it writes.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { jsonOutput, planScenarios } from "../../automation/plan/run";
import { budgetVerdict, GuardInputError, hoursPerMonthOf, main, MAX_HOURS, type PlanDocument, planDocuments, summaryMarkdown } from "../../scripts/budget-guard";
import rawEstimates from "../../data/estimates.json";

describe("budget guard (scripts/budget-guard.ts)", function () {
  this.timeout(120_000);
  let one: unknown;
  let two: unknown;
  let dir: string;

  before(async () => {
    // The real plan, as `scenarios plan public --json` and `scenarios plan public consumption --json` print it.
    const results = await planScenarios(["public", "consumption"]);
    one = JSON.parse(JSON.stringify(jsonOutput(results.slice(0, 1))));
    two = JSON.parse(JSON.stringify(jsonOutput(results)));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "budget-guard-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
  };
  const run = (args: string[], env: Record<string, string> = {}) => {
    let stdout = "";
    let stderr = "";
    const code = main(args, { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  };

  it("reads both shapes of the plan: one document, and documents keyed by scenario", () => {
    assert.deepEqual([...planDocuments(one).keys()], ["public"]);
    assert.deepEqual([...planDocuments(two).keys()], ["public", "consumption"]);
    for (const doc of planDocuments(two).values()) assert.ok(doc.estimates.monthlyCostUsd > 0);
  });

  it("prorates each scenario's monthly cost to the hours with the data file's hoursPerMonth, and adds them up", () => {
    const docs = planDocuments(two);
    const hoursPerMonth = hoursPerMonthOf(docs);
    assert.equal(hoursPerMonth, (rawEstimates as { hoursPerMonth: number }).hoursPerMonth);
    // allowUnpriced: the point here is the arithmetic, whether or not the data file prices every item.
    const v = budgetVerdict(docs, { hours: 4, budgetUsd: 1000, hoursPerMonth, allowUnpriced: true });
    const monthly = [...docs.values()].map((d) => d.estimates.monthlyCostUsd);
    const expected = monthly.reduce((sum, m) => sum + (m * 4) / hoursPerMonth, 0);
    assert.ok(Math.abs(v.totalUsd - expected) < 0.03, `${v.totalUsd} vs ${expected}`);
    assert.deepEqual(v.scenarios.map((s) => s.monthlyUsd), monthly);
    assert.equal(v.ok, true);
    // Tokens and log ingestion are billed by use: listed, not added.
    assert.ok(v.usageBased.some((i) => /token/i.test(i)), v.usageBased.join(", "));
  });

  it("refuses when the estimate for the allowed hours exceeds the budget, and not at the budget itself", () => {
    const docs = planDocuments(one);
    const hoursPerMonth = hoursPerMonthOf(docs);
    const cost = budgetVerdict(docs, { hours: 3, budgetUsd: 0, hoursPerMonth }).totalUsd;
    assert.ok(cost > 0);
    const judge = (hours: number, budgetUsd: number) => budgetVerdict(docs, { hours, budgetUsd, hoursPerMonth, allowUnpriced: true });
    assert.equal(judge(3, cost).ok, true);
    assert.equal(judge(3, cost - 0.01).refusal, "over budget");
    assert.equal(judge(6, cost).refusal, "over budget", "twice the hours cost more");
  });

  it("refuses a lower-bound total (items without a price) unless told to allow it, and passes the plan's caveats on once", () => {
    const note = "prices are eastus list prices; this scenario deploys to westeurope, where they can differ";
    const doc: PlanDocument = { outputs: { scenario: "public" }, estimates: { monthlyCostUsd: 73, notes: [note], costLines: [{ item: "mystery appliance", unknown: true }] } };
    const docs = planDocuments({ public: doc, external: doc });
    const v = budgetVerdict(docs, { hours: 1, budgetUsd: 1, hoursPerMonth: 730 });
    assert.equal(v.totalUsd, 0.2);
    assert.deepEqual(v.unpriced, ["mystery appliance"]);
    assert.equal(v.ok, false);
    assert.equal(v.refusal, "unpriced");
    const md = summaryMarkdown(v);
    assert.match(md, /CANNOT JUDGE/);
    assert.match(md, /lower bound/);
    assert.equal(md.split(note).length - 1, 1, md);
    const allowed = budgetVerdict(docs, { hours: 1, budgetUsd: 1, hoursPerMonth: 730, allowUnpriced: true });
    assert.equal(allowed.ok, true);
    assert.doesNotMatch(summaryMarkdown(allowed), /CANNOT JUDGE/);
    assert.equal(budgetVerdict(docs, { hours: 1, budgetUsd: 0.1, hoursPerMonth: 730, allowUnpriced: true }).refusal, "over budget");
  });

  it("refuses input it cannot judge: no estimates, hours beyond a hosted job's limit, a negative budget", () => {
    assert.throws(() => planDocuments([]), GuardInputError);
    assert.throws(() => planDocuments({ steps: [], estimates: {} }), /monthlyCostUsd/);
    assert.throws(() => planDocuments({ public: { estimates: { monthlyCostUsd: "12" } } }), /public/);
    const docs = planDocuments(one);
    for (const hours of [0, -1, MAX_HOURS + 0.5, Number.NaN]) assert.throws(() => budgetVerdict(docs, { hours, budgetUsd: 10, hoursPerMonth: 730 }), GuardInputError, String(hours));
    assert.throws(() => budgetVerdict(docs, { hours: 1, budgetUsd: -5, hoursPerMonth: 730 }), /budget/);
  });

  it("as a command: exit 0 and the matrix and timeout outputs within budget, exit 1 over it, exit 2 on bad input", () => {
    const plan = write("plan.json", two);
    const summary = write("summary.md", "");
    const output = write("output.txt", "");
    const docs = planDocuments(two);
    const total = budgetVerdict(docs, { hours: 4, budgetUsd: 0, hoursPerMonth: hoursPerMonthOf(docs) }).totalUsd;
    assert.ok(total > 0.01, `estimated ${total}`);
    const ok = run(["--plan", plan, "--hours", "4", "--budget", total.toFixed(2), "--allow-unpriced"], { GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /within budget/);
    assert.equal(fs.readFileSync(summary, "utf8").trim(), ok.stdout.trim());
    assert.deepEqual(fs.readFileSync(output, "utf8").trim().split("\n"), ['scenarios=["public","consumption"]', "minutes=240"]);

    const over = run(["--plan", plan, "--hours", "4", "--budget", (total - 0.01).toFixed(2), "--allow-unpriced"]);
    assert.equal(over.code, 1, over.stdout);
    assert.match(over.stdout, /OVER BUDGET/);

    const unpriced = { public: { outputs: { scenario: "public" }, estimates: { monthlyCostUsd: 1, costLines: [{ item: "mystery appliance", unknown: true }] } } };
    const refused = run(["--plan", write("unpriced.json", unpriced), "--hours", "1", "--budget", "100"]);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stdout, /CANNOT JUDGE/);

    for (const args of [["--plan", plan, "--hours", "four", "--budget", "10"], ["--plan", plan, "--budget", "10"], ["--plan", write("bad.json", "{"), "--hours", "1", "--budget", "1"], ["--plan", plan, "--hours", "1", "--budget", "1", "--bogus"]]) {
      const bad = run(args);
      assert.equal(bad.code, 2, args.join(" "));
      assert.match(bad.stderr, /^budget-guard: /);
    }
  });
});
