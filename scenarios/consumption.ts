import type { ScenarioConfig } from "../config/schema";
import { assembleScenario, buildFoundation, publicBackendHost, type ScenarioOutputs } from "./foundation";

/**
 * APIM Consumption (or Basic/Standard, without VNet) calling a public Traefik ingress that admits only APIM:
 * an allow-list of the addresses APIM calls from, and a password only this APIM instance presents.
 */
export function buildConsumption(config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack);
  const backendHost = publicBackendHost(f);
  return assembleScenario(f, backendHost);
}
