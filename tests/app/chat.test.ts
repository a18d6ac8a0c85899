import assert from "node:assert/strict";
import { CHAT_PATH, DEFAULT_API_VERSION } from "../../app/src/image";
import { call, hello, serviceHooks, startService, TEST_TOKEN } from "./helpers/service";
import { sendJson } from "./helpers/upstream";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("app POST /v1/chat/completions", () => {
  const t = serviceHooks();

  it("answers with an OpenAI-shaped completion that carries usage", async () => {
    const res = await call(t.svc.url, { body: hello });
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
    await call(t.svc.url, { body: hello, headers: { "api-key": "client-key", authorization: "Bearer client-token" } });
    assert.equal(t.stub.requests.length, 1);
    const upstream = t.stub.requests[0]!;
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
    await call(t.svc.url, { body: { messages, temperature: 0.2 } });
    await call(t.svc.url, { body: { messages, max_tokens: 12 } });
    assert.deepEqual(t.stub.requests[0]!.body, { model: "chat", messages, max_tokens: 4096, temperature: 0.2 });
    assert.deepEqual(t.stub.requests[1]!.body, { model: "chat", messages, max_tokens: 12 });
  });

  it("asks the token provider on every call, so rotated tokens are used", async () => {
    await t.svc.close();
    let n = 0;
    t.svc = await startService(t.stub, { tokenProvider: async () => `token-${++n}` });
    await call(t.svc.url, { body: hello });
    await call(t.svc.url, { body: hello });
    assert.deepEqual(
      t.stub.requests.map((r) => r.headers.authorization),
      ["Bearer token-1", "Bearer token-2"],
    );
  });

  it("echoes the request id APIM forwards and logs under it", async () => {
    const res = await call(t.svc.url, { body: hello, headers: { "x-request-id": "apim-1f2e3d" } });
    assert.equal(res.headers.get("x-request-id"), "apim-1f2e3d");
    const line = t.svc.logs.find((l) => l.msg === "request completed");
    assert.equal(line?.reqId, "apim-1f2e3d");
    assert.equal(line?.statusCode, 200);
    assert.equal(line?.url, CHAT_PATH);
  });

  it("generates a request id when none, or an unusable one, is forwarded", async () => {
    const none = await call(t.svc.url, { body: hello });
    assert.match(none.headers.get("x-request-id") ?? "", UUID);
    const unusable = await call(t.svc.url, { body: hello, headers: { "x-request-id": `a b ${"x".repeat(200)}` } });
    assert.match(unusable.headers.get("x-request-id") ?? "", UUID);
  });

  it("honours a configured request id header", async () => {
    await t.svc.close();
    t.svc = await startService(t.stub, { env: { REQUEST_ID_HEADER: "X-Correlation-Id" } });
    const res = await call(t.svc.url, { body: hello, headers: { "x-correlation-id": "corr-42" } });
    assert.equal(res.headers.get("x-correlation-id"), "corr-42");
  });

  it("never logs credentials, the client's or its own", async () => {
    await t.svc.close();
    t.svc = await startService(t.stub, { env: { LOG_LEVEL: "trace" } });
    await call(t.svc.url, {
      body: hello,
      headers: {
        authorization: "Bearer client-secret-token",
        "api-key": "client-api-key",
        "ocp-apim-subscription-key": "client-subscription-key",
      },
    });
    t.stub.script = (_req, res) => sendJson(res, 500, { error: { message: "upstream-internal-detail" } });
    await call(t.svc.url, { body: hello });
    const logs = t.svc.rawLogs.join("\n");
    assert.ok(t.svc.rawLogs.length >= 3);
    for (const secret of ["client-secret-token", "client-api-key", "client-subscription-key", TEST_TOKEN]) {
      assert.ok(!logs.includes(secret), `logs contain ${secret}`);
    }
    assert.doesNotMatch(logs, /authorization/i);
  });

  it("answers unknown routes with an OpenAI-shaped 404", async () => {
    const res = await call(t.svc.url, { method: "GET", path: "/v1/models" });
    assert.deepEqual(Object.keys(res.json.error).sort(), ["code", "message", "type"]);
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, "not_found");
    assert.equal(t.stub.requests.length, 0);
  });
});

describe("app health and readiness", () => {
  const t = serviceHooks({ start: false });

  it("reports liveness without touching the upstream", async () => {
    t.svc = await startService(t.stub, { tokenProvider: () => Promise.reject(new Error("no credential")) });
    const res = await call(t.svc.url, { method: "GET", path: "/healthz" });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: "ok" });
    assert.equal(t.stub.requests.length, 0);
  });

  it("is ready when a token is obtained, without calling the model endpoint, and caches the result", async () => {
    let calls = 0;
    t.svc = await startService(t.stub, { env: { READINESS_CACHE_TTL_MS: "60000" }, tokenProvider: async () => (calls++, "t") });
    for (let i = 0; i < 3; i++) {
      const res = await call(t.svc.url, { method: "GET", path: "/readyz" });
      assert.equal(res.status, 200);
      assert.equal(res.json.ready, true);
    }
    assert.equal(calls, 1);
    assert.equal(t.stub.requests.length, 0);
  });

  it("shares one check between concurrent probes and checks again after the TTL", async () => {
    let calls = 0;
    t.svc = await startService(t.stub, { env: { READINESS_CACHE_TTL_MS: "100" }, tokenProvider: async () => (calls++, "t") });
    await Promise.all([1, 2, 3].map(() => call(t.svc!.url, { method: "GET", path: "/readyz" })));
    assert.equal(calls, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await call(t.svc.url, { method: "GET", path: "/readyz" });
    assert.equal(calls, 2);
  });

  it("is not ready without a token", async () => {
    t.svc = await startService(t.stub, { tokenProvider: () => Promise.reject(new Error("no credential: secret detail")) });
    const res = await call(t.svc.url, { method: "GET", path: "/readyz" });
    assert.equal(res.status, 503);
    assert.equal(res.json.ready, false);
    assert.equal(res.json.reason, "credential_unavailable");
    assert.doesNotMatch(res.text, /secret detail/);
    assert.equal(t.stub.requests.length, 0);
  });

  it("stays ready when the endpoint rate limits, fails or refuses: upstream health is a metric", async () => {
    t.svc = await startService(t.stub, { env: { READINESS_CACHE_TTL_MS: "0" } });
    for (const status of [429, 500, 403]) {
      t.stub.script = (_req, res) => sendJson(res, status, { error: { code: String(status), message: "no" } }, { "retry-after": "1" });
      const answer = await call(t.svc.url, { body: hello });
      assert.notEqual(answer.status, 200);
      const ready = await call(t.svc.url, { method: "GET", path: "/readyz" });
      assert.equal(ready.status, 200, `readiness after an upstream ${status}`);
      assert.equal(ready.json.ready, true);
    }
    const metrics = await call(t.svc.url, { method: "GET", path: "/metrics" });
    assert.equal(metrics.status, 200);
    for (const status of [429, 500, 403]) assert.match(metrics.text, new RegExp(`^ai_api_upstream_responses_total\\{status="${status}"\\} 1$`, "m"));
    assert.match(metrics.text, /^ai_api_failures_total\{code="rate_limited"\} 1$/m);
  });

  it("stays ready when the endpoint cannot be reached, and counts it", async () => {
    const url = t.stub.url;
    await t.stub.close();
    t.svc = await startService({ ...t.stub, url });
    assert.equal((await call(t.svc.url, { body: hello })).json.error.code, "upstream_unreachable");
    const res = await call(t.svc.url, { method: "GET", path: "/readyz" });
    assert.equal(res.status, 200);
    const metrics = await call(t.svc.url, { method: "GET", path: "/metrics" });
    assert.match(metrics.text, /^ai_api_failures_total\{code="upstream_unreachable"\} 1$/m);
  });
});
