import * as pulumi from "@pulumi/pulumi";
import { plannedIngressIp } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import { apimPrivateDnsZones, PrivateDns } from "../components/PrivateDns";
import { assembleScenario, buildFoundation, type ScenarioOutputs } from "./foundation";

/**
 * APIM in Internal VNet mode: gateway, portals and management endpoint have only a private address, which
 * private DNS zones resolve inside the VNet; the AI API sits behind an internal load balancer.
 */
export function buildInternal(config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack);
  const backendZone = f.names.apply((n) => n.privateZone);
  const backendHost = pulumi.interpolate`ai.${backendZone}`;
  return assembleScenario(f, backendHost, (gateway) => {
    const gatewayHost = gateway.gatewayUrl.apply((u) => new URL(u).hostname);
    const apimIp = gateway.privateIpAddresses.apply((a) => a[0]);
    new PrivateDns(
      "private-dns",
      {
        resourceGroupName: f.resourceGroupName,
        tags: f.tags,
        virtualNetworkId: f.network.vnetId,
        zones: [
          { key: "backend", zoneName: backendZone, records: [{ name: "ai", ipv4Addresses: [plannedIngressIp(config.ingressSubnetPrefix)] }] },
          ...apimPrivateDnsZones(gatewayHost, apimIp),
        ],
      },
      { parent: f.root },
    );
  });
}
