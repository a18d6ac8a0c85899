import assert from "node:assert/strict";
import { runScenarios } from "./helpers";

function scenarios(...args: string[]) {
  return runScenarios(args, { NO_COLOR: "1" });
}

// Started when mocha loads the file, as tests/automation/plan/cli.test.ts does, so that they evaluate beside
// the in-process tests; each test awaits its own.
const early = {
  text: scenarios("plan", "public", "--workshop", "20", "--no-report"),
  json: scenarios("plan", "public", "--json", "--workshop", "3", "--no-report"),
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
  });

  it("keeps stdout JSON-only with --json: the estimate goes to stderr", async () => {
    const run = await early.json;
    assert.equal(run.code, 0, run.stderr);
    JSON.parse(run.stdout);
    assert.match(run.stderr, /Workshop of 3 \(public, estimated\)/);
  });

  it("refuses a number of attendees that is not a whole number of at least 1, before evaluating", async () => {
    for (const bad of ["0", "2.5", "twenty"]) {
      const run = await scenarios("plan", "public", "--workshop", bad, "--no-report");
      assert.equal(run.code, 2, `${bad}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /a whole number of attendees, at least 1/);
      assert.doesNotMatch(run.stderr, /evaluated/);
    }
  });
});
