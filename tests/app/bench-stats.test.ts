import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { POD_MEMORY_REQUEST } from "../../bench/app";
import { cpuMsFromStat, median, medianStats, memoryQuantityMb, peakRssMbFromStatus, percentile, targetsOf, verdicts } from "../../bench/app-stats";

describe("app bench arithmetic", () => {
  it("takes nearest-rank percentiles and medians", () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 99), 10);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("reports the median of each figure over the rounds", () => {
    const r = (p50Ms: number, rps: number, cpu: number) => ({ p50Ms, p99Ms: p50Ms * 3, rps, cpuMsPerRequest: cpu, peakRssMb: 70 + rps / 1000 });
    assert.deepEqual(medianStats([r(1, 1000, 0.5), r(3, 3000, 0.1), r(2, 2000, 0.9)]), { p50Ms: 2, p99Ms: 6, rps: 2000, cpuMsPerRequest: 0.5, peakRssMb: 72 });
  });

  it("reads CPU time from /proc/<pid>/stat, whatever the command name", () => {
    // Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = "4242 (node (my app)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 100 0 0";
    assert.equal(cpuMsFromStat(stat, 100), 3000);
    assert.equal(cpuMsFromStat(readFileSync("/proc/self/stat", "utf8"), 100) >= 0, true);
  });

  it("reads the peak resident set from /proc/<pid>/status", () => {
    assert.equal(peakRssMbFromStatus("Name:\tnode\nVmHWM:\t   81920 kB\nVmRSS:\t   70000 kB\n"), 80);
    assert.ok(peakRssMbFromStatus(readFileSync("/proc/self/status", "utf8")) > 0);
  });

  it("judges the targets against the floor, direct and the pod's memory request", () => {
    const s = (p50Ms: number, rps: number, cpuMsPerRequest: number, peakRssMb: number) => ({ p50Ms, p99Ms: 0, rps, cpuMsPerRequest, peakRssMb });
    const t = targetsOf({ direct: s(0.2, 10000, 0.1, 60), floor: s(0.6, 3000, 0.3, 70), service: s(0.65, 2400, 0.4, 90) });
    assert.deepEqual(
      verdicts(t, 192).map((v) => [v.name, v.value, v.met]),
      [
        ["throughput >= 70% of floor", "80.0%", true],
        ["CPU/request <= 1.5x floor", "1.33x", true],
        ["added p50 (1 conn) <= 0.5 ms", "+0.450 ms", true],
        ["peak RSS < 192 MiB (pod request)", "90.0 MiB", true],
      ],
    );
    assert.equal(verdicts({ ...t, throughputVsFloor: 0.5 }, 192)[0]!.met, false);
  });

  it("measures RSS against the memory request the AI API's pod really gets", () => {
    const source = readFileSync(path.resolve(__dirname, "../../components/AiBackend.ts"), "utf8");
    assert.match(source, new RegExp(`requests: \\{ cpu: "[^"]+", memory: "${POD_MEMORY_REQUEST}" \\}`));
    assert.equal(memoryQuantityMb("192Mi"), 192);
    assert.equal(memoryQuantityMb("1Gi"), 1024);
  });
});
