/**
 * Failover between Azure OpenAI endpoints that serve the same deployment, for the AI API's own upstream calls
 * (APIM's backend pool does the same for the Azure OpenAI API). An endpoint that answers 429 or 5xx, or cannot
 * be reached, is set aside for the upstream's Retry-After (else `tripMs`) and the call goes to the next one,
 * as long as nothing has reached the client yet; once the time has passed the endpoint takes calls again, the
 * primary first. Each answer names the endpoint that gave it in MODEL_ENDPOINT_HEADER.
 */
import type { AppConfig } from "./config";
import type { HttpFailure } from "./errors";
import { createUpstream, type RelayCall, type RelaySink, type Upstream } from "./upstream";

import { FAILOVER_ENDPOINTS_ENV, MODEL_ENDPOINT_HEADER } from "./failover-env";

export { FAILOVER_ENDPOINTS_ENV, MODEL_ENDPOINT_HEADER };
/** How long an endpoint is set aside when its answer carries no Retry-After. */
export const DEFAULT_TRIP_MS = 60_000;
/** The longest Retry-After honoured, so that a wrong header cannot park an endpoint for hours. */
export const MAX_TRIP_MS = 10 * 60_000;

/** Whether a failure before the answer began is one another endpoint may not share: throttled, failing or unreachable. */
export function failsOver(f: HttpFailure): boolean {
  if (f.upstreamStatus === 429 || (f.upstreamStatus !== undefined && f.upstreamStatus >= 500)) return true;
  return f.upstreamStatus === undefined && (f.code === "upstream_unreachable" || f.code === "upstream_timeout");
}

/**
 * Milliseconds the upstream asked to wait: `retry-after-ms` (Azure OpenAI sends it), else `retry-after` as
 * seconds or an HTTP date; undefined when neither is usable. https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function retryAfterMs(headers: Record<string, string>, now: number): number | undefined {
  const ms = Number(headers["retry-after-ms"]);
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_TRIP_MS);
  const value = headers["retry-after"];
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Math.min(Number(value.trim()) * 1000, MAX_TRIP_MS);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_TRIP_MS);
}

/** The endpoints' origins from the environment variable: https, or http on loopback (tests), no path. */
export function parseFailoverEndpoints(value: string | undefined): string[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((raw) => {
    const text = raw.trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`${FAILOVER_ENDPOINTS_ENV}: ${JSON.stringify(text)} is not an absolute URL`);
    }
    const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) throw new Error(`${FAILOVER_ENDPOINTS_ENV}: ${url.origin} must use https`);
    if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
      throw new Error(`${FAILOVER_ENDPOINTS_ENV}: ${url.origin} must be a resource endpoint without credentials, path, query or fragment`);
    }
    return url.origin;
  });
}

interface Member {
  name: string;
  upstream: Upstream;
  trippedUntil: number;
}

export class FailoverUpstream implements Upstream {
  private readonly members: Member[];

  constructor(
    upstreams: readonly Upstream[],
    private readonly options: { tripMs?: number; now?: () => number } = {},
  ) {
    if (upstreams.length === 0) throw new Error("FailoverUpstream needs at least one upstream");
    this.members = upstreams.map((upstream, i) => ({ name: `openai-${i + 1}`, upstream, trippedUntil: 0 }));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Endpoints in the order a call tries them: those not set aside, primary first; all of them if none is. */
  order(): number[] {
    const now = this.now();
    const ready = this.members.map((_, i) => i).filter((i) => this.members[i]!.trippedUntil <= now);
    return ready.length > 0 ? ready : this.members.map((_, i) => i);
  }

  /** When each endpoint takes calls again (0: now). */
  get trips(): Record<string, number> {
    return Object.fromEntries(this.members.map((m) => [m.name, m.trippedUntil]));
  }

  private trip(i: number, f: HttpFailure): void {
    const now = this.now();
    this.members[i]!.trippedUntil = now + (retryAfterMs(f.headers, now) ?? this.options.tripMs ?? DEFAULT_TRIP_MS);
  }

  chat(call: RelayCall, sink: RelaySink): { cancel(): void } {
    const order = this.order();
    let current: { cancel(): void } | undefined;
    const attempt = (k: number): void => {
      const index = order[k]!;
      const name = this.members[index]!.name;
      const named = (headers: Record<string, string>) => ({ ...headers, [MODEL_ENDPOINT_HEADER]: name });
      const wrapped: RelaySink = {
        ...sink,
        json: (status, headers, body) => sink.json(status, named(headers), body),
        streamStart: (headers) => sink.streamStart(named(headers)),
        streamWrite: (chunk) => sink.streamWrite(chunk),
        streamDrain: (resume) => sink.streamDrain(resume),
        streamEnd: (failure) => sink.streamEnd(failure),
        observed: (status, failure) => sink.observed(status, failure),
        fail: (failure) => {
          const over = failsOver(failure);
          if (over) this.trip(index, failure);
          if (over && k + 1 < order.length && !call.signal.aborted) {
            attempt(k + 1);
            return;
          }
          sink.fail({ ...failure, headers: named(failure.headers) });
        },
      };
      current = this.members[index]!.upstream.chat(call, wrapped);
    };
    attempt(0);
    return { cancel: () => current?.cancel() };
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.upstream.close()));
  }
}

/**
 * The AI API's upstream: one endpoint as before, or with FAILOVER_ENDPOINTS_ENV set, the endpoint and its
 * failover list behind one FailoverUpstream (each endpoint its own connection pool).
 */
export function upstreamFor(
  config: Pick<AppConfig, "endpoint" | "deployment" | "apiVersion" | "timeouts" | "upstreamMaxRetries">,
  env: NodeJS.ProcessEnv = process.env,
): Upstream {
  const others = parseFailoverEndpoints(env[FAILOVER_ENDPOINTS_ENV]);
  if (others.length === 0) return createUpstream(config);
  return new FailoverUpstream([config.endpoint, ...others].map((endpoint) => createUpstream({ ...config, endpoint })));
}
