import { evaluateScenario, type ScenarioEvaluation } from "../../automation/evaluate";
import type { GatewayPolicySettings } from "../../components/gateway-policies";
import { COMMON_DEFAULTS } from "../../config/defaults";
import type { ScenarioName } from "../../config/schema";

const cache = new Map<string, Promise<ScenarioEvaluation>>();

/**
 * Evaluations of the stack files as written, kept for the whole run and shared across test files
 * (evaluateScenario runs evaluations one after another and keeps only the latest ones).
 */
export function evaluated(scenario: ScenarioName): Promise<ScenarioEvaluation> {
  if (!cache.has(scenario)) cache.set(scenario, evaluateScenario(scenario));
  return cache.get(scenario)!;
}

/** A scenario evaluated with settings that replace its stack file's, as `--config` does. */
export function evaluatedWith(scenario: ScenarioName, overrides: Record<string, unknown>, stack?: string): Promise<ScenarioEvaluation> {
  return evaluateScenario(scenario, { overrides, ...(stack ? { stack } : {}) });
}

export { ofType, one } from "../helpers/graph";

/** Gateway policy settings for composing a tier's policies directly: small limits, the default CORS origins. */
export const POLICY_SETTINGS: GatewayPolicySettings = {
  corsAllowedOrigins: COMMON_DEFAULTS.corsAllowedOrigins,
  rateLimitCalls: 10,
  rateLimitPeriodSeconds: 60,
  quotaCalls: 1000,
  quotaPeriodSeconds: 86400,
  tokenLimitPerMinute: 1000,
  metricNamespace: "ai-gateway",
};

export const T = {
  apim: "azure-native:apimanagement:ApiManagementService",
  api: "azure-native:apimanagement:Api",
  productPolicy: "azure-native:apimanagement:ProductPolicy",
  apiPolicy: "azure-native:apimanagement:ApiPolicy",
  subscription: "azure-native:apimanagement:Subscription",
  subnet: "azure-native:network:Subnet",
  vnet: "azure-native:network:VirtualNetwork",
  pip: "azure-native:network:PublicIPAddress",
  zone: "azure-native:privatedns:PrivateZone",
  record: "azure-native:privatedns:PrivateRecordSet",
  link: "azure-native:privatedns:VirtualNetworkLink",
  openAi: "azure-native:cognitiveservices:Account",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  aks: "azure-native:containerservice:ManagedCluster",
} as const;
