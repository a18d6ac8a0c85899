// Child process for bench/app.ts: the load generator, on its own event loop so that it does not share one
// with the process it measures. Takes jobs over IPC, answers each with its measurement.
import autocannon from "autocannon";
import { percentile } from "./app-stats";

export interface LoadJob {
  url: string;
  body: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requests: number;
  failures: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

function run(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: job.body,
        connections: job.connections,
        pipelining: 1,
        duration: job.seconds,
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: result.requests.total,
          failures: result.errors + result.timeouts + result.non2xx,
          rps: result.requests.total / result.duration,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
        });
      },
    );
    // autocannon's own histogram has 1 ms resolution; the per-response times (to the last byte) are exact.
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === 200) latencies.push(ms);
    });
  });
}

process.on("message", (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ ok: true, result }),
    (error: unknown) => process.send!({ ok: false, error: String(error) }),
  );
});
process.send!({ ready: true });
