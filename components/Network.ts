import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import type * as inputs from "@pulumi/azure-native/types/input";
import { type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";

export type ApimVnetMode = "External" | "Internal";

export interface NetworkArgs extends AzureScopeArgs {
  virtualNetworkName: pulumi.Input<string>;
  /** Address space of the VNet, e.g. 10.42.0.0/16. */
  addressSpace: string;
  /** Subnet of the AKS nodes (Azure CNI Overlay: pods take addresses outside the VNet). */
  aksSubnetPrefix: string;
  /** Subnet of the internal load balancer in front of the AI API's ingress (Traefik). */
  ingressSubnetPrefix: string;
  /** APIM's own subnet, only in the VNet scenarios. */
  apim?: { subnetPrefix: string; mode: ApimVnetMode };
  /**
   * Ports on which the AI API's public load balancer admits the internet (public-ingress scenarios). Its
   * backends are the AKS nodes, so the AKS subnet's NSG must admit them; omit when the ingress is internal.
   */
  publicIngressPorts?: number[];
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

/**
 * The rules Microsoft lists for an APIM subnet (classic tiers, stv2), in the given mode. Every row of the
 * reference table marked required is here; of the optional rows, only those for features this project uses
 * (Entra ID tokens for the managed identity, rate-limit counter sync, per-machine health). Left out: Event
 * Hubs, managed connections (AzureConnectors), external and internal Redis caches. Outbound destinations use
 * the global service tags; the reference allows the regional ones (`Storage.<region>`) too.
 * https://learn.microsoft.com/azure/api-management/virtual-network-reference
 */
export function apimNsgRules(mode: ApimVnetMode): NsgRule[] {
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
 * The AKS subnet keeps Azure's default rules (VNet and AzureLoadBalancer inbound, nothing else), which is all
 * AKS needs: it manages the NSG on the nodes' NICs itself and never touches a subnet NSG. With Azure CNI
 * Overlay, pod traffic crosses the subnet NSG unencapsulated, so no rule here may deny VNet traffic.
 * A public load balancer created by AKS uses floating IP, so packets reach the nodes still addressed to its
 * public frontend, which is unknown here; and a subnet NSG is evaluated before the NIC's, so AKS's own NIC
 * rules do not suffice. Its ports are therefore admitted from the internet to any address, never all ports.
 * https://learn.microsoft.com/azure/aks/faq#can-i-configure-nsgs-with-aks
 * https://learn.microsoft.com/azure/aks/azure-cni-overlay#network-security-groups
 * https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
 */
export function aksNsgRules(publicIngressPorts: number[] = []): NsgRule[] {
  if (publicIngressPorts.length === 0) return [];
  return [
    {
      name: "AllowInternetToPublicIngress",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      source: "Internet",
      destination: "*",
      ports: publicIngressPorts.map(String),
      description: "Clients to the AI API's public load balancer, whose backends are the AKS nodes",
      doc: NSG_PROCESSING,
    },
  ];
}

/**
 * The ingress subnet holds the internal load balancer's frontend address: HTTPS from APIM's subnet (VNet
 * scenarios) and health probes, the rest of the internet denied explicitly. A frontend is not a NIC, so
 * traffic to it is filtered where its backends are (the AKS subnet); these rules guard whatever else is placed
 * in this subnet and state the intent for the policy pack.
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
  // Probes come from 168.63.129.16 on the service's health-check port, not on 443; allowed above the
  // explicit internet deny so that the deny can never shadow them.
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
    {
      name: "DenyInternetInbound",
      priority: 4096,
      direction: "Inbound",
      access: "Deny",
      protocol: "*",
      source: "Internet",
      destination: "*",
      ports: ["*"],
      description: "Nothing from the internet reaches the internal ingress",
      doc: NSG_PROCESSING,
    },
  );
  return rules;
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

type SubnetKey = "apim" | "aks" | "ingress";
const subnetNameOf = (key: SubnetKey) => `snet-${key}`;

export class Network extends pulumi.ComponentResource {
  readonly vnetId: pulumi.Output<string>;
  readonly vnetName: pulumi.Output<string>;
  readonly aksSubnetId: pulumi.Output<string>;
  readonly ingressSubnetId: pulumi.Output<string>;
  readonly ingressSubnetName: pulumi.Output<string>;
  /** Only in the VNet scenarios. */
  readonly apimSubnetId?: pulumi.Output<string>;
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
      // APIM's subnet carries no delegation and no service endpoints: stv2 injection needs neither, and a
      // delegated subnet is refused. https://learn.microsoft.com/azure/api-management/virtual-network-injection-resources
      ...(args.apim ? [{ key: "apim" as const, prefix: args.apim.subnetPrefix, rules: apimNsgRules(args.apim.mode) }] : []),
      { key: "aks", prefix: args.aksSubnetPrefix, rules: aksNsgRules(args.publicIngressPorts) },
      { key: "ingress", prefix: args.ingressSubnetPrefix, rules: ingressNsgRules(args.ingressSubnetPrefix, args.apim?.subnetPrefix) },
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
        },
        { parent: this, dependsOn: previous ? [previous] : [] },
      );
      previous = subnet;
      subnets[spec.key] = subnet;
      nsgIds[spec.key] = nsg.id;
    }

    this.vnetId = vnet.id;
    this.vnetName = vnet.name;
    this.aksSubnetId = subnets.aks!.id;
    this.ingressSubnetId = subnets.ingress!.id;
    this.ingressSubnetName = subnets.ingress!.name.apply((n) => n ?? subnetNameOf("ingress"));
    this.apimSubnetId = subnets.apim?.id;
    this.nsgIds = { aks: nsgIds.aks!, ingress: nsgIds.ingress!, apim: nsgIds.apim };

    this.registerOutputs({
      vnetId: this.vnetId,
      vnetName: this.vnetName,
      aksSubnetId: this.aksSubnetId,
      ingressSubnetId: this.ingressSubnetId,
      ingressSubnetName: this.ingressSubnetName,
      apimSubnetId: this.apimSubnetId,
      nsgIds: this.nsgIds,
    });
  }
}
