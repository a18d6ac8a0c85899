/**
 * What the live suite deploys, chosen from the environment: the scenarios (LIVE_SCENARIOS), the option variants
 * (LIVE_VARIANTS) and the workshop room (LIVE_WORKSHOP, its settings LIVE_WORKSHOP_CONFIG). Pure: the live tests read it, and
 * tests/live/selection.test.ts checks it offline, the table included (each variant's settings validate and its
 * program, evaluated offline, has the probes and resources listed here).
 */
import { attendeeOfStack, attendeeStackName, sharedStackName } from "../../automation/driver/workshop/room";
import { parseOverrides } from "../../config/load";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";

/** One option the default stacks never deploy, on the scenario it belongs to. */
export interface LiveVariant {
  name: string;
  scenario: ScenarioName;
  /** Settings over the scenario's stack file, like `--config`. */
  overrides: Record<string, unknown>;
  why: string;
  /** Probe names (scenarios/probes.ts) only this variant's stack runs, not the scenario's default one; verify must have passed each. */
  probes: readonly string[];
  /** Resources only this variant deploys, by type and Pulumi name; its stack's state must have held each. */
  resources: readonly { type: string; name: string }[];
}

/**
 * RFC 5737's TEST-NET-3, reserved for documentation: no machine running the tests has an address there, so the
 * gateway must refuse the probes' calls. https://www.rfc-editor.org/rfc/rfc5737
 */
export const DOCUMENTATION_RANGE = "203.0.113.0/24";

export const LIVE_VARIANTS: readonly LiveVariant[] = [
  {
    name: "internal-edge",
    scenario: "internal",
    overrides: { edge: "appgw-waf" },
    why: "an Application Gateway WAF_v2 in front of Internal APIM: the probes reach the AI API through the edge, and the WAF blocks an SQL injection",
    probes: ["edge-accepts-key", "edge-streams-chat-events", "edge-passes-normal-call", "edge-waf-blocks-sql-injection", "apim-private-address-unreachable-from-internet"],
    resources: [
      { type: "azure-native:network:ApplicationGateway", name: "edge" },
      { type: "azure-native:network:WebApplicationFirewallPolicy", name: "edge-waf" },
    ],
  },
  {
    name: "public-client-certificates",
    scenario: "public",
    overrides: { apimClientCertificates: true },
    why: "the product requires a client certificate from the stack's CA: calls with it pass, without one or with a foreign one are refused",
    probes: ["apim-refuses-missing-client-certificate", "apim-refuses-foreign-client-certificate"],
    resources: [],
  },
  {
    name: "public-caller-ranges",
    scenario: "public",
    overrides: { apimAllowedCallerRanges: [DOCUMENTATION_RANGE] },
    why: `the product admits only ${DOCUMENTATION_RANGE}: a keyed call from this machine, outside it, gets 403`,
    probes: ["apim-refuses-caller-outside-ranges"],
    resources: [],
  },
  {
    name: "integrated-private-gateway",
    scenario: "integrated",
    overrides: { integratedPrivateGateway: true },
    // No probe tells the private endpoint apart (public access stays on, scenarios/build.ts): the state must hold it.
    why: "an inbound private endpoint for the Standard v2 gateway, with its privatelink.azure-api.net zone; every probe still passes",
    probes: [],
    resources: [
      { type: "azure-native:network:PrivateEndpoint", name: "gateway-pe" },
      { type: "azure-native:network:PrivateDnsZoneGroup", name: "gateway-pe-dns" },
    ],
  },
];

const names = (values: readonly { name: string }[] | readonly string[]) => values.map((v) => (typeof v === "string" ? v : v.name)).join(", ");

/** Comma-separated names, spaces and empty items ignored, each once in the order given. */
function listOf(value: string): string[] {
  return [...new Set(value.split(",").map((s) => s.trim()).filter(Boolean))];
}

/** LIVE_VARIANTS: absent or empty, none (each costs an hour of Azure); `all`; or names from the table. */
export function parseLiveVariants(value: string | undefined, table: readonly LiveVariant[] = LIVE_VARIANTS): LiveVariant[] {
  const wanted = listOf(value ?? "");
  if (wanted.includes("all")) return [...table];
  const unknown = wanted.filter((w) => !table.some((v) => v.name === w));
  if (unknown.length) throw new Error(`LIVE_VARIANTS: unknown variant ${unknown.map((u) => JSON.stringify(u)).join(", ")}; known: ${names(table)}, or all`);
  return wanted.map((w) => table.find((v) => v.name === w)!);
}

/** LIVE_SCENARIOS: absent, every scenario; `none`, no scenario (to run only variants or the workshop); or names. */
export function parseLiveScenarios(value: string | undefined): ScenarioName[] {
  if (value === undefined) return [...SCENARIO_NAMES];
  const wanted = listOf(value);
  if (wanted.length === 1 && wanted[0] === "none") return [];
  if (!wanted.length) throw new Error(`LIVE_SCENARIOS is empty: name scenarios (${names(SCENARIO_NAMES)}), or none`);
  const unknown = wanted.filter((w) => !(SCENARIO_NAMES as readonly string[]).includes(w));
  if (unknown.length) throw new Error(`LIVE_SCENARIOS: unknown scenario ${unknown.map((u) => JSON.stringify(u)).join(", ")}; known: ${names(SCENARIO_NAMES)}, or none`);
  return wanted as ScenarioName[];
}

/** LIVE_WORKSHOP: absent or empty, no workshop test; else the one scenario whose room it prepares. */
export function parseLiveWorkshop(value: string | undefined): ScenarioName | undefined {
  const wanted = listOf(value ?? "");
  if (!wanted.length) return undefined;
  if (wanted.length > 1 || !(SCENARIO_NAMES as readonly string[]).includes(wanted[0])) {
    throw new Error(`LIVE_WORKSHOP: one scenario (${names(SCENARIO_NAMES)}), not ${JSON.stringify(value)}`);
  }
  return wanted[0] as ScenarioName;
}

/** What `workshop prepare` sets itself and refuses from `--config` (automation/commands/workshop.ts). */
const SET_BY_PREPARE = ["workshopRole", "attendee", "sharedStack", "expiresAt"];

/**
 * LIVE_WORKSHOP_CONFIG: `key=value` settings for every stack of the room, separated by spaces, as `--config`
 * takes them (a public ingress needs `ingressDomain=<zone> ingressDomainResourceGroup=<group>`).
 */
export function parseLiveWorkshopConfig(value: string | undefined): Record<string, string> {
  const settings = parseOverrides((value ?? "").split(/\s+/).filter(Boolean));
  const refused = Object.keys(settings).filter((k) => SET_BY_PREPARE.includes(k));
  if (refused.length) throw new Error(`LIVE_WORKSHOP_CONFIG: ${refused.join(", ")} set by workshop prepare itself`);
  return settings;
}

/**
 * The live room's stacks among `stacks` (short names in the backend): its shared stack and any attendee stack of
 * the scenario, whoever made it (the live test refuses to start while there is one).
 */
export function roomStacksIn(scenario: string, stacks: readonly string[]): string[] {
  return stacks.filter((s) => s === sharedStackName(scenario) || attendeeOfStack(scenario, s) !== undefined);
}

/**
 * `teardown --only` for what the live room left in the backend: its attendees whose stacks exist, and `shared`
 * when that exists; empty when nothing does (an empty `--only` would mean the whole room).
 */
export function liveTeardownOnly(scenario: string, attendees: readonly string[], present: readonly string[]): string[] {
  return [...attendees.filter((a) => present.includes(attendeeStackName(scenario, a))), ...(present.includes(sharedStackName(scenario)) ? ["shared"] : [])];
}

/** The Pulumi name of a resource from its URN (`urn:pulumi:<stack>::<project>::<type path>::<name>`). */
export function nameOfUrn(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** What a variant's stack lacked: its probes missing from verify's results, its resources from the state. */
export function variantGaps(variant: LiveVariant, probeNames: readonly string[], resources: readonly { type: string; urn: string }[]): string[] {
  return [
    ...variant.probes.filter((p) => !probeNames.includes(p)).map((p) => `probe ${p} was not run`),
    ...variant.resources.filter((r) => !resources.some((s) => s.type === r.type && nameOfUrn(s.urn) === r.name)).map((r) => `resource ${r.type} ${r.name} is not in the stack`),
  ];
}
