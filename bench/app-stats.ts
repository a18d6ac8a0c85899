// Pure arithmetic of `npm run bench app`: percentiles, medians over rounds, /proc readings, targets.

export const SIDES = ["direct", "floor", "service"] as const;
export type Side = (typeof SIDES)[number];
export const MODES = ["json", "stream"] as const;
export type Mode = (typeof MODES)[number];

/** One side's figures: latency at 1 connection, throughput and CPU at N connections, peak RSS. */
export interface SideStats {
  p50Ms: number;
  p99Ms: number;
  rps: number;
  cpuMsPerRequest: number;
  peakRssMb: number;
}

export type BenchJson = Record<Mode, Record<Side, SideStats>>;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Each figure is the median of that figure over the rounds (not the figures of one median round). */
export function medianStats(rounds: readonly SideStats[]): SideStats {
  const of = (key: keyof SideStats) => round(median(rounds.map((r) => r[key])), key === "rps" ? 0 : 3);
  return { p50Ms: of("p50Ms"), p99Ms: of("p99Ms"), rps: of("rps"), cpuMsPerRequest: of("cpuMsPerRequest"), peakRssMb: of("peakRssMb") };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * User plus system CPU time of a process in milliseconds, from /proc/<pid>/stat (fields 14 and 15, in
 * clock ticks). The command name (field 2) may contain spaces, so fields are counted after its `)`.
 * https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */
export function cpuMsFromStat(stat: string, ticksPerSecond: number): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error("unreadable /proc/<pid>/stat");
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** Peak resident set size (VmHWM) in MiB from /proc/<pid>/status. */
export function peakRssMbFromStatus(status: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error("no VmHWM in /proc/<pid>/status");
  return Number(match[1]) / 1024;
}

export interface Targets {
  /** Service requests/s at N connections as a share of the floor's; target >= 0.7. */
  throughputVsFloor: number;
  /** Service CPU per request over the floor's; target <= 1.5. */
  cpuVsFloor: number;
  /** Service p50 minus direct p50 at 1 connection, ms; target <= 0.5. */
  addedP50Ms: number;
  /** Service peak RSS, MiB, against the pod's memory request. */
  peakRssMb: number;
}

export function targetsOf(sides: Record<Side, SideStats>): Targets {
  return {
    throughputVsFloor: sides.service.rps / sides.floor.rps,
    cpuVsFloor: sides.service.cpuMsPerRequest / sides.floor.cpuMsPerRequest,
    addedP50Ms: sides.service.p50Ms - sides.direct.p50Ms,
    peakRssMb: sides.service.peakRssMb,
  };
}

export const TARGETS = { throughputVsFloor: 0.7, cpuVsFloor: 1.5, addedP50Ms: 0.5 } as const;

export function verdicts(t: Targets, memoryRequestMb: number): { name: string; value: string; met: boolean }[] {
  return [
    { name: "throughput >= 70% of floor", value: `${(t.throughputVsFloor * 100).toFixed(1)}%`, met: t.throughputVsFloor >= TARGETS.throughputVsFloor },
    { name: "CPU/request <= 1.5x floor", value: `${t.cpuVsFloor.toFixed(2)}x`, met: t.cpuVsFloor <= TARGETS.cpuVsFloor },
    { name: "added p50 (1 conn) <= 0.5 ms", value: `${t.addedP50Ms >= 0 ? "+" : ""}${t.addedP50Ms.toFixed(3)} ms`, met: t.addedP50Ms <= TARGETS.addedP50Ms },
    { name: `peak RSS < ${memoryRequestMb} MiB (pod request)`, value: `${t.peakRssMb.toFixed(1)} MiB`, met: t.peakRssMb < memoryRequestMb },
  ];
}

/** Kubernetes quantities for memory (`192Mi`, `1Gi`, `500M`) in MiB. */
export function memoryQuantityMb(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const n = Number(match[1]);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, k: 1000 / 1024 / 1024, M: 1e6 / 1024 / 1024, G: 1e9 / 1024 / 1024 };
  return match[2] ? n * factor[match[2]]! : n / 1024 / 1024;
}
