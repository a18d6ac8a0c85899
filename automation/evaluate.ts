/** Evaluates a scenario offline: its stack file plus overrides, validated, run in the mock engine. */
import { CONFIG_NAMESPACE, readStackSettings } from "../config/load";
import type { ScenarioName } from "../config/schema";
import { requireConfig } from "../config/validate";
import { buildScenario } from "../scenarios";
import { type Evaluation, evaluateProgram } from "./mock-engine";

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

/** Throws ConfigError (every problem listed) before anything is evaluated when settings are invalid. */
export async function evaluateScenario(scenario: ScenarioName, options: EvaluateScenarioOptions = {}): Promise<ScenarioEvaluation> {
  const settings = { ...readStackSettings(scenario, options.stacksDir), ...options.overrides };
  const config = requireConfig(scenario, settings);
  const stack = options.stack ?? scenario;
  const evaluation = await evaluateProgram(() => buildScenario(config, stack), { project: CONFIG_NAMESPACE, stack });
  return { ...evaluation, scenario };
}
