import { TokenUnavailableError, TokenWaitAbortedError, type TokenSource } from "./token";

export interface ReadinessState {
  ready: boolean;
  reason?: string;
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

/**
 * Ready when the process serves and a token can be obtained within `timeoutMs`. The model endpoint's own
 * health (429s, 5xx) is not readiness: every pod shares the same deployment and quota, so failing them all
 * would only take the API away; it is a metric instead.
 */
export function tokenReadiness(tokens: TokenSource, timeoutMs: number): () => Promise<ReadinessState> {
  return async () => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await tokens.get(signal);
      return { ready: true, checkedAt: new Date().toISOString() };
    } catch (error) {
      const reason =
        error instanceof TokenWaitAbortedError
          ? "credential_timeout"
          : error instanceof TokenUnavailableError
            ? error.reason
            : "credential_unavailable";
      return { ready: false, reason, checkedAt: new Date().toISOString() };
    }
  };
}
