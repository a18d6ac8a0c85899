import { z } from "zod";
import {
  CONTAINER_PORT,
  DEFAULT_API_VERSION,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_TOKEN_PARAMETER,
  ENV,
  MIN_API_VERSION_FOR_MAX_COMPLETION_TOKENS,
  TOKEN_PARAMETERS,
  type TokenParameter,
} from "./image";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  endpoint: string;
  deployment: string;
  apiVersion: string;
  /** The field the upstream call caps the answer with; clients may send either. */
  tokenParameter: TokenParameter;
  host: string;
  port: number;
  logLevel: LogLevel;
  requestIdHeader: string;
  limits: {
    bodyBytes: number;
    messages: number;
    contentChars: number;
    maxTokens: number;
  };
  timeouts: {
    upstreamMs: number;
    requestMs: number;
    keepAliveMs: number;
    shutdownMs: number;
  };
  upstreamMaxRetries: number;
  readiness: {
    ttlMs: number;
    timeoutMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

const int = (min: number, max: number, fallback: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(fallback);
};

const endpoint = z
  .string({ error: "is required: the Azure OpenAI endpoint, e.g. https://<resource>.openai.azure.com" })
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute URL, e.g. https://<resource>.openai.azure.com" });
      return z.NEVER;
    }
    const problem =
      url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))
        ? "must use https (plain http is accepted only for loopback addresses)"
        : url.username || url.password
          ? "must not carry credentials"
          : (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash
            ? "must be the resource endpoint without path, query or fragment (the service adds /openai/...)"
            : undefined;
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return url.origin;
  });

const schema = z.object({
  [ENV.endpoint]: endpoint,
  [ENV.deployment]: z
    .string({ error: "is required: the name of the chat model deployment" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      error: "must be a deployment name: 1-64 letters, digits, '.', '_' or '-'",
    }),
  [ENV.apiVersion]: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, { error: "must look like 2024-10-21 or 2025-04-01-preview" })
    .default(DEFAULT_API_VERSION),
  [ENV.tokenParameter]: z
    .enum(TOKEN_PARAMETERS, { error: `must be one of ${TOKEN_PARAMETERS.join(", ")}` })
    .default(DEFAULT_TOKEN_PARAMETER),
  [ENV.host]: z.string().min(1).default("0.0.0.0"),
  [ENV.port]: int(0, 65535, CONTAINER_PORT),
  [ENV.logLevel]: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  [ENV.requestIdHeader]: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, { error: "must be an HTTP header name" })
    .transform((value) => value.toLowerCase())
    .default("x-request-id"),
  [ENV.maxBodyBytes]: int(1024, 10 * 1024 * 1024, 256 * 1024),
  [ENV.maxMessages]: int(1, 1000, 50),
  [ENV.maxContentChars]: int(1, 1_000_000, 32_000),
  [ENV.maxTokensCeiling]: int(1, 128_000, 4096),
  [ENV.upstreamTimeoutMs]: int(100, 600_000, 60_000),
  [ENV.upstreamMaxRetries]: int(0, 5, 0),
  [ENV.requestTimeoutMs]: int(100, 600_000, 30_000),
  [ENV.keepAliveTimeoutMs]: int(1000, 600_000, 95_000),
  [ENV.readinessTtlMs]: int(0, 600_000, 10_000),
  [ENV.readinessTimeoutMs]: int(100, 60_000, 3000),
  [ENV.shutdownTimeoutMs]: int(100, 600_000, DEFAULT_SHUTDOWN_TIMEOUT_MS),
});

/** Dated versions compare by date; a preview is older than the GA version of the same date. */
export function apiVersionBefore(version: string, than: string): boolean {
  const key = (v: string) => `${v.slice(0, 10)}${v.endsWith("-preview") ? "0" : "1"}`;
  return key(version) < key(than);
}

/** Config errors are printed; an endpoint may carry a password or a key in its query, so those are masked. */
function shown(name: string, value: string): string {
  if (name !== ENV.endpoint) return JSON.stringify(value);
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    if (url.search) url.search = "?***";
    return JSON.stringify(url.href);
  } catch {
    return JSON.stringify(value);
  }
}

/** Reads the service configuration from environment variables; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const input: Record<string, string> = {};
  for (const name of Object.values(ENV)) {
    const value = env[name]?.trim();
    if (value) input[name] = value;
  }

  const problems: string[] = [];
  if (env.AZURE_OPENAI_API_KEY?.trim()) {
    problems.push(
      "AZURE_OPENAI_API_KEY is set, but this service never uses API keys: it authenticates with " +
        "Microsoft Entra ID (workload identity on AKS, developer sign-in locally). Unset it.",
    );
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      const value = input[name];
      problems.push(value === undefined ? `${name} ${issue.message}` : `${name}=${shown(name, value)} ${issue.message}`);
    }
  }
  if (parsed.success) {
    const version = parsed.data[ENV.apiVersion];
    if (parsed.data[ENV.tokenParameter] === "max_completion_tokens" && apiVersionBefore(version, MIN_API_VERSION_FOR_MAX_COMPLETION_TOKENS)) {
      problems.push(
        `${ENV.apiVersion}=${JSON.stringify(version)} does not accept max_completion_tokens (${ENV.tokenParameter}); ` +
          `use ${MIN_API_VERSION_FOR_MAX_COMPLETION_TOKENS} or later`,
      );
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const c = parsed.data;
  return {
    endpoint: c[ENV.endpoint],
    deployment: c[ENV.deployment],
    apiVersion: c[ENV.apiVersion],
    tokenParameter: c[ENV.tokenParameter],
    host: c[ENV.host],
    port: c[ENV.port],
    logLevel: c[ENV.logLevel],
    requestIdHeader: c[ENV.requestIdHeader],
    limits: {
      bodyBytes: c[ENV.maxBodyBytes],
      messages: c[ENV.maxMessages],
      contentChars: c[ENV.maxContentChars],
      maxTokens: c[ENV.maxTokensCeiling],
    },
    timeouts: {
      upstreamMs: c[ENV.upstreamTimeoutMs],
      requestMs: c[ENV.requestTimeoutMs],
      keepAliveMs: c[ENV.keepAliveTimeoutMs],
      shutdownMs: c[ENV.shutdownTimeoutMs],
    },
    upstreamMaxRetries: c[ENV.upstreamMaxRetries],
    readiness: {
      ttlMs: c[ENV.readinessTtlMs],
      timeoutMs: c[ENV.readinessTimeoutMs],
    },
  };
}
