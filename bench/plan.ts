// `npm run bench plan`: wall time and peak memory of `scenarios plan --all`, the command `npm start` runs,
// as a user starts it (a fresh `node bin/scenarios.js` process each run, reports written to a temp dir).
// Goals (issue #15): at most 3 s and 500 MB on this 2-core machine. Peak memory is the child's own maximum resident
// set size, read with process.resourceUsage() from a preloaded exit hook.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
export const PLAN_GOALS = { wallSeconds: 3, peakMb: 500 } as const;

export interface PlanRun {
  wallSeconds: number;
  peakMb: number;
  exitCode: number | null;
}

export interface PlanBenchResult {
  command: string;
  runs: PlanRun[];
  medianWallSeconds: number;
  maxPeakMb: number;
  meetsGoals: boolean;
}

const HOOK = `process.on("exit", () => { require("fs").writeFileSync(process.env.PLAN_BENCH_RUSAGE, JSON.stringify(process.resourceUsage())); });\n`;

async function once(args: string[], hook: string, out: string): Promise<PlanRun> {
  const started = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", hook, path.join(ROOT, "bin", "scenarios.js"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PLAN_BENCH_RUSAGE: out, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (c) => (c === 0 ? resolve(c) : reject(new Error(`scenarios ${args.join(" ")} exited with ${c}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`))));
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = JSON.parse(fs.readFileSync(out, "utf8")) as { maxRSS: number };
  return { wallSeconds, peakMb: usage.maxRSS / 1024, exitCode: code };
}

export async function benchPlan(runs = Number(process.env.BENCH_PLAN_RUNS) || 3): Promise<PlanBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-"));
  const hook = path.join(dir, "rusage.cjs");
  fs.writeFileSync(hook, HOOK);
  const args = ["plan", "--all", "--report-dir", path.join(dir, "reports")];
  try {
    const results: PlanRun[] = [];
    for (let i = 0; i < runs; i++) results.push(await once(args, hook, path.join(dir, `rusage-${i}.json`)));
    const walls = results.map((r) => r.wallSeconds).sort((a, b) => a - b);
    const medianWallSeconds = walls[Math.floor(walls.length / 2)];
    const maxPeakMb = Math.max(...results.map((r) => r.peakMb));
    return {
      command: `node bin/scenarios.js ${args.slice(0, 2).join(" ")}`,
      runs: results,
      medianWallSeconds,
      maxPeakMb,
      meetsGoals: medianWallSeconds <= PLAN_GOALS.wallSeconds && maxPeakMb <= PLAN_GOALS.peakMb,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatPlanBench(r: PlanBenchResult): string {
  const lines = [
    `plan: ${r.command} (${r.runs.length} runs, ${os.cpus().length} CPUs, Node ${process.version})`,
    ...r.runs.map((x, i) => `  run ${i + 1}: ${x.wallSeconds.toFixed(2)} s wall, ${x.peakMb.toFixed(0)} MB peak RSS`),
    `  median wall ${r.medianWallSeconds.toFixed(2)} s (goal <= ${PLAN_GOALS.wallSeconds} s), max peak ${r.maxPeakMb.toFixed(0)} MB (goal <= ${PLAN_GOALS.peakMb} MB): ${r.meetsGoals ? "meets the goals" : "MISSES the goals"}`,
  ];
  return lines.join("\n");
}

export async function run(): Promise<PlanBenchResult> {
  const result = await benchPlan();
  console.log(formatPlanBench(result));
  return result;
}
