// The container contract shared by the service, its Dockerfile and the Kubernetes layer.
// Dependency-free so that Pulumi code can import it without loading the service.

export const CONTAINER_PORT = 8080;
export const HEALTH_PATH = "/healthz";
export const READINESS_PATH = "/readyz";
/** OpenAI's chat completions path, so stock OpenAI clients work with only a base URL (`<host>/v1`). */
export const CHAT_PATH = "/v1/chat/completions";
export const METRICS_PATH = "/metrics";

export const APP_WORKDIR = "/app";
/** The single start command: same in app/package.json `start`, the Dockerfile and the pod spec. */
export const START_COMMAND: readonly string[] = ["node", "dist/main.js"];

/** Non-root user of the runtime image (the `node` user of the official image). */
export const RUN_AS_USER = 1000;
export const RUN_AS_GROUP = 1000;

/**
 * Kubernetes keeps routing to a terminating pod for a moment; a preStop sleep covers that before SIGTERM
 * reaches the process, and the grace period must cover the sleep plus SHUTDOWN_TIMEOUT_MS.
 */
export const PRE_STOP_SLEEP_SECONDS = 5;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;
export const TERMINATION_GRACE_PERIOD_SECONDS = PRE_STOP_SLEEP_SECONDS + DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000 + 5;

/** Latest GA data-plane inference version with dated deployments paths and `stream_options`. */
export const DEFAULT_API_VERSION = "2024-10-21";

/**
 * The request field that caps the answer's length. Reasoning models (o-series, gpt-5*) reject `max_tokens`
 * and take `max_completion_tokens`. https://learn.microsoft.com/azure/ai-foundry/openai/how-to/reasoning
 */
export const TOKEN_PARAMETERS = ["max_tokens", "max_completion_tokens"] as const;
export type TokenParameter = (typeof TOKEN_PARAMETERS)[number];
export const DEFAULT_TOKEN_PARAMETER: TokenParameter = "max_tokens";
/**
 * Oldest data-plane API version with `max_completion_tokens` (Azure OpenAI API version lifecycle,
 * MicrosoftDocs/azure-ai-docs articles/foundry/openai/includes/api-version-lifecycle-content.md).
 * Reasoning deployments run with 2025-04-01-preview, chosen per model family in data/openai-models.json.
 */
export const MIN_API_VERSION_FOR_MAX_COMPLETION_TOKENS = "2024-09-01-preview";
export const TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default";

export const ENV = {
  endpoint: "AZURE_OPENAI_ENDPOINT",
  deployment: "AZURE_OPENAI_DEPLOYMENT",
  apiVersion: "AZURE_OPENAI_API_VERSION",
  tokenParameter: "AZURE_OPENAI_TOKEN_PARAMETER",
  host: "HOST",
  port: "PORT",
  logLevel: "LOG_LEVEL",
  maxBodyBytes: "MAX_BODY_BYTES",
  maxMessages: "MAX_MESSAGES",
  maxContentChars: "MAX_CONTENT_CHARS",
  maxTokensCeiling: "MAX_TOKENS_CEILING",
  upstreamTimeoutMs: "UPSTREAM_TIMEOUT_MS",
  upstreamMaxRetries: "UPSTREAM_MAX_RETRIES",
  requestTimeoutMs: "REQUEST_TIMEOUT_MS",
  keepAliveTimeoutMs: "KEEP_ALIVE_TIMEOUT_MS",
  readinessTtlMs: "READINESS_CACHE_TTL_MS",
  readinessTimeoutMs: "READINESS_TIMEOUT_MS",
  shutdownTimeoutMs: "SHUTDOWN_TIMEOUT_MS",
  requestIdHeader: "REQUEST_ID_HEADER",
  tokenCredentials: "AZURE_TOKEN_CREDENTIALS",
} as const;

type TunableSetting = Exclude<
  keyof typeof ENV,
  "endpoint" | "deployment" | "apiVersion" | "tokenParameter" | "port" | "logLevel" | "tokenCredentials"
>;

export interface EnvVar<V> {
  name: string;
  value: V | string;
}

/** `V` is `string` for plain use, or e.g. `pulumi.Input<string>` when values are resource outputs. */
export interface AppContainerEnvArgs<V = string> {
  endpoint: V;
  deployment: V;
  apiVersion?: V | string;
  /** `max_completion_tokens` for reasoning models; omitted means the service's default, `max_tokens`. */
  tokenParameter?: V | TokenParameter;
  port?: number;
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  /** Other settings of the contract, keyed by the names in `ENV` (limits, timeouts). */
  extra?: Partial<Record<TunableSetting, string | number>>;
  /**
   * Pins DefaultAzureCredential to workload identity so that a pod never falls back to the node's
   * managed identity through IMDS. Set false only for clusters without workload identity.
   */
  workloadIdentityOnly?: boolean;
}

export function appContainerEnv<V = string>(args: AppContainerEnvArgs<V>): EnvVar<V>[] {
  const port = args.port ?? CONTAINER_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be an integer from 1 to 65535, got ${port}`);
  }
  const env: EnvVar<V>[] = [
    { name: ENV.endpoint, value: args.endpoint },
    { name: ENV.deployment, value: args.deployment },
    { name: ENV.apiVersion, value: args.apiVersion ?? DEFAULT_API_VERSION },
    { name: ENV.port, value: String(port) },
  ];
  if (args.tokenParameter !== undefined) env.push({ name: ENV.tokenParameter, value: args.tokenParameter });
  if (args.logLevel) env.push({ name: ENV.logLevel, value: args.logLevel });
  if (args.workloadIdentityOnly ?? true) {
    env.push({ name: ENV.tokenCredentials, value: "WorkloadIdentityCredential" });
  }
  for (const [key, value] of Object.entries(args.extra ?? {})) {
    if (value === undefined) continue;
    env.push({ name: ENV[key as keyof typeof ENV], value: String(value) });
  }
  return env;
}
