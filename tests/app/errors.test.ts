import assert from "node:assert/strict";
import { call, hello, type Reply, serviceHooks, startService } from "./helpers/service";
import { completionFor, sendJson } from "./helpers/upstream";

const UPSTREAM_SECRET = "internal detail 10.0.0.7 key=abc";

function assertNoLeak(res: Reply) {
  assert.doesNotMatch(res.text, /\n\s+at |node_modules|\.ts:\d|\.js:\d/, "stack trace in the response");
  assert.ok(!res.text.includes(UPSTREAM_SECRET), "upstream detail in the response");
  assert.ok(!res.text.includes("test-token"), "token in the response");
}

describe("app upstream error mapping", () => {
  const t = serviceHooks({ env: { UPSTREAM_TIMEOUT_MS: "250" } });
  afterEach(() => {
    for (const request of t.stub.requests) assert.equal(request.headers["api-key"], undefined);
  });

  it("keeps 429 and passes Retry-After through", async () => {
    t.stub.script = (_req, res) =>
      sendJson(res, 429, { error: { code: "429", message: `Rate limit reached. ${UPSTREAM_SECRET}` } }, {
        "retry-after": "7",
        "retry-after-ms": "6500",
      });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.equal(res.headers.get("retry-after-ms"), "6500");
    assert.deepEqual(res.json.error, {
      type: "rate_limit_error",
      code: "rate_limited",
      message: "the model deployment is rate limited; retry after the time in Retry-After",
    });
    assertNoLeak(res);
  });

  it("maps upstream 500 to 502 and does not retry", async () => {
    t.stub.script = (_req, res) => sendJson(res, 500, { error: { code: "InternalServerError", message: UPSTREAM_SECRET } });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 502);
    assert.deepEqual(res.json.error, {
      type: "upstream_error",
      code: "upstream_error",
      message: "the model endpoint failed to answer",
    });
    assert.equal(t.stub.requests.length, 1);
    assertNoLeak(res);
  });

  it("maps upstream 503 to 502 and keeps its Retry-After", async () => {
    t.stub.script = (_req, res) => sendJson(res, 503, { error: { message: UPSTREAM_SECRET } }, { "retry-after": "2" });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("retry-after"), "2");
    assertNoLeak(res);
  });

  it("maps a refused identity or a missing deployment to 502", async () => {
    for (const status of [401, 403, 404]) {
      t.stub.script = (_req, res) => sendJson(res, status, { error: { code: String(status), message: UPSTREAM_SECRET } });
      const res = await call(t.svc.url, { body: hello });
      assert.equal(res.status, 502, String(status));
      assert.equal(res.json.error.code, "upstream_refused");
      assertNoLeak(res);
    }
  });

  it("passes on the upstream's own 400 with Azure's content filter detail (innererror) and param", async () => {
    // The shape Azure OpenAI answers a filtered prompt with (content filtering concept page).
    const innererror = {
      code: "ResponsibleAIPolicyViolation",
      content_filter_result: { hate: { filtered: true, severity: "high" }, violence: { filtered: false, severity: "safe" } },
    };
    t.stub.script = (_req, res) =>
      sendJson(res, 400, { error: { code: "content_filter", message: "The prompt was filtered.", param: "prompt", status: 400, innererror } }, {
        "apim-request-id": "up-400",
      });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json.error, {
      type: "invalid_request_error",
      code: "content_filter",
      message: "The prompt was filtered.",
      param: "prompt",
      innererror,
    });
    assert.equal(res.headers.get("apim-request-id"), "up-400");
  });

  it("passes on a reasoning model's refusal of a parameter as its own 400", async () => {
    t.stub.script = (_req, res) =>
      sendJson(res, 400, {
        error: {
          message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          type: "invalid_request_error",
          param: "max_tokens",
          code: "unsupported_parameter",
        },
      });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "unsupported_parameter");
    assert.equal(res.json.error.param, "max_tokens");
  });

  it("keeps the upstream's rate-limit and request-id headers on success and failure", async () => {
    const headers = {
      "x-ratelimit-remaining-requests": "99",
      "x-ratelimit-remaining-tokens": "12000",
      "apim-request-id": "up-1",
      "x-ms-region": "Sweden Central",
      "set-cookie": "affinity=1",
    };
    t.stub.script = (req, res) => sendJson(res, 200, completionFor(req.body), headers);
    const ok = await call(t.svc.url, { body: hello });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("x-ratelimit-remaining-requests"), "99");
    assert.equal(ok.headers.get("x-ratelimit-remaining-tokens"), "12000");
    assert.equal(ok.headers.get("apim-request-id"), "up-1");
    assert.equal(ok.headers.get("x-ms-region"), null);
    assert.equal(ok.headers.get("set-cookie"), null);
    t.stub.script = (_req, res) => sendJson(res, 429, { error: { code: "429", message: "slow down" } }, { ...headers, "retry-after": "3", "retry-after-ms": "2500" });
    const limited = await call(t.svc.url, { body: hello });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("x-ratelimit-remaining-tokens"), "12000");
    assert.equal(limited.headers.get("retry-after-ms"), "2500");
  });

  it("sends the request id upstream", async () => {
    await call(t.svc.url, { body: hello, headers: { "x-request-id": "client-req-7" } });
    assert.equal(t.stub.requests[0]!.headers["x-ms-client-request-id"], "client-req-7");
  });

  it("answers 502 invalid response, not unreachable, when the upstream speaks broken HTTP", async () => {
    t.stub.script = (_req, res) => {
      res.socket!.end("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}");
    };
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 502);
    assert.equal(res.json.error.code, "upstream_invalid_response");
  });

  it("answers 504 when the upstream does not answer in time", async () => {
    t.stub.script = () => undefined;
    const started = performance.now();
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 504);
    assert.deepEqual(res.json.error, {
      type: "upstream_error",
      code: "upstream_timeout",
      message: "the model endpoint did not answer in time",
    });
    assert.ok(performance.now() - started < 3000);
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    const url = t.stub.url;
    await t.stub.close();
    await t.svc.close();
    t.svc = await startService({ ...t.stub, url });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 502);
    assert.equal(res.json.error.code, "upstream_unreachable");
    assertNoLeak(res);
  });

  it("routes undici's connection failures to the service's log", async () => {
    const url = t.stub.url;
    await t.stub.close();
    await t.svc.close();
    t.svc = await startService({ ...t.stub, url });
    await call(t.svc.url, { body: hello, headers: { "x-request-id": "no-conn-1" } });
    const line = t.svc.logs.find((l) => l.msg === "could not connect to the model endpoint");
    assert.equal(line?.code, "ECONNREFUSED");
    assert.equal(line?.level, 40);
  });

  it("answers 503 without calling the model when no token can be obtained", async () => {
    await t.svc.close();
    t.svc = await startService(t.stub, { tokenProvider: () => Promise.reject(new Error(`CredentialUnavailable: ${UPSTREAM_SECRET}`)) });
    const res = await call(t.svc.url, { body: hello });
    assert.equal(res.status, 503);
    assert.deepEqual(res.json.error, {
      type: "service_unavailable",
      code: "credential_unavailable",
      message: "the service could not obtain a token for the model endpoint",
    });
    assert.equal(t.stub.requests.length, 0);
    assertNoLeak(res);
    assert.ok(t.svc.logs.some((l) => l.msg === "no token for the upstream call" && l.code === "credential_unavailable"));
  });

  it("logs upstream failures with the upstream's request id, not its message", async () => {
    t.stub.script = (_req, res) =>
      sendJson(res, 500, { error: { message: UPSTREAM_SECRET } }, { "apim-request-id": "upstream-req-9" });
    await call(t.svc.url, { body: hello, headers: { "x-request-id": "client-req-1" } });
    const line = t.svc.logs.find((l) => l.msg === "upstream call failed");
    assert.equal(line?.reqId, "client-req-1");
    assert.equal(line?.upstreamStatus, 500);
    assert.equal(line?.upstreamRequestId, "upstream-req-9");
    assert.ok(!t.svc.rawLogs.join("\n").includes(UPSTREAM_SECRET));
  });
});
