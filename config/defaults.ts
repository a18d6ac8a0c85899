import { SCENARIO_CATALOG } from "../scenarios/catalog";
import type { ScenarioTraits } from "../scenarios/traits";
import type { ScenarioConfig, ScenarioName } from "./schema";

export type { ScenarioTraits } from "../scenarios/traits";

/** Settings every scenario shares. A stack file or `--config` overrides any of them. */
export const COMMON_DEFAULTS: Omit<ScenarioConfig, "scenario" | "apimSku" | "apimCapacity"> = {
  location: "swedencentral",
  namePrefix: "aiapim",
  tags: {},
  publisherName: "AI Platform Team",
  publisherEmail: "apim-admin@contoso.com",
  vnetAddressSpace: "10.42.0.0/16",
  apimSubnetPrefix: "10.42.1.0/27",
  ingressSubnetPrefix: "10.42.2.0/27",
  aksSubnetPrefix: "10.42.16.0/22",
  // One private endpoint per Azure OpenAI account (two with openAiSecondaryLocation); /28 is the smallest
  // block this project plans, with room to spare. https://learn.microsoft.com/azure/private-link/private-endpoint-overview
  privateEndpointSubnetPrefix: "10.42.3.0/28",
  // Azure CNI Overlay: pods take addresses from a private range outside the VNet, so the AKS subnet only
  // holds nodes. https://learn.microsoft.com/azure/aks/azure-cni-overlay
  aksPodCidr: "192.168.0.0/16",
  aksServiceCidr: "172.16.0.0/16",
  aksDnsServiceIp: "172.16.0.10",
  aksNodeSize: "Standard_D2s_v5",
  aksNodeCount: 2,
  // GA and not deprecated in Microsoft's retirement schedule, offered as GlobalStandard in swedencentral, and
  // the smallest current GPT-5 model (data/openai-models.json has the sources and the date they were read).
  // A reasoning model: the AI API sends max_completion_tokens (config/models.ts decides from the family).
  openAiPublicNetworkAccess: false,
  openAiModelName: "gpt-5.4-mini",
  openAiModelVersion: "2026-03-17",
  openAiDeploymentSku: "GlobalStandard",
  openAiModelCapacity: 10,
  corsAllowedOrigins: ["http://localhost:5173"],
  rateLimitCalls: 60,
  rateLimitPeriodSeconds: 60,
  quotaCalls: 10000,
  quotaPeriodSeconds: 86400,
  tokenLimitPerMinute: 5000,
  apimDeveloperPortal: false,
  // Every request while the lab is small; lower it for real traffic (Application Insights bills per GB).
  // https://learn.microsoft.com/azure/api-management/api-management-howto-app-insights#performance-implications-and-log-sampling
  appInsightsSamplingPercentage: 100,
  // Client addresses are personal data in many jurisdictions: off unless someone needs them.
  appInsightsLogClientIp: false,
  // A lab-sized cap: ingestion stops for the day past it (the workspace keeps answering queries).
  // https://learn.microsoft.com/azure/azure-monitor/logs/daily-cap
  logAnalyticsDailyQuotaGb: 1,
  // kube-audit-admin only: kube-audit adds every get and list, most of an idle cluster's log volume (components/AksCluster.ts).
  aksAuditLog: "admin",
  // A private CA APIM trusts wherever the tier can (classic tiers); Let's Encrypt only where it cannot, since
  // its limit for <region>.cloudapp.azure.com is shared by every Azure customer in the region (config/certificates.ts).
  ingressCertificate: "auto",
  // APIM validates the backend's certificate chain, and Let's Encrypt's staging root is not trusted: only
  // production certificates let APIM call a public ingress. https://letsencrypt.org/docs/staging-environment/
  acmeServer: "production",
  // Pinned, current releases (checked 2026-11): bump here, the policy pack reads the same values.
  // https://github.com/traefik/traefik-helm-chart/releases, https://cert-manager.io/docs/releases/
  traefikChartRepo: "https://traefik.github.io/charts",
  traefikChartVersion: "41.3.0",
  certManagerChartRepo: "https://charts.jetstack.io",
  certManagerChartVersion: "v1.21.1",
  appReplicas: 2,
  edge: "none",
  // Application Gateway v2 takes one address per instance; "A minimum subnet size of /24 is recommended" for
  // autoscaling and maintenance upgrades. https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#size-of-the-subnet
  edgeSubnetPrefix: "10.42.8.0/24",
};

/** Each scenario's traits, as its file in scenarios/ declares them. */
export const SCENARIO_TRAITS = Object.fromEntries(SCENARIO_CATALOG.map((d) => [d.name, d.traits])) as Record<ScenarioName, ScenarioTraits>;

export function defaultsFor(scenario: ScenarioName): ScenarioConfig {
  return { ...COMMON_DEFAULTS, scenario, ...SCENARIO_TRAITS[scenario].defaults };
}
