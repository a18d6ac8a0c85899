/**
 * SYNTHETIC engine-event streams, for tests of the timeline and the reports where no real run can be
 * recorded (no cloud, no Pulumi CLI). It takes the offline evaluation of a scenario (the resource graph the
 * mock engine captured: types, parents, dependencies) and writes the events a real `pulumi up` (or
 * `destroy`) would emit, in exactly the recorder's format, marked `"synthetic": true`.
 *
 * The duration model, stated plainly so nobody mistakes its output for a measurement:
 * - every resource starts when all its dependencies (explicit and through inputs) and its provider have
 *   finished, 40 ms after the last of them (the engine's registration latency); resources without
 *   dependencies start after a 2.5 s program start-up, 15 ms apart in registration order;
 * - a resource then takes the base duration of its type from `CREATE_SECONDS` / `DELETE_SECONDS` below
 *   (APIM by tier and VNet mode), varied by a deterministic +-15% derived from its URN;
 * - a component starts with its first child and ends with its last descendant;
 * - destroy runs the graph backwards: a resource is deleted once everything depending on it is gone.
 * The base durations are rough public figures (APIM classic tiers 30-45 min, Consumption about a minute,
 * AKS 5-10 min), not measurements; real recordings (`scenarios up --record`) replace them.
 *
 * Usage:
 *   npx tsx automation/driver/report/synthesize-events.ts <scenario> [--operation update|destroy] [--stack <name>]
 *       [--out tests/fixtures/events/<scenario>-up.synthetic.json] [-c key=value]...
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordedEvent, type Recording } from "./recorder";
import type { EngineEvent } from "../stack/types";

/** What the synthesizer needs of each resource: the shape of the mock engine's `RegisteredResource`. */
export interface SynthResource {
  urn: string;
  type: string;
  custom: boolean;
  parent?: string;
  dependencies: string[];
  provider?: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface SynthesizeOptions {
  project: string;
  stack: string;
  scenario?: string;
  operation?: "update" | "destroy";
  /** Wall-clock start (only for `startedAt` and the events' whole-second timestamps). */
  startedAt?: Date;
}

const CLASSIC_APIM = new Set(["Developer", "Basic", "Standard", "Premium"]);

/** Base create durations in seconds, by type token (exact) or by `package:module` prefix. */
export const CREATE_SECONDS: Record<string, number> = {
  "azure-native:resources:ResourceGroup": 3,
  "azure-native:containerservice:ManagedCluster": 420,
  "azure-native:containerservice:AgentPool": 300,
  "azure-native:cognitiveservices:Account": 45,
  "azure-native:cognitiveservices:Deployment": 60,
  "azure-native:network:VirtualNetwork": 8,
  "azure-native:network:Subnet": 6,
  "azure-native:network:NetworkSecurityGroup": 4,
  "azure-native:network:PublicIPAddress": 4,
  "azure-native:privatedns:PrivateZone": 35,
  "azure-native:privatedns:VirtualNetworkLink": 35,
  "azure-native:privatedns:PrivateRecordSet": 3,
  "azure-native:operationalinsights:Workspace": 25,
  "azure-native:applicationinsights:Component": 6,
  "azure-native:authorization:RoleAssignment": 12,
  "azure-native:managedidentity:UserAssignedIdentity": 4,
  "azure-native:managedidentity:FederatedIdentityCredential": 6,
  "azure-native:apimanagement:Api": 25,
  "azure-native:apimanagement:ApiPolicy": 6,
  "kubernetes:helm.sh/v4:Chart": 75,
  "kubernetes:apps/v1:Deployment": 30,
  "kubernetes:core/v1:Namespace": 1,
  "azure-native:apimanagement": 6,
  "azure-native:network": 6,
  "azure-native:insights": 5,
  "azure-native:monitor": 5,
  kubernetes: 2,
  random: 0.2,
  tls: 0.3,
  "pulumi:providers": 0.8,
};

export const DELETE_SECONDS: Record<string, number> = {
  "azure-native:resources:ResourceGroup": 60,
  "azure-native:containerservice:ManagedCluster": 300,
  "azure-native:cognitiveservices:Account": 20,
  "azure-native:cognitiveservices:Deployment": 20,
  "azure-native:privatedns:VirtualNetworkLink": 30,
  "azure-native:privatedns:PrivateZone": 30,
  "azure-native:network:VirtualNetwork": 12,
  "azure-native:network:Subnet": 10,
  "kubernetes:helm.sh/v4:Chart": 20,
  "azure-native:apimanagement": 4,
  kubernetes: 2,
  random: 0.1,
  tls: 0.1,
  "pulumi:providers": 0.2,
};

const DEFAULT_CREATE = 8;
const DEFAULT_DELETE = 6;
const PROGRAM_START_MS = 2500;
const REGISTRATION_MS = 40;
const REGISTRATION_SPACING_MS = 15;
const JITTER = 0.15;

function lookup(table: Record<string, number>, type: string, fallback: number): number {
  if (type in table) return table[type];
  const parts = type.split(":");
  const moduleKey = parts.slice(0, 2).join(":");
  if (moduleKey in table) return table[moduleKey];
  return parts[0] in table ? table[parts[0]] : fallback;
}

function apimSeconds(r: SynthResource, operation: "update" | "destroy"): number {
  const sku = String((r.inputs?.sku as { name?: string } | undefined)?.name ?? "Developer");
  const vnet = String(r.inputs?.virtualNetworkType ?? "None");
  if (operation === "destroy") return sku === "Consumption" ? 60 : CLASSIC_APIM.has(sku) ? 900 : 300;
  if (sku === "Consumption") return 90;
  if (!CLASSIC_APIM.has(sku)) return 420;
  return 2700 + (vnet === "None" ? 0 : 600);
}

/** Base duration (seconds) of one operation on one resource, before jitter. */
export function baseSeconds(r: SynthResource, operation: "update" | "destroy"): number {
  if (!r.custom) return 0;
  if (r.type === "azure-native:apimanagement:ApiManagementService") return apimSeconds(r, operation);
  return operation === "destroy" ? lookup(DELETE_SECONDS, r.type, DEFAULT_DELETE) : lookup(CREATE_SECONDS, r.type, DEFAULT_CREATE);
}

/** A number in [1 - JITTER, 1 + JITTER] derived from the URN (FNV-1a), the same on every run. */
function jitter(urn: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < urn.length; i++) {
    h ^= urn.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 1 - JITTER + (2 * JITTER * (h % 10_000)) / 10_000;
}

function packageVersion(pkg: string): string {
  try {
    return (require(`@pulumi/${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/** Scalar inputs only, short: enough to read the fixture, small enough to keep in the repository. */
function briefInputs(inputs: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs ?? {})) {
    if (v === null || typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= 120)) out[k] = v;
    else if (k === "sku" && typeof v === "object") out[k] = v;
  }
  return out;
}

/** A provider reference is `<provider urn>::<provider id>`; the URN has four `::`-separated parts. */
export function providerUrn(reference: string): string {
  const parts = reference.split("::");
  return parts.length > 4 ? parts.slice(0, 4).join("::") : reference;
}

/** Adds the root stack resource and one default provider per package, as a real deployment has them. */
function completeGraph(resources: SynthResource[], project: string, stack: string): { all: SynthResource[]; root: SynthResource } {
  const root: SynthResource = {
    urn: `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`,
    type: "pulumi:pulumi:Stack",
    custom: false,
    dependencies: [],
  };
  const providers = new Map<string, SynthResource>();
  const out: SynthResource[] = [root];
  for (const r of resources) {
    if (r.type === "pulumi:pulumi:Stack") continue;
    const pkg = r.type.split(":")[0];
    let provider = r.provider;
    if (r.custom && !provider && pkg !== "pulumi") {
      let p = providers.get(pkg);
      if (!p) {
        const version = packageVersion(pkg).replace(/[.-]/g, "_");
        p = {
          urn: `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::default_${version}`,
          type: `pulumi:providers:${pkg}`,
          custom: true,
          parent: undefined,
          dependencies: [],
          id: `${(0x1000 + providers.size).toString(16)}0000-0000-4000-8000-000000000000`,
        };
        providers.set(pkg, p);
        out.push(p);
      }
      provider = p.urn;
    }
    out.push({ ...r, parent: r.parent ?? root.urn, provider: provider ? providerUrn(provider) : undefined });
  }
  return { all: out, root };
}

interface Slot {
  start: number;
  end: number;
}

/** Start and end (ms from the start of the operation) of every resource, by the model above. */
export function schedule(resources: SynthResource[], operation: "update" | "destroy"): Map<string, Slot> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, SynthResource[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const order = new Map(resources.map((r, i) => [r.urn, i]));
  const slots = new Map<string, Slot>();
  const visiting = new Set<string>();
  const durationMs = (r: SynthResource) => Math.round(baseSeconds(r, operation) * 1000 * jitter(r.urn));

  // update: what must be done before `r` starts. destroy: what must be gone before `r` is deleted.
  const before = (r: SynthResource): SynthResource[] => {
    if (operation === "update") {
      const deps = [...r.dependencies, ...(r.provider ? [r.provider] : [])];
      return deps.map((u) => byUrn.get(u)).filter((x): x is SynthResource => Boolean(x));
    }
    return resources.filter((x) => x.dependencies.includes(r.urn) || (x.provider === r.urn && x.custom) || (x.parent === r.urn && r.custom));
  };

  const endOf = (r: SynthResource): number => {
    const existing = slots.get(r.urn);
    if (existing) return existing.end;
    if (visiting.has(r.urn)) return 0; // a cycle would be a bug in the program; do not loop forever
    visiting.add(r.urn);
    let slot: Slot;
    if (!r.custom) {
      const kids = children.get(r.urn) ?? [];
      const kidEnds = kids.map(endOf);
      const kidStarts = kids.map((k) => slots.get(k.urn)?.start ?? 0);
      const ownStart = PROGRAM_START_MS + (order.get(r.urn) ?? 0) * REGISTRATION_SPACING_MS;
      const start = Math.min(ownStart, ...kidStarts);
      slot = { start, end: Math.max(start + REGISTRATION_MS, ...kidEnds) + 5 };
    } else {
      const prerequisites = before(r);
      const ready = prerequisites.length
        ? Math.max(...prerequisites.map(endOf)) + REGISTRATION_MS
        : PROGRAM_START_MS + (order.get(r.urn) ?? 0) * REGISTRATION_SPACING_MS;
      slot = { start: ready, end: ready + durationMs(r) };
    }
    visiting.delete(r.urn);
    slots.set(r.urn, slot);
    return slot.end;
  };
  for (const r of resources) endOf(r);
  return slots;
}

function providerReference(r: SynthResource, byUrn: Map<string, SynthResource>): string {
  return r.provider ? `${r.provider}::${byUrn.get(r.provider)?.id ?? "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}` : "";
}

function stateMetadata(r: SynthResource, withOutputs: boolean, provider: string) {
  return {
    type: r.type,
    urn: r.urn,
    ...(r.custom ? { custom: true } : {}),
    id: withOutputs ? (r.id ?? "") : "",
    parent: r.parent ?? "",
    inputs: briefInputs(r.inputs),
    outputs: withOutputs ? briefInputs(r.outputs) : {},
    provider,
  };
}

/** A synthetic recording of `operation` over `resources` (see the model at the top of this file). */
export function synthesizeRecording(resources: SynthResource[], options: SynthesizeOptions): Recording {
  const operation = options.operation ?? "update";
  const startedAt = options.startedAt ?? new Date("2025-01-01T09:00:00Z");
  const { all } = completeGraph(resources, options.project, options.stack);
  const slots = schedule(all, operation);
  const op = operation === "destroy" ? "delete" : "create";
  const byUrn = new Map(all.map((r) => [r.urn, r]));

  const timed: { at: number; rank: number; event: Omit<EngineEvent, "sequence" | "timestamp"> }[] = [];
  const end = Math.max(...[...slots.values()].map((s) => s.end));
  timed.push({ at: 180, rank: 0, event: { preludeEvent: { config: {} } } });
  for (const r of all) {
    const slot = slots.get(r.urn)!;
    const provider = providerReference(r, byUrn);
    const metadata = (withOutputs: boolean) => ({
      op,
      urn: r.urn,
      type: r.type,
      ...(operation === "destroy" ? { old: stateMetadata(r, true, provider) } : { new: stateMetadata(r, withOutputs, provider) }),
      provider,
    });
    timed.push({ at: slot.start, rank: 1, event: { resourcePreEvent: { metadata: metadata(false) as never } } });
    timed.push({ at: slot.end, rank: 2, event: { resOutputsEvent: { metadata: metadata(true) as never } } });
  }
  const changes: Record<string, number> = { [op]: all.length };
  timed.push({ at: end + 150, rank: 3, event: { summaryEvent: { maybeCorrupt: false, durationSeconds: Math.round((end + 150) / 1000), resourceChanges: changes, policyPacks: {} } } });
  timed.push({ at: end + 160, rank: 4, event: { cancelEvent: {} } });
  timed.sort((a, b) => a.at - b.at || a.rank - b.rank);

  const t0 = startedAt.getTime();
  const events: RecordedEvent[] = timed.map((t, i) => ({
    offsetMs: t.at,
    event: { sequence: i + 1, timestamp: Math.floor((t0 + t.at) / 1000), ...t.event } as EngineEvent,
  }));
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    synthetic: true,
    note:
      "SYNTHETIC: generated by automation/driver/report/synthesize-events.ts from the offline evaluation of the scenario; " +
      "durations come from its stated model (dependency order plus base durations per type), not from a real deployment",
    stack: options.stack,
    ...(options.scenario ? { scenario: options.scenario } : {}),
    operation,
    startedAt: startedAt.toISOString(),
    events,
  };
}

async function cli(argv: string[]): Promise<void> {
  const { parseOverrides, CONFIG_NAMESPACE } = require("../../../config/load") as typeof import("../../../config/load");
  const { isScenarioName } = require("../../../config/validate") as typeof import("../../../config/validate");
  const args = [...argv];
  const scenario = args.shift();
  if (!scenario || !isScenarioName(scenario)) throw new Error("usage: synthesize-events.ts <scenario> [--operation update|destroy] [--stack name] [--out file] [-c key=value]...");
  let operation: "update" | "destroy" = "update";
  let stack: string = scenario;
  let out: string | undefined;
  const config: string[] = [];
  while (args.length) {
    const flag = args.shift();
    const value = args.shift();
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--operation" && (value === "update" || value === "destroy")) operation = value;
    else if (flag === "--stack") stack = value;
    else if (flag === "--out") out = value;
    else if (flag === "-c" || flag === "--config") config.push(value);
    else throw new Error(`unknown option ${flag}`);
  }
  const { evaluateScenario } = require("../../evaluate") as typeof import("../../evaluate");
  const evaluation = await evaluateScenario(scenario, { overrides: parseOverrides(config), stack });
  const recording = synthesizeRecording(evaluation.resources, { project: CONFIG_NAMESPACE, stack, scenario, operation });
  const file = out ?? path.join("tests", "fixtures", "events", `${scenario}-${operation === "update" ? "up" : "destroy"}.synthetic.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(recording, null, 1)}\n`);
  console.log(`${file}: ${recording.events.length} events, ${evaluation.resources.length} resources (SYNTHETIC)`);
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
