/**
 * `scenarios plan`: evaluates the selected scenarios offline, one after another (the mock engine is
 * process-global), estimates and analyses each, prints the comparison or the JSON documents, and writes the
 * Markdown and HTML reports.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../config/load";
import { evaluateScenario, offlineSettings } from "../evaluate";
import { APIM_LIMITS_SOURCE, type RoomLimit, roomLimit, roomLimitText } from "../../config/apim-limits";
import { APIM_SKUS, type ApimSku, SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import { SCENARIOS } from "../../scenarios";
import { escapeHtml } from "../shared/text";
import { ConfigError, formatProblem, type Problem, resolveConfig } from "../../config/validate";
import { analyzeScenario } from "./analysis";
import { previewDocument, type PreviewDocument } from "./document";
import { estimateScenario } from "./estimates";
import type { ScenarioEvaluation } from "../evaluate";
import { type PlanResult, type PolicyOutcome, policyFindings } from "./model";
import { renderHtml } from "./render-html";
import { renderMarkdown } from "./render-markdown";
import { renderText } from "./render-text";
import { estimateWorkshop, halfSettings, WORKSHOP_ROLE_KEYS, type WorkshopEstimate, type WorkshopHalves, workshopHtml, workshopJson, workshopMarkdown, type WorkshopOptions, workshopText } from "./workshop";

export const DEFAULT_REPORT_DIR = path.join(PROJECT_DIR, "reports", "plan");

export interface PlanRunOptions {
  overrides: Record<string, unknown>;
  json: boolean;
  /** Where to write plan.md and plan.html; false writes nothing. */
  reportDir: string | false;
  color: boolean;
  /** Terminal columns for the text; default terminalWidth(). */
  width?: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** `--workshop N` (and its concurrency and hours): the workshop estimate in the text, the reports and the JSON. */
  workshop?: WorkshopOptions;
}

interface ScenarioWorkshop {
  scenario: ScenarioName;
  estimate: WorkshopEstimate;
  /** What bounds the room on the shared APIM service (config/apim-limits.ts), from the shared half's apimSku. */
  roomLimit?: RoomLimit;
}

/** The estimate's line on the APIM limit that bounds the room, and whether this room fits (prepare refuses it if not). */
export function roomLimitLine(attendees: number, l: RoomLimit): string {
  const fit = attendees > l.largestRoom ? `: a room of ${attendees} does not fit, workshop prepare refuses it` : "";
  return `APIM limit: ${roomLimitText(l)}${fit} (${APIM_LIMITS_SOURCE})`;
}

function roomLimitOf(halves: WorkshopHalves): RoomLimit | undefined {
  const tier = halves.shared.outputs?.apimSku?.value;
  return (APIM_SKUS as readonly unknown[]).includes(tier) ? roomLimit(tier as ApimSku) : undefined;
}

/**
 * Checks every selected scenario's settings before evaluating any, so that all problems show at once.
 * A problem that only some of the scenarios have names them.
 */
export function validateSelection(scenarios: readonly ScenarioName[], overrides: Record<string, unknown>, stacksDir?: string): void {
  const found = new Map<string, { problem: Problem; scenarios: ScenarioName[] }>();
  for (const scenario of scenarios) {
    const result = resolveConfig(scenario, offlineSettings(scenario, overrides, stacksDir));
    if (result.ok) continue;
    for (const problem of result.problems) {
      const line = formatProblem(problem);
      const known = found.get(line);
      if (known) known.scenarios.push(scenario);
      else found.set(line, { problem, scenarios: [scenario] });
    }
  }
  if (!found.size) return;
  const problems = [...found.values()].map(({ problem, scenarios: these }) =>
    these.length === scenarios.length || these.every((s) => problem.message.includes(`"${s}"`))
      ? problem
      : { ...problem, message: `${problem.message} (scenario ${these.join(", ")})` },
  );
  throw new ConfigError(problems);
}

/** Evaluates, estimates and analyses each scenario in turn. */
export async function planScenarios(
  scenarios: readonly ScenarioName[],
  overrides: Record<string, unknown> = {},
  progress: (text: string) => void = () => {},
): Promise<PlanResult[]> {
  validateSelection(scenarios, overrides);
  const results: PlanResult[] = [];
  for (const scenario of scenarios) results.push(await planScenario(scenario, overrides, progress));
  return results;
}

/**
 * `--workshop`: checks the halves' settings for every selected scenario before evaluating any. The estimate is
 * of the whole scenario split in two, so the workshop settings themselves are refused in `--config`.
 */
export function validateWorkshop(scenarios: readonly ScenarioName[], overrides: Record<string, unknown>, stacksDir?: string): void {
  const set = WORKSHOP_ROLE_KEYS.filter((k) => k in overrides);
  if (set.length) throw new ConfigError(set.map((key) => ({ key, value: overrides[key], message: "set by the workshop estimate for each half; --workshop estimates the whole scenario, so leave it out" })));
  const problems: Problem[] = [];
  for (const scenario of scenarios) {
    const halves = halfSettings(scenario, overrides, offlineSettings(scenario, overrides, stacksDir));
    const seen = new Set<string>();
    for (const half of [halves.shared, halves.attendee]) {
      const result = resolveConfig(scenario, offlineSettings(scenario, half.overrides, stacksDir));
      if (result.ok) continue;
      for (const p of result.problems) {
        const message = `${p.message} (workshop estimate of ${scenario})`;
        if (!seen.has(`${p.key} ${message}`)) problems.push({ ...p, message });
        seen.add(`${p.key} ${message}`);
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

/**
 * The halves the workshop estimate is made of: the shared half (stack `<scenario>-shared`), then one attendee
 * half reading its simulated outputs through the mock engine's StackReference (automation/evaluate.ts).
 */
export async function evaluateWorkshopHalves(scenario: ScenarioName, overrides: Record<string, unknown> = {}, stacksDir?: string): Promise<WorkshopHalves> {
  const halves = halfSettings(scenario, overrides, offlineSettings(scenario, overrides, stacksDir));
  const shared = await evaluateScenario(scenario, { overrides: halves.shared.overrides, stack: halves.shared.stack, stacksDir });
  const attendee = await evaluateScenario(scenario, { overrides: halves.attendee.overrides, stack: halves.attendee.stack, stacksDir });
  return { shared, attendee, ...(halves.simulatedZone ? { simulatedZone: halves.simulatedZone } : {}) };
}

async function planScenario(scenario: ScenarioName, overrides: Record<string, unknown>, progress: (text: string) => void): Promise<PlanResult> {
  const started = Date.now();
  const evaluation = await evaluateScenario(scenario, { overrides });
  const evaluated = Date.now();
  const definition = SCENARIOS[scenario];
  const policy = policyOutcome(evaluation);
  progress(`evaluated ${scenario} (simulated): ${evaluation.resources.length} registrations in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    scenario,
    title: definition.title,
    summary: definition.summary,
    evaluation,
    estimate: estimateScenario(evaluation),
    analysis: analyzeScenario(scenario, evaluation.resources, evaluation.sharedStack),
    policy,
    durationMs: evaluated - started,
  };
}

/** The policy pack (policy/) run over an evaluated graph, as the plan reports it. */
export function policyOutcome(evaluation: ScenarioEvaluation): PolicyOutcome {
  const { runPolicies, summarizePolicyReport } = require("../../policy/run") as typeof import("../../policy/run");
  const report = runPolicies(evaluation);
  return {
    ok: report.summary.ok,
    summary: summarizePolicyReport(report),
    failed: [...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))],
    passed: report.summary.passed.length,
    applied: report.summary.passed.length + report.summary.failed.length,
    findings: policyFindings(report.violations),
  };
}

/** `--json`: one document for one scenario; for several, one object keyed by scenario name. */
export function jsonOutput(results: readonly PlanResult[], workshops: readonly ScenarioWorkshop[] = []): PreviewDocument | Record<string, PreviewDocument> {
  const docs = results.map((r) => {
    const w = workshops.find((x) => x.scenario === r.scenario);
    const doc = previewDocument(r.evaluation, r.estimate, r.durationMs);
    const limit = w?.roomLimit && { roomLimit: { ...w.roomLimit, fits: w.estimate.attendees <= w.roomLimit.largestRoom, source: APIM_LIMITS_SOURCE } };
    return [r.scenario, w ? { ...doc, workshop: { ...workshopJson(r.scenario, w.estimate), ...limit } } : doc] as const;
  });
  return docs.length === 1 ? docs[0][1] : Object.fromEntries(docs);
}

export function reportBaseName(scenarios: readonly ScenarioName[]): string {
  return scenarios.length === SCENARIO_NAMES.length ? "plan-all" : `plan-${scenarios.join("-")}`;
}

export function writeReports(results: readonly PlanResult[], dir: string, workshops: readonly ScenarioWorkshop[] = []): { markdown: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, reportBaseName(results.map((r) => r.scenario)));
  const now = new Date();
  const markdown = `${base}.md`;
  const html = `${base}.html`;
  const limitLine = (w: ScenarioWorkshop) => (w.roomLimit ? [roomLimitLine(w.estimate.attendees, w.roomLimit)] : []);
  fs.writeFileSync(markdown, renderMarkdown(results, now, workshops.flatMap((w) => [...workshopMarkdown(w.scenario, w.estimate), ...limitLine(w).flatMap((l) => ["", l])])));
  fs.writeFileSync(html, renderHtml(results, now, workshops.map((w) => [workshopHtml(w.scenario, w.estimate), ...limitLine(w).map((l) => `<p>${escapeHtml(l)}</p>`)].join("\n")).join("\n")));
  return { markdown, html };
}

export async function runPlan(scenarios: readonly ScenarioName[], options: PlanRunOptions): Promise<PlanResult[]> {
  if (options.workshop) {
    // The whole scenarios' problems first, once, then what only the halves refuse.
    validateSelection(scenarios, options.overrides);
    validateWorkshop(scenarios, options.overrides);
  }
  const results = await planScenarios(scenarios, options.overrides, (line) => options.stderr(`${line}\n`));
  const workshops: ScenarioWorkshop[] = [];
  if (options.workshop) {
    for (const r of results) {
      const started = Date.now();
      const halves = await evaluateWorkshopHalves(r.scenario, options.overrides);
      options.stderr(`evaluated ${r.scenario}'s workshop halves (simulated): ${halves.shared.resources.length} + ${halves.attendee.resources.length} registrations in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      workshops.push({ scenario: r.scenario, estimate: estimateWorkshop(r.estimate, halves, options.workshop), roomLimit: roomLimitOf(halves) });
    }
  }
  if (options.json) options.stdout(`${JSON.stringify(jsonOutput(results, workshops), null, 2)}\n`);
  else options.stdout(renderText(results, { color: options.color, width: options.width }));
  if (workshops.length) {
    // With --json, stdout holds only the JSON document (which carries the estimate under `workshop`).
    const text = (w: ScenarioWorkshop) => `${workshopText(w.scenario, w.estimate)}${w.roomLimit ? `  ${roomLimitLine(w.estimate.attendees, w.roomLimit)}\n` : ""}`;
    (options.json ? options.stderr : options.stdout)(`\n${workshops.map(text).join("\n")}`);
  }
  if (options.reportDir !== false) {
    const written = writeReports(results, options.reportDir, workshops);
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    const note = `reports (simulated): ${rel(written.markdown)}, ${rel(written.html)}`;
    if (options.json) options.stderr(`${note}\n`);
    else options.stdout(`\n${note}\n`);
  }
  return results;
}
