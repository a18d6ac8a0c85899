/**
 * `scenarios sweep`: deletes what ephemeral stacks left behind. Every resource group this program creates
 * carries `managed-by=pulumi`, this project's own tag `pulumi-project=apim-aks-ai-scenarios`, its `stack`,
 * and ephemeral ones `expires-at` (config/naming.ts). `managed-by=pulumi` alone is common to many Pulumi
 * programs, so sweep lists only the subscription's groups with this project's tag, and deletes those whose
 * `expires-at` has passed; it notes the APIM services and Azure OpenAI accounts in them (they are
 * soft-deleted with the group), deletes the groups, then purges those and any other soft-deleted APIM /
 * Azure OpenAI resources that came from the swept groups. Groups without `expires-at` (long-lived stacks)
 * and groups of other programs are never touched.
 */
import { PROJECT_NAME, PROJECT_TAG } from "../../../config/naming";
import { normalizeLocation } from "../preflight/azure";
import { purgeAll } from "./purge";
import type { Purgeable, Purger, PurgeResult } from "../stack/types";

export interface GroupInfo {
  name: string;
  location: string;
  tags: Record<string, string>;
}

export interface ResourceInfo {
  id: string;
  name: string;
  type: string;
  location: string;
}

/** What sweep needs of Azure; `azureSweepClient` implements it with the Azure SDKs. */
export interface SweepClient {
  /** Groups carrying this project's tag (`PROJECT_TAG=PROJECT_NAME`). */
  listManagedGroups(): Promise<GroupInfo[]>;
  listResources(group: string): Promise<ResourceInfo[]>;
  /** Soft-deleted APIM services and Cognitive Services accounts in the subscription. */
  listDeleted(): Promise<(Purgeable & { originalGroup?: string })[]>;
  deleteGroup(name: string, signal?: AbortSignal): Promise<void>;
  purger: Purger;
}

export interface ExpiredGroup extends GroupInfo {
  expiresAt: string;
  stack?: string;
  scenario?: string;
}

export interface SweepPlan {
  now: string;
  expired: ExpiredGroup[];
  /** Managed groups kept, with the reason (`no expires-at`, `expires in 2h`). */
  kept: { name: string; reason: string }[];
  purge: Purgeable[];
}

export interface SweepResult {
  plan: SweepPlan;
  dryRun: boolean;
  deleted: { group: string; ok: boolean; error?: string }[];
  purged: PurgeResult[];
}

/** ARM `$filter` for this project's groups (one tag pair per filter is what the API takes). */
export const OUR_GROUPS_FILTER = `tagName eq '${PROJECT_TAG}' and tagValue eq '${PROJECT_NAME}'`;

/** Whether this project made the group: its own tag, `managed-by=pulumi` and a stack name. */
export function isOurs(tags: Record<string, string>): boolean {
  return tags[PROJECT_TAG] === PROJECT_NAME && tags["managed-by"] === "pulumi" && Boolean(tags.stack);
}

/**
 * Splits groups into expired and kept; only this project's groups can expire (a client that lists more is
 * not trusted with that); an unparsable `expires-at` is kept and reported.
 */
export function selectExpired(groups: GroupInfo[], now: Date): { expired: ExpiredGroup[]; kept: { name: string; reason: string }[] } {
  const expired: ExpiredGroup[] = [];
  const kept: { name: string; reason: string }[] = [];
  for (const g of groups) {
    if (!isOurs(g.tags)) {
      kept.push({ name: g.name, reason: `not this project's (needs ${PROJECT_TAG}=${PROJECT_NAME}, managed-by=pulumi and stack)` });
      continue;
    }
    const raw = g.tags["expires-at"];
    if (!raw) {
      kept.push({ name: g.name, reason: "no expires-at (long-lived)" });
      continue;
    }
    const t = Date.parse(raw);
    if (Number.isNaN(t)) {
      kept.push({ name: g.name, reason: `expires-at ${JSON.stringify(raw)} is not a time` });
      continue;
    }
    if (t > now.getTime()) {
      kept.push({ name: g.name, reason: `expires in ${Math.ceil((t - now.getTime()) / 60_000)} min` });
      continue;
    }
    expired.push({ ...g, expiresAt: raw, stack: g.tags.stack, scenario: g.tags.scenario });
  }
  return { expired, kept };
}

export function purgeablesIn(group: string, resources: ResourceInfo[]): Purgeable[] {
  const out: Purgeable[] = [];
  for (const r of resources) {
    const type = r.type.toLowerCase();
    if (type === "microsoft.apimanagement/service") out.push({ kind: "apim", name: r.name, location: normalizeLocation(r.location) });
    else if (type === "microsoft.cognitiveservices/accounts") out.push({ kind: "cognitive", name: r.name, location: normalizeLocation(r.location), resourceGroupName: group });
  }
  return out;
}

function key(p: Purgeable): string {
  return `${p.kind}/${p.name.toLowerCase()}`;
}

export async function planSweep(client: SweepClient, now = new Date()): Promise<SweepPlan> {
  const { expired, kept } = selectExpired(await client.listManagedGroups(), now);
  const purge = new Map<string, Purgeable>();
  for (const g of expired) for (const p of purgeablesIn(g.name, await client.listResources(g.name))) purge.set(key(p), p);
  const swept = new Set(expired.map((g) => g.name.toLowerCase()));
  if (swept.size) {
    for (const d of await client.listDeleted()) {
      const group = d.originalGroup ?? (d.kind === "cognitive" ? d.resourceGroupName : undefined);
      if (group && swept.has(group.toLowerCase())) {
        const { originalGroup: _ignored, ...target } = d;
        purge.set(key(target as Purgeable), target as Purgeable);
      }
    }
  }
  return { now: now.toISOString(), expired, kept, purge: [...purge.values()] };
}

export async function runSweep(client: SweepClient, options: { dryRun: boolean; now?: Date; signal?: AbortSignal; onProgress?: (t: string) => void }): Promise<SweepResult> {
  const plan = await planSweep(client, options.now);
  if (options.dryRun) return { plan, dryRun: true, deleted: [], purged: [] };
  const deleted = await Promise.all(
    plan.expired.map(async (g) => {
      options.onProgress?.(`deleting resource group ${g.name} (expired ${g.expiresAt})`);
      try {
        await client.deleteGroup(g.name, options.signal);
        return { group: g.name, ok: true };
      } catch (e) {
        return { group: g.name, ok: false, error: (e as Error).message?.split("\n")[0] ?? String(e) };
      }
    }),
  );
  if (plan.purge.length) options.onProgress?.(`purging ${plan.purge.length} soft-deleted resource(s)`);
  const purged = await purgeAll(client.purger, plan.purge, options.signal);
  return { plan, dryRun: false, deleted, purged };
}

export function formatSweep(r: SweepResult): string[] {
  const out: string[] = [];
  if (!r.plan.expired.length) out.push(`nothing expired: no resource group tagged ${PROJECT_TAG}=${PROJECT_NAME} has an expires-at in the past`);
  for (const g of r.plan.expired) {
    const d = r.deleted.find((x) => x.group === g.name);
    const status = r.dryRun ? "would delete" : d?.ok ? "deleted" : `NOT deleted (${d?.error ?? "unknown"})`;
    out.push(`${status}: resource group ${g.name} (${g.location}; stack ${g.stack ?? "?"}, expired ${g.expiresAt})`);
  }
  for (const p of r.plan.purge) {
    const res = r.purged.find((x) => x.target.kind === p.kind && x.target.name === p.name);
    const what = p.kind === "apim" ? `APIM service ${p.name}` : `Azure OpenAI account ${p.name}`;
    out.push(`${r.dryRun ? "would purge" : (res?.status ?? "not purged")}: ${what} (${p.location})${res?.error ? ` ${res.error}` : ""}`);
  }
  for (const k of r.plan.kept) out.push(`kept: ${k.name} (${k.reason})`);
  const ephemeralStacks = r.plan.expired.map((g) => g.stack).filter((s): s is string => Boolean(s && /-eph-/.test(s)));
  if (!r.dryRun && ephemeralStacks.length) {
    out.push(`their stacks may still hold state: pulumi stack rm --force ${ephemeralStacks.join(" / ")} (with PULUMI_BACKEND_URL set as for the run)`);
  }
  return out;
}

/** SweepClient over the Azure SDKs. */
export async function azureSweepClient(subscriptionId: string): Promise<SweepClient> {
  const { azureCredential, resourceGroupOf } = require("../preflight/azure") as typeof import("../preflight/azure");
  const { ResourceManagementClient } = require("@azure/arm-resources") as typeof import("@azure/arm-resources");
  const { ApiManagementClient } = require("@azure/arm-apimanagement") as typeof import("@azure/arm-apimanagement");
  const { CognitiveServicesManagementClient } = require("@azure/arm-cognitiveservices") as typeof import("@azure/arm-cognitiveservices");
  const { azurePurger } = require("./purge") as typeof import("./purge");
  const credential = azureCredential();
  const arm = new ResourceManagementClient(credential, subscriptionId);
  const apim = new ApiManagementClient(credential, subscriptionId);
  const cognitive = new CognitiveServicesManagementClient(credential, subscriptionId);
  return {
    async listManagedGroups() {
      const out: GroupInfo[] = [];
      // https://learn.microsoft.com/rest/api/resources/resource-groups/list#uri-parameters
      for await (const g of arm.resourceGroups.list({ filter: OUR_GROUPS_FILTER })) {
        out.push({ name: g.name ?? "", location: g.location ?? "", tags: (g.tags ?? {}) as Record<string, string> });
      }
      return out;
    },
    async listResources(group) {
      const out: ResourceInfo[] = [];
      for await (const r of arm.resources.listByResourceGroup(group)) out.push({ id: r.id ?? "", name: r.name ?? "", type: r.type ?? "", location: r.location ?? "" });
      return out;
    },
    async listDeleted() {
      const out: (Purgeable & { originalGroup?: string })[] = [];
      for await (const s of apim.deletedServices.listBySubscription()) {
        if (s.name && s.location) out.push({ kind: "apim", name: s.name, location: normalizeLocation(s.location), originalGroup: resourceGroupOf(s.serviceId) });
      }
      for await (const a of cognitive.deletedAccounts.list()) {
        const group = resourceGroupOf(a.id);
        if (a.name && a.location && group) out.push({ kind: "cognitive", name: a.name, location: normalizeLocation(a.location), resourceGroupName: group });
      }
      return out;
    },
    async deleteGroup(name, signal) {
      await arm.resourceGroups.beginDeleteAndWait(name, { abortSignal: signal });
    },
    purger: await azurePurger(subscriptionId),
  };
}
