/**
 * Builds any scenario from its definition: the foundation, then where the AI API's host lives (the ingress's
 * public DNS name, or a private zone the VNet resolves) and, where the gateway has only a private address,
 * the private DNS that names it. Reads traits only.
 */
import * as pulumi from "@pulumi/pulumi";
import { plannedIngressIp } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import * as network from "@pulumi/azure-native/network";
import type { ApiGateway } from "../components/ApiGateway";
import { apimPrivateDnsZones, PrivateDns, type PrivateDnsZoneSpec } from "../components/PrivateDns";
import { assembleScenario, buildFoundation, type Foundation, publicBackendHost, type ScenarioOutputs } from "./foundation";
import { gatewayReach, type ScenarioDefinition } from "./traits";

export function buildFromDefinition(definition: ScenarioDefinition, config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack, definition);
  if (f.traits.publicIngress) return assembleScenario(f, publicBackendHost(f));

  // An internal load balancer at a planned address, named in a private zone only the VNet resolves.
  const backendZone = f.names.apply((n) => n.privateZone);
  const backendZoneSpec: PrivateDnsZoneSpec = { key: "backend", zoneName: backendZone, records: [{ name: "ai", ipv4Addresses: [plannedIngressIp(config.ingressSubnetPrefix)] }] };

  if (gatewayReach(f.traits) === "internet") {
    const dns = privateDns(f, backendZoneSpec);
    const privateGateway = config.integratedPrivateGateway ? (gateway: ApiGateway) => gatewayPrivateEndpoint(f, gateway) : undefined;
    return assembleScenario(f, dns.fqdns.backend, privateGateway);
  }
  // Internal mode: the gateway's private address is known once APIM exists, and the same zones name it.
  return assembleScenario(f, pulumi.interpolate`ai.${backendZone}`, (gateway) => privateDns(f, backendZoneSpec, gateway));
}

/**
 * The VNet's private DNS zones ("private-dns"), in the whole scenario and a workshop's shared stack: the AI
 * API's zone where the ingress is internal (`backendZone`), and where the gateway has a private address
 * (`gateway`, Internal mode) the zones that name it there. Nothing where neither is needed.
 */
export function privateDns(f: Foundation, backendZone: PrivateDnsZoneSpec, gateway?: ApiGateway): PrivateDns;
export function privateDns(f: Foundation, backendZone: PrivateDnsZoneSpec | undefined, gateway: ApiGateway | undefined): PrivateDns | undefined;
export function privateDns(f: Foundation, backendZone: PrivateDnsZoneSpec | undefined, gateway?: ApiGateway): PrivateDns | undefined {
  const zones = backendZone ? [backendZone] : [];
  if (gateway) {
    const gatewayHost = gateway.gatewayUrl.apply((u) => new URL(u).hostname);
    zones.push(...apimPrivateDnsZones(gatewayHost, gateway.privateIpAddresses.apply((a) => a[0])));
  }
  if (!zones.length) return undefined;
  return new PrivateDns("private-dns", { resourceGroupName: f.resourceGroupName, tags: f.tags, virtualNetworkId: f.network.resourceId, zones }, { parent: f.root });
}

/** The zone of APIM's gateway private endpoints. https://learn.microsoft.com/azure/private-link/private-endpoint-dns */
export const APIM_PRIVATE_LINK_ZONE = "privatelink.azure-api.net";

/**
 * `integratedPrivateGateway`: an inbound private endpoint for the gateway (sub-resource `Gateway`, the only one
 * that takes inbound private links) in the private endpoints' subnet, and the privatelink.azure-api.net zone,
 * linked to the VNet, where its zone group writes the gateway's record: inside the VNet
 * `<service>.azure-api.net` then resolves to the endpoint. Public access stays on: it can be disabled only once
 * a private endpoint exists, not when the service is created, so that is a second update.
 * https://learn.microsoft.com/azure/api-management/private-endpoint
 * https://learn.microsoft.com/azure/private-link/private-endpoint-dns
 */
export function gatewayPrivateEndpoint(f: Foundation, gateway: ApiGateway): void {
  const opts = { parent: f.root };
  const dns = new PrivateDns(
    "gateway-private-link-dns",
    { resourceGroupName: f.resourceGroupName, tags: f.tags, virtualNetworkId: f.network.resourceId, zones: [{ key: "apim", zoneName: APIM_PRIVATE_LINK_ZONE, records: [] }] },
    opts,
  );
  const pe = new network.PrivateEndpoint(
    "gateway-pe",
    {
      resourceGroupName: f.resourceGroupName,
      location: f.config.location,
      tags: f.tags,
      privateEndpointName: pulumi.interpolate`pe-${gateway.resourceName}`,
      subnet: { id: f.network.privateEndpointSubnetId! },
      privateLinkServiceConnections: [{ name: "gateway", privateLinkServiceId: gateway.resourceId, groupIds: ["Gateway"] }],
    },
    opts,
  );
  new network.PrivateDnsZoneGroup(
    "gateway-pe-dns",
    { resourceGroupName: f.resourceGroupName, privateEndpointName: pe.name, privateDnsZoneGroupName: "default", privateDnsZoneConfigs: [{ name: "apim", privateDnsZoneId: dns.zoneIds.apim }] },
    opts,
  );
}
