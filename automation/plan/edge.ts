/**
 * The plan's view of an edge in front of APIM (config `edge`): the Application Gateway as an endpoint, and the
 * "internet entry" row of the client → APIM hop, read from the graph for every scenario: through a WAF, straight
 * to APIM's public gateway, or no way in from the internet at all. Pure functions.
 */
import type { RegisteredResource } from "../mock-engine";
import type { Endpoint, Protection } from "./analysis";
import { valueAt } from "./estimates";

const APP_GATEWAY = "azure-native:network:ApplicationGateway";
const WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy";

export interface EdgeView {
  /** WAF mode of the policy linked to the gateway, or undefined without one. */
  wafMode?: string;
  /** Managed rule sets, as `type version`. */
  ruleSets: string[];
  sku?: string;
}

/** The Application Gateway in the graph and its WAF policy (linked by ID or by dependency), if any. */
export function edgeView(rs: readonly RegisteredResource[]): EdgeView | undefined {
  const gateway = rs.find((r) => r.type === APP_GATEWAY);
  if (!gateway) return undefined;
  const policyId = valueAt(gateway.inputs, "firewallPolicy.id");
  const policy = rs.find((r) => r.type === WAF_POLICY && (r.id === policyId || gateway.dependencies.includes(r.urn)));
  const enabled = policy && valueAt(policy.inputs, "policySettings.state") !== "Disabled";
  return {
    wafMode: enabled ? String(valueAt(policy!.inputs, "policySettings.mode") ?? "Detection") : undefined,
    ruleSets: ((valueAt(policy?.inputs ?? {}, "managedRules.managedRuleSets") ?? []) as { ruleSetType?: string; ruleSetVersion?: string }[]).map(
      (s) => `${s.ruleSetType} ${s.ruleSetVersion}`,
    ),
    sku: valueAt(gateway.inputs, "sku.tier") as string | undefined,
  };
}

/** The edge as an endpoint: public, and whether its WAF blocks. */
export function edgeEndpoint(rs: readonly RegisteredResource[]): Endpoint | undefined {
  const edge = edgeView(rs);
  if (!edge) return undefined;
  const waf = edge.wafMode ? `WAF ${edge.wafMode}` : "no WAF";
  return {
    name: "Edge (Application Gateway)",
    reach: "internet",
    summary: `internet, ${waf}`,
    detail: `${edge.sku ?? "Application Gateway"} with ${edge.wafMode ? `a WAF policy in ${edge.wafMode} mode (${edge.ruleSets.join(", ") || "no managed rules"})` : "no WAF policy"}: the public entry in front of APIM`,
    from: "graph",
  };
}

/**
 * How the internet gets to the APIs: through the edge's WAF (blocking only in Prevention mode), to APIM's
 * public gateway directly (nothing inspects requests before APIM), or not at all (APIM answers the VNet only).
 */
export function internetEntry(rs: readonly RegisteredResource[], apim: Endpoint): Protection {
  const edge = edgeView(rs);
  const base = { name: "internet entry", from: "graph" as const };
  if (edge) {
    return edge.wafMode === "Prevention"
      ? { ...base, present: true, summary: "WAF (Prevention)", detail: `only through Application Gateway's WAF in Prevention mode (${edge.ruleSets.join(", ")}); APIM itself has ${apim.reach === "vnet" ? "no public endpoint" : "a public endpoint too"}` }
      : { ...base, present: false, summary: edge.wafMode ? `WAF (${edge.wafMode})` : "edge, no WAF", detail: `through Application Gateway, whose WAF ${edge.wafMode ? `only logs (${edge.wafMode} mode)` : "is missing"}: attacks reach APIM` };
  }
  if (apim.reach === "internet" || apim.reach === "internet-restricted") {
    return { ...base, present: null, summary: "APIM directly", detail: "the internet calls APIM's public gateway; no WAF inspects requests first (edge=appgw-waf exists for Internal mode)" };
  }
  return { ...base, present: null, summary: "none", detail: `APIM answers ${apim.reach === "vnet" ? "inside the VNet" : "through its private endpoint"} only: no path from the internet` };
}
