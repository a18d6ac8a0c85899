/**
 * What every scenario shares: names, resource group, monitoring, network, the model and the cluster, and
 * the gateway assembly. What differs comes from the scenario's traits (scenarios/traits.ts), never its name.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dns from "@pulumi/azure-native/dns";
import * as resources from "@pulumi/azure-native/resources";
import * as random from "@pulumi/random";
import { NAME_SUFFIX_LENGTH, type ResourceNames, resourceNamesFor, standardTags } from "../config/naming";
import type { ApimSku, ScenarioConfig } from "../config/schema";
import { AiModel, type AiModelArgs, publicNetworkAccessFor, requiredDeploymentName } from "../components/AiModel";
import { AksCluster } from "../components/AksCluster";
import { deployerPrincipalType } from "../components/deployer";
import { API_PATHS, ApiGateway } from "../components/ApiGateway";
import { type GatewayPolicySettings, MODEL_BACKEND_HEADER } from "../components/gateway-policies";
import { TYPE_PREFIX } from "../components/common";
import { Network } from "../components/Network";
import { Observability } from "../components/Observability";
import { OPENAI_PRIVATE_LINK_ZONE, PrivateDns } from "../components/PrivateDns";
import { AiBackend } from "../components/AiBackend";
import { AppImage } from "../components/AppImage";
import { CertManager } from "../components/CertManager";
import { ClientCertificates } from "../components/ClientCertificates";
import { IngressController } from "../components/IngressController";
import type { LoadBalancerExposure } from "../components/kubernetes-manifests";
import { PROJECT_DIR } from "../config/load";
import { plannedIngressIp, publicIpFqdn } from "../config/naming";
import { hasDedicatedOutboundAddresses } from "../config/rules";
import { apimTrustsPrivateCa, certificatePath } from "../config/certificates";
import { type Probe, type ProbeInputs, probesFor } from "./probes";
import type { TokenParameter } from "../config/models";
import { buildEdge, edgeNetwork, edgeStackOutputs, edgeSubnetOf } from "./edge";
import type { AppGateway } from "../components/AppGateway";
import { apimInjected, modelReachedPrivately, type ScenarioDefinition, type ScenarioTraits } from "./traits";

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
  /** What the scenario's file decides; nothing below names a scenario. */
  traits: ScenarioTraits;
  /** Resolves the addresses Azure OpenAI admits for APIM, once the gateway exists (see `buildGateway`). */
  admitApimAtOpenAi: (addresses: pulumi.Output<string[]>) => void;
  stack: string;
  root: ScenarioRoot;
  names: pulumi.Output<ResourceNames>;
  tags: Record<string, string>;
  resourceGroupName: pulumi.Output<string>;
  observability: Observability;
  network: Network;
  model: AiModel;
  aks: AksCluster;
  /** The private endpoints' subnet, where the model is reached privately (VNet scenarios). */
  modelPrivateSubnetPrefix?: string;
  /** The account in `openAiSecondaryLocation`, when set: APIM's model pool fails over to it. */
  secondaryModel?: AiModel;
  /** The callers' CA and the client certificate `verify` presents (config apimClientCertificates). */
  clientCertificates?: ClientCertificates;
}

/** The secondary account's name: the primary's with `-2` (custom subdomains take letters, digits and hyphens). */
export function secondaryAccountName(primary: string): string {
  return `${primary}-2`;
}

const GATEWAY_NAME = "gateway";
const name = (names: pulumi.Output<ResourceNames>, key: keyof ResourceNames) => names.apply((n) => n[key]);

/** `deployModel: false`: the model account without its deployment (a workshop whose attendees each make their own). */
export function buildFoundation(
  config: ScenarioConfig,
  stack: string,
  definition: Pick<ScenarioDefinition, "short" | "traits">,
  options: { deployModel?: boolean } = {},
): Foundation {
  const { traits } = definition;
  const root = new ScenarioRoot(config.scenario);
  const parent = { parent: root };
  const suffix = new random.RandomString("name-suffix", { length: NAME_SUFFIX_LENGTH, special: false, upper: false }, parent);
  const names = suffix.result.apply((s) => resourceNamesFor(config.namePrefix, definition.short, s));
  const tags = standardTags(config, stack);

  const group = new resources.ResourceGroup("resource-group", { resourceGroupName: name(names, "resourceGroup"), location: config.location, tags }, parent);
  const scope = { resourceGroupName: group.name, location: config.location, tags };

  const observability = new Observability(
    "observability",
    { ...scope, workspaceName: name(names, "logAnalytics"), appInsightsName: name(names, "appInsights"), dailyQuotaGb: config.logAnalyticsDailyQuotaGb },
    parent,
  );
  const diagnostics = observability.diagnostics;
  const privateModel = modelReachedPrivately(traits);

  const network = new Network(
    "network",
    {
      ...scope,
      virtualNetworkName: name(names, "virtualNetwork"),
      addressSpace: config.vnetAddressSpace,
      aksSubnetPrefix: config.aksSubnetPrefix,
      ingressSubnetPrefix: config.ingressSubnetPrefix,
      // APIM's public IP was made inside the gateway ("gateway-pip") before it moved here: the alias keeps its state.
      // Outbound integration (Standard v2) takes a delegated subnet and no public IP of its own.
      apim:
        traits.vnetMode === "None"
          ? undefined
          : {
              subnetPrefix: config.apimSubnetPrefix,
              mode: traits.vnetMode,
              serviceName: name(names, "apim"),
              publicIp: apimInjected(traits)
                ? {
                    dnsLabel: name(names, "apimPublicIpLabel"),
                    aliases: [{ name: `${GATEWAY_NAME}-pip`, parent: pulumi.createUrn(GATEWAY_NAME, `${TYPE_PREFIX}:gateway:ApiGateway`, root) }],
                  }
                : undefined,
            },
      // A public load balancer forwards to the nodes, and the subnet's NSG is checked before AKS's own:
      // open HTTPS, and HTTP for Let's Encrypt's HTTP-01 challenge (and Traefik's redirect to HTTPS).
      // https://learn.microsoft.com/azure/aks/concepts-network#network-security-groups
      publicIngressPorts: traits.publicIngress ? [80, 443] : undefined,
      // Admitting APIM only: HTTPS only from the region's Azure ranges, which hold the addresses APIM calls from.
      // https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags
      publicIngressHttpsSource: admitsApimOnly(traits) ? `AzureCloud.${config.location}` : undefined,
      // Callers: APIM's subnet, and the AKS nodes' subnet, whose address pods leave the cluster with under Azure
      // CNI Overlay; the pod range too, in case a dataplane sends pod addresses unchanged (the AI API's
      // NetworkPolicy already limits which pods may call). https://learn.microsoft.com/azure/aks/azure-cni-overlay
      edge: edgeNetwork(config),
      privateEndpoints: privateModel
        ? { subnetPrefix: config.privateEndpointSubnetPrefix, callerPrefixes: [config.apimSubnetPrefix, config.aksSubnetPrefix, config.aksPodCidr] }
        : undefined,
      diagnostics,
    },
    parent,
  );

  // APIM (injected) and the AKS nodes use the VNet's Azure-provided DNS, which answers from linked private zones.
  const modelDns = privateModel
    ? new PrivateDns(
        "model-dns",
        { resourceGroupName: group.name, tags, virtualNetworkId: network.resourceId, zones: [{ key: "openai", zoneName: OPENAI_PRIVATE_LINK_ZONE, records: [] }] },
        parent,
      )
    : undefined;

  // Azure OpenAI admits APIM's addresses, known only once APIM exists (built later, and it needs the model's
  // endpoint), and the AKS nodes' subnet through its service endpoint. Nothing else reaches the account.
  const [apimAddresses, admitApimAtOpenAi] = pulumi.deferredOutput<string[]>();
  const privateEndpoint = modelDns
    ? { subnetId: network.privateEndpointSubnetId!, location: config.location, privateDnsZoneId: modelDns.zoneIds.openai, keepPublicAccess: config.openAiPublicNetworkAccess }
    : undefined;
  // With the public endpoint off, IP rules admit nobody (only the private endpoint is reached), so the account
  // gets none and need not wait for the classic APIM service (30-45 min) to learn its addresses: a quota error
  // on the deployment then surfaces within minutes. https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks#use-private-endpoints
  const ipRanges = publicNetworkAccessFor(privateEndpoint) === "Enabled" ? apimAddresses : [];
  const modelArgs = (location: string, accountName: pulumi.Input<string>, subnetIds: pulumi.Input<string>[]): AiModelArgs => ({
    ...scope,
    location,
    accountName,
    modelName: config.openAiModelName,
    modelVersion: config.openAiModelVersion,
    deploymentSku: config.openAiDeploymentSku,
    capacity: config.openAiModelCapacity,
    tokenParameter: config.openAiTokenParameter,
    apiVersion: config.openAiApiVersion,
    network: { ipRanges, subnetIds },
    privateEndpoint,
    diagnostics,
  });
  const model = new AiModel(
    "ai-model",
    { ...modelArgs(config.openAiLocation ?? config.location, name(names, "openAi"), [network.aksSubnetId]), deploy: options.deployModel },
    parent,
  );
  // Same deployment in a second region, for APIM's pool to fail over to. Its own private endpoint sits in the
  // same subnet and zone (a private endpoint may reach an account in another region). Its firewall admits APIM
  // only: the AI API calls the primary, and the AKS subnet's service endpoint is not known to admit an account
  // in another region. https://learn.microsoft.com/azure/private-link/private-endpoint-overview
  const secondaryModel = config.openAiSecondaryLocation
    ? new AiModel("ai-model-secondary", modelArgs(config.openAiSecondaryLocation, names.apply((n) => secondaryAccountName(n.openAi)), []), parent)
    : undefined;

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
      apiAuthorizedRanges: config.aksApiAuthorizedRanges,
      auditLog: config.aksAuditLog,
      adminPrincipalType: deployerPrincipalType({
        configured: config.deployerPrincipalType,
        env: process.env,
        providerConfig: (key) => new pulumi.Config("azure-native").get(key),
      }).type,
      diagnostics,
    },
    parent,
  );

  return {
    config,
    traits,
    stack,
    root,
    names,
    tags,
    resourceGroupName: group.name,
    observability,
    network,
    model,
    aks,
    admitApimAtOpenAi,
    modelPrivateSubnetPrefix: modelPrivateSubnetPrefix(traits, config),
    secondaryModel,
    clientCertificates: config.apimClientCertificates
      ? new ClientCertificates("client-certificates", { caCommonName: `${config.namePrefix} ${config.scenario} client CA`, clientCommonName: `${config.namePrefix} ${config.scenario} verify` }, parent)
      : undefined,
  };
}

/** Namespaces of the Kubernetes layer (DESIGN.md; the labs and the policy pack name them too). */
export const NAMESPACES = { ingress: "traefik", certManager: "cert-manager", backend: "ai-api" } as const;

export interface KubernetesPlatform {
  ingress: IngressController;
  certManager: CertManager;
}

/**
 * Traefik and cert-manager. The certificate comes from a private CA that APIM is told to trust wherever the
 * tier can trust one (always for an internal ingress, whose name only the VNet resolves); from Let's Encrypt
 * for the Azure DNS name only where it cannot, or when asked (config/certificates.ts).
 */
export function buildKubernetesPlatform(f: Foundation): KubernetesPlatform {
  const { config } = f;
  const { publicIngress } = f.traits;
  const opts = { parent: f.root };
  const exposure: pulumi.Input<LoadBalancerExposure> = publicIngress
    ? f.names.apply((n) => ({ kind: "public" as const, dnsLabel: n.ingressDnsLabel }))
    : f.network.ingressSubnetName.apply((subnetName) => ({
        kind: "internal" as const,
        subnetName,
        ipAddress: plannedIngressIp(config.ingressSubnetPrefix),
        // Only APIM's subnet calls the AI API here. https://learn.microsoft.com/azure/api-management/virtual-network-concepts
        allowedSourceRanges: [config.apimSubnetPrefix],
      }));
  const certManager = new CertManager(
    "cert-manager",
    {
      provider: f.aks.provider,
      namespace: NAMESPACES.certManager,
      chartRepo: config.certManagerChartRepo,
      chartVersion: config.certManagerChartVersion,
      issuer:
        certificatePath(config, f.traits).path === "letsencrypt"
          ? { kind: "acme", server: config.acmeServer, email: config.acmeEmail }
          : { kind: "privateCa", commonName: `${config.namePrefix} ${config.scenario} private CA` },
    },
    opts,
  );
  const ingress = new IngressController(
    "ingress",
    {
      provider: f.aks.provider,
      namespace: NAMESPACES.ingress,
      chartRepo: config.traefikChartRepo,
      chartVersion: config.traefikChartVersion,
      exposure,
      certManagerNamespace: NAMESPACES.certManager,
      // Admitting APIM only: HTTPS reaches Traefik only from the ranges the route admits (L4 as well as L7).
      websecureFromAllowListOnly: admitsApimOnly(f.traits),
    },
    opts,
  );
  return { ingress, certManager };
}

/**
 * The public ingress's host: the load balancer's Azure DNS name, or with `ingressDomain` a name in the user's
 * Azure DNS zone, a CNAME to that Azure name written by the program (the deployer needs DNS Zone Contributor
 * on the zone). Let's Encrypt resolves the CNAME for HTTP-01 like any client, and counts the certificate
 * against the user's domain instead of <region>.cloudapp.azure.com (config/certificates.ts).
 * https://learn.microsoft.com/azure/dns/dns-zones-records#cname-records
 */
export function publicBackendHost(f: Foundation): pulumi.Output<string> {
  const { config } = f;
  const azureName = f.names.apply((n) => publicIpFqdn(n.ingressDnsLabel, config.location));
  if (!config.ingressDomain) return azureName;
  const zone = config.ingressDomain;
  const record = new dns.RecordSet(
    "ingress-domain-cname",
    {
      resourceGroupName: config.ingressDomainResourceGroup!,
      zoneName: zone,
      relativeRecordSetName: f.names.apply((n) => n.ingressDnsLabel),
      recordType: "CNAME",
      ttl: 300,
      cnameRecord: { cname: azureName },
      metadata: { scenario: config.scenario, stack: f.stack },
    },
    { parent: f.root },
  );
  // Through the record's id, so that everything on this host (the certificate above all) waits for the record.
  return pulumi.all([record.id, f.names]).apply(([, n]) => `${n.ingressDnsLabel}.${zone}`);
}

/** The private endpoints' subnet, where the model is reached privately (VNet scenarios): the AI API's NetworkPolicy lets it out to there. */
export function modelPrivateSubnetPrefix(traits: ScenarioTraits, config: Pick<ScenarioConfig, "privateEndpointSubnetPrefix">): string | undefined {
  return modelReachedPrivately(traits) ? config.privateEndpointSubnetPrefix : undefined;
}

/** The ingress admits APIM only (in the network, at Traefik's websecure entry point and on the route). */
export function admitsApimOnly(traits: Pick<ScenarioTraits, "backendAdmission">): boolean {
  return traits.backendAdmission === "apim-only";
}

/**
 * The source ranges the AI API's route admits where it admits APIM only: APIM's own outbound addresses
 * (`outboundAddresses`, each a /32) on a dedicated tier, else the region's shared ranges configured
 * (apimSharedSourceRanges; see `apimSourceAddresses`). Nothing where the ingress admits everyone.
 */
export function apimOnlySourceRanges(
  traits: Pick<ScenarioTraits, "backendAdmission">,
  sku: ApimSku,
  outboundAddresses: pulumi.Input<string[]>,
  sharedRanges: string[] | undefined,
): pulumi.Output<string[]> | undefined {
  if (!admitsApimOnly(traits)) return undefined;
  return hasDedicatedOutboundAddresses(sku) ? pulumi.output(outboundAddresses).apply((ips) => ips.map((ip) => `${ip}/32`)) : pulumi.output(sharedRanges!);
}

/** Username APIM presents to the ingress in `consumption`; the password is random and secret. */
export const APIM_BACKEND_USERNAME = "apim";

/**
 * In `consumption` the ingress is public but admits only APIM: the addresses APIM calls from (its own on a
 * dedicated tier, the region's shared ranges otherwise) and a password only this APIM instance holds.
 */
export function backendCredential(f: Pick<Foundation, "traits" | "root">): random.RandomPassword | undefined {
  if (f.traits.secondFactor !== "basic-auth") return undefined;
  return new random.RandomPassword("apim-backend-password", { length: 40, special: false }, { parent: f.root });
}

/** The AI API's image: `appImage` when set, else built from app/ into the scenario's own registry. */
export function appImageFor(f: Foundation): pulumi.Input<string> {
  const { config } = f;
  return (
    config.appImage ??
    new AppImage(
      "app-image",
      {
        resourceGroupName: f.resourceGroupName,
        location: config.location,
        tags: f.tags,
        registryName: name(f.names, "containerRegistry"),
        projectDir: PROJECT_DIR,
        pullerPrincipalIds: [f.aks.kubeletObjectId],
        diagnostics: f.observability.diagnostics,
      },
      { parent: f.root },
    ).image
  );
}

export function buildBackend(f: Foundation, platform: KubernetesPlatform, gateway: ApiGateway, host: pulumi.Input<string>, credential?: random.RandomPassword): AiBackend {
  const { config } = f;
  const image = appImageFor(f);
  const sourceRanges = apimOnlySourceRanges(f.traits, config.apimSku, gateway.outboundAddresses, config.apimSharedSourceRanges);
  return new AiBackend(
    "ai-backend",
    {
      resourceGroupName: f.resourceGroupName,
      location: config.location,
      tags: f.tags,
      provider: f.aks.provider,
      namespace: NAMESPACES.backend,
      identityName: name(f.names, "backendIdentity"),
      oidcIssuerUrl: f.aks.oidcIssuerUrl,
      model: f.model,
      modelPrivateSubnets: f.modelPrivateSubnetPrefix ? [f.modelPrivateSubnetPrefix] : undefined,
      secondaryModel: f.secondaryModel,
      // The AI API fails over itself where it can reach the secondary: through its private endpoint (VNet
      // scenarios). Elsewhere the secondary's firewall admits APIM only, and the AI API stays on the primary.
      failoverEndpoints: f.secondaryModel && f.modelPrivateSubnetPrefix ? [f.secondaryModel.endpoint] : undefined,
      image,
      replicas: config.appReplicas,
      host,
      issuerName: platform.certManager.issuerName,
      ingress: platform.ingress,
      admit: sourceRanges
        ? { sourceRanges, basicAuth: credential === undefined ? undefined : { username: APIM_BACKEND_USERNAME, passwordBcryptHash: credential.bcryptHash } }
        : undefined,
    },
    { parent: f.root },
  );
}

export interface GatewayOptions {
  aiApiBackendUrl: pulumi.Input<string>;
  /** Private CAs APIM must trust to call the backend (the internal ingress's issuer). */
  trustedRootCertificates?: pulumi.Input<string>[];
  /** Password APIM presents to the ingress (see `backendCredential`). */
  backendPassword?: pulumi.Input<string>;
  /** TLS checks APIM makes on the AI API's certificate where it cannot trust its issuer (see ApiGatewayArgs). */
  aiApiBackendTls?: { validateCertificateChain: boolean; validateCertificateName: boolean };
  /** `false`: the service without product, APIs and subscription (a workshop's shared stack). */
  publishApis?: boolean;
}

/**
 * How APIM checks the AI API's certificate where the ingress's comes from the private CA (`privateCa`): by
 * trusting the CA (`caPem`, where this stack made it) on a tier with a CA store; else (v2) by the
 * certificate's name, not its chain (config/certificates.ts says so in the plan's certificate row). The whole
 * scenario and both workshop halves decide here.
 */
export function backendTrust(sku: ApimSku, privateCa: boolean, caPem?: pulumi.Input<string>): Pick<GatewayOptions, "trustedRootCertificates" | "aiApiBackendTls"> {
  const trustsCa = apimTrustsPrivateCa(sku);
  return {
    trustedRootCertificates: privateCa && caPem && trustsCa ? [caPem] : undefined,
    aiApiBackendTls: privateCa && !trustsCa ? { validateCertificateChain: false, validateCertificateName: true } : undefined,
  };
}

/** The product's and APIs' policy settings from the scenario's settings; `passwordNamedValue` holds the ingress password. */
export function gatewayPolicySettings(config: ScenarioConfig, passwordNamedValue?: string): GatewayPolicySettings {
  return {
    corsAllowedOrigins: config.corsAllowedOrigins,
    rateLimitCalls: config.rateLimitCalls,
    rateLimitPeriodSeconds: config.rateLimitPeriodSeconds,
    quotaCalls: config.quotaCalls,
    quotaPeriodSeconds: config.quotaPeriodSeconds,
    tokenLimitPerMinute: config.tokenLimitPerMinute,
    jwt: config.jwtIssuer && config.jwtAudience ? { issuer: config.jwtIssuer, audience: config.jwtAudience } : undefined,
    metricNamespace: "ai-gateway",
    allowedCallerRanges: config.apimAllowedCallerRanges,
    edgeSubnet: edgeSubnetOf(config),
    backendBasicAuth: passwordNamedValue === undefined ? undefined : { username: APIM_BACKEND_USERNAME, passwordNamedValue },
  };
}

/**
 * The addresses APIM calls backends and Azure OpenAI from: the service's own outbound addresses on a
 * dedicated tier; on Consumption and the v2 tiers, which have none, the region's shared ranges the user
 * configured (apimSharedSourceRanges). Those admit other tenants' services too, so there the account's real
 * guard stays Entra ID: only APIM's identity and the AI API's hold the role.
 * https://learn.microsoft.com/azure/api-management/api-management-howto-ip-addresses
 */
export function apimSourceAddresses(config: ScenarioConfig, gateway: ApiGateway): pulumi.Output<string[]> {
  return hasDedicatedOutboundAddresses(config.apimSku) ? gateway.outboundAddresses : pulumi.output(config.apimSharedSourceRanges ?? []);
}

/** APIM in the scenario's VNet mode, with the product, both APIs, their policies and inference rights. */
export function buildGateway(f: Foundation, options: GatewayOptions): ApiGateway {
  const { config } = f;
  const { traits } = f;
  const gateway = new ApiGateway(
    GATEWAY_NAME,
    {
      resourceGroupName: f.resourceGroupName,
      location: config.location,
      tags: f.tags,
      serviceName: name(f.names, "apim"),
      sku: config.apimSku,
      capacity: config.apimCapacity,
      publisherName: config.publisherName,
      publisherEmail: config.publisherEmail,
      vnet: apimInjected(traits)
        ? { mode: traits.vnetMode, subnetId: f.network.apimSubnetId!, publicIpAddressId: f.network.apimPublicIpId! }
        : traits.vnetMode === "Integration"
          ? { mode: "Integration", subnetId: f.network.apimSubnetId! }
          : undefined,
      appInsights: {
        id: f.observability.appInsightsId,
        connectionString: f.observability.appInsightsConnectionString,
        samplingPercentage: config.appInsightsSamplingPercentage,
        logClientIp: config.appInsightsLogClientIp,
      },
      developerPortal: config.apimDeveloperPortal,
      diagnostics: f.observability.diagnostics,
      policies: gatewayPolicySettings(config, options.backendPassword === undefined ? undefined : "ingress-password"),
      backendPassword: options.backendPassword,
      publishApis: options.publishApis,
      trustedRootCertificates: options.trustedRootCertificates,
      aiApiBackendTls: options.aiApiBackendTls,
      clientCertificates: f.clientCertificates
        ? { caCertificatePem: f.clientCertificates.caCertificatePem, caThumbprint: f.clientCertificates.caThumbprint, clientThumbprints: [f.clientCertificates.clientThumbprint] }
        : undefined,
      aiApiBackendUrl: options.aiApiBackendUrl,
      openAiEndpoint: f.model.endpoint,
      openAiSecondaryEndpoints: f.secondaryModel ? [f.secondaryModel.endpoint] : undefined,
    },
    { parent: f.root },
  );
  f.model.grantInference("apim-inference", gateway.principalId);
  f.secondaryModel?.grantInference("apim-inference-secondary", gateway.principalId);
  f.admitApimAtOpenAi(apimSourceAddresses(config, gateway));
  return gateway;
}

/**
 * Everything after the scenario's own network decisions: the Kubernetes platform, APIM (trusting the
 * ingress's private CA where there is one, holding the ingress credential where one is needed), the AI API
 * workload on `backendHost`, and the stack outputs. `withGateway` adds what depends on APIM (private DNS), and
 * returns what names the gateway inside the VNet, if anything: the edge waits for it.
 */
export function assembleScenario(f: Foundation, backendHost: pulumi.Input<string>, withGateway?: (gateway: ApiGateway) => pulumi.Resource | void): ScenarioOutputs {
  const platform = buildKubernetesPlatform(f);
  const credential = backendCredential(f);
  const ca = platform.certManager.caCertificatePem;
  const gateway = buildGateway(f, {
    aiApiBackendUrl: pulumi.interpolate`https://${backendHost}`,
    ...backendTrust(f.config.apimSku, ca !== undefined, ca),
    backendPassword: credential?.result,
  });
  const gatewayDns = withGateway?.(gateway);
  const edge = buildEdge(f, gateway, gatewayDns ? [gatewayDns] : []);
  buildBackend(f, platform, gateway, backendHost, credential);
  return scenarioOutputs(f, gateway, backendHost, edge);
}

export interface ScenarioOutputs {
  [key: string]: pulumi.Output<unknown> | string;
}

/** Where a scenario's gateway, APIs, AI API and model are, for `probeSettings`; the last three only in the whole scenario. */
export interface ProbeTargets {
  apimSku: ApimSku;
  gatewayUrl: string;
  paths: { ai: string; openAi: string };
  backendHost: string;
  openAiEndpoint: string;
  model: { deployment: string; apiVersion: string; tokenParameter: TokenParameter };
  openAiSecondaryEndpoint?: string;
  clientCertificates?: boolean;
  edge?: ProbeInputs["edge"];
}

/** What `probesFor` takes, from the scenario's settings and traits and where its parts are: the whole scenario's and an attendee's. */
export function probeSettings(config: ScenarioConfig, traits: ScenarioTraits, at: ProbeTargets): ProbeInputs {
  return {
    traits,
    apimSku: at.apimSku,
    gatewayUrl: at.gatewayUrl,
    apiBasePath: at.paths.ai,
    backendHost: at.backendHost,
    rateLimitCalls: config.rateLimitCalls,
    openAiEndpoint: at.openAiEndpoint,
    openAiPrivate: modelReachedPrivately(traits),
    openAiPublicKept: config.openAiPublicNetworkAccess,
    openAiSecondaryEndpoint: at.openAiSecondaryEndpoint,
    openAiApi: { basePath: at.paths.openAi, ...at.model, backendHeader: MODEL_BACKEND_HEADER },
    callerFilter: config.apimAllowedCallerRanges ? { allowedRanges: config.apimAllowedCallerRanges, vnetProbeSubnet: config.aksSubnetPrefix } : undefined,
    clientCertificates: at.clientCertificates,
    edge: at.edge,
  };
}

/** The stack outputs every scenario exports (DESIGN.md, "Contracts"). */
export function scenarioOutputs(f: Foundation, gateway: ApiGateway, backendHost: pulumi.Input<string>, edge?: AppGateway): ScenarioOutputs {
  const probes: pulumi.Output<Probe[]> = pulumi
    .all([gateway.gatewayUrl, backendHost, f.model.endpoint, f.secondaryModel?.endpoint, requiredDeploymentName(f.model), edge?.url, edge ? gateway.privateIpAddresses : undefined])
    .apply(([gatewayUrl, host, openAiEndpoint, openAiSecondaryEndpoint, deployment, edgeUrl, privateAddresses]) =>
      probesFor(
        probeSettings(f.config, f.traits, {
          apimSku: f.config.apimSku,
          gatewayUrl,
          paths: API_PATHS,
          backendHost: host,
          openAiEndpoint,
          model: { deployment, apiVersion: f.model.apiVersion, tokenParameter: f.model.tokenParameter },
          openAiSecondaryEndpoint,
          clientCertificates: f.clientCertificates !== undefined,
          edge: edgeUrl ? { url: edgeUrl, apimPrivateAddress: privateAddresses?.[0] } : undefined,
        }),
      ),
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
    ...edgeStackOutputs(edge),
    // What `verify` presents to the gateway; the key only as a secret.
    ...(f.clientCertificates
      ? { clientCertificatePem: f.clientCertificates.clientCertificatePem, clientCertificateKeyPem: pulumi.secret(f.clientCertificates.clientPrivateKeyPem) }
      : {}),
  };
  f.root.complete(outputs);
  return outputs;
}
