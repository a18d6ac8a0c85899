/**
 * The workshop estimate (issue 17 part 3, design in docs/workshop.md): the time and cost of giving N attendees
 * one scenario each, either as N whole stacks or as one `shared` host stack plus N attendee stacks that read
 * it through a StackReference. The two parts are the program's own halves (scenarios/workshop.ts), evaluated
 * offline like the plan's graphs: the shared half, then one attendee half against its simulated outputs.
 */
import { SCENARIO_TRAITS } from "../../config/defaults";
import type { ScenarioName } from "../../config/schema";
import { CONFIG_NAMESPACE } from "../../config/load";
import type { RegisteredResource } from "../mock-engine";
import { escapeHtml, markdownCell } from "../shared/text";
import { ESTIMATES, type EstimatesData, estimateScenario, isProvisioned, type ScenarioEstimate } from "./estimates";
import { fmtMinutes, fmtUsd } from "./model";
import { sharedStackReference } from "./workshop-contract";
import { DEFAULT_CONCURRENCY, DEFAULT_HOURS } from "./workshop-defaults";

export { DEFAULT_CONCURRENCY, DEFAULT_HOURS } from "./workshop-defaults";

export type ModelMode = "shared" | "per-attendee";

export interface WorkshopOptions {
  attendees: number;
  /** Attendee stacks deployed at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Hours of the workshop itself, after everything is up (default DEFAULT_HOURS). */
  hours?: number;
}

/** The attendee whose half the estimate evaluates: the first name `workshop prepare` gives. */
export const ESTIMATE_ATTENDEE = "a01";

/**
 * The zone a public ingress's attendee hosts need in workshop mode (config/workshop-rules.ts), simulated for the
 * estimate when the settings name none, as the plan simulates what only a deployment knows. RFC 2606 reserves
 * example.com for examples.
 */
export const SIMULATED_INGRESS_DOMAIN = { ingressDomain: "workshop.example.com", ingressDomainResourceGroup: "rg-dns-simulated" } as const;

/** The settings workshop mode gives each stack; `--config` cannot set them beside `--workshop`. */
export const WORKSHOP_ROLE_KEYS = ["workshopRole", "attendee", "sharedStack", "attendeeGroupObjectId"] as const;

export interface HalfSettings {
  stack: string;
  overrides: Record<string, unknown>;
}

/**
 * The overrides and stack names of the two halves the estimate evaluates: the shared stack `<scenario>-shared`
 * and the attendee stack `<scenario>-a01` reading it, named as `workshop prepare` names them on a file backend.
 * `given` is the plan's settings (stack file and `--config`), which say whether a zone must be simulated.
 */
export function halfSettings(scenario: ScenarioName, overrides: Record<string, unknown>, given: Record<string, unknown>): { shared: HalfSettings; attendee: HalfSettings; simulatedZone?: string } {
  const simulated = SCENARIO_TRAITS[scenario].publicIngress && given.ingressDomain === undefined;
  const sharedStack = `${scenario}-shared`;
  const base = { ...overrides, ...(simulated ? SIMULATED_INGRESS_DOMAIN : {}) };
  return {
    ...(simulated ? { simulatedZone: SIMULATED_INGRESS_DOMAIN.ingressDomain } : {}),
    shared: { stack: sharedStack, overrides: { ...base, workshopRole: "shared" } },
    attendee: {
      stack: `${scenario}-${ESTIMATE_ATTENDEE}`,
      overrides: { ...base, workshopRole: "attendee", attendee: ESTIMATE_ATTENDEE, sharedStack: sharedStackReference("file://", CONFIG_NAMESPACE, sharedStack) },
    },
  };
}

/** An evaluated half: its graph and, for the shared half, its outputs. */
export interface EvaluatedHalf {
  resources: readonly RegisteredResource[];
  outputs?: Record<string, { value: unknown }>;
}

export interface WorkshopHalves {
  shared: EvaluatedHalf;
  attendee: EvaluatedHalf;
  /** The attendees' zone, where the estimate simulated one (SIMULATED_INGRESS_DOMAIN). */
  simulatedZone?: string;
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
  /** The shared half's `modelSharing` output: one deployment with a token limit per attendee, or one each. */
  model: ModelMode;
  shared: Part;
  attendee: Part;
  /** N whole stacks of the scenario. */
  separate: WorkshopMode;
  /** One shared stack, then N attendee stacks. */
  sharedHost: WorkshopMode;
  /** The attendees' zone the estimate simulated: `workshop prepare` needs a real one (config/workshop-rules.ts). */
  simulatedZone?: string;
}

/** A half's part: its graph's critical path and fixed cost (what it reads from the shared stack exists already). */
export function partOf(half: EvaluatedHalf, data: EstimatesData = ESTIMATES): Part {
  const estimate = estimateScenario(half, data);
  return {
    resources: half.resources.filter((r) => isProvisioned(r, data)).length,
    minutes: estimate.spinUpMinutes,
    monthlyUsd: estimate.monthlyCostUsd,
    unknownPrice: estimate.costLines.some((l) => l.unknown),
  };
}

const money = (n: number) => Math.round(n * 100) / 100;
const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Time and fixed cost of a workshop. Separate: N whole stacks, `concurrency` at a time, each taking the
 * scenario's critical path (`estimate`). Shared: the shared half once, then the attendee half in rounds of
 * `concurrency`. Cost is the fixed monthly price per hour (data file's hours per month) over the prepare time
 * plus the workshop's hours; usage (tokens, calls, logs) is extra in both modes.
 */
export function estimateWorkshop(estimate: ScenarioEstimate, halves: WorkshopHalves, options: WorkshopOptions, data: EstimatesData = ESTIMATES): WorkshopEstimate {
  const attendees = options.attendees;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const hours = options.hours ?? DEFAULT_HOURS;
  if (!Number.isInteger(attendees) || attendees < 1) throw new RangeError(`attendees must be a whole number of at least 1, not ${attendees}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number of at least 1, not ${concurrency}`);
  if (!(hours >= 0)) throw new RangeError(`hours must be 0 or more, not ${hours}`);
  const model = halves.shared.outputs?.modelSharing?.value;
  if (model !== "shared" && model !== "per-attendee") throw new Error(`the shared half has no modelSharing output (got ${JSON.stringify(model)})`);
  const shared = partOf(halves.shared, data);
  const attendee = partOf(halves.attendee, data);
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
    ...(halves.simulatedZone ? { simulatedZone: halves.simulatedZone } : {}),
  };
}

const zoneNote = (zone: string) =>
  `attendees' hosts estimated in a simulated zone (${zone}); workshop prepare needs yours: --config ingressDomain=<Azure DNS zone> --config ingressDomainResourceGroup=<its resource group>`;

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
  if (w.simulatedZone) out.push(`  ${zoneNote(w.simulatedZone)}`);
  return `${out.join("\n")}\n`;
}

/** The estimate as data (the plan's `--json` document carries it under `workshop`). */
export interface WorkshopJson extends WorkshopEstimate {
  scenario: string;
  /** The total misses a fixed price the data file could not read (a lower bound). */
  priceUnknown: boolean;
}

export function workshopJson(scenario: string, w: WorkshopEstimate): WorkshopJson {
  const { simulatedZone, ...estimate } = w;
  return {
    scenario,
    ...estimate,
    priceUnknown: w.shared.unknownPrice || w.attendee.unknownPrice,
    ...(simulatedZone ? { simulatedZone } : {}),
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
      ...(w.simulatedZone ? [`The ${zoneNote(w.simulatedZone)}.`] : []),
      "Design: docs/workshop.md.",
    ],
  };
}


/** The estimate as a Markdown section of the plan report. */
export function workshopMarkdown(scenario: string, w: WorkshopEstimate): string[] {
  const t = workshopRows(scenario, w);
  return [
    `## ${t.title}`,
    "",
    markdownCell(t.intro),
    "",
    `| ${t.header.map(markdownCell).join(" | ")} |`,
    "|---|---|---|",
    ...t.rows.map((r) => `| ${r.map(markdownCell).join(" | ")} |`),
    "",
    "| part | resources | critical path | fixed USD/month |",
    "|---|---|---|---|",
    ...t.parts.map((r) => `| ${r.map(markdownCell).join(" | ")} |`),
    "",
    ...t.notes.map(markdownCell),
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
