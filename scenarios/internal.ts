import { type ScenarioDefinition, VNET_INJECTION_TIERS } from "./traits";

/**
 * APIM in Internal VNet mode: gateway, portals and management endpoint have only a private address, which
 * private DNS zones resolve inside the VNet; the AI API sits behind an internal load balancer.
 */
export const internalScenario = {
  name: "internal",
  short: "int",
  title: "Internal VNet mode",
  summary: "APIM reachable only inside the VNet through private DNS; the AI API on an internal load balancer.",
  traits: {
    vnetMode: "Internal",
    publicIngress: false,
    backendAdmission: "vnet",
    secondFactor: "none",
    defaults: { apimSku: "Developer", apimCapacity: 1 },
    allowedSkus: VNET_INJECTION_TIERS,
  },
} as const satisfies ScenarioDefinition<"internal">;
