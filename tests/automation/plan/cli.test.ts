import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SECRET } from "../../../automation/mock-engine";
import { SCENARIO_NAMES } from "../../../config/schema";

const ROOT = path.resolve(__dirname, "../../..");

function scenarios(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "scenarios.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "", DEBUG: "" },
    timeout: 120000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scenarios plan (CLI)", function () {
  this.timeout(180000);

  it("refuses an invalid setting with exit code 2 and one line per problem, no stack trace, nothing on stdout", () => {
    const r = scenarios("plan", "--all", "--config", "apimSku=Gold", "--no-report");
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

  it("answers usage mistakes with exit code 2", () => {
    assert.equal(scenarios("plan").code, 2);
    const unknown = scenarios("plan", "nope");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown scenario "nope"/);
    assert.equal(scenarios("plan", "public", "--all").code, 2);
  });

  it("--json prints only the preview document on stdout, progress on stderr", () => {
    const r = scenarios("plan", "public", "--json", "--no-report");
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.steps[0].newState.type, "pulumi:pulumi:Stack");
    assert.equal(doc.changeSummary.create, doc.steps.length);
    assert.equal(doc.outputs.subscriptionKey, SECRET);
    assert.equal(doc.estimates.simulated, true);
    assert.match(r.stderr, /evaluated public \(simulated\)/);
  });

  it("--json for several scenarios prints one object keyed by scenario name", () => {
    const r = scenarios("plan", "public", "consumption", "--json", "--no-report");
    assert.equal(r.code, 0, r.stderr);
    const docs = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(docs), ["public", "consumption"]);
    for (const doc of Object.values(docs) as { steps: unknown[] }[]) assert.ok(doc.steps.length > 10);
  });

  it("--all prints the comparison without colour when stdout is not a terminal, and writes the reports", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
    try {
      const r = scenarios("plan", "--all", "--report-dir", dir);
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
