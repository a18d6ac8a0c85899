#!/usr/bin/env node
// `npm test`: the type check and the offline tests run side by side (each is single-threaded), and the run
// fails when either does. The type check is incremental: its build info lives under node_modules/.cache.
// Node's compile cache (Node 22.1+) keeps V8's compiled code of the SDKs between runs, for both.
// Arguments go to mocha: `npm test -- --grep plan`.
const { spawn } = require("node:child_process");
const path = require("node:path");

const fs = require("node:fs");
const os = require("node:os");

const root = path.resolve(__dirname, "..");
const cache = path.join(root, "node_modules", ".cache");

/**
 * Where .ci/run installs Node 22 from the npm registry's `node` package when the machine's node is older;
 * `npm test` runs its children there too when this node is older than 22 and that install exists.
 */
function node22Bin(version = process.versions.node, env = process.env, exists = fs.existsSync) {
  if (Number(version.split(".")[0]) >= 22) return undefined;
  const dir = path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "apim-aks-ai-scenarios", "node22", "node_modules", "node", "bin");
  return exists(path.join(dir, "node")) ? dir : undefined;
}

const node22 = node22Bin();
const env = {
  ...process.env,
  ...(node22 ? { PATH: `${node22}${path.delimiter}${process.env.PATH}` } : {}),
  NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(cache, "node-compile-cache"),
};
const bin = (name) => path.join(root, "node_modules", ".bin", name);

function run(label, command, args, buffered) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, env, stdio: buffered ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    if (buffered) for (const stream of [child.stdout, child.stderr]) stream.on("data", (d) => (output += d));
    child.on("close", (code, signal) => resolve({ label, code: code ?? 1, signal, output, seconds: (Date.now() - started) / 1000 }));
  });
}

/** The two commands `npm test` runs side by side; extra arguments go to mocha. */
function commands(extra = []) {
  return {
    typecheck: [bin("tsc"), ["--noEmit", "-p", ".", "--incremental", "--tsBuildInfoFile", path.join(cache, "tsc", "typecheck.tsbuildinfo")]],
    // Two mocha workers (one file each at a time, each with its own mock engine): the machines have 2 cores.
    tests: [bin("mocha"), ["--parallel", "--jobs", "2", "tests/**/*.test.ts", ...extra]],
  };
}

async function main() {
  if (node22) console.log(`node ${process.version} is older than the 22 package.json asks for: the type check and the tests run on ${node22}/node`);
  else if (Number(process.versions.node.split(".")[0]) < 22) console.log(`node ${process.version} is older than the 22 package.json asks for; .ci/run installs Node 22 (see README)`);
  const c = commands(process.argv.slice(2));
  const typecheck = run("type check", ...c.typecheck, true);
  const tests = run("tests", ...c.tests, false);
  const results = await Promise.all([typecheck, tests]);
  const tc = results[0];
  if (tc.output.trim()) process.stdout.write(tc.output.endsWith("\n") ? tc.output : `${tc.output}\n`);
  for (const r of results) console.log(`${r.label}: ${r.code === 0 ? "ok" : `failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ""})`} in ${r.seconds.toFixed(1)} s`);
  process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
}

if (require.main === module) main();
module.exports = { commands, env, node22Bin };
