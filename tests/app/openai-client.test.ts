// The official `openai` npm client, unchanged but for its base URL, against the service in front of the
// local Azure OpenAI imitation (tests/app/helpers/upstream.ts).
import assert from "node:assert/strict";
import OpenAI from "openai";
import { serviceHooks } from "./helpers/service";
import { sendJson, STUB_WORDS } from "./helpers/upstream";

describe("app with the official openai client", () => {
  const t = serviceHooks({ once: true });
  let client: OpenAI;

  before(() => {
    // The service authenticates itself to Azure; the client's key is APIM's business, not the service's.
    client = new OpenAI({ baseURL: `${t.svc.url}/v1`, apiKey: "not-used-by-the-service", maxRetries: 0 });
  });
  beforeEach(() => {
    t.stub.script = undefined;
    t.stub.requests.length = 0;
  });

  it("creates a chat completion", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-5.4-mini",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Say hello" }] },
      ],
      max_completion_tokens: 20,
      top_p: 0.5,
      stop: ["\n\n"],
      user: "u-1",
    });
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.choices[0]!.message.content, STUB_WORDS.join(""));
    assert.equal(completion.usage!.total_tokens, completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    assert.equal(t.stub.requests[0]!.body.max_tokens, 20);
  });

  it("streams a chat completion, usage included", async () => {
    const stream = await client.chat.completions.create({
      model: "ignored",
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? "";
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, STUB_WORDS.join(""));
    assert.ok(chunks > STUB_WORDS.length, `${chunks} chunks`);
    assert.ok(usage && usage.total_tokens > 0);
  });

  it("calls tools with a JSON schema response format", async () => {
    const completion = await client.chat.completions.create({
      model: "ignored",
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      tool_choice: "auto",
      response_format: { type: "json_schema", json_schema: { name: "weather", schema: { type: "object" }, strict: true } },
    });
    assert.equal(completion.object, "chat.completion");
    assert.equal(t.stub.requests[0]!.body.tools[0].function.name, "get_weather");
  });

  it("surfaces the service's errors as the client's APIError, with status, code and headers", async () => {
    t.stub.script = (_req, res) => sendJson(res, 429, { error: { code: "429", message: "Rate limit" } }, { "retry-after": "4" });
    const error = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }).then(
      () => assert.fail("expected an error"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof OpenAI.RateLimitError, String(error));
    assert.equal(error.status, 429);
    assert.equal(error.code, "rate_limited");
    assert.equal(error.headers?.get("retry-after"), "4");
    const invalid = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "x" }], top_p: 3 })
      .catch((e: unknown) => e);
    assert.ok(invalid instanceof OpenAI.BadRequestError);
    assert.equal(invalid.code, "invalid_body");
    assert.equal(invalid.message, "400 top_p must be <= 1");
  });

  it("raises the upstream's mid-stream error event as an APIError in the client", async () => {
    t.stub.script = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${JSON.stringify({ error: { code: "content_filter", message: "The response was filtered." } })}\n\n`);
    };
    const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], stream: true });
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (e: unknown) => e instanceof OpenAI.APIError && /filtered/.test(e.message),
    );
  });
});
