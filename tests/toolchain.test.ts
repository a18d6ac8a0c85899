/** What `npm test`, `npm start` and CI run on: Node 22, the type check beside mocha, one file at a time when asked. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runner = require(path.join(ROOT, "scripts", "test.js")) as {
  commands: (extra?: string[]) => Record<"typecheck" | "tests", [string, string[]]>;
  env: NodeJS.ProcessEnv;
  node22Bin: (version: string, env: NodeJS.ProcessEnv, exists: (p: string) => boolean) => string | undefined;
};

describe("toolchain", () => {
  it("requires Node 22 or later, and the README says so", () => {
    const pkg = JSON.parse(read("package.json")) as { engines: { node: string }; scripts: Record<string, string> };
    assert.equal(pkg.engines.node, ">=22");
    assert.match(read("README.md"), /Node\.js 22 or later/);
  });

  it(".ci/run puts Node 22 from the npm registry's node package first on PATH when the machine's node is older", () => {
    const ci = read(".ci/run");
    const install = ci.indexOf("npm install --prefix");
    assert.ok(install > 0 && install < ci.indexOf("npm ci"), "before npm ci");
    assert.match(ci, /-lt 22 \]/);
    assert.match(ci, /node@22/);
    assert.match(ci, /export PATH="\$node22\/node_modules\/node\/bin:\$PATH"/);
  });

  it("npm test runs the incremental type check and all tests side by side, with Node's compile cache", () => {
    assert.equal((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts.test, "node scripts/test.js");
    const c = runner.commands(["--grep", "x"]);
    assert.match(c.typecheck[0], /node_modules\/\.bin\/tsc$/);
    assert.ok(c.typecheck[1].includes("--incremental") && c.typecheck[1].some((a) => a.includes("node_modules/.cache/tsc/")));
    assert.match(c.tests[0], /node_modules\/\.bin\/mocha$/);
    assert.deepEqual(c.tests[1], ["--parallel", "--jobs", "2", "tests/**/*.test.ts", "--grep", "x"], "two workers for the two cores, every test file, extra arguments last");
    assert.ok(runner.env.NODE_COMPILE_CACHE);
  });

  it("npm test on an older node runs its children on the Node 22 that .ci/run installed, where there is one", () => {
    const everywhere = () => true;
    assert.equal(runner.node22Bin("22.1.0", {}, everywhere), undefined, "Node 22 runs as it is");
    assert.equal(runner.node22Bin("20.20.2", { XDG_CACHE_HOME: "/c" }, everywhere), "/c/apim-aks-ai-scenarios/node22/node_modules/node/bin");
    assert.equal(runner.node22Bin("20.20.2", { XDG_CACHE_HOME: "/c" }, () => false), undefined, "none installed");
    assert.ok(read(".ci/run").includes('node22="${XDG_CACHE_HOME:-$HOME/.cache}/apim-aks-ai-scenarios/node22"'), "the same place .ci/run installs to");
  });

  it("the mocha config names no spec, so `npx mocha <file>` runs only that file", () => {
    const config = JSON.parse(read(".mocharc.json")) as Record<string, unknown>;
    assert.equal(config.spec, undefined);
    assert.deepEqual(config["node-option"], ["import=tsx"]);
  });
});
