/** Evaluates a scenario offline: its stack file plus overrides, validated, run in the mock engine. */
import { CONFIG_NAMESPACE, readStackSettings } from "../config/load";
import type { ScenarioConfig, ScenarioName } from "../config/schema";
import { defaultsFor } from "../config/defaults";
import { needsSharedSourceRanges } from "../config/rules";
import { requireConfig } from "../config/validate";
import { buildScenario } from "../scenarios";
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

/** Throws ConfigError (every problem listed) before anything is evaluated when settings are invalid. */
export async function evaluateScenario(scenario: ScenarioName, options: EvaluateScenarioOptions = {}): Promise<ScenarioEvaluation> {
  const config = requireConfig(scenario, offlineSettings(scenario, options.overrides, options.stacksDir));
  const stack = options.stack ?? scenario;
  const evaluation = await evaluateProgram(() => buildScenario(config, stack), { project: CONFIG_NAMESPACE, stack });
  return { ...evaluation, scenario };
}
