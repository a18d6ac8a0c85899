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

/**
 * One readable line for an item of `slowest` / `criticalPath` / `costLines`: the plan's `TimedResource`
 * (`{ urn, type, minutes }`) and `CostLine` (`{ item, count, usd, basis, usage }`). The estimate comes from a
 * child process as JSON that nothing checks against the type, so any other value still gets a line.
 */
export function describeItem(item: TimedResource | CostLine | unknown): string {
  if (item === null || item === undefined) return "";
  if (typeof item !== "object") return String(item);
  const o = item as Record<string, unknown>;
  if (typeof o.item === "string" && (typeof o.usd === "number" || typeof o.usage === "boolean")) {
    const count = typeof o.count === "number" && o.count > 1 ? ` x${o.count}` : "";
    const price = o.usage ? "usage-based" : o.unknown ? "no price known" : `$${money(Number(o.usd))}/month`;
    return `${o.item}${count}: ${price}${typeof o.basis === "string" && o.basis ? ` (${o.basis})` : ""}`;
  }
  const name = typeof o.urn === "string" ? nameFromUrn(o.urn) : (o.name ?? o.resource ?? o.label);
  const label = [typeof o.type === "string" ? moduleAndType(o.type) : undefined, name].filter((x) => typeof x === "string" && x).join(" ");
  const minutes = typeof o.minutes === "number" ? `${round(o.minutes)} min` : undefined;
  if (label) return minutes ? `${label} (${minutes})` : label;
  return JSON.stringify(item);
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
