/**
 * What a scenario decides, as data: each scenario file declares a `ScenarioDefinition`, and foundation.ts,
 * probes.ts, config/rules.ts and config/certificates.ts read these traits instead of a scenario's name.
 * Pure: no Pulumi, so the config layer can read the traits before anything is built.
 */
import type { ApimSku, VnetMode } from "../config/schema";

/** How the AI API's ingress admits callers. */
export type BackendAdmission =
  /** Anyone on the internet: the unprotected baseline. */
  | "open"
  /** Only the VNet: an internal load balancer that admits APIM's subnet. */
  | "vnet"
  /**
   * A public ingress that admits only the addresses APIM calls from (NSG, NetworkPolicy, Traefik allow-list),
   * plus a second factor where those addresses are not APIM's alone (see `secondFactor`).
   */
  | "apim-only";

/**
 * How APIM joins the VNet: not at all, injected in External or Internal mode (classic tiers), or `Integration`:
 * outbound VNet integration (Standard v2), where the gateway stays public and only APIM's calls to backends
 * leave through a delegated subnet of the VNet.
 * https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound
 */
export type ApimNetworking = VnetMode | "Integration";

export interface ScenarioTraits {
  /** How APIM joins the VNet (see `ApimNetworking`). */
  vnetMode: ApimNetworking;
  /** Whether the AI API's ingress has a public load balancer (otherwise an internal one in its own subnet). */
  publicIngress: boolean;
  /** How the AI API's ingress admits callers. */
  backendAdmission: BackendAdmission;
  /**
   * What APIM presents to the ingress besides its address: a password only this APIM instance holds, sent as
   * basic authentication (the shared ranges of Consumption and v2 tiers admit other tenants' services too).
   */
  secondFactor: "none" | "basic-auth";
  defaults: { apimSku: ApimSku; apimCapacity: number };
  /** Tiers the scenario can be built with. */
  allowedSkus: readonly ApimSku[];
}

export interface ScenarioDefinition<N extends string = string> {
  /** The scenario's name: the stack name, the `scenario` setting and tag (DESIGN.md, "Contracts"). */
  name: N;
  /** Three letters in resource names (`apim-<prefix>-<short>-<suffix>`), unique across scenarios. */
  short: string;
  title: string;
  summary: string;
  traits: ScenarioTraits;
}

/**
 * The tiers APIM can be injected into a VNet with (External or Internal mode): Developer and Premium only.
 * https://learn.microsoft.com/azure/api-management/virtual-network-concepts
 */
export const VNET_INJECTION_TIERS = ["Developer", "Premium"] as const satisfies readonly ApimSku[];

/**
 * The tiers with outbound VNet integration: Standard v2 and Premium v2 ("APPLIES TO: Standard v2 | Premium v2");
 * Premium v2 is not among the tiers this project deploys (config/schema.ts APIM_SKUS).
 * https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound
 */
export const VNET_INTEGRATION_TIERS = ["StandardV2"] as const satisfies readonly ApimSku[];

/** Whether APIM is injected into the VNet (External or Internal mode), as opposed to integrated or outside it. */
export function apimInjected(t: Pick<ScenarioTraits, "vnetMode">): t is { vnetMode: "External" | "Internal" } {
  return t.vnetMode === "External" || t.vnetMode === "Internal";
}

/** Where callers reach the APIM gateway from: Internal mode gives it only a private address. */
export function gatewayReach(t: Pick<ScenarioTraits, "vnetMode">): "internet" | "vnet" {
  return t.vnetMode === "Internal" ? "vnet" : "internet";
}

/** Whether the AI API must refuse a direct call from the internet (everything but the open baseline). */
export function backendPrivateFromInternet(t: Pick<ScenarioTraits, "backendAdmission">): boolean {
  return t.backendAdmission !== "open";
}

/**
 * Where the model is reached through a private endpoint: where APIM's calls leave from the VNet, injected or
 * integrated (an integrated instance "can reach ... network-isolated backend services" in the VNet). APIM's page
 * does not say which DNS an integrated gateway asks; its subnet delegation, Microsoft.Web/serverFarms, is App
 * Service's VNet integration, where "the app uses the DNS configuration of the virtual network" and reaches the
 * Azure DNS private zones linked to it. On a deployment the probe apim-accepts-key shows it: APIM reaches the AI
 * API by its name in the VNet's private zone. Without a VNet APIM calls from public addresses, so the account's
 * firewall admits those instead.
 * https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound
 * https://learn.microsoft.com/azure/app-service/overview-name-resolution
 */
export function modelReachedPrivately(t: Pick<ScenarioTraits, "vnetMode">): boolean {
  return t.vnetMode !== "None";
}

/** Checks a definition's traits against each other; the registry and the tests call it. */
export function traitProblems(d: ScenarioDefinition): string[] {
  const t = d.traits;
  const problems: string[] = [];
  if (t.publicIngress && t.backendAdmission === "vnet") problems.push("backendAdmission vnet needs an internal ingress (publicIngress false)");
  if (!t.publicIngress && t.backendAdmission !== "vnet") problems.push(`an internal ingress admits the VNet only: backendAdmission must be vnet, not ${t.backendAdmission}`);
  // An internal ingress is reached by APIM only from inside the VNet.
  if (!t.publicIngress && t.vnetMode === "None") problems.push("an internal ingress needs APIM in the VNet (vnetMode External, Internal or Integration)");
  if (t.vnetMode === "Integration" && t.allowedSkus.some((s) => !(VNET_INTEGRATION_TIERS as readonly ApimSku[]).includes(s))) {
    problems.push(`vnetMode Integration exists only on ${VNET_INTEGRATION_TIERS.join(", ")}`);
  }
  if (apimInjected(t) && t.allowedSkus.some((s) => !(VNET_INJECTION_TIERS as readonly ApimSku[]).includes(s))) {
    problems.push(`vnetMode ${t.vnetMode} (injection) exists only on ${VNET_INJECTION_TIERS.join(", ")}`);
  }
  if (t.secondFactor !== "none" && t.backendAdmission !== "apim-only") problems.push("a second factor goes with backendAdmission apim-only");
  if (!t.allowedSkus.includes(t.defaults.apimSku)) problems.push(`default tier ${t.defaults.apimSku} is not among allowedSkus`);
  if (!/^[a-z0-9]{3}$/.test(d.short)) problems.push(`short ${JSON.stringify(d.short)} must be three lowercase letters or digits`);
  return problems;
}
