import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../config/load";
import { ENGINE_BIN, listStacks, type TestProject, testProject } from "./harness";

const DRIVE = path.join(PROJECT_DIR, "tests", "engine", "drive.ts");

describe("engine: compare-style ephemeral stacks in parallel (no terminal: plain progress lines)", function () {
  let project: TestProject;
  before(function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    project = testProject({ createSeconds: 2, deleteSeconds: 1 });
  });
  after(() => project?.cleanup());

  it("two stacks side by side, one failing: both destroyed and removed, the failure named, exit 1", async () => {
    const result = path.join(project.root, "result.json");
    const env = {
      ...process.env,
      ...project.env,
      PATH: `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
      SCENARIOS_ENGINE_WORKDIR: project.workDir,
      SCENARIOS_ENGINE_STACKS: project.stacksDir,
      SCENARIOS_ENGINE_FAIL: "2",
      SCENARIOS_DRIVE_RESULT: result,
    };
    const started = Date.now();
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ["--import", "tsx", DRIVE, "compare", "2"], { cwd: PROJECT_DIR, env }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    const output = `${stdout}\n${stderr}`;
    assert.equal(code, 1, output);
    const { results } = JSON.parse(fs.readFileSync(result, "utf8")) as { results: { row: string; stack: string; ok: boolean; error?: string; up?: string; destroy?: string; removed?: boolean; leftovers: string[] }[] };
    const byRow = Object.fromEntries(results.map((r) => [r.row, r]));
    assert.equal(byRow.row1.ok, true, JSON.stringify(byRow.row1));
    assert.equal(byRow.row2.ok, false);
    assert.equal(byRow.row2.up, "failed");
    assert.match(byRow.row2.error ?? "", /simulated cloud: api refused \(QuotaExceeded\)/, "the failure says which resource and why");
    for (const r of results) {
      assert.equal(r.destroy, "succeeded", JSON.stringify(r));
      assert.equal(r.removed, true);
      assert.deepEqual(r.leftovers, []);
    }
    // Plain progress lines (not a terminal) name the failed operation.
    assert.match(stderr, /FAILED to create .* api/);
    assert.match(output, /error: compare failed for .*-eph-.* \(1 of 2\)/);
    assert.deepEqual(listStacks(project), []);
    assert.deepEqual(fs.readdirSync(project.stacksDir), ["Pulumi.public.yaml"], "the ephemeral stack files are gone");
    console.log(`      (two lifecycles in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });
});
