import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig } from "../../app/src/config";
import {
  appContainerEnv,
  CONTAINER_PORT,
  DEFAULT_API_VERSION,
  HEALTH_PATH,
  READINESS_PATH,
  RUN_AS_USER,
  START_COMMAND,
} from "../../app/src/image";

const APP_DIR = path.resolve(__dirname, "../../app");
const required = { AZURE_OPENAI_ENDPOINT: "https://res.openai.azure.com", AZURE_OPENAI_DEPLOYMENT: "gpt-4o-mini" };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("app config", () => {
  it("applies documented defaults", () => {
    const config = loadConfig({ ...required, AZURE_OPENAI_ENDPOINT: "https://res.openai.azure.com/" });
    assert.equal(config.endpoint, "https://res.openai.azure.com");
    assert.equal(config.apiVersion, DEFAULT_API_VERSION);
    assert.equal(config.port, CONTAINER_PORT);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.logLevel, "info");
    assert.equal(config.requestIdHeader, "x-request-id");
    assert.equal(config.upstreamMaxRetries, 0);
    assert.deepEqual(config.limits, { bodyBytes: 262144, messages: 50, contentChars: 32000, maxTokens: 4096 });
  });

  it("reads every setting from its variable", () => {
    const config = loadConfig({
      ...required,
      AZURE_OPENAI_API_VERSION: "2025-04-01-preview",
      PORT: "9000",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      REQUEST_ID_HEADER: "X-Correlation-Id",
      MAX_BODY_BYTES: "4096",
      MAX_MESSAGES: "3",
      MAX_CONTENT_CHARS: "100",
      MAX_TOKENS_CEILING: "256",
      UPSTREAM_TIMEOUT_MS: "5000",
      UPSTREAM_MAX_RETRIES: "1",
      REQUEST_TIMEOUT_MS: "2000",
      KEEP_ALIVE_TIMEOUT_MS: "65000",
      READINESS_CACHE_TTL_MS: "0",
      READINESS_TIMEOUT_MS: "500",
      SHUTDOWN_TIMEOUT_MS: "1000",
    });
    assert.equal(config.apiVersion, "2025-04-01-preview");
    assert.equal(config.port, 9000);
    assert.equal(config.requestIdHeader, "x-correlation-id");
    assert.deepEqual(config.limits, { bodyBytes: 4096, messages: 3, contentChars: 100, maxTokens: 256 });
    assert.deepEqual(config.timeouts, { upstreamMs: 5000, requestMs: 2000, keepAliveMs: 65000, shutdownMs: 1000 });
    assert.deepEqual(config.readiness, { ttlMs: 0, timeoutMs: 500 });
    assert.equal(config.upstreamMaxRetries, 1);
  });

  it("reports every problem at once, naming the variable, the value and what is allowed", () => {
    const problems = problemsOf({ PORT: "http", MAX_MESSAGES: "0", LOG_LEVEL: "loud", AZURE_OPENAI_API_VERSION: "latest" });
    assert.equal(problems.length, 6, problems.join("\n"));
    assert.match(problems.join("\n"), /^AZURE_OPENAI_ENDPOINT is required/m);
    assert.match(problems.join("\n"), /^AZURE_OPENAI_DEPLOYMENT is required/m);
    assert.match(problems.join("\n"), /^PORT="http" must be a whole number from 0 to 65535$/m);
    assert.match(problems.join("\n"), /^MAX_MESSAGES="0" must be a whole number from 1 to 1000$/m);
    assert.match(problems.join("\n"), /^LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent$/m);
    assert.match(problems.join("\n"), /^AZURE_OPENAI_API_VERSION="latest" must look like/m);
  });

  it("treats empty variables as unset", () => {
    assert.equal(loadConfig({ ...required, PORT: "", LOG_LEVEL: "  " }).port, CONTAINER_PORT);
  });

  for (const [endpoint, reason] of [
    ["http://res.openai.azure.com", /must use https/],
    ["res.openai.azure.com", /absolute URL/],
    ["https://user:pw-secret@res.openai.azure.com", /must not carry credentials/],
    ["https://res.openai.azure.com/openai", /without path/],
    ["https://res.openai.azure.com/?api-key=key-secret", /without path, query/],
  ] as const) {
    it(`refuses the endpoint ${endpoint}`, () => {
      const [problem] = problemsOf({ ...required, AZURE_OPENAI_ENDPOINT: endpoint });
      assert.match(problem!, reason);
      assert.doesNotMatch(problem!, /secret/);
    });
  }

  it("accepts plain http only on loopback", () => {
    assert.equal(loadConfig({ ...required, AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:4000" }).endpoint, "http://127.0.0.1:4000");
    assert.equal(loadConfig({ ...required, AZURE_OPENAI_ENDPOINT: "http://[::1]:4000/" }).endpoint, "http://[::1]:4000");
  });

  it("sends max_tokens unless told that the deployment is a reasoning model", () => {
    assert.equal(loadConfig(required).tokenParameter, "max_tokens");
    const reasoning = loadConfig({ ...required, AZURE_OPENAI_TOKEN_PARAMETER: "max_completion_tokens", AZURE_OPENAI_API_VERSION: "2025-04-01-preview" });
    assert.equal(reasoning.tokenParameter, "max_completion_tokens");
    assert.deepEqual(problemsOf({ ...required, AZURE_OPENAI_TOKEN_PARAMETER: "max_output_tokens" }), [
      'AZURE_OPENAI_TOKEN_PARAMETER="max_output_tokens" must be one of max_tokens, max_completion_tokens',
    ]);
  });

  it("refuses max_completion_tokens with an API version that predates it", () => {
    assert.deepEqual(problemsOf({ ...required, AZURE_OPENAI_TOKEN_PARAMETER: "max_completion_tokens", AZURE_OPENAI_API_VERSION: "2024-06-01" }), [
      'AZURE_OPENAI_API_VERSION="2024-06-01" does not accept max_completion_tokens (AZURE_OPENAI_TOKEN_PARAMETER); use 2024-09-01-preview or later',
    ]);
    assert.equal(loadConfig({ ...required, AZURE_OPENAI_TOKEN_PARAMETER: "max_completion_tokens", AZURE_OPENAI_API_VERSION: "2024-09-01-preview" }).apiVersion, "2024-09-01-preview");
  });

  it("refuses an API key without repeating it", () => {
    const problems = problemsOf({ ...required, AZURE_OPENAI_API_KEY: "sekret-key-123" });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /AZURE_OPENAI_API_KEY is set, but this service never uses API keys/);
    assert.doesNotMatch(problems.join(""), /sekret-key-123/);
  });
});

describe("app container contract", () => {
  it("builds the container environment from plain values", () => {
    assert.deepEqual(appContainerEnv({ endpoint: "https://res.openai.azure.com", deployment: "chat" }), [
      { name: "AZURE_OPENAI_ENDPOINT", value: "https://res.openai.azure.com" },
      { name: "AZURE_OPENAI_DEPLOYMENT", value: "chat" },
      { name: "AZURE_OPENAI_API_VERSION", value: DEFAULT_API_VERSION },
      { name: "PORT", value: "8080" },
      { name: "AZURE_TOKEN_CREDENTIALS", value: "WorkloadIdentityCredential" },
    ]);
  });

  it("passes deferred values through untouched and adds tunables", () => {
    const endpoint = { deferred: "endpoint" };
    const env = appContainerEnv({
      endpoint,
      deployment: { deferred: "deployment" },
      apiVersion: "2025-04-01-preview",
      port: 9000,
      logLevel: "warn",
      workloadIdentityOnly: false,
      extra: { maxTokensCeiling: 1024, upstreamTimeoutMs: 30000 },
    });
    assert.equal(env[0]!.value, endpoint);
    assert.deepEqual(
      env.slice(2).map((e) => [e.name, e.value]),
      [
        ["AZURE_OPENAI_API_VERSION", "2025-04-01-preview"],
        ["PORT", "9000"],
        ["LOG_LEVEL", "warn"],
        ["MAX_TOKENS_CEILING", "1024"],
        ["UPSTREAM_TIMEOUT_MS", "30000"],
      ],
    );
  });

  it("passes the token parameter on when given", () => {
    const env = appContainerEnv({ endpoint: "https://r.openai.azure.com", deployment: "d", apiVersion: "2025-04-01-preview", tokenParameter: "max_completion_tokens" });
    assert.deepEqual(env.find((e) => e.name === "AZURE_OPENAI_TOKEN_PARAMETER"), { name: "AZURE_OPENAI_TOKEN_PARAMETER", value: "max_completion_tokens" });
    assert.equal(appContainerEnv({ endpoint: "e", deployment: "d" }).find((e) => e.name === "AZURE_OPENAI_TOKEN_PARAMETER"), undefined);
  });

  it("produces a configuration the service accepts", () => {
    const env = Object.fromEntries(
      appContainerEnv({ endpoint: "https://res.openai.azure.com", deployment: "chat", extra: { maxMessages: 10 } }).map((e) => [
        e.name,
        e.value,
      ]),
    );
    const config = loadConfig(env);
    assert.equal(config.port, CONTAINER_PORT);
    assert.equal(config.limits.messages, 10);
  });

  it("refuses a port outside the TCP range", () => {
    assert.throws(() => appContainerEnv({ endpoint: "e", deployment: "d", port: 70000 }), /port must be an integer/);
  });

  it("keeps one start command across package.json, Dockerfile and the contract", () => {
    const pkg = JSON.parse(readFileSync(path.join(APP_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, START_COMMAND.join(" "));
    const dockerfile = readFileSync(path.join(APP_DIR, "Dockerfile"), "utf8");
    assert.match(dockerfile, new RegExp(`^CMD ${JSON.stringify(START_COMMAND).replace(/[[\]]/g, "\\$&").replace(/,/g, ", ")}$`, "m"));
    assert.match(dockerfile, new RegExp(`^EXPOSE ${CONTAINER_PORT}$`, "m"));
    assert.match(dockerfile, new RegExp(`^USER ${RUN_AS_USER}:`, "m"));
    assert.match(dockerfile, /--omit=dev/);
    assert.notEqual(HEALTH_PATH, READINESS_PATH);
  });
});
