import assert from "node:assert/strict";
import { call, hello, serviceHooks, startService } from "./helpers/service";

const user = (content: unknown) => ({ role: "user", content });

const badBodies: [string, unknown, RegExp][] = [
  ["an empty object", {}, /missing required field "messages"/],
  ["an array", [hello], /^body must be object$/],
  ["null", null, /^body must be object$/],
  ["messages that are not a list", { messages: "hi" }, /^messages must be array$/],
  ["no messages", { messages: [] }, /^messages must NOT have fewer than 1 items$/],
  ["a user message without content", { messages: [{ role: "user" }] }, /^messages\[0\]: missing required field "content"$/],
  ["a tool message without its call id", { messages: [{ role: "tool", content: "x" }] }, /^messages\[0\]: missing required field "tool_call_id"$/],
  ["an unknown role", { messages: [{ role: "wizard", content: "x" }] }, /^messages\[0\]\.role must be one of system, developer, user, assistant, tool$/],
  ["numeric content", { messages: [user(5)] }, /^messages\[0\]\.content must be string or array$/],
  ["numeric assistant content", { messages: [{ role: "assistant", content: 5 }] }, /^messages\[0\]\.content must be string or array or null$/],
  ["null user content", { messages: [user(null)] }, /^messages\[0\]\.content must be string or array$/],
  ["an unknown content part", { messages: [user([{ type: "video", url: "x" }])] }, /^messages\[0\]\.content\[0\]\.type must be one of text, image_url, input_audio, refusal, file$/],
  ["a text part without text", { messages: [user([{ type: "text" }])] }, /^messages\[0\]\.content\[0\]: missing required field "text"$/],
  ["empty content", { messages: [user("")] }, /^messages\[0\]\.content must NOT have fewer than 1 characters$/],
  ["an unknown message field", { messages: [{ ...user("x"), mood: "n" }] }, /^messages\[0\]: unknown field "mood"$/],
  ["a non-object message", { messages: ["hi"] }, /^messages\[0\] must be object$/],
  ["a later bad message", { messages: [user("ok"), user(7)] }, /^messages\[1\]\.content must be string or array$/],
  ["max_tokens of 0", { ...hello, max_tokens: 0 }, /^max_tokens must be >= 1$/],
  ["fractional max_tokens", { ...hello, max_tokens: 1.5 }, /^max_tokens must be integer$/],
  ["max_tokens as a string", { ...hello, max_tokens: "10" }, /^max_tokens must be integer$/],
  ["both token limits", { ...hello, max_tokens: 10, max_completion_tokens: 10 }, /^give max_tokens or max_completion_tokens, not both$/],
  ["temperature above 2", { ...hello, temperature: 2.5 }, /^temperature must be <= 2$/],
  ["negative temperature", { ...hello, temperature: -0.1 }, /^temperature must be >= 0$/],
  ["temperature as a string", { ...hello, temperature: "0.5" }, /^temperature must be number$/],
  ["top_p above 1", { ...hello, top_p: 1.5 }, /^top_p must be <= 1$/],
  ["stream as a string", { ...hello, stream: "yes" }, /^stream must be boolean$/],
  ["more than one choice", { ...hello, n: 2 }, /^n must be <= 1$/],
  ["five stop sequences", { ...hello, stop: ["a", "b", "c", "d", "e"] }, /^stop must have at most 4 items$/],
  ["a tool of another type", { ...hello, tools: [{ type: "retrieval", function: { name: "f" } }] }, /^tools\[0\]\.type must be "function"$/],
  ["a tool with a bad name", { ...hello, tools: [{ type: "function", function: { name: "no spaces" } }] }, /^tools\[0\]\.function\.name must match pattern/],
  ["an unknown response format", { ...hello, response_format: { type: "xml" } }, /^response_format\.type must be one of text, json_object, json_schema$/],
  ["a json_schema format without its schema object", { ...hello, response_format: { type: "json_schema" } }, /^response_format: missing required field "json_schema"$/],
  ["a long user id", { ...hello, user: "u".repeat(257) }, /^user must be at most 256 characters$/],
  ["unsupported parameters", { ...hello, functions: [] }, /^unknown field "functions"$/],
];

describe("app request validation", () => {
  const t = serviceHooks({ once: true, env: { MAX_MESSAGES: "3", MAX_CONTENT_CHARS: "20", MAX_TOKENS_CEILING: "100", MAX_BODY_BYTES: "2048" } });
  beforeEach(() => {
    t.stub.requests.length = 0;
  });

  for (const [what, body, message] of badBodies) {
    it(`answers 400 to ${what}, without calling the model`, async () => {
      const res = await call(t.svc.url, { body: JSON.stringify(body) });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error.type, "invalid_request_error");
      assert.equal(res.json.error.code, "invalid_body");
      assert.match(res.json.error.message, message);
      assert.equal(t.stub.requests.length, 0);
    });
  }

  it("answers 400 to a body that is not JSON", async () => {
    for (const body of ["{", "messages=hi", '{"messages": [}']) {
      const res = await call(t.svc.url, { body });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json.error, {
        type: "invalid_request_error",
        code: "invalid_json",
        message: "request body is not valid JSON",
      });
    }
  });

  it("answers 400 to an empty JSON body", async () => {
    const res = await call(t.svc.url, { body: "", headers: { "content-type": "application/json" } });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "invalid_json");
  });

  it("answers 400 to prototype poisoning", async () => {
    const res = await call(t.svc.url, { body: '{"messages":[{"role":"user","content":"x"}],"__proto__":{"admin":true}}' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.type, "invalid_request_error");
  });

  it("answers 415 to other media types", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await call(t.svc.url, { body: JSON.stringify(hello), headers: { "content-type": type } });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.error.code, "unsupported_media_type");
    }
  });

  it("limits the number of messages", async () => {
    const three = { messages: [user("a"), user("b"), user("c")] };
    assert.equal((await call(t.svc.url, { body: three })).status, 200);
    const four = await call(t.svc.url, { body: { messages: [...three.messages, user("too-far")] } });
    assert.equal(four.status, 400);
    assert.equal(four.json.error.message, "messages must have at most 3 items");
  });

  it("limits the length of each message", async () => {
    assert.equal((await call(t.svc.url, { body: { messages: [user("x".repeat(20))] } })).status, 200);
    const long = await call(t.svc.url, { body: { messages: [user("x".repeat(21))] } });
    assert.equal(long.status, 400);
    assert.equal(long.json.error.message, "messages[0].content must be at most 20 characters");
  });

  it("accepts the common OpenAI fields and passes them on", async () => {
    const body = {
      model: "anything-the-client-names",
      messages: [
        { role: "developer", content: "Answer in JSON." },
        { role: "user", content: [{ type: "text", text: "Weather?" }, { type: "image_url", image_url: { url: "https://x.example/a.png", detail: "low" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
      ],
      tools: [{ type: "function", function: { name: "get_weather", description: "d", parameters: { type: "object", properties: {} }, strict: true } }],
      tool_choice: "auto",
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      stop: ["END"],
      top_p: 0.9,
      user: "user-1",
      seed: 7,
      presence_penalty: 0.5,
      reasoning_effort: "low",
      max_completion_tokens: 50,
    };
    const res = await call(t.svc.url, { body });
    assert.equal(res.status, 200, res.text);
    const sent = t.stub.requests[0]!.body;
    assert.equal(sent.model, "chat");
    assert.equal(sent.max_tokens, 50);
    assert.equal(sent.max_completion_tokens, undefined);
    for (const field of ["messages", "tools", "tool_choice", "response_format", "stop", "top_p", "user", "seed", "presence_penalty", "reasoning_effort"] as const) {
      assert.deepEqual(sent[field], (body as Record<string, unknown>)[field], field);
    }
    const tool = await call(t.svc.url, { body: { messages: [user("x"), { role: "tool", tool_call_id: "call_1", content: "sunny" }] } });
    assert.equal(tool.status, 200, tool.text);
  });

  it("sends max_completion_tokens to a reasoning deployment, whichever field the client used", async () => {
    const reasoning = await startService(t.stub, {
      env: { AZURE_OPENAI_TOKEN_PARAMETER: "max_completion_tokens", AZURE_OPENAI_API_VERSION: "2025-04-01-preview", MAX_TOKENS_CEILING: "100" },
    });
    try {
      await call(reasoning.url, { body: { ...hello, max_tokens: 12 } });
      await call(reasoning.url, { body: { ...hello, max_completion_tokens: 13 } });
      await call(reasoning.url, { body: hello });
    } finally {
      await reasoning.close();
    }
    assert.deepEqual(
      t.stub.requests.map((r) => [r.query.get("api-version"), r.body.max_completion_tokens, r.body.max_tokens]),
      [
        ["2025-04-01-preview", 12, undefined],
        ["2025-04-01-preview", 13, undefined],
        ["2025-04-01-preview", 100, undefined],
      ],
    );
  });

  it("holds max_tokens to the ceiling", async () => {
    const over = await call(t.svc.url, { body: { ...hello, max_tokens: 101 } });
    assert.equal(over.status, 400);
    assert.equal(over.json.error.message, "max_tokens must be <= 100");
    assert.equal((await call(t.svc.url, { body: { ...hello, max_tokens: 100 } })).status, 200);
    assert.equal((await call(t.svc.url, { body: hello })).status, 200);
    assert.deepEqual(
      t.stub.requests.map((r) => r.body.max_tokens),
      [100, 100],
    );
  });

  it("answers 413 to a body over the size limit", async () => {
    const body = JSON.stringify({ messages: Array.from({ length: 120 }, () => user("x".repeat(20))) });
    assert.ok(body.length > 2048);
    const res = await call(t.svc.url, { body });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json.error, {
      type: "invalid_request_error",
      code: "body_too_large",
      message: "request body exceeds 2048 bytes",
    });
    assert.equal(t.stub.requests.length, 0);
  });
});
