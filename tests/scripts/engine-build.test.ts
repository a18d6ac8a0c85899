/**
 * scripts/engine-build.sh decides between "built", "skip" and "fail" from what `go` says. Here `go` is a
 * stand-in script on PATH (only the script's decisions are under test; the real build is `npm run
 * engine:build`), and the output goes to a temporary directory.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "engine-build.sh");

function run(goScript: string | undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-build-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  if (goScript) fs.writeFileSync(path.join(bin, "go"), `#!/bin/sh\n${goScript}\n`, { mode: 0o755 });
  // PATH keeps only what the script needs besides go: sh, coreutils, grep.
  const PATH = [bin, "/usr/bin", "/bin"].join(":");
  const r = spawnSync("bash", [SCRIPT], { env: { PATH, HOME: dir, SCENARIOS_ENGINE_DIR: path.join(dir, "engine"), SCENARIOS_ENGINE_NO_AZURITE: "1" }, encoding: "utf8" });
  const skip = path.join(dir, "engine", "skip-reason");
  const reason = fs.existsSync(skip) ? fs.readFileSync(skip, "utf8") : undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, reason };
}

const VERSION = `if [ "$1" = env ]; then echo go1.26.8; exit 0; fi`;

describe("scripts/engine-build.sh: build, skip or fail", () => {
  it("no Go: exit 0, one reason for test:engine to print", function () {
    if (fs.existsSync("/usr/bin/go") || fs.existsSync("/bin/go")) this.skip();
    const r = run(undefined);
    assert.equal(r.code, 0, r.out);
    assert.match(r.reason ?? "", /no Go toolchain on PATH/);
  });

  it("the module proxy refuses a module: exit 0, and go's exact words are the reason", () => {
    const refusal = "go: github.com/pulumi/pulumi/pkg/v3@v3.274.1: reading https://proxy.golang.org/github.com/pulumi/pulumi/pkg/v3/@v/v3.274.1.zip: 403 Forbidden\n\tserver response: This module version is not available.";
    const r = run(`${VERSION}\nprintf '%s\\n' '${refusal.replace(/\n\t/, "' '\t")}' >&2\nexit 1`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.reason ?? "", /reading https:\/\/proxy\.golang\.org\/github\.com\/pulumi\/pulumi\/pkg\/v3\/@v\/v3\.274\.1\.zip: 403 Forbidden/);
    assert.match(r.out, /skipped: the Go module proxy refused a module the build needs/);
  });

  it("Go present and the build fails for any other reason: exit 1, not a skip", () => {
    const r = run(`${VERSION}\necho 'pkg/cmd/pulumi/main.go:12:2: undefined: foo' >&2\nexit 1`);
    assert.equal(r.code, 1, r.out);
    assert.equal(r.reason, undefined);
    assert.match(r.out, /FAILED \(exit 1\); go said:[\s\S]*undefined: foo/);
  });
});
