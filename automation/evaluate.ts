/** Evaluates a scenario offline: its stack file plus overrides, validated, run in the mock engine. */
import { CONFIG_NAMESPACE, readStackSettings } from "../config/load";
import type { ScenarioConfig, ScenarioName } from "../config/schema";
import { defaultsFor } from "../config/defaults";
import { needsSharedSourceRanges } from "../config/rules";
import { requireConfig } from "../config/validate";
import { buildProgram } from "../scenarios";
import { type Evaluation, evaluateProgram } from "./mock-engine";
import { SIMULATED_RANGES } from "./simulate";

/**
 * Settings only a deployment can know, simulated for the offline plan like provider outputs are: the
 * shared ranges a Consumption-tier APIM calls from come from Azure's service tags.
 */
export function simulatedSettings(scenario: ScenarioName, settings: Record<string, unknown>): Record<string, unknown> {
  const sku = (settings.apimSku ?? defaultsFor(scenario).apimSku) as ScenarioConfig["apimSku"];
  if (settings.apimSharedSourceRanges === undefined && needsSharedSourceRanges({ scenario, apimSku: sku })) {
    return { apimSharedSourceRanges: [`${SIMULATED_RANGES.outbound}.0/24`] };
  }
  return {};
}

export interface ScenarioEvaluation extends Evaluation {
  scenario: ScenarioName;
  /** An attendee stack's: the shared stack it references and the simulated outputs it read from it. */
  sharedStack?: { name: string; outputs: Evaluation["outputs"] };
}

export interface EvaluateScenarioOptions {
  /** Settings that replace the stack file's, as `--config key=value` does. */
  overrides?: Record<string, unknown>;
  /** Stack name; defaults to the scenario's own stack. */
  stack?: string;
  /** Read stack files from here instead of `stacks/`. */
  stacksDir?: string;
}

/** The settings an offline evaluation uses: the stack file, the overrides, then whatever only a deployment knows, simulated. */
export function offlineSettings(scenario: ScenarioName, overrides: Record<string, unknown> = {}, stacksDir?: string): Record<string, unknown> {
  const given = { ...readStackSettings(scenario, stacksDir), ...overrides };
  return { ...given, ...simulatedSettings(scenario, given) };
}

/** Settings of an attendee stack that its shared stack does not take. */
const ATTENDEE_SETTINGS = ["attendee", "sharedStack", "attendeeGroupObjectId"] as const;

/**
 * An attendee stack reads its shared stack's outputs: offline, those of the shared half of the same scenario
 * and settings, evaluated here (simulated like every provider output), under the stack name the reference gives.
 */
async function simulatedSharedStack(scenario: ScenarioName, sharedStack: string, options: EvaluateScenarioOptions): Promise<Record<string, Evaluation["outputs"]>> {
  const overrides: Record<string, unknown> = { ...options.overrides, workshopRole: "shared" };
  for (const key of ATTENDEE_SETTINGS) delete overrides[key];
  const shared = await evaluateScenario(scenario, { ...options, overrides, stack: sharedStack.split("/").pop() });
  return { [sharedStack]: shared.outputs };
}

/** Evaluations by scenario, stack and resolved settings: the simulation is deterministic, so one is enough. */
const evaluations = new Map<string, Promise<ScenarioEvaluation>>();
const MAX_KEPT = 32;
/** The mock engine is process-global: evaluations run one after another, never at once. */
let last: Promise<unknown> = Promise.resolve();

/**
 * Throws ConfigError (every problem listed) before anything is evaluated when settings are invalid.
 * Evaluating the same scenario, stack and settings again in this process returns the same evaluation
 * (shared: read it, do not modify it), so tests across files and the CLI evaluate each scenario once.
 */
export async function evaluateScenario(scenario: ScenarioName, options: EvaluateScenarioOptions = {}): Promise<ScenarioEvaluation> {
  const config = requireConfig(scenario, offlineSettings(scenario, options.overrides, options.stacksDir));
  const stack = options.stack ?? scenario;
  const sharedStack = config.workshopRole === "attendee" ? config.sharedStack! : undefined;
  const stackReferences = sharedStack ? await simulatedSharedStack(scenario, sharedStack, options) : undefined;
  const key = JSON.stringify([scenario, stack, config]);
  let evaluation = evaluations.get(key);
  if (!evaluation) {
    evaluation = last
      .catch(() => undefined)
      .then(() => evaluateProgram(() => buildProgram(config, stack), { project: CONFIG_NAMESPACE, stack, stackReferences }))
      .then((e) => ({ ...e, scenario, ...(sharedStack ? { sharedStack: { name: sharedStack, outputs: stackReferences![sharedStack] } } : {}) }));
    last = evaluation;
    evaluations.set(key, evaluation);
    evaluation.catch(() => evaluations.delete(key));
    if (evaluations.size > MAX_KEPT) evaluations.delete(evaluations.keys().next().value!);
  }
  return evaluation;
}
