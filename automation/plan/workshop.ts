/**
 * The workshop estimate (issue 17 part 3, design in docs/workshop.md): the time and cost of giving N attendees
 * one scenario each, either as N whole stacks or as one `shared` host stack plus N attendee stacks that read
 * it through a StackReference. Pure functions over a scenario's evaluated graph and its estimate.
 */
import { POLICY_SUPPORT } from "../../components/policy-support";
import type { ApimSku } from "../../config/schema";
import type { RegisteredResource } from "../mock-engine";
import { escapeHtml, nameFromUrn } from "../shared/text";
import { durationOf, ESTIMATES, type EstimatesData, estimateScenario, isProvisioned, type ScenarioEstimate } from "./estimates";
import { criticalPath, scheduleNodes } from "./graph";
import { fmtMinutes, fmtUsd } from "./model";
import { DEFAULT_CONCURRENCY, DEFAULT_HOURS } from "./workshop-defaults";

export type Side = "shared" | "attendee";

/**
 * Which stack owns what, by type: a resource's own type first, then its nearest enclosing component's. The
 * host's shared stack holds the slow parts every attendee can use (APIM service with its VNet, NSGs, subnets
 * and public IP; Log Analytics and App Insights; private DNS zones; the AKS cluster, the registry and image,
 * Traefik and cert-manager); each attendee stack holds its own APIM product, APIs, subscription and policies
 * (GatewayApis) and its own AI API workload, namespace, identity and ingress route (AiBackend). Anything
 * neither names is counted per attendee, the side that costs more.
 */
export const WORKSHOP_SIDES: Readonly<Record<string, Side>> = {
  "azure-native:resources:ResourceGroup": "shared",
  "random:index/randomString:RandomString": "shared",
  "apim-aks-ai:network:Network": "shared",
  "apim-aks-ai:dns:PrivateDns": "shared",
  "apim-aks-ai:monitoring:Observability": "shared",
  "apim-aks-ai:gateway:ApiGateway": "shared",
  "apim-aks-ai:gateway:GatewayApis": "attendee",
  "apim-aks-ai:aks:AksCluster": "shared",
  "apim-aks-ai:image:AppImage": "shared",
  "apim-aks-ai:kubernetes:IngressController": "shared",
  "apim-aks-ai:kubernetes:CertManager": "shared",
  "apim-aks-ai:kubernetes:AiBackend": "attendee",
  // The account holds the model deployments and its network rules; the deployment follows WorkshopOptions.model.
  "apim-aks-ai:ai:AiModel": "shared",
  "azure-native:apimanagement:ApiManagementService": "shared",
  "azure-native:network:VirtualNetwork": "shared",
  "azure-native:network:Subnet": "shared",
  "azure-native:network:NetworkSecurityGroup": "shared",
  "azure-native:operationalinsights:Workspace": "shared",
  "azure-native:applicationinsights:Component": "shared",
  "azure-native:privatedns:PrivateZone": "shared",
  "azure-native:containerservice:ManagedCluster": "shared",
  "kubernetes:helm.sh/v4:Chart": "shared",
  "azure-native:apimanagement:Workspace": "attendee",
};

export const MODEL_DEPLOYMENT = "azure-native:cognitiveservices:Deployment";

export { DEFAULT_CONCURRENCY, DEFAULT_HOURS } from "./workshop-defaults";

export interface WorkshopOptions {
  attendees: number;
  /** Attendee stacks deployed at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Hours of the workshop itself, after everything is up (default DEFAULT_HOURS). */
  hours?: number;
  /**
   * "shared": one model deployment, a token limit per attendee subscription; "per-attendee": one each. By
   * default shared where the tier runs azure-openai-token-limit, per attendee where it does not (Consumption).
   */
  model?: "shared" | "per-attendee";
}

/** The default model mode for a graph: shared where its APIM tier can limit tokens per subscription. */
export function defaultModelMode(resources: readonly RegisteredResource[]): "shared" | "per-attendee" {
  const apim = resources.find((r) => r.type === "azure-native:apimanagement:ApiManagementService");
  const sku = (apim?.inputs.sku as { name?: string } | undefined)?.name;
  if (!sku) return "shared";
  return (POLICY_SUPPORT["azure-openai-token-limit"].tiers as readonly ApimSku[]).includes(sku as ApimSku) ? "shared" : "per-attendee";
}

export interface Part {
  /** Provisioned resources in the part. */
  resources: number;
  /** Critical path of the part alone, minutes (in the attendee part, the shared part already exists). */
  minutes: number;
  /** Fixed monthly USD of one copy of the part. */
  monthlyUsd: number;
  /** Whether a fixed price is missing (the total is a lower bound). */
  unknownPrice: boolean;
}

export interface WorkshopMode {
  /** From the first `up` until every attendee's stack is ready, minutes. */
  prepareMinutes: number;
  /** Deployment rounds: ceil(attendees / concurrency). */
  rounds: number;
  /** Fixed USD per hour with everything up. */
  usdPerHour: number;
  /** Fixed USD for the billed hours: preparing plus the workshop's hours. */
  usd: number;
}

export interface WorkshopEstimate {
  attendees: number;
  concurrency: number;
  hours: number;
  model: "shared" | "per-attendee";
  shared: Part;
  attendee: Part;
  /** N whole stacks of the scenario. */
  separate: WorkshopMode;
  /** One shared stack, then N attendee stacks. */
  sharedHost: WorkshopMode;
  /** Resources the type table put on the shared side that wait for an attendee's, moved to the attendee side. */
  moved: string[];
  /** Provisioned resources of each side, by URN. */
  sides: Map<string, Side>;
}

/** The side a type table gives a resource: its own type, then its nearest component's; undefined if none. */
function tableSide(r: RegisteredResource, byUrn: Map<string, RegisteredResource>, model: WorkshopOptions["model"]): Side | undefined {
  if (r.type === MODEL_DEPLOYMENT) return model === "per-attendee" ? "attendee" : "shared";
  for (let at: RegisteredResource | undefined = r; at; at = at.parent ? byUrn.get(at.parent) : undefined) {
    const side = WORKSHOP_SIDES[at.type];
    if (side) return side;
  }
  return undefined;
}

/**
 * Each resource's side. A shared stack cannot wait for an attendee's, so a resource the table puts on the
 * shared side but that depends on an attendee-side one moves to the attendee side (a role assignment for the
 * attendee's identity, say); `moved` lists those.
 */
export function workshopSides(resources: readonly RegisteredResource[], model: WorkshopOptions["model"] = "shared", data: EstimatesData = ESTIMATES): { sides: Map<string, Side>; moved: string[] } {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const sides = new Map<string, Side>(resources.map((r) => [r.urn, tableSide(r, byUrn, model) ?? "attendee"]));
  const nodes = scheduleNodes(resources, () => 0);
  const moved: string[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of nodes) {
      if (sides.get(n.id) === "shared" && n.after.some((d) => sides.get(d) === "attendee")) {
        sides.set(n.id, "attendee");
        if (isProvisioned(byUrn.get(n.id)!, data)) moved.push(n.id);
        changed = true;
      }
    }
  }
  return { sides, moved };
}

function part(resources: readonly RegisteredResource[], keep: (r: RegisteredResource) => boolean, data: EstimatesData): Part {
  const mine = resources.filter(keep);
  // Scheduled on its own: what the part waits for outside itself exists already (the shared stack's outputs).
  const nodes = scheduleNodes(mine, (r) => durationOf(r, data).minutes);
  const estimate = estimateScenario({ resources: mine }, data);
  return {
    resources: mine.filter((r) => isProvisioned(r, data)).length,
    minutes: criticalPath(nodes).total,
    monthlyUsd: estimate.monthlyCostUsd,
    unknownPrice: estimate.costLines.some((l) => l.unknown),
  };
}

const money = (n: number) => Math.round(n * 100) / 100;
const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Time and fixed cost of a workshop. Separate: N whole stacks, `concurrency` at a time, each taking the
 * scenario's critical path. Shared: the shared part once, then the attendee part in rounds of `concurrency`.
 * Cost is the fixed monthly price per hour (data file's hours per month) over the prepare time plus the
 * workshop's hours; usage (tokens, calls, logs) is extra in both modes.
 */
export function estimateWorkshop(resources: readonly RegisteredResource[], estimate: ScenarioEstimate, options: WorkshopOptions, data: EstimatesData = ESTIMATES): WorkshopEstimate {
  const attendees = options.attendees;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const hours = options.hours ?? DEFAULT_HOURS;
  const model = options.model ?? defaultModelMode(resources);
  if (!Number.isInteger(attendees) || attendees < 1) throw new RangeError(`attendees must be a whole number of at least 1, not ${attendees}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number of at least 1, not ${concurrency}`);
  if (!(hours >= 0)) throw new RangeError(`hours must be 0 or more, not ${hours}`);
  const { sides, moved } = workshopSides(resources, model, data);
  const shared = part(resources, (r) => sides.get(r.urn) === "shared", data);
  const attendee = part(resources, (r) => sides.get(r.urn) === "attendee", data);
  const rounds = Math.ceil(attendees / concurrency);
  const mode = (prepareMinutes: number, monthly: number): WorkshopMode => {
    const usdPerHour = monthly / data.hoursPerMonth;
    return { prepareMinutes: round(prepareMinutes), rounds, usdPerHour: money(usdPerHour), usd: money(usdPerHour * (prepareMinutes / 60 + hours)) };
  };
  return {
    attendees,
    concurrency,
    hours,
    model,
    shared,
    attendee,
    separate: mode(rounds * estimate.spinUpMinutes, attendees * estimate.monthlyCostUsd),
    sharedHost: mode(shared.minutes + rounds * attendee.minutes, shared.monthlyUsd + attendees * attendee.monthlyUsd),
    moved,
    sides,
  };
}

/** The estimate as the plan prints it: one block per scenario. */
export function workshopText(scenario: string, w: WorkshopEstimate): string {
  const plus = (p: Part) => (p.unknownPrice ? "+" : "");
  const line = (label: string, m: WorkshopMode, priceUnknown: boolean) =>
    `  ${label.padEnd(28)}ready in ${fmtMinutes(m.prepareMinutes).padStart(9)} (${m.rounds} round${m.rounds === 1 ? "" : "s"}), ${fmtUsd(m.usdPerHour)}${priceUnknown ? "+" : ""}/h, ${fmtUsd(m.usd)}${priceUnknown ? "+" : ""} for prepare + ${w.hours} h`;
  const unknown = w.shared.unknownPrice || w.attendee.unknownPrice;
  const out = [
    `Workshop of ${w.attendees} (${scenario}, estimated): ${w.concurrency} attendee stacks at a time, model deployment ${w.model === "shared" ? "shared with a token limit per attendee" : "one per attendee (no per-subscription token limit in this tier)"}`,
    line(`${w.attendees} separate stacks`, w.separate, unknown),
    line(`shared host + ${w.attendees} attendees`, w.sharedHost, unknown),
    `  shared part:   ${w.shared.resources} resources, ${fmtMinutes(w.shared.minutes)} once, ${fmtUsd(w.shared.monthlyUsd)}${plus(w.shared)}/month`,
    `  attendee part: ${w.attendee.resources} resources, ${fmtMinutes(w.attendee.minutes)} each, ${fmtUsd(w.attendee.monthlyUsd)}${plus(w.attendee)}/month each`,
    "  usage (tokens, calls, logs) is billed on top in both; design: docs/workshop.md",
  ];
  if (w.moved.length) out.push(`  on the attendee side because they wait for an attendee's resource: ${w.moved.map(nameFromUrn).join(", ")}`);
  return `${out.join("\n")}\n`;
}

/** The estimate as data (the plan's `--json` document carries it under `workshop`): the sides by name, no URN map. */
export interface WorkshopJson {
  scenario: string;
  attendees: number;
  concurrency: number;
  hours: number;
  model: "shared" | "per-attendee";
  shared: Part;
  attendee: Part;
  separate: WorkshopMode;
  sharedHost: WorkshopMode;
  /** Names of the resources moved to the attendee side. */
  moved: string[];
  /** The total misses a fixed price the data file could not read (a lower bound). */
  priceUnknown: boolean;
}

export function workshopJson(scenario: string, w: WorkshopEstimate): WorkshopJson {
  return {
    scenario,
    attendees: w.attendees,
    concurrency: w.concurrency,
    hours: w.hours,
    model: w.model,
    shared: w.shared,
    attendee: w.attendee,
    separate: w.separate,
    sharedHost: w.sharedHost,
    moved: w.moved.map(nameFromUrn),
    priceUnknown: w.shared.unknownPrice || w.attendee.unknownPrice,
  };
}

interface WorkshopRows {
  title: string;
  intro: string;
  header: [string, string, string];
  rows: [string, string, string][];
  parts: [string, string, string, string][];
  notes: string[];
}

/** The cells the Markdown and HTML sections share: modes side by side, then the parts. */
function workshopRows(scenario: string, w: WorkshopEstimate): WorkshopRows {
  const unknown = w.shared.unknownPrice || w.attendee.unknownPrice ? "+" : "";
  const plus = (p: Part) => (p.unknownPrice ? "+" : "");
  const rounds = (m: WorkshopMode) => `${m.rounds} round${m.rounds === 1 ? "" : "s"} of ${w.concurrency}`;
  return {
    title: `Workshop of ${w.attendees}: ${scenario} (estimated)`,
    intro: `${w.concurrency} attendee stacks at a time; model deployment ${w.model === "shared" ? "shared, with a token limit per attendee" : "one per attendee (no per-subscription token limit in this tier)"}; ${w.hours} h of workshop after everything is up.`,
    header: ["", `${w.attendees} separate stacks`, `shared host + ${w.attendees} attendees`],
    rows: [
      ["ready in", `${fmtMinutes(w.separate.prepareMinutes)} (${rounds(w.separate)})`, `${fmtMinutes(w.sharedHost.prepareMinutes)} (shared part once, then ${rounds(w.sharedHost)})`],
      ["fixed cost per hour", `${fmtUsd(w.separate.usdPerHour)}${unknown}`, `${fmtUsd(w.sharedHost.usdPerHour)}${unknown}`],
      [`fixed cost, prepare + ${w.hours} h`, `${fmtUsd(w.separate.usd)}${unknown}`, `${fmtUsd(w.sharedHost.usd)}${unknown}`],
    ],
    parts: [
      ["shared part", String(w.shared.resources), `${fmtMinutes(w.shared.minutes)}, once`, `${fmtUsd(w.shared.monthlyUsd)}${plus(w.shared)}`],
      ["attendee part", String(w.attendee.resources), `${fmtMinutes(w.attendee.minutes)}, per round`, `${fmtUsd(w.attendee.monthlyUsd)}${plus(w.attendee)} each`],
    ],
    notes: [
      "Usage (tokens, calls, logs) is billed on top in both.",
      ...(unknown ? ["A + marks a total without a price the data file could not read."] : []),
      ...(w.moved.length ? [`On the attendee side because they wait for an attendee's resource: ${w.moved.map(nameFromUrn).join(", ")}.`] : []),
      "Design: docs/workshop.md.",
    ],
  };
}

const mdCell = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The estimate as a Markdown section of the plan report. */
export function workshopMarkdown(scenario: string, w: WorkshopEstimate): string[] {
  const t = workshopRows(scenario, w);
  return [
    `## ${t.title}`,
    "",
    mdCell(t.intro),
    "",
    `| ${t.header.map(mdCell).join(" | ")} |`,
    "|---|---|---|",
    ...t.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
    "",
    "| part | resources | critical path | fixed USD/month |",
    "|---|---|---|---|",
    ...t.parts.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
    "",
    ...t.notes.map(mdCell),
    "",
  ];
}

/** The estimate as an HTML section of the plan report. */
export function workshopHtml(scenario: string, w: WorkshopEstimate): string {
  const t = workshopRows(scenario, w);
  const row = (cells: readonly string[], tag = "td") => `<tr>${cells.map((c, i) => `<${i === 0 ? "th" : tag}${i > 0 && tag === "td" ? ' class="num"' : ""}>${escapeHtml(c)}</${i === 0 ? "th" : tag}>`).join("")}</tr>`;
  return [
    `<section class="workshop"><h2>${escapeHtml(t.title)}</h2>`,
    `<p>${escapeHtml(t.intro)}</p>`,
    `<table><thead>${row(t.header, "th")}</thead><tbody>${t.rows.map((r) => row(r)).join("")}</tbody></table>`,
    `<table><thead>${row(["part", "resources", "critical path", "fixed USD/month"], "th")}</thead><tbody>${t.parts.map((r) => row(r)).join("")}</tbody></table>`,
    `<p>${t.notes.map(escapeHtml).join(" ")}</p></section>`,
  ].join("\n");
}
