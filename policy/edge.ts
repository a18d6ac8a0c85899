/**
 * The edge in front of APIM (config `edge`): a WAF that only logs protects nothing, and an Internal-mode gateway
 * without an edge serves nobody outside the VNet. Resource rules read the inputs the program declares.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { at, forTypes, list, ofType, T } from "./lib";

const MS = "https://learn.microsoft.com";
const WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy";
const APP_GATEWAY = "azure-native:network:ApplicationGateway";

/**
 * A WAF policy enforces: state Enabled, mode Prevention (Detection only logs what it would block), and at least
 * one managed rule set. https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview#waf-modes
 */
export const edgeWafPrevention: ResourceValidationPolicy = {
  name: "edge-waf-prevention",
  description: "A WAF in front of APIM runs in Prevention mode, enabled, with a managed rule set; a gateway in front of APIM is WAF_v2 with such a policy.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/web-application-firewall/ag/ag-overview#waf-modes`,
  validateResource: forTypes([WAF_POLICY, APP_GATEWAY], (args, report) => {
    if (args.type === APP_GATEWAY) {
      const tier = String(at(args.props, "sku.tier") ?? "");
      if (tier !== "WAF_v2") report(`The Application Gateway's tier is ${tier || "unset"}: an edge in front of APIM is WAF_v2, so that its WAF policy applies.`);
      if (!at(args.props, "firewallPolicy.id")) report("The Application Gateway has no firewallPolicy: link a WAF policy in Prevention mode.");
      return;
    }
    const mode = String(at(args.props, "policySettings.mode") ?? "Detection");
    const state = String(at(args.props, "policySettings.state") ?? "Enabled");
    if (mode !== "Prevention") report(`The WAF policy runs in ${mode} mode, which logs attacks and lets them through: set policySettings.mode to Prevention.`);
    if (state !== "Enabled") report(`The WAF policy is ${state}: set policySettings.state to Enabled.`);
    if (list(at(args.props, "managedRules.managedRuleSets")).length === 0) report("The WAF policy has no managed rule set: add Microsoft_DefaultRuleSet (or OWASP).");
  }),
};

/**
 * Internal mode without an edge: the gateway answers only inside the VNet, so no client outside it can call the
 * APIs. Deliberate for internal consumers; otherwise `edge=appgw-waf` publishes it through a WAF.
 * https://learn.microsoft.com/azure/api-management/api-management-howto-integrate-internal-vnet-appgateway
 */
export const internalApimEdge: StackValidationPolicy = {
  name: "internal-apim-edge",
  description: "An Internal-mode API Management has an edge (Application Gateway with WAF) when clients outside the VNet must reach it.",
  enforcementLevel: "advisory",
  url: `${MS}/azure/api-management/api-management-howto-integrate-internal-vnet-appgateway`,
  validateStack: (args, report) => {
    const internal = ofType(args, T.apim).filter((s) => s.props.virtualNetworkType === "Internal");
    if (internal.length === 0) args.notApplicable("no API Management service in Internal mode");
    if (ofType(args, APP_GATEWAY).length > 0) return;
    for (const s of internal) {
      report("API Management is in Internal mode with no edge: only callers inside the VNet reach it. To publish it, set edge=appgw-waf (Application Gateway with WAF in Prevention mode).", s.urn);
    }
  },
};

export const edgePolicies = [edgeWafPrevention, internalApimEdge];
