import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SECRET } from "../../../automation/mock-engine";
import { SCENARIO_NAMES } from "../../../config/schema";
import { type CliRun, runScenarios } from "./helpers";
import { cliInProcess } from "../../helpers/cli";


type Run = CliRun;

function scenarios(...args: string[]): Promise<Run> {
  return runScenarios(args);
}

// The processes that evaluate start when mocha loads this file, so that they run beside the in-process tests
// (on the second core once the type check is done); each test awaits its own.
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
const early = {
  invalid: scenarios("plan", "--all", "--config", "apimSku=Gold", "--no-report"),
  json: scenarios("plan", "public", "--json", "--no-report"),
  all: scenarios("plan", "--all", "--report-dir", reportDir),
};

const inProcess = (args: string[]) => cliInProcess(args);

describe("scenarios plan (CLI)", function () {
  after(() => fs.rmSync(reportDir, { recursive: true, force: true }));
  this.timeout(180000);

  it("refuses an invalid setting with exit code 2 and one line per problem, no stack trace, nothing on stdout", async () => {
    const r = await early.invalid;
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.ok(lines.length >= 1);
    for (const line of lines) {
      assert.match(line, /^apimSku = "Gold": /, line);
      assert.match(line, /Developer/, "says what is allowed");
    }
    assert.ok(!/^\s+at /m.test(r.stderr), "no stack trace");
  });

  it("answers usage mistakes with exit code 2", async () => {
    assert.equal((await scenarios("plan")).code, 2);
    const unknown = await scenarios("plan", "nope");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown scenario "nope"/);
    assert.equal((await scenarios("plan", "public", "--all")).code, 2);
  });

  it("--json prints only the preview document on stdout, progress on stderr", async () => {
    const r = await early.json;
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.steps[0].newState.type, "pulumi:pulumi:Stack");
    assert.equal(doc.changeSummary.create, doc.steps.length);
    assert.equal(doc.outputs.subscriptionKey, SECRET);
    assert.equal(doc.estimates.simulated, true);
    assert.match(r.stderr, /evaluated public \(simulated\)/);
  });

  it("--json: a configuration problem is a JSON document on stdout, exit 2, in words a person would use", async () => {
    const r = await inProcess(["plan", "public", "--json", "--no-report", "--config", "tags=[1]", "--config", "apimSku=Gold"]);
    assert.equal(r.code, 2, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), ["errors"]);
    const byKey = Object.fromEntries(doc.errors.map((e: { key: string }) => [e.key, e]));
    assert.deepEqual(byKey.tags, { key: "tags", value: [1], message: 'must be a JSON object such as {"owner":"me"}' });
    assert.equal(byKey.apimSku.value, "Gold");
    assert.match(byKey.apimSku.message, /Developer/);
    assert.ok(!/record|array|ZodError/.test(r.stdout + r.stderr), "no zod wording");
  });

  it("--json: usage mistakes are JSON documents on stdout too, exit 2", async () => {
    for (const args of [["plan", "nope", "--json"], ["plan", "public", "--all", "--json"], ["plan", "public", "--json", "--bogus"]]) {
      const r = await inProcess(args);
      assert.equal(r.code, 2, args.join(" "));
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.errors.length, 1);
      assert.deepEqual(Object.keys(doc.errors[0]), ["key", "value", "message"]);
      assert.equal(doc.errors[0].key, "arguments");
      assert.deepEqual(doc.errors[0].value, args);
      assert.ok(doc.errors[0].message.length > 10);
    }
    const plain = await inProcess(["plan", "nope"]);
    assert.equal(plain.stdout, "", "without --json, nothing on stdout");
  });

  it("--json for several scenarios prints one object keyed by scenario name", async () => {
    // In this process: the evaluations are the ones the other test files share (automation/evaluate.ts).
    const r = await inProcess(["plan", "public", "consumption", "--json", "--no-report"]);
    assert.equal(r.code, 0, r.stderr);
    const docs = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(docs), ["public", "consumption"]);
    for (const doc of Object.values(docs) as { steps: unknown[] }[]) assert.ok(doc.steps.length > 10);
  });

  it("--all prints the comparison without colour when stdout is not a terminal, and writes the reports", async () => {
    const dir = reportDir;
    try {
      const r = await early.all;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^SIMULATED: /);
      assert.ok(!r.stdout.includes("\x1b["), "no colour codes in a pipe");
      for (const s of SCENARIO_NAMES) assert.match(r.stdout, new RegExp(`^${s} — `, "m"));
      assert.match(r.stdout, /^reports \(simulated\): .*plan-all\.md, .*plan-all\.html$/m);
      assert.ok(fs.existsSync(path.join(dir, "plan-all.html")));
      assert.ok(fs.existsSync(path.join(dir, "plan-all.md")));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
