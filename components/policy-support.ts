/**
 * Where API Management can run each policy the builders in ./policies emit: tiers ("APPLIES TO" banner),
 * sections and scopes ("Usage"), read from each policy's reference page. Pure data.
 */
import type { ApimSku } from "../config/schema";

export const CLASSIC_TIERS = ["Developer", "Basic", "Standard", "Premium"] as const satisfies readonly ApimSku[];
export const V2_TIERS = ["BasicV2", "StandardV2"] as const satisfies readonly ApimSku[];
/** Every tier, in the order error messages list them. */
export const ALL_TIERS = [...CLASSIC_TIERS, ...V2_TIERS, "Consumption"] as const satisfies readonly ApimSku[];

export type PolicySection = "inbound" | "backend" | "outbound" | "on-error";
export const POLICY_SECTIONS = ["inbound", "backend", "outbound", "on-error"] as const satisfies readonly PolicySection[];

export type PolicyScope = "global" | "workspace" | "product" | "api" | "operation";
const ALL_SCOPES = ["global", "workspace", "product", "api", "operation"] as const satisfies readonly PolicyScope[];

export interface PolicySupport {
  readonly tiers: readonly ApimSku[];
  readonly sections: readonly PolicySection[];
  readonly scopes: readonly PolicyScope[];
  /** Usage notes that limit repetition: "only once per policy definition" / "only once in a policy section". */
  readonly limit?: "once-per-document" | "once-per-section";
  /** Usage note that the policy must come first in its section. */
  readonly first?: boolean;
  readonly source: string;
}

const DOCS = "https://learn.microsoft.com/azure/api-management";

export const POLICY_SUPPORT = {
  "rate-limit": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ["product", "api", "operation"],
    limit: "once-per-document",
    source: `${DOCS}/rate-limit-policy`,
  },
  "rate-limit-by-key": {
    tiers: [...CLASSIC_TIERS, ...V2_TIERS],
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/rate-limit-by-key-policy`,
  },
  quota: {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ["product"],
    limit: "once-per-document",
    source: `${DOCS}/quota-policy`,
  },
  "quota-by-key": {
    // Classic only: the reference page and the policy index both exclude v2 and Consumption.
    tiers: CLASSIC_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/quota-by-key-policy`,
  },
  "azure-openai-token-limit": {
    tiers: [...CLASSIC_TIERS, ...V2_TIERS],
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/azure-openai-token-limit-policy`,
  },
  "llm-token-limit": {
    tiers: [...CLASSIC_TIERS, ...V2_TIERS],
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/llm-token-limit-policy`,
  },
  "azure-openai-emit-token-metric": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/azure-openai-emit-token-metric-policy`,
  },
  "llm-emit-token-metric": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/llm-emit-token-metric-policy`,
  },
  "validate-jwt": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/validate-jwt-policy`,
  },
  cors: {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    limit: "once-per-section",
    first: true,
    source: `${DOCS}/cors-policy`,
  },
  "authentication-managed-identity": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ["global", "product", "api", "operation"],
    source: `${DOCS}/authentication-managed-identity-policy`,
  },
  "authentication-basic": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ["global", "product", "api", "operation"],
    source: `${DOCS}/authentication-basic-policy`,
  },
  "set-backend-service": {
    tiers: ALL_TIERS,
    sections: ["inbound", "backend"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/set-backend-service-policy`,
  },
  "set-header": {
    tiers: ALL_TIERS,
    sections: POLICY_SECTIONS,
    scopes: ALL_SCOPES,
    source: `${DOCS}/set-header-policy`,
  },
  "check-header": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ["global", "product", "api", "operation"],
    source: `${DOCS}/check-header-policy`,
  },
  "validate-client-certificate": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/validate-client-certificate-policy`,
  },
  "ip-filter": {
    tiers: ALL_TIERS,
    sections: ["inbound"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/ip-filter-policy`,
  },
  // A condition with the return-response it runs (return-response: all tiers, all sections and scopes too,
  // https://learn.microsoft.com/azure/api-management/return-response-policy).
  choose: {
    tiers: ALL_TIERS,
    sections: POLICY_SECTIONS,
    scopes: ALL_SCOPES,
    source: `${DOCS}/choose-policy`,
  },
  retry: {
    tiers: ALL_TIERS,
    sections: POLICY_SECTIONS,
    scopes: ALL_SCOPES,
    source: `${DOCS}/retry-policy`,
  },
  "forward-request": {
    tiers: ALL_TIERS,
    sections: ["backend"],
    scopes: ALL_SCOPES,
    source: `${DOCS}/forward-request-policy`,
  },
} as const satisfies Record<string, PolicySupport>;

export type PolicyName = keyof typeof POLICY_SUPPORT;
export const POLICY_NAMES = Object.keys(POLICY_SUPPORT) as PolicyName[];

/**
 * Backend features that are resource properties, not policies, but which a tier may still lack. The backend
 * circuit breaker "isn't supported in the Consumption tier"; a pool of model backends is gated with it, since
 * without breakers a priority pool never moves off a throttled primary. Pools take single backends only, and
 * breakers one rule each.
 * https://learn.microsoft.com/azure/api-management/backends#circuit-breaker
 */
export const BACKEND_FEATURE_SUPPORT = {
  "circuit-breaker": { tiers: [...CLASSIC_TIERS, ...V2_TIERS], source: `${DOCS}/backends#circuit-breaker` },
  "backend-pool": { tiers: [...CLASSIC_TIERS, ...V2_TIERS], source: `${DOCS}/backends#load-balanced-pool` },
} as const satisfies Record<string, { tiers: readonly ApimSku[]; source: string }>;

export type BackendFeature = keyof typeof BACKEND_FEATURE_SUPPORT;

export function supportsBackendFeature(tier: ApimSku, feature: BackendFeature): boolean {
  return (BACKEND_FEATURE_SUPPORT[feature].tiers as readonly ApimSku[]).includes(tier);
}
