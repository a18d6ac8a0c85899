import { DefaultAzureCredential, type AccessToken } from "@azure/identity";
import { TOKEN_SCOPE } from "./image";

/**
 * Gets a Microsoft Entra token. A plain string is used once; an AccessToken is reused until its refresh
 * time (or five minutes before it expires). The signal is aborted when the attempt is given up.
 */
export type TokenProvider = (signal: AbortSignal) => Promise<string | AccessToken>;

export function defaultTokenProvider(): TokenProvider {
  const credential = new DefaultAzureCredential();
  return (signal) =>
    credential.getToken(TOKEN_SCOPE, { abortSignal: signal }).then((token) => {
      if (!token) throw new Error("the credential returned no token");
      return token;
    });
}

export type TokenFailureReason = "credential_unavailable" | "credential_timeout";

export class TokenUnavailableError extends Error {
  constructor(
    readonly reason: TokenFailureReason,
    cause?: unknown,
  ) {
    super(reason === "credential_timeout" ? "no token within the time allowed" : "could not obtain a Microsoft Entra token", { cause });
    this.name = "TokenUnavailableError";
  }
}

export class TokenWaitAbortedError extends Error {
  constructor() {
    super("the caller stopped waiting for a token");
    this.name = "TokenWaitAbortedError";
  }
}

export interface TokenSourceOptions {
  /** Longest wait for one attempt; the service uses min(UPSTREAM_TIMEOUT_MS, 10 s). */
  timeoutMs: number;
  /** How long a failed attempt is remembered, so that requests fail fast instead of queueing. */
  failureTtlMs: number;
  /** Called for each failed attempt; `repeated` is true when the same cause (name and message) was seen before. */
  onFailure?: (cause: { name: string; message: string }, reason: TokenFailureReason, repeated: boolean) => void;
  now?: () => number;
}

export interface TokenSource {
  /** Resolves with a bearer token or rejects with TokenUnavailableError (or TokenWaitAbortedError). */
  get(signal?: AbortSignal): Promise<string>;
}

/** Tokens are refreshed this long before they expire when the credential gives no refresh time. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** A token this close to expiry is no longer handed out even if a refresh is failing. */
const EXPIRY_MARGIN_MS = 30_000;
const MAX_REMEMBERED_CAUSES = 64;

/**
 * Bounds and shares token acquisition: one attempt in flight at a time, each given up after `timeoutMs`,
 * failures remembered for `failureTtlMs`, and a caller that leaves stops waiting without cancelling the
 * attempt other callers share. While a still-valid token exists, a failed refresh does not fail requests.
 */
export function tokenSource(provider: TokenProvider, options: TokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number; expiresAt: number } | undefined;
  let failure: { error: TokenUnavailableError; until: number } | undefined;
  let inFlight: Promise<string> | undefined;
  const causes = new Set<string>();

  const report = (error: TokenUnavailableError) => {
    const cause = error.cause instanceof Error ? error.cause : new Error(String(error.cause ?? error.message));
    const key = `${error.reason}|${cause.name}|${cause.message}`;
    const repeated = causes.has(key);
    if (!repeated) {
      if (causes.size >= MAX_REMEMBERED_CAUSES) causes.clear();
      causes.add(key);
    }
    options.onFailure?.({ name: cause.name, message: cause.message.slice(0, 2000) }, error.reason, repeated);
  };

  const attempt = (): Promise<string> => {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TokenUnavailableError("credential_timeout", new Error(`no token within ${options.timeoutMs} ms`));
        abort.abort(error);
        reject(error);
      }, options.timeoutMs);
    });
    const obtained = Promise.resolve()
      .then(() => provider(abort.signal))
      .then(
        (result) => {
          if (typeof result === "string") return result;
          const expiresAt = result.expiresOnTimestamp;
          cached = { token: result.token, refreshAt: result.refreshAfterTimestamp ?? expiresAt - REFRESH_MARGIN_MS, expiresAt };
          return result.token;
        },
        (error: unknown) => {
          throw error instanceof TokenUnavailableError ? error : new TokenUnavailableError("credential_unavailable", error);
        },
      );
    return Promise.race([obtained, timedOut]).then(
      (token) => {
        clearTimeout(timer);
        failure = undefined;
        inFlight = undefined;
        return token;
      },
      (error: TokenUnavailableError) => {
        clearTimeout(timer);
        failure = { error, until: now() + options.failureTtlMs };
        inFlight = undefined;
        report(error);
        throw error;
      },
    );
  };

  return {
    get(signal) {
      const t = now();
      if (cached && t < cached.refreshAt) return Promise.resolve(cached.token);
      const usable = cached && t < cached.expiresAt - EXPIRY_MARGIN_MS ? cached.token : undefined;
      if (failure && t < failure.until) return usable ? Promise.resolve(usable) : Promise.reject(failure.error);
      const shared = (inFlight ??= attempt());
      if (usable) {
        shared.catch(() => undefined);
        return Promise.resolve(usable);
      }
      if (!signal) return shared;
      if (signal.aborted) return Promise.reject(new TokenWaitAbortedError());
      return new Promise<string>((resolve, reject) => {
        const leave = () => reject(new TokenWaitAbortedError());
        signal.addEventListener("abort", leave, { once: true });
        shared.then(
          (token) => {
            signal.removeEventListener("abort", leave);
            resolve(token);
          },
          (error: unknown) => {
            signal.removeEventListener("abort", leave);
            reject(error);
          },
        );
      });
    },
  };
}
