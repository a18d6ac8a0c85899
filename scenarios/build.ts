/**
 * Builds any scenario from its definition: the foundation, then where the AI API's host lives (the ingress's
 * public DNS name, or a private zone the VNet resolves) and, where the gateway has only a private address,
 * the private DNS that names it. Reads traits only.
 */
import * as pulumi from "@pulumi/pulumi";
import { plannedIngressIp } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import { apimPrivateDnsZones, PrivateDns, type PrivateDnsZoneSpec } from "../components/PrivateDns";
import { assembleScenario, buildFoundation, publicBackendHost, type ScenarioOutputs } from "./foundation";
import { gatewayReach, type ScenarioDefinition } from "./traits";

export function buildFromDefinition(definition: ScenarioDefinition, config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack, definition);
  if (f.traits.publicIngress) return assembleScenario(f, publicBackendHost(f));

  // An internal load balancer at a planned address, named in a private zone only the VNet resolves.
  const backendZone = f.names.apply((n) => n.privateZone);
  const backendZoneSpec: PrivateDnsZoneSpec = { key: "backend", zoneName: backendZone, records: [{ name: "ai", ipv4Addresses: [plannedIngressIp(config.ingressSubnetPrefix)] }] };
  const privateDns = (zones: PrivateDnsZoneSpec[]) =>
    new PrivateDns("private-dns", { resourceGroupName: f.resourceGroupName, tags: f.tags, virtualNetworkId: f.network.resourceId, zones }, { parent: f.root });

  if (gatewayReach(f.traits) === "internet") {
    const dns = privateDns([backendZoneSpec]);
    return assembleScenario(f, dns.fqdns.backend);
  }
  // Internal mode: the gateway's private address is known once APIM exists, and the same zones name it.
  return assembleScenario(f, pulumi.interpolate`ai.${backendZone}`, (gateway) => {
    const gatewayHost = gateway.gatewayUrl.apply((u) => new URL(u).hostname);
    const apimIp = gateway.privateIpAddresses.apply((a) => a[0]);
    privateDns([backendZoneSpec, ...apimPrivateDnsZones(gatewayHost, apimIp)]);
  });
}
