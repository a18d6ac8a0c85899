/**
 * APIM backends for the Azure OpenAI accounts, each with a circuit breaker, and a priority pool over them: the
 * Azure OpenAI API sends every call to the pool, which picks the primary until its breaker trips on a 429 or a
 * 5xx, then the secondary until the trip (or the upstream's Retry-After) has passed.
 * https://learn.microsoft.com/azure/api-management/backends
 */
import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import type * as inputs from "@pulumi/azure-native/types/input";
import { TYPE_PREFIX } from "./common";

/** The pool's backend ID, which the Azure OpenAI API's set-backend-service names. */
export const MODEL_POOL_BACKEND_ID = "openai-pool";

/** `openai-1` for the primary account, `openai-2` for the secondary. */
export function modelBackendId(index: number): string {
  return `openai-${index + 1}`;
}

/** The backend URL of an account: its endpoint's `/openai` path, which the API's operations continue. */
export function modelBackendUrl(endpoint: string): string {
  return `${endpoint.replace(/\/$/, "")}/openai`;
}

/**
 * One rule per breaker (the backends page: "only one rule can be configured"), so it covers both signals: any
 * 429 or 5xx in ten seconds trips the backend for a minute, or for as long as the upstream's Retry-After asks
 * (`acceptRetryAfter`, API version 2023-09-01-preview and later; azure-native 3.x sends 2024-05-01).
 * Azure OpenAI answers 429 with Retry-After when a deployment's tokens-per-minute are spent.
 * https://learn.microsoft.com/azure/api-management/backends#circuit-breaker
 * https://learn.microsoft.com/azure/ai-foundry/openai/how-to/quota
 */
export function modelCircuitBreakerRule(): inputs.apimanagement.CircuitBreakerRuleArgs & {
  failureCondition: { count: number; interval: string; statusCodeRanges: { min: number; max: number }[] };
} {
  return {
    name: "throttled-or-failing",
    failureCondition: {
      count: 1,
      interval: "PT10S",
      statusCodeRanges: [
        { min: 429, max: 429 },
        { min: 500, max: 599 },
      ],
    },
    tripDuration: "PT1M",
    acceptRetryAfter: true,
  };
}

/**
 * The pool's members in order of priority (1 first): the primary takes every call while it is healthy, the
 * next only while the ones before it are tripped. Members are named by the backend's ARM ID.
 */
export function poolServices(backendIds: readonly string[]): { id: string; priority: number }[] {
  if (backendIds.length < 2) throw new Error("a model pool needs at least two backends");
  return backendIds.map((id, i) => ({ id, priority: i + 1 }));
}

/**
 * The retry on the Azure OpenAI API that moves a refused call on: 429 (throttled) or 503 (unavailable) from the
 * backend the pool chose, after which that backend's breaker has tripped and the pool chooses the next.
 */
export function poolRetry(backends: number): { condition: string; count: number; intervalSeconds: number; firstFastRetry: boolean } {
  return {
    condition: "@(context.Response.StatusCode == 429 || context.Response.StatusCode == 503)",
    count: Math.max(1, backends - 1),
    intervalSeconds: 1,
    firstFastRetry: true,
  };
}

export interface ModelPoolArgs {
  resourceGroupName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  /** Account endpoints, `https://<name>.openai.azure.com/`, primary first. */
  endpoints: pulumi.Input<string>[];
}

export class ModelPool extends pulumi.ComponentResource {
  /** What set-backend-service names. */
  readonly backendId = MODEL_POOL_BACKEND_ID;
  /** Every backend, the pool last: a policy naming the pool waits for these. */
  readonly backends: apimanagement.Backend[];

  constructor(name: string, args: ModelPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:gateway:ModelPool`, name, {}, opts);
    // Checked here as well as in poolServices, which runs only once the backends' IDs are known.
    if (args.endpoints.length < 2) throw new pulumi.ResourceError(`ModelPool "${name}": a model pool needs at least two backends, got ${args.endpoints.length}`, this);
    const parent = { parent: this };
    const svc = { resourceGroupName: args.resourceGroupName, serviceName: args.serviceName };
    const members = args.endpoints.map(
      (endpoint, i) =>
        new apimanagement.Backend(
          `${name}-${modelBackendId(i)}`,
          {
            ...svc,
            backendId: modelBackendId(i),
            title: i === 0 ? "Azure OpenAI (primary)" : `Azure OpenAI (secondary ${i})`,
            type: "Single",
            // `http` is the protocol family (HTTP or HTTPS by the URL), as opposed to `soap`.
            protocol: "http",
            url: pulumi.output(endpoint).apply(modelBackendUrl),
            circuitBreaker: { rules: [modelCircuitBreakerRule()] },
          },
          parent,
        ),
    );
    const pool = new apimanagement.Backend(
      `${name}-pool`,
      {
        ...svc,
        backendId: MODEL_POOL_BACKEND_ID,
        title: "Azure OpenAI accounts, by priority",
        type: "Pool",
        pool: { services: pulumi.all(members.map((m) => m.id)).apply((ids) => poolServices(ids)) },
      },
      parent,
    );
    this.backends = [...members, pool];
    this.registerOutputs({ backendId: this.backendId });
  }
}
