import type { ScenarioConfig, ScenarioName } from "../config/schema";
import { buildFromDefinition } from "./build";
import { SCENARIO_CATALOG } from "./catalog";
import type { ScenarioOutputs } from "./foundation";
import { buildAttendee, buildShared } from "./workshop";
import type { ScenarioDefinition as Definition, ScenarioTraits } from "./traits";

export interface ScenarioDefinition extends ScenarioTraits {
  name: ScenarioName;
  title: string;
  summary: string;
  definition: Definition<ScenarioName>;
  build(config: ScenarioConfig, stack: string): ScenarioOutputs;
}

/** The registry `index.ts`, the CLI and the tests all build scenarios from (scenarios/catalog.ts lists them). */
export const SCENARIOS: Record<ScenarioName, ScenarioDefinition> = Object.fromEntries(
  SCENARIO_CATALOG.map((d) => [
    d.name,
    { name: d.name, title: d.title, summary: d.summary, ...d.traits, definition: d, build: (config: ScenarioConfig, stack: string) => buildFromDefinition(d, config, stack) },
  ]),
) as Record<ScenarioName, ScenarioDefinition>;

export function buildScenario(config: ScenarioConfig, stack: string): ScenarioOutputs {
  return SCENARIOS[config.scenario].build(config, stack);
}

/** What `pulumi up` builds: the whole scenario, or with `workshopRole` its shared or attendee half (scenarios/workshop.ts). */
export function buildProgram(config: ScenarioConfig, stack: string): ScenarioOutputs | Promise<ScenarioOutputs> {
  const definition = SCENARIOS[config.scenario].definition;
  if (config.workshopRole === "shared") return buildShared(definition, config, stack);
  if (config.workshopRole === "attendee") return buildAttendee(definition, config, stack);
  return buildScenario(config, stack);
}
