import { type ScenarioDefinition, VNET_INTEGRATION_TIERS } from "./traits";

/**
 * APIM Standard v2 with outbound VNet integration: a public gateway whose calls to backends leave through a
 * delegated subnet of the VNet, reaching the AI API on an internal load balancer by a private DNS name. The
 * ingress admits that subnet only, so no shared ranges and no second factor are needed (unlike `consumption`).
 * https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound
 */
export const integratedScenario = {
  name: "integrated",
  short: "itg",
  title: "Standard v2, outbound VNet integration",
  summary: "Public Standard v2 gateway whose outbound calls use a delegated VNet subnet; the AI API is reachable only on an internal load balancer.",
  traits: {
    vnetMode: "Integration",
    publicIngress: false,
    backendAdmission: "vnet",
    secondFactor: "none",
    defaults: { apimSku: "StandardV2", apimCapacity: 1 },
    allowedSkus: VNET_INTEGRATION_TIERS,
  },
} as const satisfies ScenarioDefinition<"integrated">;
