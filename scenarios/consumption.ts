import * as pulumi from "@pulumi/pulumi";
import { publicIpFqdn } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import { buildFoundation, buildGateway, scenarioOutputs, type ScenarioOutputs } from "./foundation";

/**
 * APIM Consumption (or another tier without VNet) calling a public Traefik ingress that admits only APIM:
 * the ingress allow-list and APIM's second factor are added by the Kubernetes layer.
 */
export function buildConsumption(config: ScenarioConfig, stack: string): ScenarioOutputs {
  const f = buildFoundation(config, stack);
  const backendHost = f.names.apply((n) => publicIpFqdn(n.ingressDnsLabel, config.location));
  const gateway = buildGateway(f, { aiApiBackendUrl: pulumi.interpolate`https://${backendHost}` });
  return scenarioOutputs(f, gateway, backendHost);
}
