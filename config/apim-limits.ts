/**
 * How many attendees one APIM service holds: workshop mode puts every attendee's product, APIs and subscription
 * on the shared stack's one service (components/ApiGateway.ts GatewayApis), and APIM limits those per service.
 *
 * Limits per service instance, "Limits - API Management classic and v2 tiers", introduced from March 2026
 * (Consumption, Developer, Basic and Basic v2 from March 15; Standard and Standard v2 from April 15; Premium from
 * May 15; read 2026-11-30):
 * https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#limits---api-management-classic-and-v2-tiers
 * (MicrosoftDocs/azure-docs includes/api-management-service-limits.md, ms.date 02/12/2026, and
 * https://learn.microsoft.com/azure/api-management/service-limits). This table replaces the earlier per-tier
 * ones, among them includes/api-management-service-limits-v2.md (Basic v2: 50 products, 150 APIs, 500
 * subscriptions, 100 backends; Standard v2: 200, 500, 2,000, 100): "Limits are enforced for a smaller set of
 * resource types ... such as API operations, tags, products, and subscriptions", and v2 instances "are already
 * subject to the new limits". APIs and backends are no longer limited per service; API operations count
 * versions and revisions. Consumption's subscriptions are "N/A" there: no limit listed.
 */
import type { ApimSku } from "./schema";

export const APIM_LIMITS_SOURCE = "https://learn.microsoft.com/azure/api-management/service-limits";

/** The limited entities a room uses, as the table names them. */
export type LimitedEntity = "Products" | "Subscriptions" | "API operations";

export const APIM_SERVICE_LIMITS: Readonly<Record<ApimSku, Readonly<Partial<Record<LimitedEntity, number>>>>> = {
  Consumption: { "API operations": 3_000, Products: 100 },
  Developer: { "API operations": 3_000, Products: 100, Subscriptions: 10_000 },
  Basic: { "API operations": 10_000, Products: 200, Subscriptions: 15_000 },
  BasicV2: { "API operations": 10_000, Products: 200, Subscriptions: 15_000 },
  Standard: { "API operations": 50_000, Products: 500, Subscriptions: 25_000 },
  StandardV2: { "API operations": 50_000, Products: 500, Subscriptions: 25_000 },
  Premium: { "API operations": 75_000, Products: 2_000, Subscriptions: 75_000 },
};

/**
 * What one attendee stack creates on the service (GatewayApis: one product; the AI API with chat-completions and
 * healthz, the Azure OpenAI API with chat-completions; one subscription). tests/config/apim-limits.test.ts counts
 * them in every scenario's evaluated attendee half.
 */
export const ATTENDEE_USE: Readonly<Record<LimitedEntity, number>> = { Products: 1, Subscriptions: 1, "API operations": 3 };

/**
 * What the service holds before any attendee: the two sample products, Starter and Unlimited, that "API
 * Management includes" (PSRule for Azure, rule Azure.APIM.SampleProducts, which recommends removing them);
 * counted in every tier, so a host who removed them has room for two more. The shared stack publishes no API.
 */
export const SERVICE_USE: Readonly<Record<LimitedEntity, number>> = { Products: 2, Subscriptions: 0, "API operations": 0 };

export interface RoomLimit {
  tier: ApimSku;
  /** The entity that runs out first. */
  entity: LimitedEntity;
  /** Its limit per service. */
  limit: number;
  /** The largest number of attendees whose entities fit under every limit. */
  largestRoom: number;
}

/** The limit that bounds a room on one service of `tier`: the entity that runs out first. */
export function roomLimit(tier: ApimSku): RoomLimit {
  const limits = APIM_SERVICE_LIMITS[tier];
  const bounds = (Object.keys(ATTENDEE_USE) as LimitedEntity[]).flatMap((entity) => {
    const limit = limits[entity];
    return limit === undefined ? [] : [{ tier, entity, limit, largestRoom: Math.max(0, Math.floor((limit - SERVICE_USE[entity]) / ATTENDEE_USE[entity])) }];
  });
  return bounds.reduce((a, b) => (b.largestRoom < a.largestRoom ? b : a));
}

/** One line naming the limit, the tier and the largest room that fits; undefined when `attendees` fit. */
export function roomFitProblem(tier: ApimSku, attendees: number): string | undefined {
  const l = roomLimit(tier);
  if (attendees <= l.largestRoom) return undefined;
  return `a room of ${attendees} does not fit one APIM ${tier} service: ${roomLimitText(l)} (${APIM_LIMITS_SOURCE})`;
}

/** The limit in words, for the refusal and the plan's workshop estimate. */
export function roomLimitText(l: RoomLimit): string {
  const held = SERVICE_USE[l.entity];
  const use = `${held ? `${held} ${l.entity === "Products" ? "sample products" : "on the service"} and ` : ""}${ATTENDEE_USE[l.entity]} per attendee`;
  return `${l.entity} are limited to ${l.limit.toLocaleString("en-US")} per service in ${l.tier} (${use}), so the largest room is ${l.largestRoom}`;
}
