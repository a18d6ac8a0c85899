import {
  AZURE_RESERVED_PER_SUBNET,
  type Cidr,
  contains,
  ipToString,
  overlaps,
  parseCidr,
  usableAzureAddresses,
} from "./cidr";
import { certificateProblems } from "./certificates";
import { edgeProblems } from "./edge";
import { workshopProblems } from "./workshop-rules";
import { modelReachedPrivately, type ScenarioTraits } from "../scenarios/traits";
import { SCENARIO_TRAITS } from "./defaults";
import { BACKEND_FEATURE_SUPPORT, supportsBackendFeature } from "../components/policy-support";
import { ipRuleValues, MAX_AI_SERVICES_IP_RULES } from "../components/model-path";
import { currentModels, isAzureRegion, knownRegions, lifecycleOf, MODEL_DATA, REGIONS_SOURCE, todayUtc } from "./models";
import type { ApimSku, ConfigKey, ScenarioConfig } from "./schema";

export interface Problem {
  key: ConfigKey | string;
  value: unknown;
  /** What is wrong and what is allowed, in words a user can act on. */
  message: string;
}

/** Scale units per region the portal and ARM accept for each tier.
 *  https://learn.microsoft.com/azure/api-management/api-management-features (Scale) and
 *  https://learn.microsoft.com/azure/api-management/upgrade-and-scale */
export const CAPACITY_RANGE: Record<ApimSku, readonly [number, number]> = {
  Consumption: [0, 0],
  Developer: [1, 1],
  Basic: [1, 2],
  Standard: [1, 4],
  Premium: [1, 12],
  BasicV2: [1, 10],
  StandardV2: [1, 10],
};

/** Tag keys the program sets itself; users may not override them. */
export const RESERVED_TAGS = ["scenario", "stack", "managed-by", "pulumi-project", "expires-at"] as const;

/**
 * Addresses APIM needs in its subnet (stv2 VNet injection): one per Developer unit or two per Premium unit,
 * one for the public load balancer and, in Internal mode, one more for the internal load balancer; plus the
 * five Azure reserves. Minimum /29.
 * https://learn.microsoft.com/azure/api-management/virtual-network-injection-resources#subnet-size
 */
export function apimSubnetAddressesNeeded(sku: ApimSku, capacity: number, internal: boolean): number {
  const perUnit = sku === "Developer" ? 1 : 2;
  return perUnit * capacity + 1 + (internal ? 1 : 0);
}

/** The smallest subnet outbound VNet integration takes (a /27). */
export const APIM_INTEGRATION_MAX_PREFIX = 27;

/** Nodes plus one surge node during upgrades (Azure CNI Overlay: pods do not use subnet addresses). */
export function aksSubnetAddressesNeeded(nodeCount: number): number {
  return nodeCount + 1;
}

function subnetRules(c: ScenarioConfig, traits: ScenarioTraits): Problem[] {
  const problems: Problem[] = [];
  const vnet = parseCidr(c.vnetAddressSpace);
  const usesApimSubnet = traits.vnetMode !== "None";
  const subnets: [ConfigKey, Cidr | undefined][] = [
    ["aksSubnetPrefix", parseCidr(c.aksSubnetPrefix)],
    ["ingressSubnetPrefix", parseCidr(c.ingressSubnetPrefix)],
  ];
  if (usesApimSubnet) subnets.unshift(["apimSubnetPrefix", parseCidr(c.apimSubnetPrefix)]);
  // The private endpoints' subnet exists where the model is reached privately: the VNet scenarios.
  if (usesApimSubnet) subnets.push(["privateEndpointSubnetPrefix", parseCidr(c.privateEndpointSubnetPrefix)]);
  if (!vnet) return problems;

  for (const [key, subnet] of subnets) {
    if (subnet && !contains(vnet, subnet)) {
      problems.push({ key, value: subnet.text, message: `lies outside vnetAddressSpace ${vnet.text}; choose a block inside it` });
    }
  }
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const [ka, a] = subnets[i];
      const [kb, b] = subnets[j];
      if (a && b && overlaps(a, b)) {
        problems.push({ key: kb, value: b.text, message: `overlaps ${ka} ${a.text}; subnets must not share addresses` });
      }
    }
  }

  const apim = parseCidr(c.apimSubnetPrefix);
  // Outbound integration: "Minimum: /27 (32 addresses)", whatever the units; "Recommended: /24" for scaling.
  // https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound#subnet-size
  if (traits.vnetMode === "Integration" && apim && apim.prefix > APIM_INTEGRATION_MAX_PREFIX) {
    problems.push({
      key: "apimSubnetPrefix",
      value: apim.text,
      message: `is too small for outbound VNet integration: Microsoft requires at least a /${APIM_INTEGRATION_MAX_PREFIX} (https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound#subnet-size)`,
    });
  } else if (usesApimSubnet && apim && traits.vnetMode !== "Integration") {
    const needed = apimSubnetAddressesNeeded(c.apimSku, c.apimCapacity, traits.vnetMode === "Internal");
    if (apim.prefix > 29 || usableAzureAddresses(apim) < needed) {
      problems.push({
        key: "apimSubnetPrefix",
        value: apim.text,
        message: `is too small for ${c.apimSku} with ${c.apimCapacity} unit(s): needs ${needed} usable addresses plus the ${AZURE_RESERVED_PER_SUBNET} Azure reserves, and at least a /29`,
      });
    }
  }
  const aks = parseCidr(c.aksSubnetPrefix);
  if (aks && usableAzureAddresses(aks) < aksSubnetAddressesNeeded(c.aksNodeCount)) {
    problems.push({
      key: "aksSubnetPrefix",
      value: aks.text,
      message: `is too small for ${c.aksNodeCount} node(s): needs ${aksSubnetAddressesNeeded(c.aksNodeCount)} usable addresses (nodes plus one upgrade surge node)`,
    });
  }
  const ingress = parseCidr(c.ingressSubnetPrefix);
  if (ingress && usableAzureAddresses(ingress) < 1) {
    problems.push({ key: "ingressSubnetPrefix", value: ingress.text, message: "has no usable address for the internal load balancer; use /29 or larger" });
  }

  // Pod and service ranges are routed inside the cluster and must not collide with the VNet or each other.
  // https://learn.microsoft.com/azure/aks/azure-cni-overlay#ip-address-planning
  const pod = parseCidr(c.aksPodCidr);
  const svc = parseCidr(c.aksServiceCidr);
  if (pod && overlaps(pod, vnet)) problems.push({ key: "aksPodCidr", value: pod.text, message: `overlaps vnetAddressSpace ${vnet.text}; pick a range outside the VNet` });
  if (svc && overlaps(svc, vnet)) problems.push({ key: "aksServiceCidr", value: svc.text, message: `overlaps vnetAddressSpace ${vnet.text}; pick a range outside the VNet` });
  if (pod && svc && overlaps(pod, svc)) problems.push({ key: "aksServiceCidr", value: svc.text, message: `overlaps aksPodCidr ${pod.text}` });
  if (svc) {
    const dns = parseCidr(`${c.aksDnsServiceIp}/32`);
    const firstHost = ipToString(svc.network + 1);
    if (!dns || !contains(svc, dns) || dns.network === svc.network || c.aksDnsServiceIp === firstHost) {
      problems.push({
        key: "aksDnsServiceIp",
        value: c.aksDnsServiceIp,
        message: `must be inside aksServiceCidr ${svc.text} and not its first address (${firstHost} is the Kubernetes API service)`,
      });
    }
  }
  return problems;
}

function apimRules(c: ScenarioConfig, traits: ScenarioTraits): Problem[] {
  const problems: Problem[] = [];
  if (!traits.allowedSkus.includes(c.apimSku)) {
    const why =
      traits.vnetMode === "Integration"
        ? `scenario "${c.scenario}" integrates APIM with the VNet for outbound calls, which only these tiers support (https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound)`
        : traits.vnetMode !== "None"
          ? `scenario "${c.scenario}" injects APIM into the VNet in ${traits.vnetMode} mode, which only these tiers support`
          : `scenario "${c.scenario}" is built for these tiers`;
    problems.push({ key: "apimSku", value: c.apimSku, message: `${why}: ${traits.allowedSkus.join(", ")}` });
  }
  const [min, max] = CAPACITY_RANGE[c.apimSku];
  if (c.apimCapacity < min || c.apimCapacity > max) {
    problems.push({
      key: "apimCapacity",
      value: c.apimCapacity,
      message: min === max ? `must be ${min} for the ${c.apimSku} tier` : `must be between ${min} and ${max} for the ${c.apimSku} tier`,
    });
  }
  return problems;
}

function securityRules(c: ScenarioConfig): Problem[] {
  const problems: Problem[] = [];
  if ((c.jwtIssuer === undefined) !== (c.jwtAudience === undefined)) {
    const missing = c.jwtIssuer === undefined ? "jwtIssuer" : "jwtAudience";
    problems.push({ key: missing, value: undefined, message: "JWT validation needs both jwtIssuer and jwtAudience; set both or neither" });
  }
  for (const key of Object.keys(c.tags)) {
    if ((RESERVED_TAGS as readonly string[]).includes(key)) {
      problems.push({ key: "tags", value: key, message: `tag "${key}" is set by the program; reserved: ${RESERVED_TAGS.join(", ")}` });
    }
  }
  const modelTpm = c.openAiModelCapacity * 1000;
  if (c.tokenLimitPerMinute > modelTpm) {
    problems.push({
      key: "tokenLimitPerMinute",
      value: c.tokenLimitPerMinute,
      message: `exceeds the model deployment's ${modelTpm} tokens per minute (openAiModelCapacity ${c.openAiModelCapacity} x 1000); lower it or raise openAiModelCapacity`,
    });
  }
  if (c.rateLimitCalls > c.quotaCalls) {
    problems.push({ key: "rateLimitCalls", value: c.rateLimitCalls, message: `is larger than quotaCalls ${c.quotaCalls}; the quota would never allow the burst` });
  }
  return problems;
}

/**
 * Dedicated tiers have outbound addresses of their own on the service resource; Consumption and the v2
 * tiers call from shared ranges of the region. https://learn.microsoft.com/azure/api-management/api-management-howto-ip-addresses
 */
export function hasDedicatedOutboundAddresses(sku: ApimSku): boolean {
  return !["Consumption", "BasicV2", "StandardV2"].includes(sku);
}

/**
 * Whether the addresses APIM calls from must be configured: a tier without dedicated outbound addresses,
 * where something admits APIM by address (the ingress allow-list of an apim-only admission, or the Azure
 * OpenAI firewall where the model is reached over the internet). Where APIM reaches both the AI API and the
 * model inside the VNet (outbound integration), nothing admits it by address.
 */
export function needsSharedSourceRanges(c: Pick<ScenarioConfig, "scenario" | "apimSku">, traits: ScenarioTraits = SCENARIO_TRAITS[c.scenario]): boolean {
  if (hasDedicatedOutboundAddresses(c.apimSku)) return false;
  return traits.backendAdmission === "apim-only" || !modelReachedPrivately(traits);
}

/** Narrowest prefix length a shared range may have: anything wider admits a large part of the internet. */
export const WIDEST_SHARED_RANGE_PREFIX = 8;

function allowListRules(c: ScenarioConfig, traits: ScenarioTraits): Problem[] {
  // Where the ingress does not admit APIM alone, a tier the scenario refuses is reported by apimRules alone.
  const apimOnly = traits.backendAdmission === "apim-only";
  if (!apimOnly && !traits.allowedSkus.includes(c.apimSku)) return [];
  const ranges = c.apimSharedSourceRanges;
  if (needsSharedSourceRanges(c, traits) && ranges === undefined) {
    return [
      {
        key: "apimSharedSourceRanges",
        value: undefined,
        message:
          `required: the ${c.apimSku} tier has no dedicated outbound address, so Azure OpenAI's firewall (and the consumption ingress) can only admit the region's shared ranges. ` +
          `List them with: az network list-service-tags --location ${c.location} --query "values[?name=='AzureCloud.${c.location}'].properties.addressPrefixes[] | [?!contains(@, ':')]" (IPv4 only)`,
      },
    ];
  }
  // Ranges are refused only where the tier has addresses of its own; outbound integration may keep them.
  if (ranges !== undefined && hasDedicatedOutboundAddresses(c.apimSku)) {
    return [
      {
        key: "apimSharedSourceRanges",
        value: ranges,
        message:
          apimOnly
            ? `not used with the ${c.apimSku} tier: the allow-list holds the service's own outbound addresses; remove it`
            : `only the consumption scenario uses it, or a tier without dedicated outbound addresses; the ${c.apimSku} tier has its own: remove it`,
      },
    ];
  }
  return (ranges ?? [])
    .filter((r) => Number(r.split("/")[1]) < WIDEST_SHARED_RANGE_PREFIX)
    .map((r) => ({ key: "apimSharedSourceRanges", value: r, message: `wider than /${WIDEST_SHARED_RANGE_PREFIX}: list the region's ranges, not the internet` }));
}

/**
 * The caller allow-list (ip-filter at product scope): a /0 block admits every address, the same as no list,
 * while reading as a restriction; refuse it rather than ship a filter that filters nothing.
 */
function callerRangeRules(c: ScenarioConfig): Problem[] {
  return (c.apimAllowedCallerRanges ?? [])
    .filter((r) => parseCidr(r)?.prefix === 0)
    .map((r) => ({ key: "apimAllowedCallerRanges", value: r, message: "admits every address, which is no filter at all: list the callers' ranges, or unset the setting" }));
}

/**
 * Client certificates are checked by APIM on the TLS connection it receives. An Application Gateway in front
 * ends the caller's connection and opens its own, so the caller's certificate never reaches APIM ("The
 * certificate attached by the client in the initial HTTP request isn't forwarded to APIM").
 * https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates-for-clients
 */
function clientCertificateRules(c: ScenarioConfig): Problem[] {
  return c.apimClientCertificates && c.edge === "appgw-waf"
    ? [{ key: "apimClientCertificates", value: true, message: "cannot be checked with edge=appgw-waf: the Application Gateway ends the caller's TLS connection and APIM never sees the certificate; use edge=none or leave apimClientCertificates off" }]
    : [];
}

/**
 * An inbound private endpoint for the gateway needs APIM outside the VNet on a tier that takes one: Microsoft
 * lists Developer, Basic, Standard, Standard v2, Premium and Premium v2, and not an instance injected into a VNet
 * ("In the classic API Management tiers, private endpoints aren't supported for instances injected in an
 * internal or external virtual network"). Here it is the integrated scenario's option.
 * https://learn.microsoft.com/azure/api-management/private-endpoint
 */
function privateGatewayRules(c: ScenarioConfig, traits: ScenarioTraits): Problem[] {
  if (!c.integratedPrivateGateway || traits.vnetMode === "Integration") return [];
  return [
    {
      key: "integratedPrivateGateway",
      value: c.integratedPrivateGateway,
      message: `only the integrated scenario (outbound VNet integration) adds a private endpoint for the gateway; scenario "${c.scenario}" ${
        traits.vnetMode === "None" ? "has no private endpoints' subnet for it" : "injects APIM into the VNet, where private endpoints are not supported"
      } (https://learn.microsoft.com/azure/api-management/private-endpoint): remove it`,
    },
  ];
}

/**
 * The shared ranges become Azure OpenAI IP rules (components/AiModel.ts), and an account takes at most 100:
 * count them as the account will receive them (merged, /31 split) and refuse the list before anything is created.
 */
function openAiIpRuleLimit(c: ScenarioConfig): Problem[] {
  const ranges = c.apimSharedSourceRanges;
  if (!ranges?.length) return [];
  const rules = ipRuleValues(ranges).length;
  if (rules <= MAX_AI_SERVICES_IP_RULES) return [];
  return [
    {
      key: "apimSharedSourceRanges",
      value: `${ranges.length} ranges`,
      message:
        `become ${rules} Azure OpenAI IP rules once merged; an account takes at most ${MAX_AI_SERVICES_IP_RULES} ` +
        `(https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks#managing-ip-network-rules). ` +
        `Use a tier with dedicated outbound addresses, or a VNet scenario where the model is reached through its private endpoint`,
    },
  ];
}

/**
 * Where the model is reached through its public endpoint, the account admits the AKS nodes' subnet through the
 * subnet's Microsoft.CognitiveServices service endpoint, and that is documented for an account in the VNet's
 * region only: Microsoft's page on Azure AI services' virtual networks says nothing of another region, and
 * service endpoints reach most services in the VNet's region alone (Azure Storage's paired region is the
 * documented exception). So the account must share the VNet's region there; the private endpoint of the VNet
 * scenarios does reach an account in another region.
 * https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks#grant-access-from-a-virtual-network
 * https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview
 * https://learn.microsoft.com/azure/private-link/private-endpoint-overview
 */
function openAiRegionRules(c: ScenarioConfig, traits: ScenarioTraits): Problem[] {
  if (modelReachedPrivately(traits) || c.openAiLocation === undefined || c.openAiLocation === c.location) return [];
  return [
    {
      key: "openAiLocation",
      value: c.openAiLocation,
      message:
        `differs from location ${c.location}: without a VNet for APIM the AKS subnet reaches the model through a service endpoint, ` +
        `not documented to admit an account in another region; set location to ${c.openAiLocation} too, or use a scenario with a private endpoint`,
    },
  ];
}

const MODEL_SOURCE = MODEL_DATA.sources.lifecycle.url;

function modelSuggestion(c: ScenarioConfig, today: string): string {
  const region = c.openAiLocation ?? c.location;
  const names = currentModels(today, c.openAiDeploymentSku, region).map((m) => `${m.name} ${m.version}`);
  return names.length ? `; current ${c.openAiDeploymentSku} models in data/openai-models.json: ${names.join(", ")}` : "";
}

/**
 * Regions must exist, and the model must not be retired on `today` nor missing from the region where the data
 * file knows its regions. Deprecated models are allowed (existing customers may still deploy them): see
 * `configWarnings`.
 */
export function regionAndModelProblems(c: ScenarioConfig, today: string = todayUtc()): Problem[] {
  const problems: Problem[] = [];
  for (const key of ["location", "openAiLocation", "openAiSecondaryLocation"] as const) {
    const value = c[key];
    if (value !== undefined && !isAzureRegion(value)) {
      problems.push({ key, value, message: `is not an Azure region (names as in ${REGIONS_SOURCE}, e.g. swedencentral, eastus2)` });
    }
  }
  const verdict = lifecycleOf(c.openAiModelName, c.openAiModelVersion, today);
  if (verdict.status === "retired") {
    problems.push({
      key: "openAiModelVersion",
      value: `${c.openAiModelName} ${c.openAiModelVersion}`,
      message: `is retired since ${verdict.entry!.retirement ?? "(no date)"}: Azure answers every call with an error (${MODEL_SOURCE})${modelSuggestion(c, today)}`,
    });
  }
  const region = c.openAiLocation ?? c.location;
  const regions = knownRegions(c.openAiModelName, c.openAiModelVersion, c.openAiDeploymentSku);
  if (regions !== undefined && isAzureRegion(region) && !regions.includes(region)) {
    problems.push({
      key: c.openAiLocation === undefined ? "location" : "openAiLocation",
      value: region,
      message: `${c.openAiModelName} ${c.openAiModelVersion} is not offered as ${c.openAiDeploymentSku} there; regions: ${regions.join(", ")} (set openAiLocation)`,
    });
  }
  const secondary = c.openAiSecondaryLocation;
  if (secondary !== undefined && !supportsBackendFeature(c.apimSku, "circuit-breaker")) {
    problems.push({
      key: "openAiSecondaryLocation",
      value: secondary,
      message: `needs backend circuit breakers, which the ${c.apimSku} tier lacks (${BACKEND_FEATURE_SUPPORT["circuit-breaker"].source}): use another tier or leave it unset`,
    });
  }
  if (secondary !== undefined && secondary === region) {
    problems.push({ key: "openAiSecondaryLocation", value: secondary, message: `is the primary account's region too: fail over to another region, or leave it unset` });
  }
  if (secondary !== undefined && regions !== undefined && isAzureRegion(secondary) && !regions.includes(secondary)) {
    problems.push({
      key: "openAiSecondaryLocation",
      value: secondary,
      message: `${c.openAiModelName} ${c.openAiModelVersion} is not offered as ${c.openAiDeploymentSku} there; regions: ${regions.join(", ")}`,
    });
  }
  return problems;
}

/** Things that deploy but deserve a line before they do; one line each. */
export function configWarnings(c: ScenarioConfig, today: string = todayUtc()): string[] {
  const verdict = lifecycleOf(c.openAiModelName, c.openAiModelVersion, today);
  const model = `openAiModelName/openAiModelVersion = ${c.openAiModelName} ${c.openAiModelVersion}`;
  switch (verdict.status) {
    case "deprecated":
      return [
        `${model}: deprecated, closed to subscriptions that never deployed it, retires ${verdict.entry!.retirement ?? "(no date)"} (${MODEL_SOURCE})${modelSuggestion(c, today)}`,
      ];
    case "preview":
      return [`${model}: a preview model; Microsoft may upgrade or retire it at short notice, retires ${verdict.entry!.retirement ?? "(no date)"}`];
    case "unknown":
      return [`${model}: not in data/openai-models.json (read ${MODEL_DATA.readOn}); its lifecycle and regions are not checked`];
    default:
      return [];
  }
}

/**
 * Rules across settings that Azure would reject at deploy time, or that would ship an insecure setup, for the
 * traits of the scenario (a registered scenario's by default).
 */
export function crossFieldProblems(c: ScenarioConfig, today: string = todayUtc(), traits: ScenarioTraits = SCENARIO_TRAITS[c.scenario]): Problem[] {
  return [
    ...apimRules(c, traits),
    ...subnetRules(c, traits),
    ...securityRules(c),
    ...allowListRules(c, traits),
    ...callerRangeRules(c),
    ...privateGatewayRules(c, traits),
    ...clientCertificateRules(c),
    ...openAiIpRuleLimit(c),
    ...openAiRegionRules(c, traits),
    ...certificateProblems(c, traits),
    ...edgeProblems(c, traits),
    ...regionAndModelProblems(c, today),
    ...workshopProblems(c, traits),
  ];
}
