/**
 * What every scenario shares: names, resource group, monitoring, network, the model and the cluster, and
 * the gateway assembly. Scenario files decide only what differs (VNet mode, DNS, how the backend is reached).
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as random from "@pulumi/random";
import { SCENARIO_TRAITS } from "../config/defaults";
import { NAME_SUFFIX_LENGTH, type ResourceNames, resourceNames, standardTags } from "../config/naming";
import type { ScenarioConfig } from "../config/schema";
import { AiModel } from "../components/AiModel";
import { AksCluster } from "../components/AksCluster";
import { API_PATHS, ApiGateway } from "../components/ApiGateway";
import { TYPE_PREFIX } from "../components/common";
import { Network } from "../components/Network";
import { Observability } from "../components/Observability";
import { type Probe, probesFor } from "./probes";

/** The root of a scenario's tree: every resource is its descendant, and the stack outputs are its outputs. */
export class ScenarioRoot extends pulumi.ComponentResource {
  constructor(scenario: string) {
    super(`${TYPE_PREFIX}:scenario:Scenario`, scenario, {});
  }

  /** Registers the outputs last, once the scenario has created everything. */
  complete(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

export interface Foundation {
  config: ScenarioConfig;
  stack: string;
  root: ScenarioRoot;
  names: pulumi.Output<ResourceNames>;
  tags: Record<string, string>;
  resourceGroupName: pulumi.Output<string>;
  observability: Observability;
  network: Network;
  model: AiModel;
  aks: AksCluster;
}

const name = (names: pulumi.Output<ResourceNames>, key: keyof ResourceNames) => names.apply((n) => n[key]);

export function buildFoundation(config: ScenarioConfig, stack: string): Foundation {
  const traits = SCENARIO_TRAITS[config.scenario];
  const root = new ScenarioRoot(config.scenario);
  const parent = { parent: root };
  const suffix = new random.RandomString("name-suffix", { length: NAME_SUFFIX_LENGTH, special: false, upper: false }, parent);
  const names = suffix.result.apply((s) => resourceNames(config.namePrefix, config.scenario, s));
  const tags = standardTags(config, stack);

  const group = new resources.ResourceGroup("resource-group", { resourceGroupName: name(names, "resourceGroup"), location: config.location, tags }, parent);
  const scope = { resourceGroupName: group.name, location: config.location, tags };

  const observability = new Observability(
    "observability",
    { ...scope, workspaceName: name(names, "logAnalytics"), appInsightsName: name(names, "appInsights") },
    parent,
  );
  const diagnostics = observability.diagnostics;

  const network = new Network(
    "network",
    {
      ...scope,
      virtualNetworkName: name(names, "virtualNetwork"),
      addressSpace: config.vnetAddressSpace,
      aksSubnetPrefix: config.aksSubnetPrefix,
      ingressSubnetPrefix: config.ingressSubnetPrefix,
      apim: traits.vnetMode === "None" ? undefined : { subnetPrefix: config.apimSubnetPrefix, mode: traits.vnetMode },
      // A public load balancer forwards to the nodes, and the subnet's NSG is checked before AKS's own:
      // open HTTPS, and HTTP for Let's Encrypt's HTTP-01 challenge. https://learn.microsoft.com/azure/aks/concepts-network#network-security-groups
      publicIngressPorts: traits.publicIngress ? [80, 443] : undefined,
      diagnostics,
    },
    parent,
  );

  const model = new AiModel(
    "ai-model",
    {
      ...scope,
      location: config.openAiLocation ?? config.location,
      accountName: name(names, "openAi"),
      modelName: config.openAiModelName,
      modelVersion: config.openAiModelVersion,
      deploymentSku: config.openAiDeploymentSku,
      capacity: config.openAiModelCapacity,
      diagnostics,
    },
    parent,
  );

  const aks = new AksCluster(
    "aks",
    {
      ...scope,
      clusterName: name(names, "aks"),
      dnsPrefix: name(names, "aksDnsPrefix"),
      subnetId: network.aksSubnetId,
      nodeSize: config.aksNodeSize,
      nodeCount: config.aksNodeCount,
      kubernetesVersion: config.aksKubernetesVersion,
      podCidr: config.aksPodCidr,
      serviceCidr: config.aksServiceCidr,
      dnsServiceIp: config.aksDnsServiceIp,
      networkSubnetIdsForLoadBalancers: traits.publicIngress ? [] : [network.ingressSubnetId],
      diagnostics,
    },
    parent,
  );

  return { config, stack, root, names, tags, resourceGroupName: group.name, observability, network, model, aks };
}

export interface GatewayOptions {
  aiApiBackendUrl: pulumi.Input<string>;
}

/** APIM in the scenario's VNet mode, with the product, both APIs, their policies and inference rights. */
export function buildGateway(f: Foundation, options: GatewayOptions): ApiGateway {
  const { config } = f;
  const mode = SCENARIO_TRAITS[config.scenario].vnetMode;
  const gateway = new ApiGateway(
    "gateway",
    {
      resourceGroupName: f.resourceGroupName,
      location: config.location,
      tags: f.tags,
      serviceName: name(f.names, "apim"),
      sku: config.apimSku,
      capacity: config.apimCapacity,
      publisherName: config.publisherName,
      publisherEmail: config.publisherEmail,
      vnet:
        mode === "None"
          ? undefined
          : { mode, subnetId: f.network.apimSubnetId!, publicIpDnsLabel: name(f.names, "apimPublicIpLabel") },
      appInsights: { id: f.observability.appInsightsId, connectionString: f.observability.appInsightsConnectionString },
      diagnostics: f.observability.diagnostics,
      policies: {
        corsAllowedOrigins: config.corsAllowedOrigins,
        rateLimitCalls: config.rateLimitCalls,
        rateLimitPeriodSeconds: config.rateLimitPeriodSeconds,
        quotaCalls: config.quotaCalls,
        quotaPeriodSeconds: config.quotaPeriodSeconds,
        tokenLimitPerMinute: config.tokenLimitPerMinute,
        jwt: config.jwtIssuer && config.jwtAudience ? { issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
        metricNamespace: "ai-gateway",
      },
      aiApiBackendUrl: options.aiApiBackendUrl,
      openAiEndpoint: f.model.endpoint,
    },
    { parent: f.root },
  );
  f.model.grantInference("apim-inference", gateway.principalId);
  return gateway;
}

export interface ScenarioOutputs {
  [key: string]: pulumi.Output<unknown> | string;
}

/** The stack outputs every scenario exports (DESIGN.md, "Contracts"). */
export function scenarioOutputs(f: Foundation, gateway: ApiGateway, backendHost: pulumi.Input<string>): ScenarioOutputs {
  const probes: pulumi.Output<Probe[]> = pulumi
    .all([gateway.gatewayUrl, backendHost])
    .apply(([gatewayUrl, host]) =>
      probesFor({ scenario: f.config.scenario, gatewayUrl, apiBasePath: API_PATHS.ai, backendHost: host, rateLimitCalls: f.config.rateLimitCalls }),
    );
  const outputs = {
    scenario: f.config.scenario,
    gatewayUrl: gateway.gatewayUrl,
    apiBasePath: pulumi.output(API_PATHS.ai),
    subscriptionKey: gateway.subscriptionKey,
    openAiEndpoint: f.model.endpoint,
    backendHost: pulumi.output(backendHost),
    resourceGroupName: f.resourceGroupName,
    probes,
  };
  f.root.complete(outputs);
  return outputs;
}
