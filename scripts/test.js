#!/usr/bin/env node
// `npm test`: the type check and the offline tests run side by side (each is single-threaded), and the run
// fails when either does. The type check is incremental: its build info lives under node_modules/.cache.
// Node's compile cache (Node 22.1+) keeps V8's compiled code of the SDKs between runs, for both.
// Arguments go to mocha: `npm test -- --grep plan`.
const { spawn } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const cache = path.join(root, "node_modules", ".cache");
const env = { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(cache, "node-compile-cache") };
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
    tests: [bin("mocha"), ["tests/**/*.test.ts", ...extra]],
  };
}

async function main() {
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
module.exports = { commands, env };
