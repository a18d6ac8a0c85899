/**
 * The `edge` setting's part of a scenario: Application Gateway WAF_v2 in front of APIM's private gateway, its
 * subnet, the caller filter's forwarded-header source, and the edge's outputs. config/edge.ts decides where it
 * fits (from traits); here only the setting is read.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppGateway } from "../components/AppGateway";
import type { ApiGateway } from "../components/ApiGateway";
import { publicIpFqdn } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import type { Foundation } from "./foundation";

export function hasEdge(config: Pick<ScenarioConfig, "edge">): boolean {
  return config.edge !== "none";
}

/** The Network's `edge` argument: the gateway's own subnet, when there is an edge. */
export function edgeNetwork(config: Pick<ScenarioConfig, "edge" | "edgeSubnetPrefix">): { subnetPrefix: string } | undefined {
  return hasEdge(config) ? { subnetPrefix: config.edgeSubnetPrefix } : undefined;
}

/** The subnet APIM's caller filter takes the forwarded header from, when there is an edge. */
export function edgeSubnetOf(config: Pick<ScenarioConfig, "edge" | "edgeSubnetPrefix">): string | undefined {
  return hasEdge(config) ? config.edgeSubnetPrefix : undefined;
}

/** Names of the edge's resources, from APIM's (`apim-<prefix>-<short>-<suffix>`). */
export function edgeNames(apimName: string, location: string): { gateway: string; wafPolicy: string; publicIp: string; dnsLabel: string; host: string } {
  const base = apimName.replace(/^apim-/, "");
  const dnsLabel = `${base}-edge`;
  // The WAF policy's name in letters and digits only: the safest form across the portal's and the API's rules.
  return { gateway: `agw-${base}`, wafPolicy: `waf${base.replace(/-/g, "")}`, publicIp: `pip-agw-${base}`, dnsLabel, host: publicIpFqdn(dnsLabel, location) };
}

/**
 * The edge in front of APIM, when the setting asks for one. It waits for `gatewayDns` (the private zones that name
 * APIM's gateway in the VNet): a backend FQDN that resolves inside the VNet is reached from the gateway's private
 * addresses, one that resolves only publicly through its public frontend.
 * https://learn.microsoft.com/azure/application-gateway/how-application-gateway-works
 */
export function buildEdge(f: Foundation, gateway: ApiGateway, gatewayDns: pulumi.Resource[] = []): AppGateway | undefined {
  const { config } = f;
  if (!hasEdge(config) || !f.network.edgeSubnetId) return undefined;
  const names = pulumi.all([f.names, pulumi.output(config.location)]).apply(([n, location]) => edgeNames(n.apim, location));
  return new AppGateway(
    "edge",
    {
      resourceGroupName: f.resourceGroupName,
      location: config.location,
      tags: f.tags,
      gatewayName: names.apply((n) => n.gateway),
      wafPolicyName: names.apply((n) => n.wafPolicy),
      publicIpName: names.apply((n) => n.publicIp),
      dnsLabel: names.apply((n) => n.dnsLabel),
      hostName: names.apply((n) => n.host),
      subnetId: f.network.edgeSubnetId,
      backendHost: gateway.gatewayUrl.apply((u) => new URL(u).hostname),
      caCommonName: `${config.namePrefix} ${config.scenario} edge CA`,
      diagnostics: f.observability.diagnostics,
      backendDns: gatewayDns,
    },
    { parent: f.root },
  );
}

/** The edge's stack outputs: where the internet calls, and the CA its certificate chains to (public, not secret). */
export function edgeStackOutputs(edge: AppGateway | undefined): Record<string, pulumi.Output<unknown>> {
  return edge ? { edgeUrl: edge.url, edgeCaCertificatePem: edge.caCertificatePem } : {};
}
