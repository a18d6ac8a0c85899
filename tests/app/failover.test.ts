// The AI API's endpoint failover (app/src/failover.ts) against two local Azure OpenAI imitations
// (tests/app/helpers/upstream.ts): the primary answers 429 with Retry-After, calls keep succeeding from the
// secondary, and go back to the primary once the Retry-After has passed.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import {
  DEFAULT_TRIP_MS,
  FAILOVER_ENDPOINTS_ENV,
  failsOver,
  FailoverUpstream,
  MODEL_ENDPOINT_HEADER,
  parseFailoverEndpoints,
  retryAfterMs,
} from "../../app/src/failover";
import type { HttpFailure } from "../../app/src/errors";
import { createUpstream, type RelaySink } from "../../app/src/upstream";
import { call, hello, startService } from "./helpers/service";
import { completionFor, sendJson, startUpstream, type UpstreamStub } from "./helpers/upstream";

const CONFIG = { deployment: "chat", apiVersion: "2024-10-21", timeouts: { upstreamMs: 5000, requestMs: 10000, keepAliveMs: 5000, shutdownMs: 1000 }, upstreamMaxRetries: 0 };
const throttled = (res: ServerResponse, seconds: number) =>
  sendJson(res, 429, { error: { code: "429", message: "Requests to the ChatCompletions_Create Operation have exceeded the rate limit." } }, { "retry-after": String(seconds) });

interface Outcome {
  status: number;
  headers: Record<string, string>;
  failure?: HttpFailure;
}

/** A sink that keeps what the client would have been sent. */
function collect(): { sink: RelaySink; done: Promise<Outcome> } {
  let resolve!: (o: Outcome) => void;
  const done = new Promise<Outcome>((r) => (resolve = r));
  const sink: RelaySink = {
    json: (status, headers) => resolve({ status, headers }),
    fail: (failure) => resolve({ status: failure.status, headers: failure.headers, failure }),
    streamStart: () => undefined,
    streamWrite: () => true,
    streamDrain: (resume) => resume(),
    streamEnd: () => undefined,
    observed: () => undefined,
  };
  return { sink, done };
}

describe("AI API failover between model endpoints (imitations of Azure OpenAI)", () => {
  let primary: UpstreamStub;
  let secondary: UpstreamStub;
  let clock: number;
  let upstream: FailoverUpstream;
  const chatCount = (s: UpstreamStub) => s.requests.filter((r) => r.path.includes("/chat/completions")).length;
  const send = async () => {
    const { sink, done } = collect();
    upstream.chat({ body: JSON.stringify(hello), token: "t", requestId: "r", stream: false, signal: new AbortController().signal }, sink);
    return done;
  };

  before(async () => {
    primary = await startUpstream();
    secondary = await startUpstream();
  });
  after(async () => {
    await primary.close();
    await secondary.close();
  });
  beforeEach(() => {
    clock = 1_000_000;
    primary.requests.length = 0;
    secondary.requests.length = 0;
    primary.script = undefined;
    secondary.script = undefined;
    upstream = new FailoverUpstream([primary.url, secondary.url].map((endpoint) => createUpstream({ ...CONFIG, endpoint })), { now: () => clock });
  });
  afterEach(() => upstream.close());

  it("a 429 with Retry-After moves the call to the secondary, which answers; the primary rests until the time has passed", async () => {
    let throttle = true;
    primary.script = (req, res) => (throttle ? throttled(res, 20) : sendJson(res, 200, completionFor(req.body)));

    const first = await send();
    assert.equal(first.status, 200);
    assert.equal(first.headers[MODEL_ENDPOINT_HEADER], "openai-2");
    assert.deepEqual([chatCount(primary), chatCount(secondary)], [1, 1]);
    assert.equal(upstream.trips["openai-1"], clock + 20_000, "set aside for the Retry-After");

    // While the primary rests, calls go straight to the secondary: the primary sees none of them.
    clock += 19_000;
    for (let i = 0; i < 3; i++) assert.equal((await send()).headers[MODEL_ENDPOINT_HEADER], "openai-2");
    assert.deepEqual([chatCount(primary), chatCount(secondary)], [1, 4]);

    // The primary has recovered; once the Retry-After has passed it takes the calls again.
    throttle = false;
    clock += 1_000;
    const back = await send();
    assert.equal(back.status, 200);
    assert.equal(back.headers[MODEL_ENDPOINT_HEADER], "openai-1");
    assert.deepEqual([chatCount(primary), chatCount(secondary)], [2, 4]);
  });

  it("a 5xx without Retry-After sets the primary aside for the default time", async () => {
    primary.script = (_req, res) => sendJson(res, 503, { error: { code: "ServiceUnavailable", message: "down" } });
    assert.equal((await send()).headers[MODEL_ENDPOINT_HEADER], "openai-2");
    assert.equal(upstream.trips["openai-1"], clock + DEFAULT_TRIP_MS);
  });

  it("when every endpoint is throttled the client gets the last 429, with its Retry-After, and the endpoint that gave it", async () => {
    primary.script = (_req, res) => throttled(res, 5);
    secondary.script = (_req, res) => throttled(res, 7);
    const o = await send();
    assert.equal(o.status, 429);
    assert.equal(o.failure?.code, "rate_limited");
    assert.equal(o.headers["retry-after"], "7");
    assert.equal(o.headers[MODEL_ENDPOINT_HEADER], "openai-2");
    // Both rest; the next call still tries them, primary first, rather than refuse on its own.
    assert.deepEqual(upstream.order(), [0, 1]);
  });

  it("a request the model refuses (400) is not retried elsewhere: another endpoint would refuse it too", async () => {
    primary.script = (_req, res) => sendJson(res, 400, { error: { code: "context_length_exceeded", message: "too long", param: "messages" } });
    const o = await send();
    assert.equal(o.status, 400);
    assert.deepEqual([chatCount(primary), chatCount(secondary)], [1, 0]);
    assert.equal(upstream.trips["openai-1"], 0);
  });

  it("an unreachable primary (connection refused) fails over", async () => {
    const closed = await startUpstream();
    const url = closed.url;
    await closed.close();
    const u = new FailoverUpstream([url, secondary.url].map((endpoint) => createUpstream({ ...CONFIG, endpoint })), { now: () => clock });
    const { sink, done } = collect();
    u.chat({ body: JSON.stringify(hello), token: "t", requestId: "r", stream: false, signal: new AbortController().signal }, sink);
    const o = await done;
    await u.close();
    assert.equal(o.status, 200);
    assert.equal(o.headers[MODEL_ENDPOINT_HEADER], "openai-2");
  });

  it("through the service: AZURE_OPENAI_FAILOVER_ENDPOINTS makes the AI API answer from the secondary and say so", async () => {
    primary.script = (_req, res) => throttled(res, 30);
    const saved = process.env[FAILOVER_ENDPOINTS_ENV];
    process.env[FAILOVER_ENDPOINTS_ENV] = secondary.url;
    const svc = await startService(primary);
    try {
      const reply = await call(svc.url, { body: hello });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.headers.get(MODEL_ENDPOINT_HEADER), "openai-2");
      assert.equal(reply.json.object, "chat.completion");
      assert.deepEqual([chatCount(primary), chatCount(secondary)], [1, 1]);
    } finally {
      await svc.close();
      if (saved === undefined) delete process.env[FAILOVER_ENDPOINTS_ENV];
      else process.env[FAILOVER_ENDPOINTS_ENV] = saved;
    }
  });
});

describe("failover: what moves a call, and the Retry-After it honours", () => {
  const f = (extra: Partial<HttpFailure>): HttpFailure => ({ status: 502, type: "upstream_error", code: "upstream_error", message: "", headers: {}, ...extra });

  it("moves on 429, 5xx and no connection; not on request errors or a client that left", () => {
    assert.equal(failsOver(f({ status: 429, upstreamStatus: 429 })), true);
    assert.equal(failsOver(f({ upstreamStatus: 500 })), true);
    assert.equal(failsOver(f({ code: "upstream_unreachable" })), true);
    assert.equal(failsOver(f({ status: 400, upstreamStatus: 400 })), false);
    assert.equal(failsOver(f({ status: 499, code: "client_closed" })), false);
  });

  it("reads retry-after-ms first, then seconds or an HTTP date, capped at ten minutes", () => {
    const now = Date.parse("2026-11-30T18:00:00Z");
    assert.equal(retryAfterMs({ "retry-after-ms": "1500", "retry-after": "9" }, now), 1500);
    assert.equal(retryAfterMs({ "retry-after": "9" }, now), 9000);
    assert.equal(retryAfterMs({ "retry-after": "Mon, 30 Nov 2026 18:00:30 GMT" }, now), 30_000);
    assert.equal(retryAfterMs({ "retry-after": "86400" }, now), 600_000);
    assert.equal(retryAfterMs({ "retry-after": "soon" }, now), undefined);
    assert.equal(retryAfterMs({}, now), undefined);
  });

  it("takes https endpoints (http only on loopback) without paths", () => {
    assert.deepEqual(parseFailoverEndpoints(undefined), []);
    assert.deepEqual(parseFailoverEndpoints("https://oai-b.openai.azure.com/, http://127.0.0.1:8080"), ["https://oai-b.openai.azure.com", "http://127.0.0.1:8080"]);
    assert.throws(() => parseFailoverEndpoints("http://oai-b.openai.azure.com"), /must use https/);
    assert.throws(() => parseFailoverEndpoints("https://oai-b.openai.azure.com/openai"), /without credentials, path/);
  });
});
