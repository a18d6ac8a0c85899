import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runScenarios } from "./helpers";
import { cliInProcess } from "../../helpers/cli";

function scenarios(...args: string[]) {
  return runScenarios(args, { NO_COLOR: "1" });
}

// Started when mocha loads the file, as tests/automation/plan/cli.test.ts does, so that they evaluate beside
// the in-process tests; each test awaits its own.
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "workshop-plan-"));
const early = {
  text: scenarios("plan", "public", "--workshop", "20", "--no-report"),
  json: scenarios("plan", "public", "--json", "--workshop", "3", "--no-report"),
  reports: scenarios("plan", "public", "--workshop", "7", "--workshop-concurrency", "3", "--workshop-hours", "2", "--report-dir", reportDir),
};

describe("scenarios plan --workshop (CLI)", function () {
  this.timeout(120000);

  it("prints the workshop estimate of 20 after the plan, shared vs separate", async () => {
    const run = await early.text;
    assert.equal(run.code, 0, run.stderr);
    const at = run.stdout.indexOf("Workshop of 20 (public, estimated)");
    assert.ok(at > 0, run.stdout);
    const block = run.stdout.slice(at);
    const minutes = (label: RegExp) => Number(block.match(new RegExp(`${label.source} +ready in +([\\d.]+) min`))?.[1]);
    const separate = minutes(/20 separate stacks/);
    const shared = minutes(/shared host \+ 20 attendees/);
    assert.ok(separate > 0 && shared > 0, block);
    assert.ok(shared < separate, block);
    assert.match(block, /shared part: +\d+ resources, [\d.]+ min once/);
    assert.match(block, /simulated zone \(workshop\.example\.com\); workshop prepare needs yours/, "public's attendee hosts need a zone the plan simulates");
    assert.match(run.stderr, /^evaluated public's workshop halves \(simulated\): \d+ \+ \d+ registrations/m);
  });

  it("keeps stdout JSON-only with --json: the estimate goes to stderr as text, and into the document under `workshop`", async () => {
    const run = await early.json;
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { workshop?: { attendees: number; concurrency: number; hours: number; sharedHost: { rounds: number }; shared: { minutes: number } } };
    assert.match(run.stderr, /Workshop of 3 \(public, estimated\)/);
    assert.equal(doc.workshop?.attendees, 3);
    assert.equal(doc.workshop?.concurrency, 5);
    assert.equal(doc.workshop?.hours, 4);
    assert.equal(doc.workshop?.sharedHost.rounds, 1, "3 attendees, 5 at a time");
    assert.ok(doc.workshop!.shared.minutes > 0);
    assert.equal((doc.workshop as { simulatedZone?: string }).simulatedZone, "workshop.example.com");
  });

  it("--workshop-concurrency and --workshop-hours change the rounds and the billed hours; the Markdown and HTML reports carry the estimate", async () => {
    const run = await early.reports;
    try {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Workshop of 7 \(public, estimated\): 3 attendee stacks at a time/);
      assert.match(run.stdout, /shared host \+ 7 attendees +ready in +[\d.]+ min \(3 rounds\), .* for prepare \+ 2 h/);
      const md = fs.readFileSync(path.join(reportDir, "plan-public.md"), "utf8");
      assert.match(md, /^## Workshop of 7: public \(estimated\)$/m);
      assert.match(md, /^\| fixed cost, prepare \+ 2 h \| /m);
      const html = fs.readFileSync(path.join(reportDir, "plan-public.html"), "utf8");
      assert.match(html, /<section class="workshop"><h2>Workshop of 7: public \(estimated\)<\/h2>/);
    } finally {
      fs.rmSync(reportDir, { recursive: true, force: true });
    }
  });

  it("refuses --workshop-concurrency or --workshop-hours without --workshop, and values out of range, before evaluating", async () => {
    for (const [args, message] of [
      [["--workshop-hours", "2"], /--workshop-concurrency and --workshop-hours go with --workshop <attendees>/],
      [["--workshop", "3", "--workshop-concurrency", "0"], /a whole number from 1 to 20/],
      [["--workshop", "3", "--workshop-hours", "-1"], /hours, 0 to 168/],
    ] as const) {
      // Refusals evaluate nothing: in this process, not in a CLI process each.
      const run = await cliInProcess(["plan", "public", ...args, "--no-report"]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /evaluated/);
    }
  });

  it("refuses a number of attendees that is not a whole number of at least 1, before evaluating", async () => {
    for (const bad of ["0", "2.5", "twenty"]) {
      const run = await cliInProcess(["plan", "public", "--workshop", bad, "--no-report"]);
      assert.equal(run.code, 2, `${bad}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /a whole number of attendees, at least 1/);
      assert.doesNotMatch(run.stderr, /evaluated/);
    }
  });
});
