/**
 * Spin-up time and monthly cost of a scenario, from its resource graph and `data/estimates.json`.
 * Spin-up is the critical path through the graph (each resource starts once everything it waits for
 * exists, as the Pulumi engine schedules it); cost sums fixed monthly prices and lists usage-based charges
 * with their rates. Pure functions; the data file is the only input besides the evaluation.
 */
import rawData from "../../data/estimates.json";
import type { RegisteredResource } from "../mock-engine";
import { logIngestion } from "./log-cost";
import { criticalPath, type ScheduleNode, scheduleNodes, serialSum, slowestNode } from "./graph";
import { typeName } from "../shared/text";

// ---------------------------------------------------------------------------------------------------------
// The data file

export interface Source {
  url: string;
  read: string;
  says: string;
}

/** Input paths (dotted) and the values that select a variant; `~x` means "contains x". */
export type When = Record<string, (string | number | boolean)[]>;

export interface DurationEntry {
  when?: When;
  minutes: number;
  kind: "documented" | "observed";
  source: string;
  note?: string;
}

export type PriceModel = "free" | "usage" | "monthly" | "hourly" | "perUnit" | "aksCluster" | "serviceLoadBalancer" | "logIngestion";

export interface PriceEntry {
  when?: When;
  model: PriceModel;
  /** What the line bills, for reports; the type's short name when omitted. */
  item?: string;
  basis: string;
  source: string;
  usdPerMonth?: number;
  usdPerHour?: number;
  usdPerUnitMonth?: number;
  /** Price per GB ingested (`logIngestion`). */
  usdPerGb?: number;
  /** Input path of the unit count (`perUnit`); at least 1. */
  units?: string;
  retailPricesFilter?: string;
  /** Why the source gave no figure; the line then shows "price not read" instead of one. */
  notRead?: string;
  /** Charges by use billed beside this price (an Application Gateway's capacity units), listed as usage lines. */
  plusUsage?: { item: string; basis: string }[];
}

interface PricedItem {
  usdPerHour?: number;
  usdPerMonth?: number;
  basis?: string;
  source: string;
  notRead?: string;
}

export interface EstimatesData {
  about: string;
  read: string;
  currency: string;
  hoursPerMonth: number;
  priceRegion: string;
  sources: Record<string, Source>;
  durations: Record<string, DurationEntry[]>;
  prices: Record<string, PriceEntry[]>;
  aks: {
    controlPlaneUsdPerHour: Record<string, number>;
    controlPlaneSource: string;
    defaultOsDisk: PricedItem & { sizeGb: number };
    loadBalancer: PricedItem;
    outboundPublicIp: PricedItem;
    internalLoadBalancer: PricedItem;
    servicePublicIp: PricedItem;
  };
  vmSizes: Record<string, { usdPerHour?: number; source: string; retailPricesFilter?: string; notRead?: string }>;
}

export const ESTIMATES: EstimatesData = rawData as unknown as EstimatesData;
/** Where the data lives, for reports. */
export const ESTIMATES_FILE = "data/estimates.json";

// ---------------------------------------------------------------------------------------------------------
// Results

export interface TimedResource {
  urn: string;
  type: string;
  minutes: number;
}

export interface TimelineEntry extends TimedResource {
  start: number;
  finish: number;
  kind: DurationEntry["kind"];
}

export interface CostLine {
  type: string;
  /** What is billed, e.g. "node VMs (Standard_D2s_v5)". */
  item: string;
  count: number;
  /** Fixed monthly USD; 0 for usage-based lines. */
  usd: number;
  basis: string;
  /** URL of the page the price comes from. */
  source: string;
  /** Billed by use (tokens, GB, calls): not in the monthly total. */
  usage: boolean;
  /** No price for this in the data file: the total is a lower bound. */
  unknown?: boolean;
  /** Usage lines with a daily cap: USD a month if every day reaches it (automation/plan/log-cost.ts). */
  usdAtCap?: number;
}

export interface ScenarioEstimate {
  /** Critical path through the dependency graph, minutes. */
  spinUpMinutes: number;
  /** Sum of every resource's duration, minutes: the time if nothing ran in parallel. */
  serialMinutes: number;
  slowest: TimedResource;
  /** Custom resources on the critical path, first to last. */
  criticalPath: TimedResource[];
  /** Fixed monthly cost in USD, pay-as-you-go; usage-based lines are listed but not added. */
  monthlyCostUsd: number;
  costLines: CostLine[];
  /** Earliest start and finish of every provisioned resource (see isProvisioned), for a timeline. */
  timeline: TimelineEntry[];
  /** Region the prices are for, and the scenario's own region. */
  priceRegion: string;
  region?: string;
  /** Caveats a reader needs: region differences, unknown prices. */
  notes: string[];
  /** Source ids of data/estimates.json the estimate used. */
  sources: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Lookups

/** The value at a dotted path (`sku.name`, `agentPoolProfiles.0.count`). */
export function valueAt(obj: unknown, path: string): unknown {
  let at: unknown = obj;
  for (const key of path.split(".")) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export function matches(when: When | undefined, inputs: Record<string, unknown>): boolean {
  if (!when) return true;
  return Object.entries(when).every(([path, allowed]) => {
    const value = valueAt(inputs, path);
    return allowed.some((a) =>
      typeof a === "string" && a.startsWith("~") ? typeof value === "string" && value.toLowerCase().includes(a.slice(1).toLowerCase()) : value === a,
    );
  });
}

/** Keys of a type-indexed table, most specific first: the token, `pkg:module:*`, `pkg:*`, `*`. */
export function typeKeys(type: string): string[] {
  const [pkg, module] = type.split(":");
  return [type, `${pkg}:${module}:*`, `${pkg}:*`, "*"];
}

function lookup<T extends { when?: When }>(table: Record<string, T[]>, r: Pick<RegisteredResource, "type" | "inputs">): T | undefined {
  for (const key of typeKeys(r.type)) {
    const found = table[key]?.find((e) => matches(e.when, r.inputs));
    if (found) return found;
  }
  return undefined;
}

/**
 * Whether the resource is provisioned as a unit: every custom resource, and the components the data file
 * names by their exact type. Those are remote components such as `kubernetes:helm.sh/v4:Chart`, which the
 * real engine expands into children (Deployments, Services) that the mock engine never sees.
 */
export function isProvisioned(r: Pick<RegisteredResource, "type" | "custom">, data: EstimatesData = ESTIMATES): boolean {
  return r.custom || r.type in data.durations;
}

/** How long creating the resource takes, and where the figure comes from. Local components take no time. */
export function durationOf(r: Pick<RegisteredResource, "type" | "inputs" | "custom">, data: EstimatesData = ESTIMATES): DurationEntry {
  if (!isProvisioned(r, data)) return { minutes: 0, kind: "documented", source: "observed", note: "component: no cloud operation" };
  return lookup(data.durations, r) ?? { minutes: 0.5, kind: "observed", source: "observed" };
}

const sourceUrl = (data: EstimatesData, id: string) => data.sources[id]?.url ?? id;
const money = (n: number) => Math.round(n * 100) / 100;

/** Load balancer exposure a Kubernetes Service or an ingress chart creates, if any. */
export function serviceLoadBalancer(r: Pick<RegisteredResource, "type" | "inputs">): "public" | "internal" | undefined {
  const internalKey = "service.beta.kubernetes.io/azure-load-balancer-internal";
  if (r.type === "kubernetes:core/v1:Service") {
    if (valueAt(r.inputs, "spec.type") !== "LoadBalancer") return undefined;
    const annotations = (valueAt(r.inputs, "metadata.annotations") ?? {}) as Record<string, unknown>;
    return String(annotations[internalKey]) === "true" ? "internal" : "public";
  }
  if (r.type.startsWith("kubernetes:helm.sh/")) {
    const chart = String(r.inputs.chart ?? r.inputs.name ?? "");
    const service = valueAt(r.inputs, "values.service") as Record<string, unknown> | undefined;
    // Ingress controller charts (Traefik) publish a LoadBalancer service unless told otherwise.
    const type = (service?.type as string | undefined) ?? (/traefik|ingress/i.test(chart) ? "LoadBalancer" : undefined);
    if (type !== "LoadBalancer" || service?.enabled === false) return undefined;
    const annotations = (service?.annotations ?? {}) as Record<string, unknown>;
    return String(annotations[internalKey]) === "true" ? "internal" : "public";
  }
  return undefined;
}

/** Monthly cost lines of one resource. */
export function costOf(r: Pick<RegisteredResource, "type" | "inputs" | "custom">, data: EstimatesData = ESTIMATES): CostLine[] {
  if (!isProvisioned(r, data)) return [];
  const entry = lookup(data.prices, r);
  const lines = entryCost(r, entry, data);
  const source = sourceUrl(data, entry?.source ?? "");
  return [...lines, ...(entry?.plusUsage ?? []).map((u) => ({ type: r.type, item: u.item, count: 1, usd: 0, basis: u.basis, source, usage: true }))];
}

function entryCost(r: Pick<RegisteredResource, "type" | "inputs" | "custom">, entry: PriceEntry | undefined, data: EstimatesData): CostLine[] {
  const hours = data.hoursPerMonth;
  const line = (item: string, count: number, usd: number, basis: string, source: string, usage = false): CostLine => ({
    type: r.type,
    item,
    count,
    usd: money(usd),
    basis,
    source: sourceUrl(data, source),
    usage,
  });
  if (!entry) return [{ ...line(typeName(r.type), 1, 0, "price not read: data/estimates.json has no entry for this type", ""), unknown: true }];
  const item = entry.item ?? typeName(r.type);
  if (entry.notRead) {
    const units = entry.model === "perUnit" ? Math.max(1, Number(valueAt(r.inputs, entry.units ?? "") ?? 1) || 1) : 1;
    return [notRead(line(item, units, 0, entry.basis, entry.source), entry.notRead, data, entry.source)];
  }
  switch (entry.model) {
    case "free":
      return [line(item, 1, 0, entry.basis, entry.source)];
    case "usage":
      return [line(item, 1, 0, entry.basis, entry.source, true)];
    case "logIngestion": {
      const l = logIngestion(valueAt(r.inputs, "workspaceCapping.dailyQuotaGb"), entry.usdPerGb, hours, entry.basis);
      return [{ ...line(item, 1, 0, l.basis, entry.source, true), ...(l.usdAtCap === undefined ? {} : { usdAtCap: l.usdAtCap }) }];
    }
    case "monthly":
      return [line(item, 1, entry.usdPerMonth ?? 0, entry.basis, entry.source)];
    case "hourly":
      return [line(item, 1, (entry.usdPerHour ?? 0) * hours, entry.basis, entry.source)];
    case "perUnit": {
      const units = Math.max(1, Number(valueAt(r.inputs, entry.units ?? "") ?? 1) || 1);
      return [line(item, units, (entry.usdPerUnitMonth ?? 0) * units, entry.basis, entry.source)];
    }
    case "aksCluster":
      return aksCost(r, data, line);
    case "serviceLoadBalancer": {
      const lb = serviceLoadBalancer(r);
      if (lb === "public") return [line("public IP of LoadBalancer service", 1, (data.aks.servicePublicIp.usdPerHour ?? 0) * hours, data.aks.servicePublicIp.basis ?? "", data.aks.servicePublicIp.source)];
      if (lb === "internal") {
        const ilb = data.aks.internalLoadBalancer;
        return [line("internal load balancer", 1, (ilb.usdPerHour ?? 0) * hours, ilb.basis ?? "", ilb.source)];
      }
      return [line(typeName(r.type), 1, 0, "runs on the cluster's nodes", "free")];
    }
  }
}

/** A line whose price the source did not show: no figure, and the table says so. */
function notRead(l: CostLine, why: string, data: EstimatesData, source: string): CostLine {
  const read = data.sources[source]?.read;
  return { ...l, usd: 0, basis: `${l.basis}; price not read${read ? ` (${read})` : ""}: ${why}`, unknown: true };
}

type LineMaker = (item: string, count: number, usd: number, basis: string, source: string, usage?: boolean) => CostLine;

function aksCost(r: Pick<RegisteredResource, "type" | "inputs">, data: EstimatesData, line: LineMaker): CostLine[] {
  const hours = data.hoursPerMonth;
  const aks = data.aks;
  const tier = String(valueAt(r.inputs, "sku.tier") ?? "Free");
  const lines: CostLine[] = [];
  const controlPlane = aks.controlPlaneUsdPerHour[tier];
  lines.push(
    controlPlane === undefined
      ? notRead(line(`control plane (${tier} tier)`, 1, 0, `${tier} tier, per cluster hour`, aks.controlPlaneSource), `the source quoted gives no figure for the ${tier} tier`, data, aks.controlPlaneSource)
      : line(`control plane (${tier} tier)`, 1, controlPlane * hours, tier === "Free" ? "Free tier: no cluster management fee" : `${tier} tier, per cluster hour`, aks.controlPlaneSource),
  );
  const pools = (valueAt(r.inputs, "agentPoolProfiles") ?? []) as Record<string, unknown>[];
  for (const pool of Array.isArray(pools) ? pools : []) {
    const count = Number(pool.count ?? pool.minCount ?? 1) || 1;
    const size = String(pool.vmSize ?? "Standard_DS2_v2");
    const vm = data.vmSizes[size];
    const basis = `${size}, Linux, pay-as-you-go, per node`;
    lines.push(
      vm?.usdPerHour !== undefined
        ? line(`node VMs (${size})`, count, vm.usdPerHour * hours * count, basis, vm.source)
        : notRead(line(`node VMs (${size})`, count, 0, basis, vm?.source ?? "vm-pricing"), vm?.notRead ?? `no price for ${size} in data/estimates.json`, data, vm?.source ?? "vm-pricing"),
    );
    if (pool.osDiskType !== "Ephemeral") {
      const disk = aks.defaultOsDisk;
      const diskLine = line("node OS disks (managed)", count, (disk.usdPerMonth ?? 0) * count, disk.basis ?? "", disk.source);
      lines.push(disk.notRead || disk.usdPerMonth === undefined ? notRead(diskLine, disk.notRead ?? "no figure", data, disk.source) : diskLine);
    }
  }
  lines.push(line("load balancer (AKS)", 1, (aks.loadBalancer.usdPerHour ?? 0) * hours, aks.loadBalancer.basis ?? "", aks.loadBalancer.source));
  const outboundType = valueAt(r.inputs, "networkProfile.outboundType");
  if (outboundType === undefined || outboundType === "loadBalancer") {
    lines.push(line("outbound public IP (AKS)", 1, (aks.outboundPublicIp.usdPerHour ?? 0) * hours, aks.outboundPublicIp.basis ?? "", aks.outboundPublicIp.source));
  }
  return lines;
}


/** Adds up lines with the same type, item and basis; the internal load balancer is shared by a cluster. */
export function mergeCostLines(lines: readonly CostLine[]): CostLine[] {
  const merged = new Map<string, CostLine>();
  for (const l of lines) {
    const key = l.item === "internal load balancer" ? l.item : `${l.type}\u0000${l.item}\u0000${l.basis}`;
    const known = merged.get(key);
    if (!known) merged.set(key, { ...l });
    else if (l.item !== "internal load balancer") {
      known.count += l.count;
      known.usd = money(known.usd + l.usd);
    }
  }
  return [...merged.values()];
}

// ---------------------------------------------------------------------------------------------------------
// The estimate

export interface EstimateInput {
  resources: readonly RegisteredResource[];
}

export function estimateScenario(evaluation: EstimateInput, data: EstimatesData = ESTIMATES): ScenarioEstimate {
  const resources = evaluation.resources;
  const entries = new Map(resources.map((r) => [r.urn, durationOf(r, data)]));
  const nodes = scheduleNodes(resources, (r) => entries.get(r.urn)!.minutes);
  const custom = new Set(resources.filter((r) => isProvisioned(r, data)).map((r) => r.urn));
  const customNodes: ScheduleNode[] = nodes.filter((n) => custom.has(n.id));
  const cp = criticalPath(nodes);
  const slowest = slowestNode(customNodes, new Set(cp.path.map((n) => n.id)));
  const timed = (n: ScheduleNode): TimedResource => ({ urn: n.id, type: n.type, minutes: n.minutes });

  const lines = mergeCostLines(resources.flatMap((r) => costOf(r, data)));
  const fixed = lines.filter((l) => !l.usage);
  const monthly = money(fixed.reduce((sum, l) => sum + l.usd, 0));

  const region = resources.map((r) => r.inputs.location).find((l): l is string => typeof l === "string");
  const notes: string[] = [];
  if (region && region !== data.priceRegion) {
    notes.push(`prices are ${data.priceRegion} list prices; this scenario deploys to ${region}, where they can differ`);
  }

  const used = new Set<string>();
  for (const r of resources) if (custom.has(r.urn)) used.add(entries.get(r.urn)!.source);
  for (const key of Object.keys(data.sources)) if (lines.some((l) => l.source === data.sources[key].url && l.source)) used.add(key);

  return {
    spinUpMinutes: cp.total,
    serialMinutes: serialSum(customNodes),
    slowest: slowest ? timed(slowest) : { urn: "", type: "", minutes: 0 },
    criticalPath: cp.path.filter((n) => custom.has(n.id)).map(timed),
    monthlyCostUsd: monthly,
    costLines: lines.sort((a, b) => Number(a.usage) - Number(b.usage) || b.usd - a.usd || a.type.localeCompare(b.type)),
    timeline: customNodes.map((n) => {
      const s = cp.schedule.get(n.id)!;
      return { ...timed(n), start: s.start, finish: s.finish, kind: entries.get(n.id)!.kind };
    }),
    priceRegion: data.priceRegion,
    region,
    notes,
    sources: [...used].filter((id) => id in data.sources).sort(),
  };
}
