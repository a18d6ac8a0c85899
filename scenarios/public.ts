import type { ScenarioConfig } from "../config/schema";
import { assembleScenario, buildFoundation, publicBackendHost, type ScenarioOutputs } from "./foundation";

/**
 * The unprotected baseline: APIM outside any VNet calls the AI API on a public ingress that anyone can
 * call too. Every other scenario closes that gap in its own way.
 */
export function buildPublic(config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack);
  const backendHost = publicBackendHost(f);
  return assembleScenario(f, backendHost);
}
