import { type ScenarioDefinition, VNET_INJECTION_TIERS } from "./traits";

/**
 * APIM in External VNet mode: a public gateway inside the VNet that reaches the AI API on an internal load
 * balancer, by a private DNS name that resolves only inside the VNet.
 */
export const externalScenario = {
  name: "external",
  short: "ext",
  title: "External VNet mode",
  summary: "Public APIM gateway injected into the VNet; the AI API is reachable only on an internal load balancer.",
  traits: {
    vnetMode: "External",
    publicIngress: false,
    backendAdmission: "vnet",
    secondFactor: "none",
    defaults: { apimSku: "Developer", apimCapacity: 1 },
    allowedSkus: VNET_INJECTION_TIERS,
  },
} as const satisfies ScenarioDefinition<"external">;
