/**
 * Where the `edge` setting (a WAF in front of APIM) fits, decided from a scenario's traits. Pure functions.
 *
 * An edge earns its place only where it is the one way in from the internet: where APIM's gateway has only a
 * private address (Internal mode). With a public gateway (External mode, no VNet, outbound integration) the
 * WAF could be walked around by calling APIM's own public endpoint, and an allow-list on APIM's subnet cannot
 * close that path for the gateway alone (the same endpoint serves the management plane's health checks); the
 * result would look protected and not be. Microsoft documents the pattern for Internal mode:
 * https://learn.microsoft.com/azure/api-management/api-management-howto-integrate-internal-vnet-appgateway
 */
import { type Cidr, contains, overlaps, parseCidr, usableAzureAddresses } from "./cidr";
import type { Problem } from "./rules";
import type { ScenarioConfig } from "./schema";
import { SCENARIO_CATALOG } from "../scenarios/catalog";
import { gatewayReach, type ScenarioTraits } from "../scenarios/traits";

/**
 * Autoscale bounds of the edge: 0 to 2 instances (the API takes 0 to 125). "Even if you configure autoscaling with
 * zero minimum instances the service will still be highly available, which is always included with the fixed
 * price"; the maximum bounds the capacity units a lab can be billed for.
 * https://learn.microsoft.com/azure/application-gateway/application-gateway-autoscaling-zone-redundant
 */
export const EDGE_AUTOSCALE = { minCapacity: 0, maxCapacity: 2 } as const;

export type EdgeTraits = Pick<ScenarioTraits, "vnetMode">;

/** Whether an edge makes sense for these traits: only where APIM's gateway is private, injected in Internal mode. */
export function edgeFits(t: EdgeTraits): boolean {
  return gatewayReach(t) === "vnet" && t.vnetMode === "Internal";
}

/** The registered scenarios an edge fits, for messages. */
export function scenariosForEdge(): string[] {
  return SCENARIO_CATALOG.filter((d) => edgeFits(d.traits)).map((d) => d.name);
}

/** The subnets the edge's subnet must stay clear of, as the scenario uses them. */
function otherSubnets(c: ScenarioConfig, t: EdgeTraits): [string, Cidr | undefined][] {
  const list: [string, string][] = [
    ["aksSubnetPrefix", c.aksSubnetPrefix],
    ["ingressSubnetPrefix", c.ingressSubnetPrefix],
  ];
  if (t.vnetMode !== "None") list.push(["apimSubnetPrefix", c.apimSubnetPrefix], ["privateEndpointSubnetPrefix", c.privateEndpointSubnetPrefix]);
  return list.map(([k, v]) => [k, parseCidr(v)]);
}

/**
 * `edge` where it does not fit, and the edge's subnet: inside the VNet, clear of the other subnets, with an
 * address per instance at the autoscale maximum plus Azure's five reserves ("Application Gateway uses one
 * private IP address per instance"). https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#size-of-the-subnet
 */
export function edgeProblems(c: ScenarioConfig, t: EdgeTraits): Problem[] {
  if (c.edge === "none") return [];
  if (!edgeFits(t)) {
    return [
      {
        key: "edge",
        value: c.edge,
        message:
          `scenario "${c.scenario}" gives APIM's gateway a public endpoint, so a WAF in front of it could be bypassed; ` +
          `use edge with a scenario whose gateway is private (${scenariosForEdge().join(", ") || "none registered"}), or set edge to none`,
      },
    ];
  }
  // Workshop mode, whose halves do not build the edge, refuses it in config/workshop-rules.ts.
  if (c.workshopRole !== undefined) return [];
  const problems: Problem[] = [];
  const edge = parseCidr(c.edgeSubnetPrefix);
  const vnet = parseCidr(c.vnetAddressSpace);
  if (!edge || !vnet) return problems;
  if (!contains(vnet, edge)) problems.push({ key: "edgeSubnetPrefix", value: edge.text, message: `lies outside vnetAddressSpace ${vnet.text}; choose a block inside it` });
  for (const [key, other] of otherSubnets(c, t)) {
    if (other && overlaps(edge, other)) problems.push({ key: "edgeSubnetPrefix", value: edge.text, message: `overlaps ${key} ${other.text}; Application Gateway needs a subnet of its own` });
  }
  if (usableAzureAddresses(edge) < EDGE_AUTOSCALE.maxCapacity) {
    problems.push({
      key: "edgeSubnetPrefix",
      value: edge.text,
      message: `is too small: Application Gateway needs one address per instance (up to ${EDGE_AUTOSCALE.maxCapacity}) besides Azure's five reserves; Microsoft recommends a /24`,
    });
  }
  return problems;
}
