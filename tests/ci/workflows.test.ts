/**
 * The GitHub Actions workflows (.github/workflows) do what docs/ci.md says: every `scenarios …` command in a
 * `run:` script is accepted by the CLI's own commander program (the labs test's mechanism,
 * tests/docs/command-lines.ts), with `${{ … }}` never interpolated into a script; pull requests run offline;
 * the nightly comparison signs in with OIDC only, keeps state in Azure Blob Storage, is guarded by the budget,
 * never overlaps itself and always ends with a sweep. A self-test feeds the checker broken workflows.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { commandWords, expandPlaceholders, parseCli, scenariosArgs, shellPipelines } from "../docs/command-lines";

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  "timeout-minutes"?: number | string;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps: Step[];
}

interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

interface ScenariosCommand {
  job: string;
  step: string;
  args: string[];
  command?: string;
}

interface WorkflowReport {
  commands: ScenariosCommand[];
  problems: string[];
}

const PROJECT_FILE = /^(scripts|automation|tools|bin)\/[\w./-]+\.(ts|sh|js)$/;

/** Checks every `run:` script of a workflow: its scenarios commands, the project files it runs, no `${{ }}`. */
export function checkWorkflow(file: string, text: string): WorkflowReport {
  const report: WorkflowReport = { commands: [], problems: [] };
  const wf = parseYaml(text) as Workflow;
  for (const [jobId, job] of Object.entries(wf.jobs ?? {})) {
    for (const [k, step] of (job.steps ?? []).entries()) {
      if (typeof step.run !== "string") continue;
      const where = `${path.basename(file)}: job ${jobId}, step ${step.name ?? step.id ?? k + 1}`;
      // Expressions in a script are pasted into it before the shell runs: values go through env instead.
      // https://docs.github.com/en/actions/reference/security/secure-use#good-practices-for-mitigating-script-injection-attacks
      if (step.run.includes("${{")) report.problems.push(`${where}: \${{ … }} inside run:; pass the value through env`);
      let pipelines;
      try {
        pipelines = shellPipelines(step.run.replace(/\$\{\{[\s\S]*?\}\}/g, "__expression__"));
      } catch (e) {
        report.problems.push(`${where}: ${(e as Error).message}`);
        continue;
      }
      for (const cmd of pipelines.flat()) {
        const words = commandWords(cmd);
        for (const w of words) if (PROJECT_FILE.test(w) && !fs.existsSync(path.join(ROOT, w))) report.problems.push(`${where}: ${w} does not exist`);
        const invocation = scenariosArgs(cmd);
        if (!invocation) continue;
        if ("error" in invocation) {
          report.problems.push(`${where}: ${invocation.error}`);
          continue;
        }
        const parsed = expandPlaceholders(invocation.args).map((args) => parseCli(args));
        const failed = parsed.find((p) => !p.ok);
        if (failed) report.problems.push(`${where}: \`scenarios ${invocation.args.join(" ")}\` is refused by the CLI: ${failed.error}`);
        report.commands.push({ job: jobId, step: step.name ?? String(k + 1), args: invocation.args, command: parsed[0].command });
      }
    }
  }
  return report;
}

const load = (name: string) => {
  const file = path.join(WORKFLOWS, name);
  const text = fs.readFileSync(file, "utf8");
  return { file, text, wf: parseYaml(text) as Workflow, report: checkWorkflow(file, text) };
};

const steps = (wf: Workflow) => Object.entries(wf.jobs).flatMap(([job, j]) => j.steps.map((s) => ({ job, ...s })));
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const needs = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

describe("CI workflows (.github/workflows)", () => {
  const names = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

  it("are the pull request checks, the nightly comparison and the sweep", () => {
    assert.deepEqual(names, ["nightly-compare.yml", "pull-request.yml", "sweep.yml"]);
  });

  for (const name of names) {
    it(`${name}: every scenarios command parses with the CLI's program, every script it runs exists, no expression inside a script`, () => {
      const { report } = load(name);
      assert.deepEqual(report.problems, []);
    });
  }

  it("pin every action to a major version or a commit, never a branch", () => {
    for (const name of names) {
      for (const s of steps(load(name).wf)) {
        if (s.uses) assert.match(s.uses, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${name}: ${s.uses}`);
      }
    }
  });

  it("set up the Node.js version package.json's engines asks for", () => {
    const engines = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    const minimum = /^>=\s*(\d+)/.exec(engines)?.[1];
    assert.ok(minimum, `engines.node ${engines}`);
    let seen = 0;
    for (const name of names) {
      for (const s of steps(load(name).wf).filter((x) => x.uses?.startsWith("actions/setup-node@"))) {
        seen++;
        assert.ok(Number(s.with?.["node-version"]) >= Number(minimum), `${name}: node-version ${s.with?.["node-version"]} for engines ${engines}`);
      }
    }
    assert.ok(seen >= 5);
  });

  describe("pull requests", () => {
    const { wf, text, report } = load("pull-request.yml");

    it("run npm ci, npm test, the engine tests with Go set up by the workflow, and upload the plan report", () => {
      assert.ok("pull_request" in wf.on);
      const all = Object.values(wf.jobs).map(runs).join("\n");
      for (const command of ["npm ci", "npm test", "npm run engine:build && npm run test:engine", "bash scripts/actionlint-build.sh"]) assert.ok(all.split("\n").some((l) => l.trim() === command), command);
      const go = steps(wf).filter((s) => s.uses?.startsWith("actions/setup-go@"));
      assert.deepEqual(go.map((s) => s.with?.["go-version-file"]).sort(), ["tools/actionlint/go.mod", "tools/pulumi-cli/go.mod"]);
      const plans = report.commands.filter((c) => c.command === "plan");
      assert.ok(plans.some((c) => c.args.includes("--all") && c.args.includes("--json")));
      const upload = steps(wf).find((s) => s.uses?.startsWith("actions/upload-artifact@"));
      assert.equal(upload?.with?.path, "reports/plan/");
    });

    it("touch no cloud: no Azure sign-in, no secrets, no deploying command", () => {
      assert.doesNotMatch(text, /azure\/login|\$\{\{\s*secrets\.|id-token/);
      assert.deepEqual(report.commands.filter((c) => c.command !== "plan"), []);
    });
  });

  describe("the nightly comparison", () => {
    const { wf, report } = load("nightly-compare.yml");
    const { guard, compare, sweep } = wf.jobs;

    it("runs nightly and on demand with scenarios, region, max hours and budget as inputs", () => {
      assert.ok("schedule" in wf.on);
      const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;
      assert.deepEqual(Object.keys(inputs).sort(), ["budget_usd", "max_hours", "region", "scenarios"]);
    });

    it("never runs twice at once and never cancels a running comparison", () => {
      assert.equal(wf.concurrency?.group, "nightly-compare", "one fixed group: no run id or ref in it");
      assert.equal(wf.concurrency?.["cancel-in-progress"], false);
    });

    it("signs in with OIDC only: id-token permission where it signs in, no client secret or credentials JSON", () => {
      for (const [id, job] of Object.entries(wf.jobs)) {
        const logins = job.steps.filter((s) => s.uses?.startsWith("azure/login@"));
        if (!logins.length) continue;
        assert.equal((job.permissions as Record<string, string>)?.["id-token"], "write", id);
        for (const login of logins) {
          assert.deepEqual(Object.keys(login.with ?? {}).sort(), ["client-id", "subscription-id", "tenant-id"], id);
        }
      }
      assert.equal(wf.permissions?.["id-token"], undefined, "id-token only on the jobs that sign in");
    });

    it("keeps state in Azure Blob Storage with the passphrase from a secret", () => {
      assert.match(String(compare.env?.PULUMI_BACKEND_URL), /^azblob:\/\/\$\{\{ vars\.\w+ \}\}\?storage_account=\$\{\{ vars\.\w+ \}\}$/);
      assert.equal(compare.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    });

    it("compares only after the budget guard passed, in the region asked for, with the hours as expiry and timeout", () => {
      assert.deepEqual(needs(compare), ["guard"]);
      const guardSteps = guard.steps.map((s) => s.run ?? "");
      const planAt = guardSteps.findIndex((r) => /scenarios plan .*--json/.test(r));
      const guardAt = guardSteps.findIndex((r) => r.includes("scripts/budget-guard.ts"));
      assert.ok(planAt >= 0 && guardAt > planAt, "plan --json, then the guard");
      assert.equal(compare["timeout-minutes"], "${{ fromJSON(needs.guard.outputs.minutes) }}");
      assert.equal(compare.strategy?.matrix?.scenario, "${{ fromJSON(needs.guard.outputs.scenarios) }}");
      const compares = report.commands.filter((c) => c.command === "compare");
      assert.equal(compares.length, 2, "one for consumption (with its shared ranges), one for the others");
      for (const c of compares) {
        assert.ok(c.args.includes("location=$REGION"), c.args.join(" "));
        assert.equal(c.args[c.args.indexOf("--expires-in") + 1], "$MAX_HOURS");
      }
    });

    it("installs the Pulumi CLI the engine tests build (tools/pulumi-cli)", () => {
      const pinned = /github\.com\/pulumi\/pulumi\/pkg\/v3 v([\d.]+)/.exec(fs.readFileSync(path.join(ROOT, "tools", "pulumi-cli", "go.mod"), "utf8"))?.[1];
      const install = compare.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
      assert.ok(pinned && install);
      assert.equal(String(install.with?.["pulumi-version"]), pinned);
      assert.equal(install.with?.command, undefined, "install only");
    });

    it("keeps the Azure CLI signed in for the whole comparison and stops that afterwards", () => {
      const start = compare.steps.findIndex((s) => s.run?.includes("scripts/azure-oidc-refresh.sh"));
      const login = compare.steps.findIndex((s) => s.uses?.startsWith("azure/login@"));
      const first = compare.steps.findIndex((s) => s.run?.includes("scenarios compare"));
      const stop = compare.steps.findIndex((s) => s.run?.includes("azure-oidc-refresh.pid") && s.run.includes("kill"));
      assert.ok(login < start && start < first && first < stop, `${login} ${start} ${first} ${stop}`);
      assert.equal(compare.steps[stop].if, "always()");
    });

    it("puts the compare report and the timelines in the job summary and in artifacts, also after a failure", () => {
      const summary = compare.steps.find((s) => s.run?.includes("GITHUB_STEP_SUMMARY"));
      assert.equal(summary?.if, "always()");
      assert.match(summary!.run!, /reports\/compare-\*\.md/);
      assert.match(summary!.run!, /reports\/runs\/\*\.md/);
      const upload = compare.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
      assert.equal(upload?.if, "always()");
      assert.match(String(upload?.with?.path), /reports\/compare-\*[\s\S]*reports\/runs\//);
    });

    it("always ends with a sweep of expired environments", () => {
      assert.equal(sweep.if, "always()");
      assert.deepEqual(needs(sweep).sort(), ["compare", "guard"]);
      const sweeps = report.commands.filter((c) => c.job === "sweep");
      assert.deepEqual(sweeps.map((c) => c.args), [["sweep"]], "a real sweep, not a dry run");
    });
  });

  describe("the scheduled sweep", () => {
    const { wf, report } = load("sweep.yml");
    const job = wf.jobs.sweep;

    it("sweeps on a schedule, and only lists (--dry-run) on pull requests, as the read-only identity", () => {
      assert.ok("schedule" in wf.on && "pull_request" in wf.on);
      const dry = job.steps.find((s) => s.run?.includes("--dry-run"));
      const real = job.steps.find((s) => s.run !== undefined && /scenarios sweep\s*$/.test(s.run.trim()));
      assert.equal(dry?.if, "github.event_name == 'pull_request'");
      assert.equal(real?.if, "github.event_name != 'pull_request'");
      assert.deepEqual(report.commands.map((c) => c.args).sort(), [["sweep"], ["sweep", "--dry-run"]]);
      const login = job.steps.find((s) => s.uses?.startsWith("azure/login@"));
      assert.match(String(login?.with?.["client-id"]), /github\.event_name == 'pull_request' && secrets\.AZURE_READER_CLIENT_ID/);
    });
  });

  describe("the checker itself", () => {
    const workflow = (run: string) =>
      ["name: x", "on: push", "jobs:", "  a:", "    runs-on: ubuntu-latest", "    steps:", "      - run: |", ...run.split("\n").map((l) => `          ${l}`)].join("\n");
    const check = (run: string) => checkWorkflow(path.join(WORKFLOWS, "x.yml"), workflow(run));

    it("accepts what the CLI accepts, placeholders standing for scenario names", () => {
      const r = check('read -ra s <<< "$SCENARIOS"\nnpx scenarios plan "${s[@]}" --config "location=$REGION" --json --no-report > plan.json\nnpx scenarios compare "$SCENARIO" --expires-in 4\nnpx scenarios sweep --dry-run');
      assert.deepEqual(r.problems, []);
      assert.deepEqual(r.commands.map((c) => c.command), ["plan", "compare", "sweep"]);
    });

    it("catches an unknown flag, an unknown --config key, a bad scenario, a missing script and an expression in a script", () => {
      const r = check(
        [
          "npx scenarios compare public --expires 4",
          "npx scenarios compare public --config regoin=westeurope",
          "npx scenarios compare staging",
          "npx tsx scripts/no-such-guard.ts",
          'echo "${{ inputs.flags }}"',
        ].join("\n"),
      );
      const expected = [/expression|\$\{\{/, /--expires/, /regoin/, /staging/, /no-such-guard/];
      assert.equal(r.problems.length, expected.length, r.problems.join("\n"));
      for (const re of expected) assert.ok(r.problems.some((p) => re.test(p)), `${re} in ${r.problems.join("; ")}`);
    });
  });
});
