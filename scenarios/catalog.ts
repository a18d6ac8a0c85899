/**
 * The one list of scenarios: adding one means its definition file here, its stack file in stacks/ and a line
 * below. Pure data, read by config/ (names, defaults, rules) as well as by the build.
 */
import { consumptionScenario } from "./consumption";
import { externalScenario } from "./external";
import { integratedScenario } from "./integrated";
import { internalScenario } from "./internal";
import { publicScenario } from "./public";
import type { ScenarioDefinition } from "./traits";

/** In the order the CLI, the plan and the docs list them. */
const DEFINITIONS = [publicScenario, externalScenario, internalScenario, consumptionScenario, integratedScenario] as const;

export type CatalogScenarioName = (typeof DEFINITIONS)[number]["name"];
export const SCENARIO_CATALOG: readonly ScenarioDefinition<CatalogScenarioName>[] = DEFINITIONS;

/** The registered definition of `name`, or undefined for a name no scenario file declares. */
export function findScenario(name: string): ScenarioDefinition<CatalogScenarioName> | undefined {
  return SCENARIO_CATALOG.find((d) => d.name === name);
}
