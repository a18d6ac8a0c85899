import type { ScenarioDefinition } from "./traits";

/**
 * APIM Consumption (or Basic/Standard, without VNet) calling a public Traefik ingress that admits only APIM:
 * an allow-list of the addresses APIM calls from, and a password only this APIM instance presents.
 */
export const consumptionScenario = {
  name: "consumption",
  short: "con",
  title: "Consumption tier",
  summary: "Serverless APIM calling a public Traefik ingress that admits only APIM's addresses, TLS from Let's Encrypt.",
  traits: {
    vnetMode: "None",
    publicIngress: true,
    backendAdmission: "apim-only",
    secondFactor: "basic-auth",
    defaults: { apimSku: "Consumption", apimCapacity: 0 },
    allowedSkus: ["Consumption", "Developer", "Basic", "Standard"],
  },
} as const satisfies ScenarioDefinition<"consumption">;
