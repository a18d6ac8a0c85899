/**
 * Checks against the subscription, with the signed-in identity, before `up` or `compare` touches a stack:
 * resource providers registered, model quota, soft-deleted names, the AKS VM size and vCPU quota. Every
 * problem is one line; `azurePreflight` throws PreflightError (exit 2) listing all of them.
 *
 * The decision logic (given ARM's answers, which problems) is in plain functions; `azureReader` asks ARM
 * through the Azure SDK clients with the driver's credential (./azure.ts). Each check runs in parallel with
 * its own time limit; a check that cannot run (no permission, timeout) says why on a line of its own and does
 * not stop the command, because it found no problem.
 */
import { SCENARIO_TRAITS } from "../../../config/defaults";
import { resourceNames } from "../../../config/naming";
import type { ScenarioConfig, ScenarioName } from "../../../config/schema";
import { requireConfig } from "../../../config/validate";
import { normalizeLocation, resourceGroupOf } from "./azure";
import type { BackendChoice, Env } from "../stack/env";
import { PreflightError } from "./preflight";
import type { StateResource } from "../stack/types";

// ------------------------------------------------------------------ what the checks are given

/** One stack `up` or `compare` is about to deploy, with its validated settings. */
export interface AzureTarget {
  scenario: ScenarioName;
  stack: string;
  config: ScenarioConfig;
  /** False for stacks that cannot exist yet (compare's ephemeral stacks): no state is read. */
  mayExist: boolean;
}

/** What an existing stack already holds in Azure, read from its state. */
export interface Footprint {
  /** The random name suffix (config/naming.ts); names the stack will use are derived from it. */
  suffix?: string;
  /** Its model deployment: quota it already uses and keeps on an update. */
  model?: { location: string; usageName: string; capacity: number };
  /** Its failover account's deployment (openAiSecondaryLocation), likewise. */
  secondaryModel?: { location: string; usageName: string; capacity: number };
  /** Its AKS node pool: vCPUs it already uses. */
  nodes?: { location: string; vmSize: string; count: number };
}

export interface PlannedTarget extends AzureTarget {
  footprint: Footprint;
}

/** A resource provider's registration, as `GET /subscriptions/{id}/providers/{namespace}` answers. */
export interface ProviderState {
  namespace: string;
  registrationState?: string;
}

/** A row of a usages list (Cognitive Services and Compute share the shape). */
export interface UsageRow {
  name: { value?: string; localizedValue?: string };
  currentValue?: number;
  limit?: number;
}

export interface DeletedService {
  name: string;
  location: string;
  /** Cognitive Services only: the group the account was in (purge needs it). */
  resourceGroup?: string;
}

export interface VmSku {
  name: string;
  resourceType?: string;
  family?: string;
  locations: string[];
  capabilities: { name: string; value: string }[];
  restrictions: { type?: string; reasonCode?: string; values: string[]; restrictionInfo?: { locations?: string[]; zones?: string[] } }[];
}

/** What the checks ask of Azure Resource Manager; `azureReader` answers with the SDK clients. */
export interface AzureReader {
  provider(namespace: string, signal: AbortSignal): Promise<ProviderState>;
  /** Cognitive Services usages in a region (model quota rows `OpenAI.<deployment type>.<model>`). */
  modelUsages(location: string, signal: AbortSignal): Promise<UsageRow[]>;
  deletedApimServices(signal: AbortSignal): Promise<DeletedService[]>;
  deletedCognitiveAccounts(signal: AbortSignal): Promise<DeletedService[]>;
  /** Compute resource SKUs offered in a region (virtual machine sizes among them). */
  vmSkus(location: string, signal: AbortSignal): Promise<VmSku[]>;
  /** Compute usages in a region (vCPU quota per VM family, and `cores`: total regional vCPUs). */
  computeUsages(location: string, signal: AbortSignal): Promise<UsageRow[]>;
}

// ------------------------------------------------------------------ decisions

/**
 * Providers the stacks create resources with. Microsoft.ManagedIdentity: the AI API's user-assigned identity
 * (components/AiBackend.ts); Microsoft.Insights: Application Insights and diagnostic settings;
 * Microsoft.ContainerRegistry only when a stack builds its own image (appImage unset, components/AppImage.ts).
 */
export function requiredProviders(targets: readonly Pick<AzureTarget, "config">[]): string[] {
  const out = [
    "Microsoft.ApiManagement",
    "Microsoft.ContainerService",
    "Microsoft.CognitiveServices",
    "Microsoft.Network",
    "Microsoft.OperationalInsights",
    "Microsoft.Insights",
    "Microsoft.ManagedIdentity",
  ];
  if (targets.some((t) => !t.config.appImage)) out.push("Microsoft.ContainerRegistry");
  // Outbound VNet integration delegates APIM's subnet to Microsoft.Web/serverFarms: "You might need to register
  // the Microsoft.Web/serverFarms resource provider in the subscription so that you can delegate the subnet".
  // https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound#subnet-delegation
  if (targets.some((t) => SCENARIO_TRAITS[t.config.scenario].vnetMode === "Integration")) out.push("Microsoft.Web");
  return out;
}

/**
 * Registration is asynchronous: `Registering` can last minutes and resources of that provider fail until it
 * says `Registered`. https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types#register-resource-provider
 */
export function providerProblems(states: readonly ProviderState[]): string[] {
  const problems: string[] = [];
  for (const s of states) {
    const state = s.registrationState ?? "unknown";
    if (state === "Registered") continue;
    const show = `az provider show --namespace ${s.namespace} --query registrationState --output tsv`;
    if (state === "Registering") {
      problems.push(`resource provider ${s.namespace} is Registering (asynchronous, it can take several minutes): wait until \`${show}\` prints Registered, then retry`);
    } else {
      problems.push(`resource provider ${s.namespace} is ${state}: run \`az provider register --namespace ${s.namespace}\`, then wait until \`${show}\` prints Registered (registration is asynchronous)`);
    }
  }
  return problems;
}

/** The region the model is deployed in (scenarios/foundation.ts). */
export function modelLocation(config: ScenarioConfig): string {
  return normalizeLocation(config.openAiLocation ?? config.location);
}

/**
 * Name of the quota row of a model and deployment type in the Cognitive Services usages list, e.g.
 * `OpenAI.GlobalStandard.gpt-4.1-mini` (the form azd's `usageName` metadata takes:
 * https://learn.microsoft.com/azure/developer/azure-developer-cli/metadata#usagename). Its unit is
 * thousands of tokens per minute, the unit of a deployment's capacity.
 */
export function modelUsageName(config: Pick<ScenarioConfig, "openAiDeploymentSku" | "openAiModelName">): string {
  return `OpenAI.${config.openAiDeploymentSku}.${config.openAiModelName}`;
}

const QUOTA_DOC = "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/quota";
const MODELS_DOC = "https://learn.microsoft.com/azure/ai-foundry/openai/concepts/models";

function findUsage(rows: readonly UsageRow[], name: string): UsageRow | undefined {
  const lower = name.toLowerCase();
  return rows.find((r) => r.name.value?.toLowerCase() === lower);
}

function free(row: UsageRow): number {
  const limit = row.limit ?? 0;
  return limit < 0 ? Number.POSITIVE_INFINITY : limit - (row.currentValue ?? 0);
}

/** A model deployment a target makes: the primary's, and the failover account's where openAiSecondaryLocation is set. */
interface ModelDemand {
  location: string;
  /** Who needs it: the stack, `(secondary)` for the failover account. */
  who: string;
  /** The setting that moves it elsewhere. */
  locationSetting: "openAiLocation" | "openAiSecondaryLocation";
  /** Capacity beyond what the stack's existing deployment in the same row already holds. */
  need: number;
}

/**
 * The failover account deploys the same model, deployment type and capacity in its own region
 * (scenarios/foundation.ts), so it needs quota there as the primary does in its own.
 */
export function modelDemands(t: PlannedTarget): ModelDemand[] {
  const usageName = modelUsageName(t.config).toLowerCase();
  const need = (location: string, held?: Footprint["model"]) =>
    Math.max(0, t.config.openAiModelCapacity - (held && held.location === location && held.usageName.toLowerCase() === usageName ? held.capacity : 0));
  const primary = modelLocation(t.config);
  const demands: ModelDemand[] = [{ location: primary, who: t.stack, locationSetting: "openAiLocation", need: need(primary, t.footprint.model) }];
  if (t.config.openAiSecondaryLocation) {
    const secondary = normalizeLocation(t.config.openAiSecondaryLocation);
    demands.push({ location: secondary, who: `${t.stack} (secondary)`, locationSetting: "openAiSecondaryLocation", need: need(secondary, t.footprint.secondaryModel) });
  }
  return demands;
}

/**
 * Quota is per subscription, region, model and deployment type (QUOTA_DOC); stacks deployed together share
 * it, so the demand is summed over the targets that use the same row.
 */
export function modelQuotaProblems(targets: readonly PlannedTarget[], usagesByLocation: ReadonlyMap<string, readonly UsageRow[]>): string[] {
  const groups = new Map<string, { location: string; usageName: string; stacks: string[]; settings: Set<string>; need: number }>();
  for (const t of targets) {
    const usageName = modelUsageName(t.config);
    for (const d of modelDemands(t)) {
      const key = `${d.location}\u0000${usageName}`;
      const g = groups.get(key) ?? { location: d.location, usageName, stacks: [], settings: new Set<string>(), need: 0 };
      g.stacks.push(d.who);
      g.settings.add(d.locationSetting);
      g.need += d.need;
      groups.set(key, g);
    }
  }
  const problems: string[] = [];
  for (const g of groups.values()) {
    const rows = usagesByLocation.get(g.location);
    if (!rows) continue;
    const row = findUsage(rows, g.usageName);
    const who = g.stacks.join(", ");
    const where = [...g.settings].join(" or ");
    if (!row) {
      problems.push(
        `model quota: ${g.location} has no ${g.usageName} quota row, so this subscription cannot deploy that model with that deployment type there (${who}); ` +
          `change ${where}, openAiDeploymentSku or openAiModelName (${MODELS_DOC})`,
      );
      continue;
    }
    if (g.need === 0 || free(row) >= g.need) continue;
    const left = Math.max(0, free(row));
    problems.push(
      `model quota: ${g.usageName} in ${g.location} has ${left} of ${row.limit ?? 0} (thousand tokens per minute) free, ${who} need${g.stacks.length > 1 ? "" : "s"} ${g.need} (openAiModelCapacity); ` +
        `lower openAiModelCapacity, use another ${where} or openAiDeploymentSku, or request more quota (${QUOTA_DOC})`,
    );
  }
  return problems;
}

/**
 * Soft-deleted APIM services and Cognitive Services accounts keep their names until purged; creating one
 * with the same name fails. https://learn.microsoft.com/azure/api-management/soft-delete,
 * https://learn.microsoft.com/azure/ai-services/recover-purge-resources
 */
export function softDeletedProblems(targets: readonly PlannedTarget[], apim: readonly DeletedService[], accounts: readonly DeletedService[]): string[] {
  const problems: string[] = [];
  for (const t of targets) {
    if (!t.footprint.suffix) continue;
    const names = resourceNames(t.config.namePrefix, t.config.scenario, t.footprint.suffix);
    for (const d of apim.filter((s) => s.name.toLowerCase() === names.apim.toLowerCase())) {
      problems.push(
        `soft-deleted APIM service ${d.name} (${d.location}) holds the name stack ${t.stack} uses; purge it: ` +
          `az apim deletedservice purge --service-name ${d.name} --location ${d.location}`,
      );
    }
    for (const d of accounts.filter((a) => a.name.toLowerCase() === names.openAi.toLowerCase())) {
      problems.push(
        `soft-deleted Azure OpenAI account ${d.name} (${d.location}) holds the name stack ${t.stack} uses; purge it: ` +
          `az cognitiveservices account purge --name ${d.name} --resource-group ${d.resourceGroup ?? "<group>"} --location ${d.location}`,
      );
    }
  }
  return problems;
}

function vmSizeEntry(skus: readonly VmSku[], size: string): VmSku | undefined {
  const lower = size.toLowerCase();
  return skus.find((s) => (s.resourceType ?? "virtualMachines") === "virtualMachines" && s.name.toLowerCase() === lower);
}

/**
 * A `Location` restriction makes a size unusable in that region for this subscription; a `Zone` restriction
 * only rules out zones, and the node pool does not ask for zones (components/AksCluster.ts).
 * https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available
 */
function locationRestriction(sku: VmSku, location: string): VmSku["restrictions"][number] | undefined {
  return sku.restrictions.find(
    (r) =>
      r.type === "Location" &&
      (r.values.some((v) => normalizeLocation(v) === location) || (r.restrictionInfo?.locations ?? []).some((v) => normalizeLocation(v) === location)),
  );
}

const SKU_DOC = "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available";

export function vmSizeProblems(targets: readonly PlannedTarget[], skusByLocation: ReadonlyMap<string, readonly VmSku[]>): string[] {
  const groups = new Map<string, { location: string; size: string; stacks: string[] }>();
  for (const t of targets) {
    const location = normalizeLocation(t.config.location);
    const key = `${location}\u0000${t.config.aksNodeSize.toLowerCase()}`;
    const g = groups.get(key) ?? { location, size: t.config.aksNodeSize, stacks: [] };
    g.stacks.push(t.stack);
    groups.set(key, g);
  }
  const problems: string[] = [];
  for (const g of groups.values()) {
    const skus = skusByLocation.get(g.location);
    if (!skus) continue;
    const sku = vmSizeEntry(skus, g.size);
    const list = `az vm list-skus --location ${g.location} --resource-type virtualMachines --output table`;
    if (!sku) {
      problems.push(`AKS node size ${g.size} (aksNodeSize of ${g.stacks.join(", ")}) is not offered in ${g.location}; choose one \`${list}\` lists without restrictions, or another location`);
      continue;
    }
    const restriction = locationRestriction(sku, g.location);
    if (restriction) {
      problems.push(
        `AKS node size ${g.size} (aksNodeSize of ${g.stacks.join(", ")}) is restricted for this subscription in ${g.location} (${restriction.reasonCode ?? "restricted"}); ` +
          `choose another size or location, or request access (${SKU_DOC})`,
      );
    }
  }
  return problems;
}

function vcpusOf(sku: VmSku): number | undefined {
  const v = Number(sku.capabilities.find((c) => c.name === "vCPUs")?.value);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * vCPU quota has two tiers and a deployment needs room in both: total regional vCPUs (usage `cores`) and
 * the VM size's family (usage named like the SKU's `family`, e.g. `standardDSv5Family`).
 * https://learn.microsoft.com/azure/virtual-machines/quotas
 * Stacks deployed together (compare --all) add up; an existing stack's nodes of the same family are already
 * counted in the usage and stay.
 */
export function vcpuQuotaProblems(
  targets: readonly PlannedTarget[],
  skusByLocation: ReadonlyMap<string, readonly VmSku[]>,
  usagesByLocation: ReadonlyMap<string, readonly UsageRow[]>,
): string[] {
  interface Demand {
    location: string;
    row: string;
    label: string;
    stacks: string[];
    need: number;
    detail: Set<string>;
  }
  const demands = new Map<string, Demand>();
  const add = (location: string, row: string, label: string, stack: string, vcpus: number, detail: string) => {
    const key = `${location}\u0000${row.toLowerCase()}`;
    const d = demands.get(key) ?? { location, row, label, stacks: [], need: 0, detail: new Set<string>() };
    d.stacks.push(stack);
    d.need += vcpus;
    d.detail.add(detail);
    demands.set(key, d);
  };
  for (const t of targets) {
    const location = normalizeLocation(t.config.location);
    const skus = skusByLocation.get(location);
    const sku = skus && vmSizeEntry(skus, t.config.aksNodeSize);
    const vcpus = sku && vcpusOf(sku);
    // vmSizeProblems reports a size that is not offered or restricted here.
    if (!sku || !vcpus || !sku.family || locationRestriction(sku, location)) continue;
    const held = t.footprint.nodes;
    const heldSku = held && held.location === location ? vmSizeEntry(skus, held.vmSize) : undefined;
    const heldVcpus = heldSku ? (vcpusOf(heldSku) ?? 0) * held!.count : 0;
    const wanted = t.config.aksNodeCount * vcpus;
    const detail = `${t.config.aksNodeCount} × ${sku.name} (${vcpus} vCPUs)`;
    const sameFamily = heldSku?.family?.toLowerCase() === sku.family.toLowerCase();
    add(location, sku.family, sku.family, t.stack, Math.max(0, wanted - (sameFamily ? heldVcpus : 0)), detail);
    add(location, "cores", "Total Regional vCPUs", t.stack, Math.max(0, wanted - heldVcpus), detail);
  }
  const problems: string[] = [];
  for (const d of demands.values()) {
    const rows = usagesByLocation.get(d.location);
    if (!rows || d.need === 0) continue;
    const row = findUsage(rows, d.row);
    if (!row || free(row) >= d.need) continue;
    const label = row.name.localizedValue ?? d.label;
    const left = Math.max(0, free(row));
    const limit = row.limit ?? 0;
    const docs = d.row === "cores" ? "https://learn.microsoft.com/azure/quotas/regional-quota-requests" : "https://learn.microsoft.com/azure/quotas/per-vm-quota-requests";
    problems.push(
      `vCPU quota: ${label} in ${d.location} has ${left} of ${limit} free, ${d.stacks.join(", ")} need${d.stacks.length > 1 ? "" : "s"} ${d.need} (${[...d.detail].join(", ")}); ` +
        `request more (${docs}), lower aksNodeCount, choose a smaller aksNodeSize, or deploy fewer scenarios at once`,
    );
  }
  return problems;
}

// ------------------------------------------------------------------ what an existing stack holds

const RANDOM_STRING = "random:index/randomString:RandomString";
const COGNITIVE_ACCOUNT = "azure-native:cognitiveservices:Account";
const COGNITIVE_DEPLOYMENT = "azure-native:cognitiveservices:Deployment";
const MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster";

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
}

function text(v: unknown): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}

/** Reads the name suffix, model deployment and node pool from a stack's state (scenarios/foundation.ts). */
export function footprintFromState(resources: readonly StateResource[]): Footprint {
  const out: Footprint = {};
  const value = (r: StateResource, key: string) => r.outputs[key] ?? r.inputs[key];
  const suffix = resources.find((r) => r.type === RANDOM_STRING && r.urn.endsWith("::name-suffix"));
  if (suffix) out.suffix = text(suffix.outputs.result);
  // The failover account and its deployment are named after the primary's with `-secondary` (scenarios/foundation.ts).
  const secondary = (r: StateResource) => /::ai-model-secondary(-deployment)?$/.test(r.urn);
  const deploymentHeld = (isSecondary: boolean): Footprint["model"] => {
    const account = resources.find((r) => r.type === COGNITIVE_ACCOUNT && secondary(r) === isSecondary);
    const deployment = resources.find((r) => r.type === COGNITIVE_DEPLOYMENT && secondary(r) === isSecondary);
    const accountLocation = account && text(value(account, "location"));
    if (!deployment || !accountLocation) return undefined;
    const sku = record(value(deployment, "sku"));
    const model = record(record(value(deployment, "properties")).model);
    const skuName = text(sku.name);
    const modelName = text(model.name);
    const capacity = Number(sku.capacity);
    if (!skuName || !modelName || !Number.isFinite(capacity)) return undefined;
    return { location: normalizeLocation(accountLocation), usageName: modelUsageName({ openAiDeploymentSku: skuName as ScenarioConfig["openAiDeploymentSku"], openAiModelName: modelName }), capacity };
  };
  const model = deploymentHeld(false);
  if (model) out.model = model;
  const secondaryModel = deploymentHeld(true);
  if (secondaryModel) out.secondaryModel = secondaryModel;
  const cluster = resources.find((r) => r.type === MANAGED_CLUSTER);
  const clusterLocation = cluster && text(value(cluster, "location"));
  if (cluster && clusterLocation) {
    const pools = value(cluster, "agentPoolProfiles");
    const pool = Array.isArray(pools) ? record(pools[0]) : {};
    const vmSize = text(pool.vmSize);
    const count = Number(pool.count);
    if (vmSize && Number.isFinite(count)) out.nodes = { location: normalizeLocation(clusterLocation), vmSize, count };
  }
  return out;
}

// ------------------------------------------------------------------ running the checks

export interface CheckOptions {
  /** Time limit of each check (default 30 s). */
  timeoutMs?: number;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (line: string) => void;
  /** How often to say which checks are still running (default 10 s). */
  heartbeatMs?: number;
}

export interface CheckReport {
  /** One line per problem found. */
  problems: string[];
  /** One line per check that could not run, with the reason. */
  unchecked: string[];
}

function reason(e: unknown): string {
  const err = e as { code?: string; statusCode?: number; message?: string };
  const first = (err?.message ?? String(e)).split("\n").map((l) => l.trim()).find(Boolean) ?? "unknown error";
  const line = first.length > 300 ? `${first.slice(0, 297)}...` : first;
  return err?.code && !line.includes(err.code) ? `${err.code}: ${line}` : line;
}

/** Runs `work` with an abort signal that fires after `ms`; rejects with a plain "no answer within" error. */
async function withTimeLimit<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${seconds(ms)}`));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Check {
  label: string;
  run(signal: AbortSignal): Promise<string[]>;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Asks ARM what the targets need (in parallel, each with a time limit) and decides which problems there are. */
export async function checkSubscription(targets: readonly PlannedTarget[], reader: AzureReader, options: CheckOptions = {}): Promise<CheckReport> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const say = options.onProgress ?? (() => {});
  const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = load()));
    return p;
  };
  const skuCache = new Map<string, Promise<VmSku[]>>();

  const checks: Check[] = [];
  checks.push({
    label: "resource providers",
    run: async (signal) => providerProblems(await Promise.all(requiredProviders(targets).map((ns) => reader.provider(ns, signal)))),
  });
  for (const location of [...new Set(targets.flatMap((t) => modelDemands(t).map((d) => d.location)))]) {
    const here = targets.filter((t) => modelDemands(t).some((d) => d.location === location));
    checks.push({
      label: `model quota in ${location}`,
      run: async (signal) => modelQuotaProblems(here, new Map([[location, await reader.modelUsages(location, signal)]])),
    });
  }
  if (targets.some((t) => t.footprint.suffix)) {
    checks.push({
      label: "soft-deleted names",
      run: async (signal) => {
        const [apim, accounts] = await Promise.all([reader.deletedApimServices(signal), reader.deletedCognitiveAccounts(signal)]);
        return softDeletedProblems(targets, apim, accounts);
      },
    });
  }
  for (const location of [...new Set(targets.map((t) => normalizeLocation(t.config.location)))]) {
    const here = targets.filter((t) => normalizeLocation(t.config.location) === location);
    // Both checks read the region's SKU list: one request, with a time limit of its own.
    const skus = () => once(skuCache, location, () => withTimeLimit(timeoutMs, (signal) => reader.vmSkus(location, signal)));
    checks.push({ label: `VM size in ${location}`, run: async () => vmSizeProblems(here, new Map([[location, await skus()]])) });
    checks.push({
      label: `vCPU quota in ${location}`,
      run: async (signal) => {
        const [list, usages] = await Promise.all([skus(), reader.computeUsages(location, signal)]);
        return vcpuQuotaProblems(here, new Map([[location, list]]), new Map([[location, usages]]));
      },
    });
  }

  const started = Date.now();
  const pending = new Set(checks.map((c) => c.label));
  say(`preflight: checking the subscription: ${checks.map((c) => c.label).join(", ")}`);
  const heartbeat = setInterval(() => say(`preflight: still waiting for ${[...pending].join(", ")} (${seconds(Date.now() - started)})`), options.heartbeatMs ?? 10_000);
  heartbeat.unref();
  try {
    const outcomes = await Promise.all(
      checks.map(async (c) => {
        const t0 = Date.now();
        try {
          const problems = await withTimeLimit(timeoutMs, (signal) => c.run(signal));
          say(`preflight:   ${c.label}: ${problems.length ? `${problems.length} problem(s)` : "ok"} (${seconds(Date.now() - t0)})`);
          return { problems, unchecked: [] as string[] };
        } catch (e) {
          const why = reason(e);
          say(`preflight:   ${c.label}: not checked (${seconds(Date.now() - t0)})`);
          return { problems: [] as string[], unchecked: [`could not check ${c.label}: ${why}`] };
        } finally {
          pending.delete(c.label);
        }
      }),
    );
    return { problems: outcomes.flatMap((o) => o.problems), unchecked: outcomes.flatMap((o) => o.unchecked) };
  } finally {
    clearInterval(heartbeat);
  }
}

// ------------------------------------------------------------------ Azure Resource Manager through the SDKs

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export interface ReaderOptions {
  /** Stands in for the network in tests (a recorded ARM); production uses the SDK's default. */
  httpClient?: import("@azure/core-rest-pipeline").HttpClient;
}

/**
 * Reads through the Azure SDK clients. API versions are the clients' own: arm-resources 8 (providers,
 * 2025-04-01), arm-cognitiveservices 8.1 (2025-09-01), arm-apimanagement 10 (2024-05-01), arm-compute 25
 * (resource SKUs 2021-07-01, usages 2026-04-01); tests/fixtures/arm/ records those shapes.
 */
export function azureReader(subscriptionId: string, credential: import("@azure/core-auth").TokenCredential, options: ReaderOptions = {}): AzureReader {
  const { ResourceManagementClient } = require("@azure/arm-resources") as typeof import("@azure/arm-resources");
  const { CognitiveServicesManagementClient } = require("@azure/arm-cognitiveservices") as typeof import("@azure/arm-cognitiveservices");
  const { ApiManagementClient } = require("@azure/arm-apimanagement") as typeof import("@azure/arm-apimanagement");
  const { ComputeManagementClient } = require("@azure/arm-compute") as typeof import("@azure/arm-compute");
  const clientOptions = options.httpClient ? { httpClient: options.httpClient } : {};
  const resources = new ResourceManagementClient(credential, subscriptionId, clientOptions);
  const cognitive = new CognitiveServicesManagementClient(credential, subscriptionId, clientOptions);
  const apim = new ApiManagementClient(credential, subscriptionId, clientOptions);
  const compute = new ComputeManagementClient(credential, subscriptionId, clientOptions);
  const usageRow = (u: { name?: { value?: string; localizedValue?: string }; currentValue?: number; limit?: number }): UsageRow => ({
    name: { value: u.name?.value, localizedValue: u.name?.localizedValue },
    currentValue: u.currentValue,
    limit: u.limit,
  });
  return {
    async provider(namespace, signal) {
      const p = await resources.providers.get(namespace, { abortSignal: signal });
      return { namespace: p.namespace ?? namespace, registrationState: p.registrationState };
    },
    async modelUsages(location, signal) {
      return (await collect(cognitive.usages.list(location, { abortSignal: signal }))).map(usageRow);
    },
    async deletedApimServices(signal) {
      return (await collect(apim.deletedServices.listBySubscription({ abortSignal: signal })))
        .filter((s) => s.name)
        .map((s) => ({ name: s.name!, location: normalizeLocation(s.location ?? "") }));
    },
    async deletedCognitiveAccounts(signal) {
      return (await collect(cognitive.deletedAccounts.list({ abortSignal: signal })))
        .filter((a) => a.name)
        .map((a) => ({ name: a.name!, location: normalizeLocation(a.location ?? ""), resourceGroup: resourceGroupOf(a.id) }));
    },
    async vmSkus(location, signal) {
      const all = await collect(compute.resourceSkus.list({ filter: `location eq '${location}'`, abortSignal: signal }));
      return all
        .filter((s) => s.resourceType === "virtualMachines" && s.name)
        .map((s) => ({
          name: s.name!,
          resourceType: s.resourceType,
          family: s.family,
          locations: s.locations ?? [],
          capabilities: (s.capabilities ?? []).map((c) => ({ name: c.name ?? "", value: c.value ?? "" })),
          restrictions: (s.restrictions ?? []).map((r) => ({
            type: r.type,
            reasonCode: r.reasonCode,
            values: r.values ?? [],
            restrictionInfo: r.restrictionInfo ? { locations: r.restrictionInfo.locations, zones: r.restrictionInfo.zones } : undefined,
          })),
        }));
    },
    async computeUsages(location, signal) {
      return (await collect(compute.usage.list(location, { abortSignal: signal }))).map(usageRow);
    },
  };
}

// ------------------------------------------------------------------ entry point for `up` and `compare`

/** The targets' validated settings, for `openDriver({ azure })`. */
export function azureTargets<T extends { scenario: ScenarioName; stack: string }>(
  targets: readonly T[],
  settingsOf: (t: T) => Record<string, unknown>,
  options: { mayExist: boolean },
): AzureTarget[] {
  return targets.map((t) => ({ scenario: t.scenario, stack: t.stack, config: requireConfig(t.scenario, settingsOf(t)), mayExist: options.mayExist }));
}

export interface AzurePreflightContext {
  subscriptionId: string;
  pulumiPath?: string;
  backend: BackendChoice;
  env: Env;
  secretsProvider?: string;
}

/** What the entry point needs besides the checks; replaced in tests. */
export interface AzurePreflightDeps {
  reader(subscriptionId: string): AzureReader;
  /** A stack's state, or undefined when the stack does not exist. */
  stackState(target: AzureTarget): Promise<StateResource[] | undefined>;
  say(line: string): void;
}

export const SKIP_VARIABLE = "SCENARIOS_SKIP_AZURE_PREFLIGHT";

/** Like `azureProblems`, but throws PreflightError (exit 2) when there are problems. */
export async function azurePreflight(targets: readonly AzureTarget[], ctx: AzurePreflightContext, deps: AzurePreflightDeps = realAzurePreflightDeps(ctx), options: CheckOptions = {}): Promise<void> {
  const problems = await azureProblems(targets, ctx, deps, options);
  if (problems.length) throw new PreflightError(problems.map((p) => `preflight: ${p}`));
}

/**
 * Reads the existing stacks' state, runs the checks and prints what could not be checked; returns one line
 * per problem (preflight.ts joins them to the machine's problems through `subscriptionChecks`).
 */
export async function azureProblems(targets: readonly AzureTarget[], ctx: AzurePreflightContext, deps: AzurePreflightDeps = realAzurePreflightDeps(ctx), options: CheckOptions = {}): Promise<string[]> {
  if (!targets.length) return [];
  if (ctx.env[SKIP_VARIABLE] === "1") {
    deps.say(`preflight: subscription checks skipped (${SKIP_VARIABLE}=1)`);
    return [];
  }
  const unchecked: string[] = [];
  const existing = targets.filter((t) => t.mayExist);
  if (existing.length) deps.say(`preflight: reading the state of ${existing.map((t) => t.stack).join(", ")} (names and what the stacks already hold)`);
  const planned: PlannedTarget[] = await Promise.all(
    targets.map(async (t): Promise<PlannedTarget> => {
      if (!t.mayExist) return { ...t, footprint: {} };
      try {
        const state = await withTimeLimit(options.timeoutMs ?? 60_000, () => deps.stackState(t));
        return { ...t, footprint: state ? footprintFromState(state) : {} };
      } catch (e) {
        unchecked.push(`could not read the state of stack ${t.stack} (${reason(e)}): its names are not checked against soft-deleted services, and the quota it already uses is not credited`);
        return { ...t, footprint: {} };
      }
    }),
  );
  const report = await checkSubscription(planned, deps.reader(ctx.subscriptionId), { ...options, onProgress: options.onProgress ?? deps.say });
  for (const line of [...unchecked, ...report.unchecked]) deps.say(`preflight: ${line} (not a blocker; continuing)`);
  return report.problems;
}

export function realAzurePreflightDeps(ctx: AzurePreflightContext): AzurePreflightDeps {
  let workspace: Promise<import("../stack/workspace").DriverWorkspace> | undefined;
  return {
    reader: (subscriptionId) => azureReader(subscriptionId, (require("./azure") as typeof import("./azure")).azureCredential()),
    async stackState(t) {
      if (!ctx.pulumiPath) throw new Error("pulumi CLI not found");
      const { DriverWorkspace } = require("../stack/workspace") as typeof import("../stack/workspace");
      // Without the Ctrl-C shim: this workspace only reads state and is dropped afterwards.
      workspace ??= DriverWorkspace.create({ pulumiPath: ctx.pulumiPath, subscriptionId: ctx.subscriptionId, secretsProvider: ctx.secretsProvider, env: ctx.env, backend: ctx.backend, shim: false });
      try {
        return await (await (await workspace).select(t.stack, t.scenario)).resources();
      } catch (e) {
        if (/does not exist/.test((e as Error).message ?? "")) return undefined;
        throw e;
      }
    },
    say: (line) => process.stderr.write(`${line}\n`),
  };
}
