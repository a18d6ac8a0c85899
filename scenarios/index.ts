import { SCENARIO_TRAITS, type ScenarioTraits } from "../config/defaults";
import { SCENARIO_NAMES, type ScenarioConfig, type ScenarioName } from "../config/schema";
import { buildConsumption } from "./consumption";
import { buildExternal } from "./external";
import type { ScenarioOutputs } from "./foundation";
import { buildInternal } from "./internal";
import { buildPublic } from "./public";

export interface ScenarioDefinition extends ScenarioTraits {
  name: ScenarioName;
  title: string;
  summary: string;
  build(config: ScenarioConfig, stack: string): ScenarioOutputs;
}

const BUILDERS: Record<ScenarioName, Pick<ScenarioDefinition, "title" | "summary" | "build">> = {
  public: {
    title: "Public baseline",
    summary: "APIM without VNet in front of a public ingress on AKS; the backend is also open to the internet.",
    build: buildPublic,
  },
  external: {
    title: "External VNet mode",
    summary: "Public APIM gateway injected into the VNet; the AI API is reachable only on an internal load balancer.",
    build: buildExternal,
  },
  internal: {
    title: "Internal VNet mode",
    summary: "APIM reachable only inside the VNet through private DNS; the AI API on an internal load balancer.",
    build: buildInternal,
  },
  consumption: {
    title: "Consumption tier",
    summary: "Serverless APIM calling a public Traefik ingress that admits only APIM's addresses, TLS from Let's Encrypt.",
    build: buildConsumption,
  },
};

/** The registry `index.ts`, the CLI and the tests all build scenarios from. */
export const SCENARIOS: Record<ScenarioName, ScenarioDefinition> = Object.fromEntries(
  SCENARIO_NAMES.map((name) => [name, { name, ...SCENARIO_TRAITS[name], ...BUILDERS[name] }]),
) as Record<ScenarioName, ScenarioDefinition>;

export function buildScenario(config: ScenarioConfig, stack: string): ScenarioOutputs {
  return SCENARIOS[config.scenario].build(config, stack);
}
