import type { AzureOpenAI } from "openai";
import { mapUpstreamError, type TokenProvider } from "./upstream";

export interface ReadinessState {
  ready: boolean;
  reason?: string;
  upstreamStatus?: number;
  checkedAt: string;
}

/** Runs the check at most once per TTL and shares one in-flight check between concurrent callers. */
export function cached<T>(check: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let value: T | undefined;
  let expiresAt = 0;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (value !== undefined && now() < expiresAt) return Promise.resolve(value);
    inFlight ??= check().then(
      (result) => {
        value = result;
        expiresAt = now() + ttlMs;
        inFlight = undefined;
        return result;
      },
      (error: unknown) => {
        inFlight = undefined;
        throw error;
      },
    );
    return inFlight;
  };
}

/** Ready when a token can be obtained and the endpoint answers an authenticated, token-free call. */
export function upstreamReadiness(
  client: AzureOpenAI,
  tokenProvider: TokenProvider,
  timeoutMs: number,
): () => Promise<ReadinessState> {
  return async () => {
    const checkedAt = () => new Date().toISOString();
    try {
      await tokenProvider();
    } catch {
      return { ready: false, reason: "credential_unavailable", checkedAt: checkedAt() };
    }
    try {
      await client.models.list({ timeout: timeoutMs, maxRetries: 0 });
      return { ready: true, checkedAt: checkedAt() };
    } catch (error) {
      const failure = mapUpstreamError(error);
      return {
        ready: false,
        reason: failure.code,
        ...(failure.upstreamStatus === undefined ? {} : { upstreamStatus: failure.upstreamStatus }),
        checkedAt: checkedAt(),
      };
    }
  };
}
