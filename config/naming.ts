import { nthAddress, parseCidr } from "./cidr";
import { findScenario } from "../scenarios/catalog";
import type { ScenarioConfig, ScenarioName } from "./schema";

/**
 * Names of the Azure resources of one stack. `suffix` is a short random string kept in state, so names
 * that must be globally unique (APIM host, Azure OpenAI subdomain) stay unique and stable per stack.
 * Length and character rules: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
 */
export interface ResourceNames {
  resourceGroup: string;
  virtualNetwork: string;
  apim: string;
  openAi: string;
  aks: string;
  aksDnsPrefix: string;
  logAnalytics: string;
  appInsights: string;
  backendIdentity: string;
  /** DNS label of the APIM public IP (VNet modes) and of the ingress's public IP (public backends). */
  apimPublicIpLabel: string;
  ingressDnsLabel: string;
  /** Private DNS zone of the backend in VNet scenarios; `.internal` is reserved for private use by ICANN. */
  privateZone: string;
  containerRegistry: string;
}

/** A registered scenario's names; `resourceNamesFor` takes the short name a scenario file declares. */
export function resourceNames(prefix: string, scenario: ScenarioName, suffix: string): ResourceNames {
  return resourceNamesFor(prefix, findScenario(scenario)!.short, suffix);
}

export function resourceNamesFor(prefix: string, short: string, suffix: string): ResourceNames {
  const base = `${prefix}-${short}-${suffix}`;
  return {
    resourceGroup: `rg-${base}`,
    virtualNetwork: `vnet-${base}`,
    apim: `apim-${base}`,
    openAi: `oai-${base}`,
    aks: `aks-${base}`,
    aksDnsPrefix: base,
    logAnalytics: `log-${base}`,
    appInsights: `appi-${base}`,
    backendIdentity: `id-${base}-ai-api`,
    apimPublicIpLabel: `${base}-apim`,
    ingressDnsLabel: `${base}-ai`,
    privateZone: `${base}.internal`,
    // Registry names are 5-50 letters and digits only. https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcontainerregistry
    containerRegistry: `acr${base.replace(/[^a-z0-9]/g, "")}`,
  };
}

/** Length of the random suffix: keeps `apim-<prefix>-<sc>-<suffix>` within APIM's 50 characters. */
export const NAME_SUFFIX_LENGTH = 6;

/** This project's name (Pulumi.yaml `name`): its tag marks what `scenarios sweep` may delete. */
export const PROJECT_NAME = "apim-aks-ai-scenarios";
/** The tag only this project sets; `managed-by=pulumi` alone is common to many Pulumi programs. */
export const PROJECT_TAG = "pulumi-project";

/** Tags on every Azure resource: who manages it, which scenario and stack, and when it may be swept. */
export function standardTags(config: Pick<ScenarioConfig, "scenario" | "tags" | "expiresAt">, stack: string): Record<string, string> {
  return {
    ...config.tags,
    scenario: config.scenario,
    stack,
    "managed-by": "pulumi",
    [PROJECT_TAG]: PROJECT_NAME,
    ...(config.expiresAt ? { "expires-at": config.expiresAt } : {}),
  };
}

/** Host name Azure gives a public IP with a DNS label. https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#dns-name-label */
export function publicIpFqdn(label: string, location: string): string {
  return `${label}.${location}.cloudapp.azure.com`;
}

/**
 * The internal load balancer's address in the ingress subnet, fixed in advance so that private DNS records
 * and APIM's backend URL need not wait for the cluster. Address 4 is the first one Azure does not reserve.
 * https://learn.microsoft.com/azure/aks/internal-lb#specify-an-ip-address
 */
export function plannedIngressIp(ingressSubnetPrefix: string): string {
  const subnet = parseCidr(ingressSubnetPrefix);
  if (!subnet) throw new Error(`ingressSubnetPrefix ${ingressSubnetPrefix} is not a CIDR block`);
  return nthAddress(subnet, 4);
}
