// The AI API's added cost: the same load against the service and, side by side, against the upstream stub
// it fronts, plus a bare proxy as the floor any Node service reaches on this machine. Each runs in its own
// process on loopback; the service is the production build started with the production command.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { CHAT_PATH, DEFAULT_API_VERSION, HEALTH_PATH, START_COMMAND } from "../app/src/image";

const ROOT = path.resolve(__dirname, "..");
const APP_DIR = path.join(ROOT, "app");

export interface AppBenchOptions {
  warmupSeconds: number;
  latencySeconds: number;
  throughputSeconds: number;
  connections: number;
}

export interface Measurement {
  requests: number;
  failures: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface Sides {
  direct: Measurement;
  service: Measurement;
  floor: Measurement;
}

export interface AppBenchResult {
  options: AppBenchOptions;
  logLevel: string;
  latency: Sides;
  throughput: Sides;
  addedP50Ms: number;
  addedP99Ms: number;
  throughputRatio: number;
}

const numberFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export const defaultAppBenchOptions = (): AppBenchOptions => ({
  warmupSeconds: numberFromEnv("BENCH_APP_WARMUP_S", 2),
  latencySeconds: numberFromEnv("BENCH_APP_LATENCY_S", 5),
  throughputSeconds: numberFromEnv("BENCH_APP_THROUGHPUT_S", 10),
  connections: numberFromEnv("BENCH_APP_CONNECTIONS", 16),
});

const REQUEST_BODY = JSON.stringify({
  messages: [
    { role: "system", content: "You are a terse assistant." },
    { role: "user", content: "Say hello to the benchmark." },
  ],
  max_tokens: 64,
});

/** Resolves with the first stdout line that matches, and keeps draining stdout afterwards. */
function waitForLine(child: ChildProcess, matches: (line: string) => boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let found = false;
    lines.on("line", (line) => {
      if (!found && matches(line)) {
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function load(url: string, connections: number, seconds: number): Promise<Measurement> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: REQUEST_BODY,
        connections,
        pipelining: 1,
        duration: seconds,
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: result.requests.total,
          failures: result.errors + result.timeouts + result.non2xx,
          rps: result.requests.total / result.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
        });
      },
    );
    // autocannon's own histogram has 1 ms resolution; the per-response times are exact.
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === 200) latencies.push(ms);
    });
  });
}

function stop(child: ChildProcess | undefined) {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

const ms = (value: number) => `${value.toFixed(3)} ms`;
const perSecond = (value: number) => `${Math.round(value).toLocaleString("en-US")}/s`;

const added = (value: number) => `${value >= 0 ? "+" : ""}${ms(value)}`;
const share = (value: number, of: number) => `${((value / of) * 100).toFixed(1)}%`;

export function formatAppBench(r: AppBenchResult): string {
  const { latency: l, throughput: t, options: o } = r;
  const c = `${o.connections} connections`;
  const rows = [
    ["", "direct to stub", "via service", "service adds", "bare proxy (floor)", "floor adds"],
    ["p50, 1 connection", ms(l.direct.p50), ms(l.service.p50), added(r.addedP50Ms), ms(l.floor.p50), added(l.floor.p50 - l.direct.p50)],
    ["p99, 1 connection", ms(l.direct.p99), ms(l.service.p99), added(r.addedP99Ms), ms(l.floor.p99), added(l.floor.p99 - l.direct.p99)],
    [`requests/s, ${c}`, perSecond(t.direct.rps), perSecond(t.service.rps), `${share(t.service.rps, t.direct.rps)} of direct`, perSecond(t.floor.rps), `${share(t.floor.rps, t.direct.rps)} of direct`],
    [`p50, ${c}`, ms(t.direct.p50), ms(t.service.p50), added(t.service.p50 - t.direct.p50), ms(t.floor.p50), added(t.floor.p50 - t.direct.p50)],
    [`p99, ${c}`, ms(t.direct.p99), ms(t.service.p99), added(t.service.p99 - t.direct.p99), ms(t.floor.p99), added(t.floor.p99 - t.direct.p99)],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
  const failures = [l, t].flatMap((sides) => [sides.direct, sides.service, sides.floor]).reduce((n, m) => n + m.failures, 0);
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  return [
    `app: POST ${CHAT_PATH} through the service vs the same stub directly`,
    `(${os.cpus().length} CPUs, Node ${process.version}, loopback, service LOG_LEVEL=${r.logLevel}; ` +
      `${o.latencySeconds} s at 1 connection + ${o.throughputSeconds} s at ${o.connections} per side, after ${o.warmupSeconds} s warm-up)`,
    "",
    ...table,
    "",
    `target: < 1 ms added at p50 (1 connection): ${verdict(r.addedP50Ms < 1)}`,
    `target: >= 90% of direct throughput: ${verdict(r.throughputRatio >= 0.9)}`,
    ...(failures > 0 ? [`WARNING: ${failures} failed or non-2xx responses`] : []),
  ].join("\n");
}

export async function benchApp(options: AppBenchOptions = defaultAppBenchOptions()): Promise<AppBenchResult> {
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: APP_DIR, stdio: "inherit" });
  if (build.status !== 0) throw new Error("building the app failed");

  const logLevel = process.env.BENCH_APP_LOG_LEVEL ?? "info";
  let upstream: ChildProcess | undefined;
  let service: ChildProcess | undefined;
  let floor: ChildProcess | undefined;
  let logFile: number | undefined;
  try {
    upstream = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "app-upstream.ts")], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const stub = JSON.parse(await waitForLine(upstream, () => true, "upstream stub")) as { url: string; deployment: string };

    const servicePort = await freePort();
    const [command, ...args] = START_COMMAND;
    // Logs go to a file, as a container runtime would take them, rather than into this load generator.
    const logPath = path.join(os.tmpdir(), `bench-app-service-${process.pid}.log`);
    logFile = openSync(logPath, "w");
    service = spawn(command === "node" ? process.execPath : command!, args, {
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
    const serviceBase = `http://127.0.0.1:${servicePort}`;
    await waitUntilHealthy(service, `${serviceBase}${HEALTH_PATH}`);

    floor = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "app-floor.ts"), stub.url, stub.deployment, DEFAULT_API_VERSION],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const floorBase = (JSON.parse(await waitForLine(floor, () => true, "bare proxy")) as { url: string }).url;

    const urls = {
      direct: `${stub.url}/openai/deployments/${stub.deployment}/chat/completions?api-version=${DEFAULT_API_VERSION}`,
      service: `${serviceBase}${CHAT_PATH}`,
      floor: `${floorBase}${CHAT_PATH}`,
    };
    const each = async (connections: number, seconds: number): Promise<Sides> => ({
      direct: await load(urls.direct, connections, seconds),
      service: await load(urls.service, connections, seconds),
      floor: await load(urls.floor, connections, seconds),
    });

    await each(options.connections, options.warmupSeconds);
    const latency = await each(1, options.latencySeconds);
    const throughput = await each(options.connections, options.throughputSeconds);
    return {
      options,
      logLevel,
      latency,
      throughput,
      addedP50Ms: latency.service.p50 - latency.direct.p50,
      addedP99Ms: latency.service.p99 - latency.direct.p99,
      throughputRatio: throughput.service.rps / throughput.direct.rps,
    };
  } finally {
    stop(floor);
    stop(service);
    stop(upstream);
    if (logFile !== undefined) closeSync(logFile);
  }
}

export async function run(): Promise<AppBenchResult> {
  const result = await benchApp();
  console.log(formatAppBench(result));
  return result;
}
