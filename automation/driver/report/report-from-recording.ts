/**
 * Reports from saved event streams (`scenarios up --record`, or the SYNTHETIC fixtures):
 *
 *   npx tsx automation/driver/report/report-from-recording.ts <recording.json>...            run reports
 *   npx tsx automation/driver/report/report-from-recording.ts --compare <recording.json>...  one comparison
 *       [--out <base path>]   default reports/runs/<stack>-<operation>-<time> or reports/compare-<time>
 *       [--no-estimates]      skip the offline plan's estimates in a comparison
 *
 * A comparison takes each scenario's `update` recording (and `destroy`, if given) and puts the plan's
 * estimates beside them; spin-up and teardown come from the recordings, verification is not part of them.
 */
import * as path from "node:path";
import { SCENARIO_NAMES, type ScenarioName } from "../../../config/schema";
import { isScenarioName } from "../../../config/validate";
import { REPORTS_DIR, RUNS_DIR } from "../stack/env";
import { planEstimates } from "../estimates/estimates";
import { loadRecording, type Recording } from "./recorder";
import { type CompareEntry, type CompareReport, fileStamp, runReport, writeReportFiles } from "./report";
import { buildTimeline } from "./timeline";

export async function compareFromRecordings(recordings: Recording[], options: { estimates?: boolean; generatedAt?: Date } = {}): Promise<CompareReport> {
  const byScenario = new Map<string, { up?: Recording; destroy?: Recording }>();
  for (const r of recordings) {
    const scenario = r.scenario ?? r.stack;
    const entry = byScenario.get(scenario) ?? {};
    if (r.operation === "update") entry.up = r;
    if (r.operation === "destroy") entry.destroy = r;
    byScenario.set(scenario, entry);
  }
  const entries: CompareEntry[] = [];
  for (const [scenario, { up, destroy }] of byScenario) {
    const upTimeline = up ? buildTimeline(up) : undefined;
    const destroyTimeline = destroy ? buildTimeline(destroy) : undefined;
    const estimates =
      options.estimates === false
        ? { ok: false as const, reason: "not requested" }
        : isScenarioName(scenario)
          ? await planEstimates(scenario as ScenarioName, {})
          : { ok: false as const, reason: `${scenario} is not a scenario name` };
    entries.push({
      scenario,
      stack: up?.stack ?? destroy?.stack,
      ok: (upTimeline?.totals.status ?? "succeeded") === "succeeded" && (destroyTimeline?.totals.status ?? "succeeded") === "succeeded",
      measured: {
        spinUpMs: upTimeline?.totals.wallMs,
        teardownMs: destroyTimeline?.totals.wallMs,
        resources: upTimeline?.entries.filter((e) => e.custom && e.op === "create" && e.status === "done").length,
      },
      up: upTimeline,
      destroy: destroyTimeline,
      estimates,
    });
  }
  const order = (s: string) => {
    const i = (SCENARIO_NAMES as readonly string[]).indexOf(s);
    return i < 0 ? SCENARIO_NAMES.length : i;
  };
  entries.sort((a, b) => order(a.scenario) - order(b.scenario) || a.scenario.localeCompare(b.scenario));
  return {
    kind: "compare",
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    synthetic: recordings.some((r) => r.synthetic),
    entries,
  };
}

async function cli(argv: string[]): Promise<void> {
  const args = [...argv];
  const compare = args.includes("--compare");
  const estimates = !args.includes("--no-estimates");
  const outIndex = args.indexOf("--out");
  const out = outIndex >= 0 ? args[outIndex + 1] : undefined;
  const files = args.filter((a, i) => !a.startsWith("--") && (outIndex < 0 || i !== outIndex + 1));
  if (!files.length) throw new Error("usage: report-from-recording.ts [--compare] [--no-estimates] [--out <base>] <recording.json>...");
  const recordings = files.map(loadRecording);
  if (compare) {
    const report = await compareFromRecordings(recordings, { estimates });
    console.log(writeReportFiles(out ?? path.join(REPORTS_DIR, `compare-${fileStamp()}`), report).join("\n"));
    return;
  }
  for (const r of recordings) {
    const t = buildTimeline(r);
    const base = out && recordings.length === 1 ? out : path.join(RUNS_DIR, `${r.stack}-${r.operation}-${fileStamp(new Date(r.startedAt))}`);
    console.log(writeReportFiles(base, runReport(t, t.totals.status === "succeeded" ? "succeeded" : "failed")).join("\n"));
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
