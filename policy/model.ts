/**
 * The model path: in the VNet scenarios Azure OpenAI is reached only through a private endpoint, and a public
 * endpoint kept for debugging is reported. Which scenarios have a VNet comes from the scenario registry.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { findScenario } from "../scenarios/catalog";
import { DEBUG_PUBLIC_ACCESS_TAG, DEBUG_PUBLIC_ACCESS_VALUE, OPENAI_PRIVATE_LINK_ZONE } from "../components/model-path";
import { armName, at, forTypes, list, type Props, scenarioOf, T } from "./lib";

const MS = "https://learn.microsoft.com";
const OPENAI_KINDS = ["openai", "aiservices"];
const PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint";
const ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup";
const ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink";

type R = Pick<PolicyResource, "type" | "name" | "props">;

const lower = (v: unknown) => String(v ?? "").toLowerCase();
const isOpenAi = (r: R) => r.type === T.cognitiveAccount && OPENAI_KINDS.includes(lower(r.props.kind));
const accountName = (r: R) => lower(r.props.name ?? r.props.accountName ?? r.name);
const isDebugPublic = (props: Props) => at(props, ["tags", DEBUG_PUBLIC_ACCESS_TAG]) === DEBUG_PUBLIC_ACCESS_VALUE;

/** What keeps one account from being reached only privately; empty when nothing does. */
export function privatePathGaps(account: R, resources: readonly R[]): string[] {
  const gaps: string[] = [];
  const name = accountName(account);
  const endpoints = resources.filter(
    (r) =>
      r.type === PRIVATE_ENDPOINT &&
      [...list<Props>(r.props.privateLinkServiceConnections), ...list<Props>(r.props.manualPrivateLinkServiceConnections)].some(
        (c) => lower(armName(c.privateLinkServiceId)) === name && list<string>(c.groupIds).map(lower).includes("account"),
      ),
  );
  if (endpoints.length === 0) gaps.push("no private endpoint (group `account`) connects to it");
  const peNames = new Set(endpoints.map((e) => lower(e.props.name ?? e.props.privateEndpointName)));
  const zones = resources
    .filter((r) => r.type === ZONE_GROUP && peNames.has(lower(r.props.privateEndpointName)))
    .flatMap((g) => list<Props>(g.props.privateDnsZoneConfigs).map((c) => lower(armName(c.privateDnsZoneId))));
  const linked = new Set(resources.filter((r) => r.type === ZONE_LINK && r.props.virtualNetwork?.id).map((r) => lower(r.props.privateZoneName)));
  if (endpoints.length > 0 && !zones.some((z) => z === OPENAI_PRIVATE_LINK_ZONE && linked.has(z))) {
    gaps.push(`its private endpoint writes no record into a ${OPENAI_PRIVATE_LINK_ZONE} zone linked to the VNet, so the VNet still resolves the public address`);
  }
  const access = at(account.props, "properties.publicNetworkAccess") ?? "Enabled";
  if (access !== "Disabled" && !isDebugPublic(account.props)) {
    gaps.push(`properties.publicNetworkAccess is ${JSON.stringify(access)}: its public endpoint still answers; set "Disabled" (or openAiPublicNetworkAccess=true to keep it on purpose)`);
  }
  return gaps;
}

export const openAiPrivateInVnet: StackValidationPolicy = {
  name: "openai-private-in-vnet",
  description: "In the VNet scenarios every Azure OpenAI account is reached through a private endpoint whose privatelink zone the VNet resolves, with its public endpoint off.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/ai-services/cognitive-services-virtual-networks#use-private-endpoints`,
  validateStack: (args, report) => {
    const scenario = scenarioOf(args);
    if (!scenario) return;
    const traits = findScenario(scenario)?.traits;
    if (!traits) return args.notApplicable(`unknown scenario ${JSON.stringify(scenario)}: its traits are not registered (scenarios/catalog.ts)`);
    if (traits.vnetMode === "None") return;
    for (const account of args.resources.filter(isOpenAi)) {
      for (const gap of privatePathGaps(account, args.resources)) {
        report(`Azure OpenAI account ${accountName(account)} in the ${scenario} scenario is reachable from outside the VNet: ${gap}.`, (account as PolicyResource).urn);
      }
    }
  },
};

export const openAiPublicAccessDebug: ResourceValidationPolicy = {
  name: "openai-public-access-debug",
  description: "An Azure OpenAI account whose public endpoint was kept next to its private endpoint for debugging (openAiPublicNetworkAccess).",
  enforcementLevel: "advisory",
  url: `${MS}/azure/ai-services/cognitive-services-virtual-networks#use-private-endpoints`,
  validateResource: forTypes([T.cognitiveAccount], (args, report) => {
    if (!isDebugPublic(args.props)) args.notApplicable(`no ${DEBUG_PUBLIC_ACCESS_TAG} tag`);
    if ((at(args.props, "properties.publicNetworkAccess") ?? "Enabled") !== "Disabled") {
      report(`The public endpoint is kept for debugging (tag ${DEBUG_PUBLIC_ACCESS_TAG}: ${DEBUG_PUBLIC_ACCESS_VALUE}): its firewall still admits only APIM's addresses and the AKS subnet; turn openAiPublicNetworkAccess off when done.`);
    }
  }),
};

export const modelPolicies = [openAiPrivateInVnet, openAiPublicAccessDebug];
