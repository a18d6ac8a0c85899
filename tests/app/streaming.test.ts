import assert from "node:assert/strict";
import { CHAT_PATH } from "../../app/src/image";
import http from "node:http";
import { hello, serviceHooks, sseData, TEST_TOKEN } from "./helpers/service";
import { chunksFor, completionFor, sendJson, sendStream, STUB_WORDS } from "./helpers/upstream";

interface Received {
  status: number;
  headers: Headers;
  text: string;
  firstChunkMs: number;
  endMs: number;
}

async function stream(url: string, body: unknown = { ...hello, stream: true }): Promise<Received> {
  const started = performance.now();
  const res = await fetch(`${url}${CHAT_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let firstChunkMs = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (firstChunkMs < 0) firstChunkMs = performance.now() - started;
    text += decoder.decode(value, { stream: true });
  }
  return { status: res.status, headers: res.headers, text, firstChunkMs, endMs: performance.now() - started };
}

describe("app streaming", () => {
  const t = serviceHooks({ env: { UPSTREAM_TIMEOUT_MS: "400" } });

  it("relays the chunks in order as server-sent events and ends with usage and [DONE]", async () => {
    const res = await stream(t.svc.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(res.headers.get("cache-control"), "no-cache, no-transform");
    const events = sseData(res.text);
    assert.equal(events.at(-1), "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.deepEqual(chunks, chunksFor(t.stub.requests[0]!.body));
    assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join(""), STUB_WORDS.join(""));
    const usage = chunks.at(-1).usage;
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  it("asks the upstream to stream with usage, authenticated with the bearer token only", async () => {
    await stream(t.svc.url);
    const upstream = t.stub.requests[0]!;
    assert.equal(upstream.body.stream, true);
    assert.deepEqual(upstream.body.stream_options, { include_usage: true });
    assert.equal(upstream.headers.authorization, `Bearer ${TEST_TOKEN}`);
    assert.equal(upstream.headers["api-key"], undefined);
  });

  it("sends the first bytes without waiting for the end of the answer", async () => {
    t.stub.script = (req, res) => sendStream(res, req.body, { delayBeforeLastMs: 300 });
    const res = await stream(t.svc.url);
    assert.equal(res.status, 200);
    assert.ok(res.firstChunkMs >= 0);
    assert.ok(res.endMs - res.firstChunkMs >= 250, `first chunk at ${res.firstChunkMs} ms, end at ${res.endMs} ms`);
    assert.equal(sseData(res.text).at(-1), "[DONE]");
  });

  it("answers errors before the first chunk with a status, not a stream", async () => {
    t.stub.script = (_req, res) => sendJson(res, 429, { error: { code: "429", message: "Rate limit" } }, { "retry-after": "3" });
    const res = await stream(t.svc.url);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "3");
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(JSON.parse(res.text).error.code, "rate_limited");
  });

  it("ends with an error event when the upstream stalls mid-answer", async () => {
    t.stub.script = (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const chunk of chunksFor(req.body).slice(0, 2)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };
    const res = await stream(t.svc.url);
    const events = sseData(res.text);
    assert.equal(events.length, 3, res.text);
    assert.deepEqual(JSON.parse(events[2]!).error, {
      type: "upstream_error",
      code: "upstream_timeout",
      message: "the model endpoint stopped sending",
    });
    assert.ok(res.endMs < 3000, `took ${res.endMs} ms`);
  });

  it("ends with an error event when the upstream connection breaks mid-answer", async () => {
    t.stub.script = (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunksFor(req.body)[0])}\n\n`, () => setTimeout(() => res.socket?.destroy(), 20));
    };
    const res = await stream(t.svc.url);
    const events = sseData(res.text);
    assert.equal(events.length, 2, res.text);
    assert.deepEqual(JSON.parse(events[1]!).error, {
      type: "upstream_error",
      code: "upstream_interrupted",
      message: "the model endpoint broke off the answer",
    });
  });

  it("passes on an error event the upstream sends mid-answer, as the upstream's bytes, and logs the stream as failed", async () => {
    const upstreamError = { error: { code: "content_filter", message: "The response was filtered." } };
    t.stub.script = (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunksFor(req.body)[0])}\n\n`);
      res.end(`data: ${JSON.stringify(upstreamError)}\n\n`);
    };
    const events = sseData((await stream(t.svc.url)).text);
    assert.equal(events.length, 2);
    assert.deepEqual(JSON.parse(events[1]!), upstreamError);
    const line = t.svc.logs.find((l) => l.msg === "stream failed after it started");
    assert.equal(line?.code, "upstream_error_event");
    assert.equal(line?.statusCode, 200);
  });

  it("answers 502 when a stream request gets a 200 that is not an event stream", async () => {
    t.stub.script = (req, res) => sendJson(res, 200, completionFor(req.body));
    const res = await stream(t.svc.url);
    assert.equal(res.status, 502);
    assert.deepEqual(JSON.parse(res.text).error, {
      type: "upstream_error",
      code: "upstream_invalid_response",
      message: "the model endpoint answered a streaming request without an event stream",
    });
  });

  it("logs a stream that breaks after it started as failed, not as completed", async () => {
    t.stub.script = (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunksFor(req.body)[0])}\n\n`, () => setTimeout(() => res.socket?.destroy(), 20));
    };
    await stream(t.svc.url);
    const lines = t.svc.logs.filter((l) => l.url === CHAT_PATH && l.statusCode === 200);
    assert.deepEqual(lines.map((l) => [l.msg, l.code]), [["stream failed after it started", "upstream_interrupted"]]);
  });

  it("relays the upstream's bytes unchanged and keeps its useful headers", async () => {
    const raw = `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"h\\u00e9"}}]}\n\n: keep-alive comment\n\ndata: [DONE]\n\n`;
    t.stub.script = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "x-ratelimit-remaining-tokens": "77", "apim-request-id": "up-s" });
      res.end(raw);
    };
    const res = await stream(t.svc.url);
    assert.equal(res.text, raw);
    assert.equal(res.headers.get("x-ratelimit-remaining-tokens"), "77");
    assert.equal(res.headers.get("apim-request-id"), "up-s");
    assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  it("keeps the client's stream_options and always asks for usage", async () => {
    await stream(t.svc.url, { ...hello, stream: true, stream_options: { include_usage: false } });
    assert.deepEqual(t.stub.requests[0]!.body.stream_options, { include_usage: true });
  });

  it("cancels the upstream call when the client goes away", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    t.stub.script = (req, res) => {
      res.on("close", upstreamClosed);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunksFor(req.body)[0])}\n\n`);
    };
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${t.svc.url}${CHAT_PATH}`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", reject);
      req.end(JSON.stringify({ ...hello, stream: true }));
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      closed.then(() => "closed"),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000, "still open"))),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "closed");
  });
});
