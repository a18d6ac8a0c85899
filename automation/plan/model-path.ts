/**
 * How the model is reached and what takes over when it refuses (issue 16), read from the graph: each Azure
 * OpenAI account's private endpoint, privatelink zone and public access (the policy pack's own test of a
 * private path, policy/model.ts), its firewall, and APIM's backend pool with its circuit breakers and the
 * Azure OpenAI API's policy that routes to it. Pure.
 */
import { FAILOVER_ENDPOINTS_ENV } from "../../app/src/failover-env";
import { DEBUG_PUBLIC_ACCESS_TAG, DEBUG_PUBLIC_ACCESS_VALUE } from "../../components/model-path";
import { supportsBackendFeature } from "../../components/policy-support";
import type { ApimSku } from "../../config/schema";
import { privatePathGaps } from "../../policy/model";
import type { RegisteredResource } from "../mock-engine";
import type { Protection, XmlElement } from "./analysis";
import { valueAt } from "./estimates";

const ACCOUNT = "azure-native:cognitiveservices:Account";
const BACKEND = "azure-native:apimanagement:Backend";
const APIM = "azure-native:apimanagement:ApiManagementService";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

export const MODEL_REACHED_PRIVATELY = "model reached privately";
export const MODEL_FAILOVER = "model failover";

/** The accounts, the primary (`ai-model`) before the failover account (`ai-model-secondary`). */
const accounts = (rs: readonly RegisteredResource[]) => rs.filter((r) => r.type === ACCOUNT).sort((p, q) => p.name.localeCompare(q.name));
const accountName = (r: RegisteredResource) => String(r.inputs.accountName ?? r.name);
const asPolicyResource = (r: RegisteredResource) => ({ type: r.type, name: r.name, props: r.inputs as Record<string, any> });
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const find = (docs: readonly XmlElement[], name: string): XmlElement[] => docs.flatMap((d) => [...(d.name === name ? [d] : []), ...find(d.children, name)]);

/** How one account is reached from the AI API and APIM. */
export interface AccountPath {
  name: string;
  location?: string;
  kind: "private endpoint" | "public kept" | "incomplete" | "firewall" | "open";
  detail: string;
}

export function accountPath(account: RegisteredResource, rs: readonly RegisteredResource[]): AccountPath {
  const name = accountName(account);
  const location = account.inputs.location === undefined ? undefined : String(account.inputs.location);
  const props = (account.inputs.properties ?? {}) as Record<string, unknown>;
  const gaps = privatePathGaps(asPolicyResource(account), rs.map(asPolicyResource));
  const hasEndpoint = !gaps.some((g) => g.startsWith("no private endpoint"));
  const debugPublic = valueAt(account.inputs, `tags.${DEBUG_PUBLIC_ACCESS_TAG}`) === DEBUG_PUBLIC_ACCESS_VALUE && props.publicNetworkAccess !== "Disabled";
  const acl = (props.networkAcls ?? {}) as { defaultAction?: string; ipRules?: unknown[]; virtualNetworkRules?: unknown[] };
  const firewall =
    acl.defaultAction === "Deny"
      ? `its firewall denies by default and admits ${plural(acl.ipRules?.length ?? 0, "IP rule")} (APIM's outbound addresses) and ${plural(acl.virtualNetworkRules?.length ?? 0, "subnet")} (service endpoint)`
      : undefined;
  if (hasEndpoint && gaps.length === 0) {
    return debugPublic
      ? { name, location, kind: "public kept", detail: `${name}: private endpoint, and its public endpoint kept for debugging (openAiPublicNetworkAccess), where ${firewall ?? "no firewall rule applies"}` }
      : { name, location, kind: "private endpoint", detail: `${name}: private endpoint (group account) resolved through privatelink.openai.azure.com linked to the VNet; public network access disabled` };
  }
  if (hasEndpoint) return { name, location, kind: "incomplete", detail: `${name}: private endpoint, but ${gaps.join("; ")}` };
  return firewall
    ? { name, location, kind: "firewall", detail: `${name}: public endpoint; ${firewall}` }
    : { name, location, kind: "open", detail: `${name}: public endpoint open to any address (no network rules)` };
}

/** The "model reached privately" row: every account's path, the weakest one deciding. */
export function modelReach(rs: readonly RegisteredResource[]): Protection {
  const name = MODEL_REACHED_PRIVATELY;
  const all = accounts(rs);
  if (!all.length) return { name, present: null, summary: "not in graph", detail: "no Azure OpenAI account in the graph", from: "graph" };
  const paths = all.map((a) => accountPath(a, rs));
  const detail = paths.map((p) => p.detail).join(" · ");
  const count = paths.length > 1 ? ` ×${paths.length}` : "";
  const worst = (["open", "incomplete", "firewall", "public kept"] as const).find((k) => paths.some((p) => p.kind === k));
  switch (worst) {
    case undefined:
      return { name, present: true, summary: `private endpoint${count}`, detail, from: "graph" };
    case "public kept":
      return { name, present: false, summary: "PE, public kept", detail, from: "graph", tone: "warn" };
    case "firewall":
      return { name, present: false, summary: "public, firewall", detail, from: "graph", tone: "warn" };
    case "incomplete":
      return { name, present: false, summary: "PE incomplete", detail, from: "graph" };
    case "open":
      return { name, present: false, summary: "public, open", detail, from: "graph" };
  }
}

interface Breaker {
  failureCondition?: { count?: number; interval?: string; statusCodeRanges?: { min?: number; max?: number }[] };
  tripDuration?: string;
  acceptRetryAfter?: boolean;
}

/** `PT10S` → `10 s`, `PT1M` → `1 min`; other ISO 8601 durations as given. */
export function isoDuration(d: string | undefined): string {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(d ?? "");
  if (!m || !(m[1] || m[2] || m[3])) return String(d ?? "?");
  return [m[1] && `${m[1]} h`, m[2] && `${m[2]} min`, m[3] && `${m[3]} s`].filter(Boolean).join(" ");
}

/** One circuit breaker rule in words: `trips on 429, 500-599 (1 in 10 s) for 1 min or the upstream's Retry-After`. */
export function breakerText(rule: Breaker): string {
  const codes = (rule.failureCondition?.statusCodeRanges ?? []).map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(", ");
  const count = rule.failureCondition?.count ?? 1;
  return `trips on ${codes || "failures"} (${count} in ${isoDuration(rule.failureCondition?.interval)}) for ${isoDuration(rule.tripDuration)}${rule.acceptRetryAfter ? " or the upstream's Retry-After" : ""}`;
}

/** APIM's model pool as the graph has it: members by priority, each with its breaker rules. */
export interface ModelPoolView {
  backendId: string;
  members: { backendId: string; priority: number; weight?: number; url: string; breakers: string[] }[];
}

export function modelPool(rs: readonly RegisteredResource[]): ModelPoolView | undefined {
  const backends = rs.filter((r) => r.type === BACKEND);
  const pool = backends.find((b) => b.inputs.type === "Pool");
  if (!pool) return undefined;
  const services = (valueAt(pool.inputs, "pool.services") ?? []) as { id: string; priority?: number; weight?: number }[];
  const members = services
    .map((s) => {
      const b = backends.find((x) => x.id === s.id || String(s.id).endsWith(`/backends/${String(x.inputs.backendId)}`));
      const rules = (valueAt(b?.inputs ?? {}, "circuitBreaker.rules") ?? []) as Breaker[];
      return { backendId: String(b?.inputs.backendId ?? s.id), priority: s.priority ?? 1, weight: s.weight, url: String(b?.inputs.url ?? "?"), breakers: rules.map(breakerText) };
    })
    .sort((p, q) => p.priority - q.priority);
  return { backendId: String(pool.inputs.backendId), members };
}

/** `@(context.Response.StatusCode == 429 || context.Response.StatusCode == 503)` → `429 or 503`; else the condition as written. */
export function retryStatuses(condition = ""): string {
  const codes = [...condition.matchAll(/StatusCode\s*==\s*(\d{3})/g)].map((m) => m[1]);
  return codes.length ? codes.join(" or ") : condition;
}

/** The host names of the pool's members, which the Azure OpenAI API's response header names by their first label. */
const hostOf = (url: string) => /^https?:\/\/([^/:]+)/.exec(url)?.[1] ?? url;

/**
 * The "model failover" row: APIM's pool (breakers and priorities) where the Azure OpenAI API routes to it;
 * "— (tier)" where the tier has no backend circuit breakers; "off" with one account.
 * https://learn.microsoft.com/azure/api-management/backends#circuit-breaker
 */
export function modelFailover(rs: readonly RegisteredResource[], openAiPolicies: readonly XmlElement[]): Protection {
  const name = MODEL_FAILOVER;
  const sku = valueAt(rs.find((r) => r.type === APIM)?.inputs ?? {}, "sku.name") as ApimSku | undefined;
  const all = accounts(rs);
  const pool = modelPool(rs);
  const appFailover = rs
    .filter((r) => r.type === DEPLOYMENT)
    .flatMap((d) => ((valueAt(d.inputs, "spec.template.spec.containers") ?? []) as { env?: { name: string; value?: string }[] }[]).flatMap((c) => c.env ?? []))
    .find((e) => e.name === FAILOVER_ENDPOINTS_ENV && e.value);
  const app = appFailover ? `; the AI API also fails over itself to ${appFailover.value} (${FAILOVER_ENDPOINTS_ENV})` : "";
  if (sku && !supportsBackendFeature(sku, "circuit-breaker")) {
    return {
      name,
      present: null,
      summary: "— (tier)",
      detail: `the ${sku} tier has no backend circuit breakers or pools: the Azure OpenAI API calls ${all.length > 1 ? "the primary account only" : "its one account"}${app}`,
      from: "graph",
    };
  }
  if (!pool) {
    return all.length > 1
      ? { name, present: false, summary: "no pool", detail: `${all.length} accounts, but no APIM backend pool routes between them${app}`, from: "graph" }
      : { name, present: null, summary: "off", detail: `one Azure OpenAI account: set openAiSecondaryLocation for a second one behind an APIM pool with circuit breakers${app}`, from: "graph" };
  }
  const routed = find(openAiPolicies, "set-backend-service").some((e) => e.attrs["backend-id"] === pool.backendId);
  const retry = find(openAiPolicies, "retry")[0];
  const members = pool.members.map((m) => `${m.backendId} (priority ${m.priority}${m.weight ? `, weight ${m.weight}` : ""}, ${hostOf(m.url)}): ${m.breakers.length ? m.breakers.join("; ") : "no circuit breaker"}`);
  const detail =
    `APIM pool ${pool.backendId}: ${members.join(" · ")}` +
    (retry ? `; the Azure OpenAI API retries ${retry.attrs.count ?? "1"}× on ${retryStatuses(retry.attrs.condition)}, on the backend the pool chooses next` : "") +
    app;
  if (!routed) return { name, present: false, summary: "pool unused", detail: `the Azure OpenAI API's policy does not send calls to ${pool.backendId}: ${detail}`, from: "graph" };
  if (pool.members.some((m) => !m.breakers.length)) return { name, present: false, summary: "no breaker", detail, from: "graph" };
  const priorities = new Set(pool.members.map((m) => m.priority)).size > 1;
  return { name, present: true, summary: `pool of ${pool.members.length}, ${priorities ? "priority" : "weighted"}`, detail, from: "graph" };
}
