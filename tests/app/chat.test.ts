import assert from "node:assert/strict";
import { CHAT_PATH, DEFAULT_API_VERSION } from "../../app/src/image";
import { call, hello, startService, TEST_TOKEN, type RunningService } from "./helpers/service";
import { sendJson, startUpstream, type UpstreamStub } from "./helpers/upstream";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("app POST /v1/chat/completions", () => {
  let stub: UpstreamStub;
  let svc: RunningService;

  beforeEach(async () => {
    stub = await startUpstream();
    svc = await startService(stub);
  });
  afterEach(async () => {
    await svc.close();
    await stub.close();
  });

  it("answers with an OpenAI-shaped completion that carries usage", async () => {
    const res = await call(svc.url, { body: hello });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.json.object, "chat.completion");
    assert.equal(res.json.choices[0].message.role, "assistant");
    assert.equal(res.json.choices[0].message.content, "Hello from the stub.");
    const { prompt_tokens, completion_tokens, total_tokens } = res.json.usage;
    assert.ok(prompt_tokens > 0 && completion_tokens > 0);
    assert.equal(total_tokens, prompt_tokens + completion_tokens);
  });

  it("calls the deployment's chat-completions path with the API version and a bearer token, never an api-key", async () => {
    await call(svc.url, { body: hello, headers: { "api-key": "client-key", authorization: "Bearer client-token" } });
    assert.equal(stub.requests.length, 1);
    const upstream = stub.requests[0]!;
    assert.equal(upstream.method, "POST");
    assert.equal(upstream.path, "/openai/deployments/chat/chat/completions");
    assert.equal(upstream.query.get("api-version"), DEFAULT_API_VERSION);
    assert.equal(upstream.headers.authorization, `Bearer ${TEST_TOKEN}`);
    assert.equal(upstream.headers["api-key"], undefined);
  });

  it("forwards the conversation and parameters, bounding max_tokens by the ceiling when absent", async () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "Again" },
    ];
    await call(svc.url, { body: { messages, temperature: 0.2 } });
    await call(svc.url, { body: { messages, max_tokens: 12 } });
    assert.deepEqual(stub.requests[0]!.body, { model: "chat", messages, max_tokens: 4096, temperature: 0.2 });
    assert.deepEqual(stub.requests[1]!.body, { model: "chat", messages, max_tokens: 12 });
  });

  it("asks the token provider on every call, so rotated tokens are used", async () => {
    await svc.close();
    let n = 0;
    svc = await startService(stub, { tokenProvider: async () => `token-${++n}` });
    await call(svc.url, { body: hello });
    await call(svc.url, { body: hello });
    assert.deepEqual(
      stub.requests.map((r) => r.headers.authorization),
      ["Bearer token-1", "Bearer token-2"],
    );
  });

  it("echoes the request id APIM forwards and logs under it", async () => {
    const res = await call(svc.url, { body: hello, headers: { "x-request-id": "apim-1f2e3d" } });
    assert.equal(res.headers.get("x-request-id"), "apim-1f2e3d");
    const line = svc.logs.find((l) => l.msg === "request completed");
    assert.equal(line?.reqId, "apim-1f2e3d");
    assert.equal(line?.statusCode, 200);
    assert.equal(line?.url, CHAT_PATH);
  });

  it("generates a request id when none, or an unusable one, is forwarded", async () => {
    const none = await call(svc.url, { body: hello });
    assert.match(none.headers.get("x-request-id") ?? "", UUID);
    const unusable = await call(svc.url, { body: hello, headers: { "x-request-id": `a b ${"x".repeat(200)}` } });
    assert.match(unusable.headers.get("x-request-id") ?? "", UUID);
  });

  it("honours a configured request id header", async () => {
    await svc.close();
    svc = await startService(stub, { env: { REQUEST_ID_HEADER: "X-Correlation-Id" } });
    const res = await call(svc.url, { body: hello, headers: { "x-correlation-id": "corr-42" } });
    assert.equal(res.headers.get("x-correlation-id"), "corr-42");
  });

  it("never logs credentials, the client's or its own", async () => {
    await svc.close();
    svc = await startService(stub, { env: { LOG_LEVEL: "trace" } });
    await call(svc.url, {
      body: hello,
      headers: {
        authorization: "Bearer client-secret-token",
        "api-key": "client-api-key",
        "ocp-apim-subscription-key": "client-subscription-key",
      },
    });
    stub.script = (_req, res) => sendJson(res, 500, { error: { message: "upstream-internal-detail" } });
    await call(svc.url, { body: hello });
    const logs = svc.rawLogs.join("\n");
    assert.ok(svc.rawLogs.length >= 3);
    for (const secret of ["client-secret-token", "client-api-key", "client-subscription-key", TEST_TOKEN]) {
      assert.ok(!logs.includes(secret), `logs contain ${secret}`);
    }
    assert.doesNotMatch(logs, /authorization/i);
  });

  it("answers unknown routes with an OpenAI-shaped 404", async () => {
    const res = await call(svc.url, { method: "GET", path: "/v1/models" });
    assert.deepEqual(Object.keys(res.json.error).sort(), ["code", "message", "type"]);
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, "not_found");
    assert.equal(stub.requests.length, 0);
  });
});

describe("app health and readiness", () => {
  let stub: UpstreamStub;
  let svc: RunningService | undefined;

  beforeEach(async () => {
    stub = await startUpstream();
  });
  afterEach(async () => {
    await svc?.close();
    await stub.close();
  });

  it("reports liveness without touching the upstream", async () => {
    svc = await startService(stub, { tokenProvider: () => Promise.reject(new Error("no credential")) });
    const res = await call(svc.url, { method: "GET", path: "/healthz" });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: "ok" });
    assert.equal(stub.requests.length, 0);
  });

  it("is ready when a token is obtained, without calling the model endpoint, and caches the result", async () => {
    let calls = 0;
    svc = await startService(stub, { env: { READINESS_CACHE_TTL_MS: "60000" }, tokenProvider: async () => (calls++, "t") });
    for (let i = 0; i < 3; i++) {
      const res = await call(svc.url, { method: "GET", path: "/readyz" });
      assert.equal(res.status, 200);
      assert.equal(res.json.ready, true);
    }
    assert.equal(calls, 1);
    assert.equal(stub.requests.length, 0);
  });

  it("shares one check between concurrent probes and checks again after the TTL", async () => {
    let calls = 0;
    svc = await startService(stub, { env: { READINESS_CACHE_TTL_MS: "100" }, tokenProvider: async () => (calls++, "t") });
    await Promise.all([1, 2, 3].map(() => call(svc!.url, { method: "GET", path: "/readyz" })));
    assert.equal(calls, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await call(svc.url, { method: "GET", path: "/readyz" });
    assert.equal(calls, 2);
  });

  it("is not ready without a token", async () => {
    svc = await startService(stub, { tokenProvider: () => Promise.reject(new Error("no credential: secret detail")) });
    const res = await call(svc.url, { method: "GET", path: "/readyz" });
    assert.equal(res.status, 503);
    assert.equal(res.json.ready, false);
    assert.equal(res.json.reason, "credential_unavailable");
    assert.doesNotMatch(res.text, /secret detail/);
    assert.equal(stub.requests.length, 0);
  });

  it("stays ready when the endpoint rate limits, fails or refuses: upstream health is a metric", async () => {
    svc = await startService(stub, { env: { READINESS_CACHE_TTL_MS: "0" } });
    for (const status of [429, 500, 403]) {
      stub.script = (_req, res) => sendJson(res, status, { error: { code: String(status), message: "no" } }, { "retry-after": "1" });
      const answer = await call(svc.url, { body: hello });
      assert.notEqual(answer.status, 200);
      const ready = await call(svc.url, { method: "GET", path: "/readyz" });
      assert.equal(ready.status, 200, `readiness after an upstream ${status}`);
      assert.equal(ready.json.ready, true);
    }
    const metrics = await call(svc.url, { method: "GET", path: "/metrics" });
    assert.equal(metrics.status, 200);
    for (const status of [429, 500, 403]) assert.match(metrics.text, new RegExp(`^ai_api_upstream_responses_total\\{status="${status}"\\} 1$`, "m"));
    assert.match(metrics.text, /^ai_api_failures_total\{code="rate_limited"\} 1$/m);
  });

  it("stays ready when the endpoint cannot be reached, and counts it", async () => {
    const url = stub.url;
    await stub.close();
    svc = await startService({ ...stub, url });
    assert.equal((await call(svc.url, { body: hello })).json.error.code, "upstream_unreachable");
    const res = await call(svc.url, { method: "GET", path: "/readyz" });
    assert.equal(res.status, 200);
    const metrics = await call(svc.url, { method: "GET", path: "/metrics" });
    assert.match(metrics.text, /^ai_api_failures_total\{code="upstream_unreachable"\} 1$/m);
  });
});
