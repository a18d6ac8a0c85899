import { DefaultAzureCredential, getBearerTokenProvider } from "@azure/identity";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AzureOpenAI } from "openai";
import type { AppConfig } from "./config";
import type { HttpFetch } from "./http-fetch";
import { TOKEN_SCOPE } from "./image";

export type TokenProvider = () => Promise<string>;

export function defaultTokenProvider(): TokenProvider {
  return getBearerTokenProvider(new DefaultAzureCredential(), TOKEN_SCOPE);
}

export class TokenUnavailableError extends Error {
  constructor(cause: unknown) {
    super("could not obtain a Microsoft Entra token", { cause });
    this.name = "TokenUnavailableError";
  }
}

/** Wraps a provider so that credential failures stay recognisable after the SDK re-wraps them. */
export function guardTokenProvider(provider: TokenProvider): TokenProvider {
  return async () => {
    try {
      return await provider();
    } catch (error) {
      throw new TokenUnavailableError(error);
    }
  };
}

export function createChatClient(config: AppConfig, tokenProvider: TokenProvider, fetch: HttpFetch): AzureOpenAI {
  return new AzureOpenAI({
    fetch,
    baseURL: `${config.endpoint}/openai`,
    deployment: config.deployment,
    apiVersion: config.apiVersion,
    azureADTokenProvider: tokenProvider,
    timeout: config.timeouts.upstreamMs,
    maxRetries: config.upstreamMaxRetries,
  });
}

export interface HttpFailure {
  status: number;
  type: string;
  code: string;
  message: string;
  headers: Record<string, string>;
  upstreamStatus?: number;
  upstreamRequestId?: string;
}

const PASSED_THROUGH_HEADERS = ["retry-after", "retry-after-ms"];

function passThrough(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_THROUGH_HEADERS) {
    const value = headers?.get(name);
    if (value) out[name] = value;
  }
  return out;
}

function isTokenFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof TokenUnavailableError) return true;
  }
  return false;
}

function upstreamMessage(error: APIError): string | undefined {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === "string" ? body.message.slice(0, 1000) : undefined;
}

/** Maps anything the upstream call threw to the response the client sees; never echoes secrets. */
export function mapUpstreamError(error: unknown): HttpFailure {
  if (isTokenFailure(error)) {
    return {
      status: 503,
      type: "service_unavailable",
      code: "credential_unavailable",
      message: "the service could not obtain a token for the model endpoint",
      headers: {},
    };
  }
  if (error instanceof APIConnectionTimeoutError) {
    return {
      status: 504,
      type: "upstream_error",
      code: "upstream_timeout",
      message: "the model endpoint did not answer in time",
      headers: {},
    };
  }
  if (error instanceof APIError && error.status !== undefined) {
    const upstream = {
      upstreamStatus: error.status,
      upstreamRequestId: error.headers?.get("apim-request-id") ?? error.headers?.get("x-request-id") ?? undefined,
      headers: passThrough(error.headers),
    };
    if (error.status === 429) {
      return {
        ...upstream,
        status: 429,
        type: "rate_limit_error",
        code: "rate_limited",
        message: "the model deployment is rate limited; retry after the time in Retry-After",
      };
    }
    if (error.status === 400 || error.status === 413 || error.status === 422) {
      return {
        ...upstream,
        headers: {},
        status: error.status,
        type: "invalid_request_error",
        code: error.code ?? "upstream_rejected_request",
        message: upstreamMessage(error) ?? "the model endpoint rejected the request",
      };
    }
    if (error.status === 408) {
      return {
        ...upstream,
        status: 504,
        type: "upstream_error",
        code: "upstream_timeout",
        message: "the model endpoint did not answer in time",
      };
    }
    return {
      ...upstream,
      status: 502,
      type: "upstream_error",
      code: error.status >= 500 ? "upstream_error" : "upstream_refused",
      message:
        error.status >= 500
          ? "the model endpoint failed to answer"
          : "the model endpoint refused the service's request",
    };
  }
  if (error instanceof APIUserAbortError) {
    return { status: 499, type: "client_closed", code: "client_closed", message: "request aborted", headers: {} };
  }
  return {
    status: 502,
    type: "upstream_error",
    code: "upstream_unreachable",
    message: "the model endpoint could not be reached",
    headers: {},
  };
}

/** Maps a failure after the stream has started; only the error event's body still reaches the client. */
export function mapStreamError(error: unknown): HttpFailure {
  if (error instanceof APIError && !(error instanceof APIConnectionError)) {
    if (error.status !== undefined) return mapUpstreamError(error);
    return {
      status: 502,
      type: error.type ?? "upstream_error",
      code: error.code ?? "upstream_error",
      message: upstreamMessage(error) ?? "the model endpoint reported an error",
      headers: {},
    };
  }
  return {
    status: 502,
    type: "upstream_error",
    code: "upstream_interrupted",
    message: "the model endpoint broke off the answer",
    headers: {},
  };
}
