/**
 * The offline plan's estimates (`automation/plan/estimates.ts`, owned by the plan) beside the driver's
 * measurements. Loaded lazily, and reported as unavailable rather than failing when it cannot be loaded.
 */
import type { ScenarioName } from "../../../config/schema";
import type { CostLine, ScenarioEstimate, TimedResource } from "../../plan/estimates";
import { errorText, firstLine, moduleAndType, nameFromUrn } from "../../shared/text";

/** The part of the plan's estimate (`estimateScenario`) that the reports show beside the measurements. */
export type ReportedEstimate = Pick<ScenarioEstimate, "spinUpMinutes" | "serialMinutes" | "slowest" | "criticalPath" | "monthlyCostUsd" | "costLines" | "notes">;

export type EstimatesResult = { ok: true; estimates: ReportedEstimate } | { ok: false; reason: string };

/**
 * Evaluates the scenario offline and asks the plan for its estimates, in a child process: the mock engine
 * is global to a process, and an evaluation that throws can leave callbacks behind that break the next one.
 * Invalid configuration is not caught here: callers validate first.
 */
export async function planEstimates(scenario: ScenarioName, overrides: Record<string, unknown>, stack?: string): Promise<EstimatesResult> {
  const { execFile } = require("node:child_process") as typeof import("node:child_process");
  const path = require("node:path") as typeof import("node:path");
  const worker = path.join(__dirname, "estimates-worker.ts");
  const args = ["--require", require.resolve("tsx/cjs"), worker, JSON.stringify({ scenario, overrides, stack })];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 180_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as EstimatesResult);
      } catch {
        resolve({ ok: false, reason: `estimating ${scenario} failed (${firstLine(error ? errorText(error) : stderr) || "no result"})` });
      }
    });
  });
}

/** The worker's side (estimates-worker.ts): one evaluation in a fresh process. */
export async function estimateInThisProcess(scenario: ScenarioName, overrides: Record<string, unknown>, stack?: string): Promise<EstimatesResult> {
  let estimate: (typeof import("../../plan/estimates"))["estimateScenario"];
  try {
    // Loaded here, in the worker, not by the CLI; a typed path, so a move of either module fails the type check.
    estimate = (require("../../plan/estimates") as typeof import("../../plan/estimates")).estimateScenario;
  } catch (e) {
    return { ok: false, reason: `the plan's estimates could not be loaded (${firstLine(errorText(e))})` };
  }
  try {
    const { evaluateScenario } = require("../../evaluate") as typeof import("../../evaluate");
    const evaluation = await evaluateScenario(scenario, { overrides, stack });
    return { ok: true, estimates: await estimate(evaluation) };
  } catch (e) {
    return { ok: false, reason: `estimating ${scenario} failed (${firstLine(errorText(e))})` };
  }
}

/** The plan's `CostLine` as one line: `APIM Developer unit: $48.04/month (per unit-month)`. */
export function describeCost(l: Pick<CostLine, "item" | "count" | "usd" | "basis" | "usage" | "unknown">): string {
  const count = l.count > 1 ? ` x${l.count}` : "";
  const price = l.usage ? "usage-based" : l.unknown ? "no price known" : `$${money(l.usd)}/month`;
  return `${l.item}${count}: ${price}${l.basis ? ` (${l.basis})` : ""}`;
}

/** The plan's `TimedResource` as one line: `containerservice:ManagedCluster aks (7.00 min)`. */
export function describeTimed(r: TimedResource): string {
  return `${moduleAndType(r.type)} ${nameFromUrn(r.urn)} (${round(r.minutes)} min)`;
}

const isCostLine = (x: unknown): x is CostLine => typeof x === "object" && x !== null && typeof (x as CostLine).item === "string" && typeof (x as CostLine).usd === "number";
const isTimed = (x: unknown): x is TimedResource =>
  typeof x === "object" && x !== null && typeof (x as TimedResource).urn === "string" && typeof (x as TimedResource).type === "string" && typeof (x as TimedResource).minutes === "number";

/**
 * One readable line for an item of `slowest` / `criticalPath` / `costLines`. The estimate comes from a child
 * process as JSON that nothing checks against the plan's types, so any other value still gets a line.
 */
export function describeItem(item: TimedResource | CostLine | unknown): string {
  if (isCostLine(item)) return describeCost(item);
  if (isTimed(item)) return describeTimed(item);
  if (item === null || item === undefined) return "";
  return typeof item === "object" ? JSON.stringify(item) : String(item);
}

/** A list-shaped estimate (`slowest`, `criticalPath`, `costLines`) as lines; a single value as one line. */
export function describeList(value: TimedResource | readonly (TimedResource | CostLine)[] | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(describeItem).filter(Boolean);
  return [describeItem(value)];
}

function money(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

function round(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
