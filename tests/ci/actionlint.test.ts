/**
 * actionlint (github.com/rhysd/actionlint, pinned in tools/actionlint) over .github/workflows: syntax,
 * expressions and their types, action inputs, job dependencies, and (when shellcheck is on PATH) the `run:`
 * scripts. Built by scripts/actionlint-build.sh into .engine/actionlint/; without a Go toolchain and without a
 * binary built earlier, the suite skips and prints why once.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, ".engine", "actionlint", "actionlint");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface LintError {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

function onPath(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Runs actionlint over files; its JSON format lists every error (an empty list when there is none). */
function actionlint(files: string[]): LintError[] {
  const r = spawnSync(BIN, ["-no-color", "-format", "{{json .}}", ...files], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout || "[]") as LintError[];
}

const format = (errors: LintError[]) => errors.map((e) => `${path.relative(ROOT, e.filepath)}:${e.line}:${e.column}: ${e.message} [${e.kind}]`).join("\n");

describe("workflows pass actionlint (.github/workflows)", function () {
  this.timeout(600_000);

  before(function () {
    if (onPath("go")) {
      // Up to date in a moment when .ci/run (or an earlier run) built it; a cold build takes a minute or two.
      execFileSync("bash", [path.join(ROOT, "scripts", "actionlint-build.sh")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    }
    if (!fs.existsSync(BIN)) {
      const reasonFile = path.join(ROOT, ".engine", "actionlint", "skip-reason");
      const reason = fs.existsSync(reasonFile) ? fs.readFileSync(reasonFile, "utf8").trim() : "no Go toolchain on PATH and no actionlint built earlier";
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
  });

  it("is the version tools/actionlint pins", () => {
    const pinned = /github\.com\/rhysd\/actionlint (v[\d.]+)/.exec(fs.readFileSync(path.join(ROOT, "tools", "actionlint", "go.mod"), "utf8"))?.[1];
    assert.ok(pinned, "tools/actionlint/go.mod requires github.com/rhysd/actionlint");
    assert.equal(execFileSync(BIN, ["-version"], { encoding: "utf8" }).split("\n")[0].trim(), pinned);
  });

  it(`finds no problem in any workflow${onPath("shellcheck") ? " (run: scripts checked with shellcheck)" : " (shellcheck not on PATH: run: scripts not linted)"}`, () => {
    const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(WORKFLOWS, f));
    assert.ok(files.length >= 3, files.join(", "));
    const errors = actionlint(files);
    assert.deepEqual(errors, [], format(errors));
  });

  it("reports a broken workflow (so a pass means something)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
    try {
      const file = path.join(dir, "broken.yml");
      fs.writeFileSync(
        file,
        [
          "on: pull_request",
          "jobs:",
          "  a:",
          "    runs-on: ubuntu-latest",
          "    needs: nowhere",
          "    steps:",
          "      - uses: azure/login@v3",
          "        with:",
          "          client-secret: ${{ secrets.X }}",
          "      - run: echo ${{ github.event.pull_request.title }}",
          "      - run: echo ${{ steps.none.outputs.x.y( }}",
        ].join("\n"),
      );
      const kinds = new Set(actionlint([file]).map((e) => e.kind));
      for (const kind of ["job-needs", "action", "expression"]) assert.ok(kinds.has(kind), `${kind} in ${[...kinds].join(", ")}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
