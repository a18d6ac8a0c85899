import assert from "node:assert/strict";
import { call, hello, startService, type RunningService } from "./helpers/service";
import { startUpstream, type UpstreamStub } from "./helpers/upstream";

const user = (content: unknown) => ({ role: "user", content });

const badBodies: [string, unknown, RegExp][] = [
  ["an empty object", {}, /missing required field "messages"/],
  ["an array", [hello], /^body must be object$/],
  ["null", null, /^body must be object$/],
  ["messages that are not a list", { messages: "hi" }, /^messages must be array$/],
  ["no messages", { messages: [] }, /^messages must NOT have fewer than 1 items$/],
  ["a message without content", { messages: [{ role: "user" }] }, /^messages\[0\]: missing required field "content"$/],
  ["an unknown role", { messages: [{ role: "wizard", content: "x" }] }, /^messages\[0\]\.role must be one of system, user, assistant$/],
  ["a tool role", { messages: [{ role: "tool", content: "x" }] }, /must be one of/],
  ["numeric content", { messages: [user(5)] }, /^messages\[0\]\.content must be string$/],
  ["multi-part content", { messages: [user([{ type: "text", text: "x" }])] }, /^messages\[0\]\.content must be string$/],
  ["empty content", { messages: [user("")] }, /^messages\[0\]\.content must NOT have fewer than 1 characters$/],
  ["an unknown message field", { messages: [{ ...user("x"), name: "n" }] }, /^messages\[0\]: unknown field "name"$/],
  ["a non-object message", { messages: ["hi"] }, /^messages\[0\] must be object$/],
  ["a later bad message", { messages: [user("ok"), user(null)] }, /^messages\[1\]\.content must be string$/],
  ["max_tokens of 0", { ...hello, max_tokens: 0 }, /^max_tokens must be >= 1$/],
  ["fractional max_tokens", { ...hello, max_tokens: 1.5 }, /^max_tokens must be integer$/],
  ["max_tokens as a string", { ...hello, max_tokens: "10" }, /^max_tokens must be integer$/],
  ["temperature above 2", { ...hello, temperature: 2.5 }, /^temperature must be <= 2$/],
  ["negative temperature", { ...hello, temperature: -0.1 }, /^temperature must be >= 0$/],
  ["temperature as a string", { ...hello, temperature: "0.5" }, /^temperature must be number$/],
  ["stream as a string", { ...hello, stream: "yes" }, /^stream must be boolean$/],
  ["a model override", { ...hello, model: "gpt-4" }, /^unknown field "model"$/],
  ["unsupported parameters", { ...hello, tools: [] }, /^unknown field "tools"$/],
];

describe("app request validation", () => {
  let stub: UpstreamStub;
  let svc: RunningService;

  before(async () => {
    stub = await startUpstream();
    svc = await startService(stub, {
      env: { MAX_MESSAGES: "3", MAX_CONTENT_CHARS: "20", MAX_TOKENS_CEILING: "100", MAX_BODY_BYTES: "2048" },
    });
  });
  after(async () => {
    await svc.close();
    await stub.close();
  });
  beforeEach(() => {
    stub.requests.length = 0;
  });

  for (const [what, body, message] of badBodies) {
    it(`answers 400 to ${what}, without calling the model`, async () => {
      const res = await call(svc.url, { body: JSON.stringify(body) });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error.type, "invalid_request_error");
      assert.equal(res.json.error.code, "invalid_body");
      assert.match(res.json.error.message, message);
      assert.equal(stub.requests.length, 0);
    });
  }

  it("answers 400 to a body that is not JSON", async () => {
    for (const body of ["{", "messages=hi", '{"messages": [}']) {
      const res = await call(svc.url, { body });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json.error, {
        type: "invalid_request_error",
        code: "invalid_json",
        message: "request body is not valid JSON",
      });
    }
  });

  it("answers 400 to an empty JSON body", async () => {
    const res = await call(svc.url, { body: "", headers: { "content-type": "application/json" } });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "invalid_json");
  });

  it("answers 400 to prototype poisoning", async () => {
    const res = await call(svc.url, { body: '{"messages":[{"role":"user","content":"x"}],"__proto__":{"admin":true}}' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.type, "invalid_request_error");
  });

  it("answers 415 to other media types", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await call(svc.url, { body: JSON.stringify(hello), headers: { "content-type": type } });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.error.code, "unsupported_media_type");
    }
  });

  it("limits the number of messages", async () => {
    const three = { messages: [user("a"), user("b"), user("c")] };
    assert.equal((await call(svc.url, { body: three })).status, 200);
    const four = await call(svc.url, { body: { messages: [...three.messages, user("too-far")] } });
    assert.equal(four.status, 400);
    assert.equal(four.json.error.message, "messages must have at most 3 items");
  });

  it("limits the length of each message", async () => {
    assert.equal((await call(svc.url, { body: { messages: [user("x".repeat(20))] } })).status, 200);
    const long = await call(svc.url, { body: { messages: [user("x".repeat(21))] } });
    assert.equal(long.status, 400);
    assert.equal(long.json.error.message, "messages[0].content must be at most 20 characters");
  });

  it("holds max_tokens to the ceiling", async () => {
    const over = await call(svc.url, { body: { ...hello, max_tokens: 101 } });
    assert.equal(over.status, 400);
    assert.equal(over.json.error.message, "max_tokens must be <= 100");
    assert.equal((await call(svc.url, { body: { ...hello, max_tokens: 100 } })).status, 200);
    assert.equal((await call(svc.url, { body: hello })).status, 200);
    assert.deepEqual(
      stub.requests.map((r) => r.body.max_tokens),
      [100, 100],
    );
  });

  it("answers 413 to a body over the size limit", async () => {
    const body = JSON.stringify({ messages: Array.from({ length: 120 }, () => user("x".repeat(20))) });
    assert.ok(body.length > 2048);
    const res = await call(svc.url, { body });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json.error, {
      type: "invalid_request_error",
      code: "body_too_large",
      message: "request body exceeds 2048 bytes",
    });
    assert.equal(stub.requests.length, 0);
  });
});
