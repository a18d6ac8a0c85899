import { plannedIngressIp } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import { PrivateDns } from "../components/PrivateDns";
import { assembleScenario, buildFoundation, type ScenarioOutputs } from "./foundation";

/**
 * APIM in External VNet mode: a public gateway inside the VNet that reaches the AI API on an internal load
 * balancer, by a private DNS name that resolves only inside the VNet.
 */
export function buildExternal(config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack);
  const zone = f.names.apply((n) => n.privateZone);
  const dns = new PrivateDns(
    "private-dns",
    {
      resourceGroupName: f.resourceGroupName,
      tags: f.tags,
      virtualNetworkId: f.network.vnetId,
      zones: [{ key: "backend", zoneName: zone, records: [{ name: "ai", ipv4Addresses: [plannedIngressIp(config.ingressSubnetPrefix)] }] }],
    },
    { parent: f.root },
  );
  const backendHost = dns.fqdns.backend;
  return assembleScenario(f, backendHost);
}
