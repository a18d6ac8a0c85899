// `npm run bench app [-- --json]`: the AI API's cost against the upstream imitation it fronts. Three sides,
// each in its own process on loopback: the stub called directly, a bare Node proxy (the floor any Node
// service reaches here) and the service (production build, production command). The load generator runs in
// a fourth process. JSON and streaming, three rounds per side, medians of each figure.
import { fork, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { CHAT_PATH, DEFAULT_API_VERSION, HEALTH_PATH, START_COMMAND } from "../app/src/image";
import type { LoadJob, LoadResult } from "./app-load";
import {
  cpuMsFromStat,
  medianStats,
  memoryQuantityMb,
  MODES,
  peakRssMbFromStatus,
  round,
  SIDES,
  targetsOf,
  verdicts,
  type BenchJson,
  type Mode,
  type Side,
  type SideStats,
} from "./app-stats";

const ROOT = path.resolve(__dirname, "..");
const APP_DIR = path.join(ROOT, "app");
/** The AI API pod's memory request (components/AiBackend.ts DEFAULT_RESOURCES; a test keeps them equal). */
export const POD_MEMORY_REQUEST = "192Mi";

export interface AppBenchOptions {
  rounds: number;
  warmupSeconds: number;
  latencySeconds: number;
  throughputSeconds: number;
  connections: number;
}

const numberFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export const defaultAppBenchOptions = (): AppBenchOptions => ({
  rounds: numberFromEnv("BENCH_APP_ROUNDS", 3),
  warmupSeconds: numberFromEnv("BENCH_APP_WARMUP_S", 2),
  latencySeconds: numberFromEnv("BENCH_APP_LATENCY_S", 3),
  throughputSeconds: numberFromEnv("BENCH_APP_THROUGHPUT_S", 5),
  connections: numberFromEnv("BENCH_APP_CONNECTIONS", 16),
});

const MESSAGES = [
  { role: "system", content: "You are a terse assistant." },
  { role: "user", content: "Say hello to the benchmark." },
];
const BODIES: Record<Mode, string> = {
  json: JSON.stringify({ messages: MESSAGES, max_tokens: 64 }),
  // Usage asked for on every side, so the stub does the same work whoever calls it.
  stream: JSON.stringify({ messages: MESSAGES, max_tokens: 64, stream: true, stream_options: { include_usage: true } }),
};

export interface AppBenchResult {
  options: AppBenchOptions;
  logLevel: string;
  node: string;
  cpus: number;
  /** `uptime`'s load averages when the bench started and ended. */
  load: { before: number[]; after: number[] };
  rounds: Record<Mode, Record<Side, SideStats[]>>;
  medians: BenchJson;
  failures: number;
}

/** Resolves with the first stdout line, and keeps draining stdout afterwards. */
function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let found = false;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!found) {
        found = true;
        resolve(line);
      }
    });
    child.once("exit", (code) => {
      if (!found) reject(new Error(`${what} exited with code ${code} before it was ready`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitUntilHealthy(child: ChildProcess, url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`service exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`service did not answer ${url} within 10 s`);
}

const TICKS = (() => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();
const cpuMs = (pid: number) => cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, "utf8"), TICKS);
const peakRssMb = (pid: number) => peakRssMbFromStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
const loadAverages = () => os.loadavg().map((n) => round(n, 2));

/** The load generator child: one job at a time over IPC. */
function loadGenerator(): Promise<{ run(job: LoadJob): Promise<LoadResult>; stop(): void }> {
  const child = fork(path.join(__dirname, "app-load.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", () =>
      resolve({
        run: (job) =>
          new Promise((done, fail) => {
            child.once("message", (m: { ok: boolean; result?: LoadResult; error?: string }) => (m.ok ? done(m.result!) : fail(new Error(m.error))));
            child.send(job);
          }),
        stop: () => child.kill("SIGTERM"),
      }),
    );
    child.once("exit", (code) => reject(new Error(`load generator exited with code ${code}`)));
  });
}

function stop(child: ChildProcess | undefined) {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

export async function benchApp(options: AppBenchOptions = defaultAppBenchOptions(), log: (line: string) => void = () => undefined): Promise<AppBenchResult> {
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: APP_DIR, stdio: ["ignore", "ignore", "inherit"] });
  if (build.status !== 0) throw new Error("building the app failed");

  const logLevel = process.env.BENCH_APP_LOG_LEVEL ?? "info";
  const before = loadAverages();
  const children: ChildProcess[] = [];
  let logFile: number | undefined;
  let generator: Awaited<ReturnType<typeof loadGenerator>> | undefined;
  try {
    const upstream = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "app-upstream.ts")], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    children.push(upstream);
    const stub = JSON.parse(await firstLine(upstream, "upstream stub")) as { url: string; deployment: string };

    const servicePort = await freePort();
    const [command, ...args] = START_COMMAND;
    // Logs go to a file, as a container runtime would take them, rather than into the load generator.
    logFile = openSync(path.join(os.tmpdir(), `bench-app-service-${process.pid}.log`), "w");
    const service = spawn(command === "node" ? process.execPath : command!, args, {
      cwd: APP_DIR,
      stdio: ["ignore", logFile, "inherit"],
      env: {
        PATH: process.env.PATH,
        AZURE_OPENAI_ENDPOINT: stub.url,
        AZURE_OPENAI_DEPLOYMENT: stub.deployment,
        HOST: "127.0.0.1",
        PORT: String(servicePort),
        LOG_LEVEL: logLevel,
        // DefaultAzureCredential gets its token from the stub, the way App Service managed identity works.
        AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
        IDENTITY_ENDPOINT: `${stub.url}/msi/token`,
        IDENTITY_HEADER: "bench",
      },
    });
    children.push(service);
    const serviceBase = `http://127.0.0.1:${servicePort}`;
    await waitUntilHealthy(service, `${serviceBase}${HEALTH_PATH}`);

    const floor = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "app-floor.ts"), stub.url, stub.deployment, DEFAULT_API_VERSION], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(floor);
    const floorBase = (JSON.parse(await firstLine(floor, "bare proxy")) as { url: string }).url;
    generator = await loadGenerator();

    const sides: Record<Side, { url: string; pid: number }> = {
      direct: { url: `${stub.url}/openai/deployments/${stub.deployment}/chat/completions?api-version=${DEFAULT_API_VERSION}`, pid: upstream.pid! },
      floor: { url: `${floorBase}${CHAT_PATH}`, pid: floor.pid! },
      service: { url: `${serviceBase}${CHAT_PATH}`, pid: service.pid! },
    };
    const rounds = Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(SIDES.map((s) => [s, [] as SideStats[]]))])) as AppBenchResult["rounds"];
    let failures = 0;
    const load = async (job: LoadJob) => {
      const result = await generator!.run(job);
      failures += result.failures;
      return result;
    };

    for (const mode of MODES) {
      for (const side of SIDES) await load({ url: sides[side].url, body: BODIES[mode], connections: options.connections, seconds: options.warmupSeconds });
      for (let r = 1; r <= options.rounds; r++) {
        for (const side of SIDES) {
          const { url, pid } = sides[side];
          const latency = await load({ url, body: BODIES[mode], connections: 1, seconds: options.latencySeconds });
          const cpuBefore = cpuMs(pid);
          const throughput = await load({ url, body: BODIES[mode], connections: options.connections, seconds: options.throughputSeconds });
          const cpu = cpuMs(pid) - cpuBefore;
          const stats: SideStats = {
            p50Ms: latency.p50Ms,
            p99Ms: latency.p99Ms,
            rps: throughput.rps,
            cpuMsPerRequest: cpu / Math.max(1, throughput.requests),
            peakRssMb: peakRssMb(pid),
          };
          rounds[mode][side].push(stats);
          log(`${mode} ${side} round ${r}: p50 ${stats.p50Ms.toFixed(3)} ms, ${Math.round(stats.rps)}/s, ${stats.cpuMsPerRequest.toFixed(3)} ms CPU/request`);
        }
      }
    }
    const medians = Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(SIDES.map((s) => [s, medianStats(rounds[m][s])]))])) as BenchJson;
    return { options, logLevel, node: process.version, cpus: os.cpus().length, load: { before, after: loadAverages() }, rounds, medians, failures };
  } finally {
    generator?.stop();
    for (const child of children.reverse()) stop(child);
    if (logFile !== undefined) closeSync(logFile);
  }
}

export function formatAppBench(r: AppBenchResult): string {
  const o = r.options;
  const lines = [
    `app: POST ${CHAT_PATH}, direct to the stub vs the bare proxy (floor) vs the service; medians of ${o.rounds} rounds`,
    `(${r.cpus} CPUs, Node ${r.node}, loopback, service LOG_LEVEL=${r.logLevel}; per side and round ${o.latencySeconds} s at 1 connection ` +
      `(p50, p99) + ${o.throughputSeconds} s at ${o.connections} (requests/s, CPU of the measured process); load average ` +
      `${r.load.before.join(" ")} before, ${r.load.after.join(" ")} after)`,
  ];
  const memoryMb = memoryQuantityMb(POD_MEMORY_REQUEST);
  for (const mode of MODES) {
    const rows = [
      [mode, "p50 ms", "p99 ms", "requests/s", "CPU ms/request", "peak RSS MiB"],
      ...SIDES.map((side) => {
        const s = r.medians[mode][side];
        return [side, s.p50Ms.toFixed(3), s.p99Ms.toFixed(3), Math.round(s.rps).toLocaleString("en-US"), s.cpuMsPerRequest.toFixed(3), s.peakRssMb.toFixed(1)];
      }),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    lines.push("", ...rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")));
    for (const v of verdicts(targetsOf(r.medians[mode]), memoryMb)) lines.push(`  ${v.met ? "met   " : "MISSED"} ${v.name}: ${v.value}`);
  }
  if (r.failures > 0) lines.push("", `WARNING: ${r.failures} failed or non-2xx responses`);
  return lines.join("\n");
}

export async function run(args: string[] = []): Promise<AppBenchResult> {
  const json = args.includes("--json");
  const result = await benchApp(defaultAppBenchOptions(), json ? undefined : (line) => console.error(line));
  console.log(json ? JSON.stringify(result.medians, null, 2) : formatAppBench(result));
  if (json && result.failures > 0) console.error(`WARNING: ${result.failures} failed or non-2xx responses`);
  return result;
}
