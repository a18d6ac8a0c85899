/**
 * Entry of `pulumi up -s <scenario>`: reads the stack's settings, validates them all before anything is
 * created, and builds the scenario from the same registry the offline plan and the tests use.
 */
import * as pulumi from "@pulumi/pulumi";
import { projectSettings } from "./config/load";
import { formatProblems, isScenarioName, resolveConfig } from "./config/validate";
import { SCENARIO_NAMES } from "./config/schema";
import { buildProgram } from "./scenarios";

export = async () => {
  const settings = projectSettings(pulumi.runtime.allConfig());
  const stack = pulumi.getStack();
  const scenario = String(settings.scenario ?? stack);
  if (!isScenarioName(scenario)) {
    throw new pulumi.RunError(
      `scenario = ${JSON.stringify(scenario)}: set apim-aks-ai-scenarios:scenario to one of ${SCENARIO_NAMES.join(", ")} (or name the stack after one)`,
    );
  }
  const result = resolveConfig(scenario, settings);
  if (!result.ok) throw new pulumi.RunError(`invalid configuration:\n${formatProblems(result.problems).join("\n")}`);
  for (const warning of result.warnings) pulumi.log.warn(warning);
  return buildProgram(result.config, stack);
};
