import type { ScenarioDefinition } from "./traits";

/**
 * The unprotected baseline: APIM outside any VNet calls the AI API on a public ingress that anyone can
 * call too. Every other scenario closes that gap in its own way.
 */
export const publicScenario = {
  name: "public",
  short: "pub",
  title: "Public baseline",
  summary: "APIM without VNet in front of a public ingress on AKS; the backend is also open to the internet.",
  traits: {
    vnetMode: "None",
    publicIngress: true,
    backendAdmission: "open",
    secondFactor: "none",
    defaults: { apimSku: "Developer", apimCapacity: 1 },
    allowedSkus: ["Consumption", "Developer", "Basic", "Standard", "Premium", "BasicV2", "StandardV2"],
  },
} as const satisfies ScenarioDefinition<"public">;
