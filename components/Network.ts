import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as authorization from "@pulumi/azure-native/authorization";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import type * as inputs from "@pulumi/azure-native/types/input";
import { contains, parseCidr } from "../config/cidr";
import { type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";

/** Injection (classic tiers, External or Internal mode) or outbound integration (Standard v2, a delegated subnet). */
export type ApimVnetMode = "External" | "Internal" | "Integration";

/**
 * The delegation the outbound-integration subnet needs: "The subnet needs to be delegated to the
 * Microsoft.Web/serverFarms service". https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound#subnet-delegation
 */
export const APIM_INTEGRATION_DELEGATION = "Microsoft.Web/serverFarms";

export interface NetworkArgs extends AzureScopeArgs {
  virtualNetworkName: pulumi.Input<string>;
  /** Address space of the VNet, e.g. 10.42.0.0/16. */
  addressSpace: string;
  /** Subnet of the AKS nodes (Azure CNI Overlay: pods take addresses outside the VNet). */
  aksSubnetPrefix: string;
  /** Subnet of the internal load balancer in front of the AI API's ingress (Traefik). */
  ingressSubnetPrefix: string;
  /**
   * APIM's own subnet, only in the VNet scenarios. With `serviceName`, destroying the stack purges the
   * soft-deleted service and waits for the subnet to be released before deleting it (components/subnet-release.ts).
   */
  apim?: {
    subnetPrefix: string;
    mode: ApimVnetMode;
    serviceName?: pulumi.Input<string>;
    /** APIM's public IP (stv2 injection needs one), made here so it outlives the release step; `aliases` keep its state where it was made before. */
    publicIp?: { dnsLabel: pulumi.Input<string>; aliases?: pulumi.Input<pulumi.Alias>[] };
  };
  /**
   * Ports on which the AI API's public load balancer admits the internet (public-ingress scenarios). Its
   * backends are the AKS nodes, so the AKS subnet's NSG must admit them; omit when the ingress is internal.
   */
  publicIngressPorts?: number[];
  /**
   * Where HTTPS (443) to the public load balancer may come from, when not the whole internet: a service tag or
   * CIDR block (consumption: the region's AzureCloud tag, the ranges APIM calls from). Port 80 stays open to the
   * internet for Let's Encrypt's HTTP-01 validation.
   */
  publicIngressHttpsSource?: string;
  /**
   * A subnet of its own for private endpoints (Azure OpenAI's, VNet scenarios), reached on 443 only from the
   * listed subnets; the rest of the VNet is denied.
   */
  privateEndpoints?: { subnetPrefix: string; callerPrefixes: string[] };
  /** Application Gateway's own subnet (config edge appgw-waf), with the NSG Microsoft documents for it. */
  edge?: { subnetPrefix: string };
  /** Sends the NSGs' resource logs to Log Analytics. */
  diagnostics?: DiagnosticsArgs;
}

/** One NSG security rule as plain data, so that tests and the policy pack can read the rule sets. */
export interface NsgRule {
  name: string;
  priority: number;
  direction: "Inbound" | "Outbound";
  access: "Allow" | "Deny";
  protocol: "Tcp" | "Udp" | "*";
  /** Address prefix, CIDR block or service tag. */
  source: string;
  destination: string;
  /** Destination ports; `*` for all. */
  ports: string[];
  description: string;
  /** The Microsoft page the rule comes from. */
  doc: string;
}

const APIM_VNET_REFERENCE = "https://learn.microsoft.com/azure/api-management/virtual-network-reference#required-ports";
const APIM_LB_NOTE = "https://learn.microsoft.com/azure/api-management/virtual-network-reference#azure-load-balancer";
const APIM_NSG_RULES = "https://learn.microsoft.com/azure/api-management/api-management-using-with-vnet#configure-nsg-rules";
const NSG_PROCESSING = "https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works";
const NSG_RULES = "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules";
const LB_PROBES = "https://learn.microsoft.com/azure/load-balancer/load-balancer-custom-probe-overview#probe-source-ip-address";
const APIM_IP_ADDRESSES = "https://learn.microsoft.com/azure/api-management/api-management-howto-ip-addresses";

/** An explicit inbound deny of everything from `source`, below the subnet's allow rules. */
function denyInbound(name: string, priority: number, source: string, description: string): NsgRule {
  return { name, priority, direction: "Inbound", access: "Deny", protocol: "*", source, destination: "*", ports: ["*"], description, doc: NSG_PROCESSING };
}

/** Above Azure's AllowVnetInBound (65000): the rest of the VNet is refused. */
function denyVnetInbound(description: string): NsgRule {
  return denyInbound("DenyVnetInbound", 4000, "VirtualNetwork", description);
}

/**
 * The rules Microsoft lists for an APIM subnet (classic tiers, stv2), in the given mode. Every row of the
 * reference table marked required is here; of the optional rows, only those for features this project uses
 * (Entra ID tokens for the managed identity, rate-limit counter sync, per-machine health). Left out: Event
 * Hubs, managed connections (AzureConnectors), external and internal Redis caches. Outbound destinations use
 * the global service tags; the reference allows the regional ones (`Storage.<region>`) too.
 * https://learn.microsoft.com/azure/api-management/virtual-network-reference
 */
export function apimNsgRules(mode: ApimVnetMode): NsgRule[] {
  // Outbound integration: "A network security group must be associated with the subnet. No specific rules are
  // required." Nothing reaches APIM through this subnet, so Azure's default rules stay as they are.
  // https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound#network-security-group
  if (mode === "Integration") return [];
  const external = mode === "External";
  const vnet = "VirtualNetwork";
  const rules: (NsgRule | false)[] = [
    // Port 80 is optional in the table ("[80]"); the APIs here publish HTTPS only, so only 443 is opened.
    // Internal mode has no internet client rule: clients inside the VNet pass Azure's AllowVnetInBound.
    external && {
      name: "AllowClientHttpsInbound",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "Internet",
      destination: vnet,
      ports: ["443"],
      description: "Client communication to API Management (External mode)",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowApimManagementInbound",
      priority: 110,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "ApiManagement",
      destination: vnet,
      ports: ["3443"],
      description: "Management endpoint for Azure portal and PowerShell",
      doc: APIM_VNET_REFERENCE,
    },
    // Not strictly needed for one Developer unit, critical once scaled: a failing probe blocks all inbound.
    {
      name: "AllowAzureLoadBalancerInbound",
      priority: 120,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "AzureLoadBalancer",
      destination: vnet,
      ports: ["6390"],
      description: "Azure infrastructure load balancer",
      doc: APIM_LB_NOTE,
    },
    external && {
      name: "AllowTrafficManagerInbound",
      priority: 130,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "AzureTrafficManager",
      destination: vnet,
      ports: ["443"],
      description: "Azure Traffic Manager routing for multi-region deployment (External mode)",
      doc: APIM_NSG_RULES,
    },
    {
      name: "AllowMachineHealthInbound",
      priority: 140,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "AzureLoadBalancer",
      destination: vnet,
      ports: ["6391"],
      description: "Monitoring of individual machine health (optional)",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowRateLimitSyncInbound",
      priority: 150,
      direction: "Inbound",
      access: "Allow",
      protocol: "Udp",
      source: vnet,
      destination: vnet,
      ports: ["4290"],
      description: "Sync counters for rate-limit policies between machines (optional)",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowStorageOutbound",
      priority: 100,
      direction: "Outbound",
      access: "Allow",
      protocol: "Tcp",
      source: vnet,
      destination: "Storage",
      ports: ["443"],
      description: "Dependency on Azure Storage",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowSqlOutbound",
      priority: 110,
      direction: "Outbound",
      access: "Allow",
      protocol: "Tcp",
      source: vnet,
      destination: "Sql",
      ports: ["1433"],
      description: "Access to Azure SQL endpoints",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowKeyVaultOutbound",
      priority: 120,
      direction: "Outbound",
      access: "Allow",
      protocol: "Tcp",
      source: vnet,
      destination: "AzureKeyVault",
      ports: ["443"],
      description: "Access to Azure Key Vault",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowAzureMonitorOutbound",
      priority: 130,
      direction: "Outbound",
      access: "Allow",
      protocol: "Tcp",
      source: vnet,
      destination: "AzureMonitor",
      ports: ["1886", "443"],
      description: "Diagnostics logs and metrics, Resource Health and Application Insights",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowCertificateValidationOutbound",
      priority: 140,
      direction: "Outbound",
      access: "Allow",
      protocol: "Tcp",
      source: vnet,
      destination: "Internet",
      ports: ["80"],
      description: "Validation and management of Microsoft-managed and customer-managed certificates",
      doc: APIM_VNET_REFERENCE,
    },
    // Optional in the table; authentication-managed-identity (APIM -> Azure OpenAI) fetches Entra ID tokens.
    {
      name: "AllowEntraIdOutbound",
      priority: 150,
      direction: "Outbound",
      access: "Allow",
      protocol: "Tcp",
      source: vnet,
      destination: "AzureActiveDirectory",
      ports: ["443"],
      description: "Microsoft Entra ID, Microsoft Graph and Azure Key Vault dependency (optional)",
      doc: APIM_VNET_REFERENCE,
    },
    {
      name: "AllowRateLimitSyncOutbound",
      priority: 160,
      direction: "Outbound",
      access: "Allow",
      protocol: "Udp",
      source: vnet,
      destination: vnet,
      ports: ["4290"],
      description: "Sync counters for rate-limit policies between machines (optional)",
      doc: APIM_VNET_REFERENCE,
    },
  ];
  return rules.filter((r): r is NsgRule => r !== false);
}

/**
 * The AKS subnet keeps Azure's default rules (VNet and AzureLoadBalancer inbound) for everything AKS itself
 * needs: it manages the NSG on the nodes' NICs and never touches a subnet NSG. With Azure CNI Overlay, pod
 * traffic crosses the subnet NSG unencapsulated, so no rule here denies VNet traffic in general.
 * A load balancer created by AKS uses floating IP, so packets reach the nodes still addressed to its frontend
 * (cloud-provider-azure: floating IP unless azure-disable-load-balancer-floating-ip is set), and a subnet NSG is
 * evaluated before the NIC's, so AKS's own NIC rules do not suffice:
 *  - public ingress: the frontend is a public address unknown here, so its ports are admitted from the internet
 *    (HTTPS from `httpsSource` where given) to any address, never all ports;
 *  - internal ingress: the frontend lies in the ingress subnet, so this is the NSG that sees APIM's calls. Only
 *    APIM's subnet may reach it, on 443; the rest of the VNet is denied that destination (which would otherwise
 *    pass AllowVnetInBound). Load balancer probes go to the nodes' own addresses, not to the frontend.
 * https://learn.microsoft.com/azure/aks/faq#can-i-configure-nsgs-with-aks
 * https://learn.microsoft.com/azure/aks/azure-cni-overlay#network-security-groups
 * https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
 * https://cloud-provider-azure.sigs.k8s.io/topics/loadbalancer/#loadbalancer-annotations
 */
export function aksNsgRules(
  publicIngressPorts: number[] = [],
  o: { httpsSource?: string; internalIngress?: { ingressSubnetPrefix: string; apimSubnetPrefix: string } } = {},
): NsgRule[] {
  const rules: NsgRule[] = [];
  const open = o.httpsSource ? publicIngressPorts.filter((p) => p !== 443) : publicIngressPorts;
  if (open.length) {
    rules.push({
      name: "AllowInternetToPublicIngress",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "Internet",
      destination: "*",
      ports: open.map(String),
      description: o.httpsSource ? "Let's Encrypt's HTTP-01 validation (and its redirect to HTTPS) at the AI API's public load balancer" : "Clients to the AI API's public load balancer, whose backends are the AKS nodes",
      doc: NSG_PROCESSING,
    });
  }
  if (o.httpsSource && publicIngressPorts.includes(443)) {
    rules.push({
      name: "AllowApimRangesToPublicIngressHttps",
      priority: 110,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: o.httpsSource,
      destination: "*",
      ports: ["443"],
      description: "Only the ranges APIM calls from reach the AI API's public load balancer on HTTPS",
      doc: APIM_IP_ADDRESSES,
    });
  }
  if (o.internalIngress) {
    rules.push(
      {
        name: "AllowApimToIngressHttps",
        priority: 120,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        source: o.internalIngress.apimSubnetPrefix,
        destination: o.internalIngress.ingressSubnetPrefix,
        ports: ["443"],
        description: "API Management to the AI API's internal load balancer, whose backends are the AKS nodes",
        doc: NSG_RULES,
      },
      {
        name: "DenyVnetToIngress",
        priority: 4000,
        direction: "Inbound",
        access: "Deny",
        protocol: "*",
        source: "VirtualNetwork",
        destination: o.internalIngress.ingressSubnetPrefix,
        ports: ["*"],
        description: "Nothing else in the VNet reaches the internal ingress (AllowVnetInBound would admit it)",
        doc: NSG_PROCESSING,
      },
    );
  }
  return rules;
}

/**
 * The ingress subnet holds the internal load balancer's frontend address: HTTPS from APIM's subnet (VNet
 * scenarios) and health probes; the rest of the VNet and the internet denied explicitly. A frontend is not a
 * NIC, so traffic to it is filtered where its backends are: the AKS subnet's NSG (aksNsgRules) carries the same
 * allow and deny for the frontend's addresses. These rules guard whatever else is placed in this subnet.
 */
export function ingressNsgRules(ingressSubnetPrefix: string, apimSubnetPrefix?: string): NsgRule[] {
  const rules: NsgRule[] = [];
  if (apimSubnetPrefix) {
    rules.push({
      name: "AllowApimToIngressHttps",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: apimSubnetPrefix,
      destination: ingressSubnetPrefix,
      ports: ["443"],
      description: "API Management to the AI API's internal ingress",
      doc: NSG_RULES,
    });
  }
  if (apimSubnetPrefix) {
    rules.push(denyVnetInbound("Only APIM's subnet reaches the internal ingress (AllowVnetInBound would admit the whole VNet)"));
  }
  // Probes come from 168.63.129.16 on the service's health-check port, not on 443; allowed above the
  // explicit denies so that they can never shadow them.
  rules.push(
    {
      name: "AllowAzureLoadBalancerInbound",
      priority: 110,
      direction: "Inbound",
      access: "Allow",
      protocol: "*",
      source: "AzureLoadBalancer",
      destination: "*",
      ports: ["*"],
      description: "Azure load balancer health probes",
      doc: LB_PROBES,
    },
    denyInbound("DenyInternetInbound", 4096, "Internet", "Nothing from the internet reaches the internal ingress"),
  );
  return rules;
}

/**
 * The private endpoints' subnet: HTTPS from the callers' subnets (APIM's; the AKS nodes', whose address AKS pods
 * leave the cluster with under Azure CNI Overlay), everything else from the VNet and the internet denied. NSGs
 * apply to private endpoints only with the subnet's `privateEndpointNetworkPolicies` enabled, which Network sets.
 * https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy
 * https://learn.microsoft.com/azure/aks/concepts-network-cni-overview#overlay-networks
 */
export function privateEndpointNsgRules(subnetPrefix: string, callerPrefixes: readonly string[]): NsgRule[] {
  if (callerPrefixes.length === 0) throw new Error("privateEndpointNsgRules: name at least one caller subnet");
  return [
    ...callerPrefixes.map(
      (source, i): NsgRule => ({
        name: `AllowCaller${i + 1}ToPrivateEndpointsHttps`,
        priority: 100 + 10 * i,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        source,
        destination: subnetPrefix,
        ports: ["443"],
        description: "A caller (API Management, the AKS nodes, the cluster's pods) to the Azure OpenAI private endpoints",
        doc: NSG_RULES,
      }),
    ),
    denyVnetInbound("Nothing else in the VNet reaches the private endpoints (AllowVnetInBound would admit it)"),
    denyInbound("DenyInternetInbound", 4096, "Internet", "Nothing from the internet reaches the private endpoints"),
  ];
}

const APPGW_INFRASTRUCTURE = "https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups";

/**
 * Application Gateway v2's subnet, in the order Microsoft lists the rules for it: the listener's port from the
 * internet to the gateway's subnet; GatewayManager on 65200-65535 ("required for Azure infrastructure
 * communication", destination Any); AzureLoadBalancer (destination Any, never overridden by a deny); everything
 * else denied. Outbound stays at Azure's defaults: "Outbound Internet connectivity can't be blocked."
 * https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups
 */
export function appGatewayNsgRules(subnetPrefix: string, listenerPorts: readonly number[] = [443]): NsgRule[] {
  return [
    {
      name: "AllowInternetToListener",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "Internet",
      destination: subnetPrefix,
      ports: listenerPorts.map(String),
      description: "Clients to the Application Gateway listener (HTTPS)",
      doc: APPGW_INFRASTRUCTURE,
    },
    {
      name: "AllowGatewayManagerInbound",
      priority: 110,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "GatewayManager",
      destination: "*",
      ports: ["65200-65535"],
      description: "Azure infrastructure communication with Application Gateway v2 (back-end health)",
      doc: APPGW_INFRASTRUCTURE,
    },
    {
      name: "AllowAzureLoadBalancerInbound",
      priority: 120,
      direction: "Inbound",
      access: "Allow",
      protocol: "*",
      source: "AzureLoadBalancer",
      destination: "*",
      ports: ["*"],
      description: "Azure Load Balancer probes",
      doc: APPGW_INFRASTRUCTURE,
    },
    denyInbound("DenyAllInbound", 4096, "*", "Block all other incoming traffic (step 5 of Microsoft's list)"),
  ];
}

/** An inbound packet, as an NSG sees it. */
export interface Packet {
  source: string;
  destination: string;
  port: number;
  protocol: "Tcp" | "Udp";
}

/** Azure's default inbound rules, which every NSG has below the custom ones. */
const DEFAULT_INBOUND = [
  { name: "AllowVnetInBound", priority: 65000, access: "Allow", protocol: "*", sourceAddressPrefix: "VirtualNetwork", destinationAddressPrefix: "VirtualNetwork", destinationPortRange: "*" },
  { name: "AllowAzureLoadBalancerInBound", priority: 65001, access: "Allow", protocol: "*", sourceAddressPrefix: "AzureLoadBalancer", destinationAddressPrefix: "*", destinationPortRange: "*" },
  { name: "DenyAllInBound", priority: 65500, access: "Deny", protocol: "*", sourceAddressPrefix: "*", destinationAddressPrefix: "*", destinationPortRange: "*" },
] as const;

/** The platform address behind the AzureLoadBalancer tag. https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16 */
const AZURE_PLATFORM_IP = "168.63.129.16";

/**
 * Which inbound rule of an NSG (ARM rule shapes, as the graph holds them) decides a packet, Azure's defaults
 * included: the lowest priority number that matches wins. Tags understood: VirtualNetwork (the VNet's address
 * space), AzureLoadBalancer, Internet (outside the VNet) and `*`; other service tags (e.g. AzureCloud.<region>)
 * match the addresses listed for them in `tags`. https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
 */
export function nsgVerdict(
  rules: readonly inputs.network.SecurityRuleArgs[] | readonly Record<string, unknown>[],
  packet: Packet,
  vnetAddressSpace: readonly string[],
  tags: Record<string, readonly string[]> = {},
): { rule: string; access: "Allow" | "Deny" } {
  const inCidr = (ip: string, cidr: string) => {
    const c = parseCidr(cidr.includes("/") ? cidr : `${cidr}/32`);
    const a = parseCidr(`${ip}/32`);
    return c !== undefined && a !== undefined && contains(c, a);
  };
  const inVnet = (ip: string) => vnetAddressSpace.some((c) => inCidr(ip, c));
  const matches = (prefix: string, ip: string): boolean => {
    if (prefix === "*" || prefix === "Any") return true;
    if (prefix === "VirtualNetwork") return inVnet(ip);
    if (prefix === "AzureLoadBalancer") return ip === AZURE_PLATFORM_IP;
    if (prefix === "Internet") return !inVnet(ip) && ip !== AZURE_PLATFORM_IP;
    if (tags[prefix]) return tags[prefix].some((c) => inCidr(ip, c));
    return /^[\d./]+$/.test(prefix) && inCidr(ip, prefix);
  };
  const portMatches = (range: string) => {
    if (range === "*") return true;
    const [lo, hi] = range.split("-").map(Number);
    return packet.port >= lo && packet.port <= (hi ?? lo);
  };
  const list = (r: Record<string, unknown>, one: string, many: string) => ((r[many] as string[] | undefined)?.length ? (r[many] as string[]) : [String(r[one] ?? "*")]);
  const custom = (rules as readonly Record<string, unknown>[]).filter((r) => (r.direction ?? "Inbound") === "Inbound");
  const all = [...custom, ...(DEFAULT_INBOUND as readonly Record<string, unknown>[])].sort((a, b) => Number(a.priority) - Number(b.priority));
  for (const r of all) {
    if (r.protocol !== "*" && r.protocol !== packet.protocol) continue;
    if (!list(r, "sourceAddressPrefix", "sourceAddressPrefixes").some((p) => matches(p, packet.source))) continue;
    if (!list(r, "destinationAddressPrefix", "destinationAddressPrefixes").some((p) => matches(p, packet.destination))) continue;
    if (!list(r, "destinationPortRange", "destinationPortRanges").some(portMatches)) continue;
    return { rule: String(r.name), access: r.access as "Allow" | "Deny" };
  }
  return { rule: "DenyAllInBound", access: "Deny" };
}

/** The ARM shape of a rule: one port goes in `destinationPortRange`, several in `destinationPortRanges`. */
export function toSecurityRule(rule: NsgRule): inputs.network.SecurityRuleArgs {
  return {
    name: rule.name,
    priority: rule.priority,
    direction: rule.direction,
    access: rule.access,
    protocol: rule.protocol,
    description: rule.description,
    sourceAddressPrefix: rule.source,
    sourcePortRange: "*",
    destinationAddressPrefix: rule.destination,
    ...(rule.ports.length === 1 ? { destinationPortRange: rule.ports[0] } : { destinationPortRanges: rule.ports }),
  };
}

type SubnetKey = "apim" | "aks" | "ingress" | "pe" | "edge";
const subnetNameOf = (key: SubnetKey) => `snet-${key}`;

export class Network extends pulumi.ComponentResource {
  /** Resource ID of the virtual network. */
  readonly resourceId: pulumi.Output<string>;
  /** Name of the virtual network. */
  readonly resourceName: pulumi.Output<string>;
  readonly aksSubnetId: pulumi.Output<string>;
  readonly ingressSubnetId: pulumi.Output<string>;
  readonly ingressSubnetName: pulumi.Output<string>;
  /** Only in the VNet scenarios. */
  readonly apimSubnetId?: pulumi.Output<string>;
  /** With `apim.publicIp`: the IP's ID, through the release step as the subnet's (see `releaseOnDestroy`). */
  readonly apimPublicIpId?: pulumi.Output<string>;
  /** Only with `privateEndpoints`. */
  readonly privateEndpointSubnetId?: pulumi.Output<string>;
  /** Only with `edge`: Application Gateway's subnet. */
  readonly edgeSubnetId?: pulumi.Output<string>;
  readonly nsgIds: { aks: pulumi.Output<string>; ingress: pulumi.Output<string>; apim: pulumi.Output<string> | undefined };

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:network:Network`, name, {}, opts);
    const scope = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };

    // No inline `subnets`: the subnets below are standalone resources, and since API 2023-09-01 a VNet PUT
    // without `subnets` keeps the existing ones instead of deleting them.
    // https://techcommunity.microsoft.com/t5/azure-networking-blog/azure-virtual-network-now-supports-updates-without-subnet/ba-p/4067952
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      { ...scope, virtualNetworkName: args.virtualNetworkName, addressSpace: { addressPrefixes: [args.addressSpace] } },
      { parent: this },
    );

    const specs: { key: SubnetKey; prefix: string; rules: NsgRule[] }[] = [
      // APIM's subnet carries no delegation and no service endpoints for injection: stv2 injection needs neither,
      // and a delegated subnet is refused (https://learn.microsoft.com/azure/api-management/virtual-network-injection-resources);
      // outbound integration needs the Microsoft.Web/serverFarms delegation (set on the subnet below).
      ...(args.apim ? [{ key: "apim" as const, prefix: args.apim.subnetPrefix, rules: apimNsgRules(args.apim.mode) }] : []),
      {
        key: "aks",
        prefix: args.aksSubnetPrefix,
        rules: aksNsgRules(args.publicIngressPorts, {
          httpsSource: args.publicIngressHttpsSource,
          internalIngress: args.apim ? { ingressSubnetPrefix: args.ingressSubnetPrefix, apimSubnetPrefix: args.apim.subnetPrefix } : undefined,
        }),
      },
      { key: "ingress", prefix: args.ingressSubnetPrefix, rules: ingressNsgRules(args.ingressSubnetPrefix, args.apim?.subnetPrefix) },
      ...(args.privateEndpoints
        ? [{ key: "pe" as const, prefix: args.privateEndpoints.subnetPrefix, rules: privateEndpointNsgRules(args.privateEndpoints.subnetPrefix, args.privateEndpoints.callerPrefixes) }]
        : []),
      ...(args.edge ? [{ key: "edge" as const, prefix: args.edge.subnetPrefix, rules: appGatewayNsgRules(args.edge.subnetPrefix) }] : []),
    ];

    const nsgIds: Partial<Record<SubnetKey, pulumi.Output<string>>> = {};
    const subnets: Partial<Record<SubnetKey, network.Subnet>> = {};
    let previous: network.Subnet | undefined;
    for (const spec of specs) {
      const subnetName = subnetNameOf(spec.key);
      const nsg = new network.NetworkSecurityGroup(
        `${name}-${spec.key}-nsg`,
        {
          ...scope,
          networkSecurityGroupName: pulumi.interpolate`${args.virtualNetworkName}-${subnetName}-nsg`,
          securityRules: spec.rules.map(toSecurityRule),
        },
        { parent: this },
      );
      if (args.diagnostics) {
        // NSGs have two log categories and no metrics, so common.addDiagnostics (which adds AllMetrics) does not fit.
        // https://learn.microsoft.com/azure/virtual-network/virtual-network-nsg-manage-log
        new monitor.DiagnosticSetting(
          `${name}-${spec.key}-nsg-diag`,
          {
            name: "to-log-analytics",
            resourceUri: nsg.id,
            workspaceId: args.diagnostics.workspaceId,
            logs: ["NetworkSecurityGroupEvent", "NetworkSecurityGroupRuleCounter"].map((category) => ({ category, enabled: true })),
          },
          { parent: this },
        );
      }
      // One subnet at a time: Azure rejects concurrent subnet operations on one VNet (AnotherOperationInProgress).
      const subnet: network.Subnet = new network.Subnet(
        `${name}-${spec.key}-subnet`,
        {
          resourceGroupName: args.resourceGroupName,
          virtualNetworkName: vnet.name,
          subnetName,
          addressPrefix: spec.prefix,
          networkSecurityGroup: { id: nsg.id },
          // Azure OpenAI's firewall admits the AKS nodes through this endpoint (AiModel virtual network rule).
          // https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks
          serviceEndpoints: spec.key === "aks" ? [{ service: "Microsoft.CognitiveServices" }] : undefined,
          // The NSG above applies to private endpoints only when network policies are on for them.
          // https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy
          privateEndpointNetworkPolicies: spec.key === "pe" ? "Enabled" : undefined,
          delegations:
            spec.key === "apim" && args.apim?.mode === "Integration"
              ? [{ name: APIM_INTEGRATION_DELEGATION.replace("/", "."), serviceName: APIM_INTEGRATION_DELEGATION }]
              : undefined,
        },
        { parent: this, dependsOn: previous ? [previous] : [] },
      );
      previous = subnet;
      subnets[spec.key] = subnet;
      nsgIds[spec.key] = nsg.id;
    }

    this.resourceId = vnet.id;
    this.resourceName = vnet.name;
    this.aksSubnetId = subnets.aks!.id;
    this.ingressSubnetId = subnets.ingress!.id;
    this.ingressSubnetName = subnets.ingress!.name.apply((n) => n ?? subnetNameOf("ingress"));
    // stv2 VNet injection needs a Standard, static public IP with a DNS label; moving mode or subnet needs a
    // new one. https://learn.microsoft.com/azure/api-management/virtual-network-injection-resources#public-ip-address
    const apimPublicIp =
      subnets.apim && args.apim?.publicIp
        ? new network.PublicIPAddress(
            `${name}-apim-pip`,
            {
              ...scope,
              publicIpAddressName: pulumi.interpolate`pip-${args.apim.serviceName ?? args.virtualNetworkName}`,
              sku: { name: "Standard", tier: "Regional" },
              publicIPAllocationMethod: "Static",
              publicIPAddressVersion: "IPv4",
              dnsSettings: { domainNameLabel: args.apim.publicIp.dnsLabel },
            },
            { parent: this, aliases: args.apim.publicIp.aliases },
          )
        : undefined;
    const released = subnets.apim && args.apim?.serviceName ? this.releaseOnDestroy(name, args, subnets.apim, apimPublicIp) : undefined;
    this.apimSubnetId = released?.subnetId ?? subnets.apim?.id;
    this.apimPublicIpId = released?.publicIpId ?? apimPublicIp?.id;
    this.privateEndpointSubnetId = subnets.pe?.id;
    this.edgeSubnetId = subnets.edge?.id;
    this.nsgIds = { aks: nsgIds.aks!, ingress: nsgIds.ingress!, apim: nsgIds.apim };

    this.registerOutputs({
      resourceName: this.resourceName,
      resourceId: this.resourceId,
      aksSubnetId: this.aksSubnetId,
      ingressSubnetId: this.ingressSubnetId,
      ingressSubnetName: this.ingressSubnetName,
      apimSubnetId: this.apimSubnetId,
      apimPublicIpId: this.apimPublicIpId,
      privateEndpointSubnetId: this.privateEndpointSubnetId,
      edgeSubnetId: this.edgeSubnetId,
      nsgIds: this.nsgIds,
    });
  }

  /**
   * The destroy-time step between APIM and its subnet: APIM takes the subnet's ID from here, so it depends on
   * this step, which depends on the subnet. Destroy therefore deletes APIM, then runs this step's `delete`
   * (purge the soft-deleted service, wait for the subnet, components/subnet-release.ts), then deletes the subnet.
   * APIM's public IP goes the same way, so it too is deleted only after the purge (a soft-deleted service may
   * still hold it). It creates nothing. Credentials at destroy time: DefaultAzureCredential, as the CLI's purge.
   */
  private releaseOnDestroy(
    name: string,
    args: NetworkArgs,
    subnet: network.Subnet,
    publicIp: network.PublicIPAddress | undefined,
  ): { subnetId: pulumi.Output<string>; publicIpId?: pulumi.Output<string> } {
    const subscriptionId = authorization.getClientConfigOutput({ parent: this }).subscriptionId;
    const release = new command.local.Command(
      `${name}-apim-subnet-release`,
      {
        delete: "node --import tsx scripts/release-apim-subnet.ts",
        // No `dir`: the command provider runs in the program's directory (the engine starts plugins with
        // cmd.Dir = the project root; pulumi sdk/go/common/resource/plugin/plugin.go), so state holds no
        // checkout path and destroy works from any clone.
        environment: {
          SUBSCRIPTION_ID: subscriptionId,
          RESOURCE_GROUP: args.resourceGroupName,
          VIRTUAL_NETWORK: args.virtualNetworkName,
          SUBNET: subnet.name.apply((n) => n ?? subnetNameOf("apim")),
          APIM_NAME: args.apim!.serviceName!,
          APIM_LOCATION: args.location,
        },
      },
      { parent: this, dependsOn: publicIp ? [subnet, publicIp] : [subnet], customTimeouts: { delete: "70m" } },
    );
    const through = (id: pulumi.Output<string>) => pulumi.all([id, release.id]).apply(([v]) => v);
    return { subnetId: through(subnet.id), publicIpId: publicIp ? through(publicIp.id) : undefined };
  }
}
