import type { AppConfig } from "./config";

/** `developer` replaces `system` for reasoning models; `tool` carries a tool call's result. */
export const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;

/** Request fields the service sets itself or refuses; everything else the schema lists passes through. */
export interface ChatRequest {
  model?: string;
  messages: unknown[];
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [field: string]: unknown;
}

/** Bounds on what one request may carry; the per-message and token limits come from the configuration. */
export const LIMITS = {
  contentParts: 64,
  tools: 128,
  toolCalls: 128,
  stop: 4,
  nameChars: 64,
  idChars: 256,
  userChars: 256,
  modelChars: 256,
  urlChars: 2 * 1024 * 1024,
  descriptionChars: 8192,
  metadataKeys: 16,
} as const;

const str = (maxLength: number, minLength = 0) => ({ type: "string", minLength, maxLength }) as const;
const FUNCTION_NAME = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } as const;
/** JSON Schema documents given by clients (tool parameters, response schemas) are passed on as objects. */
const OPEN_OBJECT = { type: "object" } as const;

/**
 * The OpenAI chat completions request (https://platform.openai.com/docs/api-reference/chat/create) as far
 * as Azure OpenAI chat deployments take it, with every list and string bounded. Unknown fields are refused.
 */
export function chatBodySchema(limits: AppConfig["limits"]) {
  const text = str(limits.contentChars, 1);
  const textPart = {
    type: "object",
    additionalProperties: false,
    required: ["type", "text"],
    properties: { type: { const: "text" }, text },
  } as const;
  const part = {
    type: "object",
    required: ["type"],
    properties: { type: { enum: ["text", "image_url", "input_audio", "refusal", "file"] } },
    discriminator: { propertyName: "type" },
    oneOf: [
      textPart,
      {
        type: "object",
        additionalProperties: false,
        required: ["type", "image_url"],
        properties: {
          type: { const: "image_url" },
          image_url: {
            type: "object",
            additionalProperties: false,
            required: ["url"],
            properties: { url: str(LIMITS.urlChars, 1), detail: { enum: ["auto", "low", "high"] } },
          },
        },
      },
      {
        type: "object",
        additionalProperties: false,
        required: ["type", "input_audio"],
        properties: {
          type: { const: "input_audio" },
          input_audio: {
            type: "object",
            additionalProperties: false,
            required: ["data", "format"],
            properties: { data: str(LIMITS.urlChars, 1), format: { enum: ["wav", "mp3"] } },
          },
        },
      },
      {
        type: "object",
        additionalProperties: false,
        required: ["type", "refusal"],
        properties: { type: { const: "refusal" }, refusal: text },
      },
      {
        type: "object",
        additionalProperties: false,
        required: ["type", "file"],
        properties: {
          type: { const: "file" },
          file: {
            type: "object",
            additionalProperties: false,
            properties: { file_data: str(LIMITS.urlChars, 1), file_id: str(LIMITS.idChars, 1), filename: str(LIMITS.idChars, 1) },
          },
        },
      },
    ],
  } as const;
  const content = (nullable: boolean) =>
    ({
      type: nullable ? ["string", "array", "null"] : ["string", "array"],
      minLength: 1,
      maxLength: limits.contentChars,
      minItems: 1,
      maxItems: LIMITS.contentParts,
      items: part,
    }) as const;
  const toolCall = {
    type: "object",
    additionalProperties: false,
    required: ["id", "type", "function"],
    properties: {
      id: str(LIMITS.idChars, 1),
      type: { const: "function" },
      function: {
        type: "object",
        additionalProperties: false,
        required: ["name", "arguments"],
        properties: { name: FUNCTION_NAME, arguments: str(limits.contentChars) },
      },
    },
  } as const;
  const message = {
    type: "object",
    additionalProperties: false,
    required: ["role"],
    properties: {
      role: { type: "string", enum: [...ROLES] },
      content: content(true),
      name: str(LIMITS.nameChars, 1),
      tool_calls: { type: "array", maxItems: LIMITS.toolCalls, items: toolCall },
      tool_call_id: str(LIMITS.idChars, 1),
      refusal: { type: ["string", "null"], maxLength: limits.contentChars },
    },
    allOf: [
      { if: { properties: { role: { const: "tool" } } }, then: { required: ["content", "tool_call_id"] } },
      { if: { properties: { role: { enum: ["system", "developer", "user"] } } }, then: { required: ["content"], properties: { content: content(false) } } },
    ],
  } as const;
  // A function's parameters and a response format's schema are described alike: a name, a description, the
  // JSON schema itself under `key`, and `strict`.
  const namedSchema = (key: "parameters" | "schema") =>
    ({
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: { name: FUNCTION_NAME, description: str(LIMITS.descriptionChars), [key]: OPEN_OBJECT, strict: { type: ["boolean", "null"] } },
    }) as const;
  const tool = {
    type: "object",
    additionalProperties: false,
    required: ["type", "function"],
    properties: {
      type: { const: "function" },
      function: namedSchema("parameters"),
    },
  } as const;
  const tokens = { type: "integer", minimum: 1, maximum: limits.maxTokens } as const;
  return {
    type: "object",
    additionalProperties: false,
    required: ["messages"],
    properties: {
      model: str(LIMITS.modelChars),
      messages: { type: "array", minItems: 1, maxItems: limits.messages, items: message },
      max_tokens: tokens,
      max_completion_tokens: tokens,
      temperature: { type: "number", minimum: 0, maximum: 2 },
      top_p: { type: "number", minimum: 0, maximum: 1 },
      n: { type: "integer", minimum: 1, maximum: 1 },
      stream: { type: "boolean" },
      stream_options: {
        type: ["object", "null"],
        additionalProperties: false,
        properties: { include_usage: { type: "boolean" } },
      },
      stop: {
        type: ["string", "array", "null"],
        minLength: 1,
        maxLength: LIMITS.descriptionChars,
        maxItems: LIMITS.stop,
        items: str(LIMITS.descriptionChars, 1),
      },
      presence_penalty: { type: "number", minimum: -2, maximum: 2 },
      frequency_penalty: { type: "number", minimum: -2, maximum: 2 },
      seed: { type: "integer" },
      user: str(LIMITS.userChars),
      logprobs: { type: ["boolean", "null"] },
      top_logprobs: { type: "integer", minimum: 0, maximum: 20 },
      tools: { type: "array", maxItems: LIMITS.tools, items: tool },
      tool_choice: {
        oneOf: [
          { enum: ["none", "auto", "required"] },
          {
            type: "object",
            additionalProperties: false,
            required: ["type", "function"],
            properties: {
              type: { const: "function" },
              function: { type: "object", additionalProperties: false, required: ["name"], properties: { name: FUNCTION_NAME } },
            },
          },
        ],
      },
      parallel_tool_calls: { type: "boolean" },
      response_format: {
        type: "object",
        required: ["type"],
        properties: { type: { enum: ["text", "json_object", "json_schema"] } },
        discriminator: { propertyName: "type" },
        oneOf: [
          { type: "object", additionalProperties: false, properties: { type: { enum: ["text", "json_object"] } } },
          {
            type: "object",
            additionalProperties: false,
            required: ["type", "json_schema"],
            properties: {
              type: { const: "json_schema" },
              json_schema: namedSchema("schema"),
            },
          },
        ],
      },
      reasoning_effort: { enum: ["minimal", "low", "medium", "high"] },
      metadata: {
        type: "object",
        maxProperties: LIMITS.metadataKeys,
        additionalProperties: str(512),
        propertyNames: { maxLength: 64 },
      },
      store: { type: "boolean" },
    },
    not: { type: "object", required: ["max_tokens", "max_completion_tokens"] },
  } as const;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldName(instancePath: string): string {
  const name = instancePath
    .split("/")
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join("")
    .replace(/^\./, "");
  return name || "body";
}

/** Turns the first Ajv error into a sentence that names the field and what it accepts. */
export function describeSchemaError(errors: readonly SchemaError[]): string {
  // A failed oneOf lists each branch's complaint first; only the oneOf's own error names the field.
  const e = errors.at(-1)?.keyword === "oneOf" ? errors.at(-1) : errors[0];
  if (!e) return "invalid request body";
  const field = fieldName(e.instancePath);
  switch (e.keyword) {
    case "additionalProperties":
      return `${field === "body" ? "" : `${field}: `}unknown field "${String(e.params.additionalProperty)}"`;
    case "required":
      return `${field === "body" ? "" : `${field}: `}missing required field "${String(e.params.missingProperty)}"`;
    case "enum":
      return `${field} must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`;
    case "const":
      return `${field} must be ${JSON.stringify(e.params.allowedValue)}`;
    case "maxItems":
      return `${field} must have at most ${String(e.params.limit)} items`;
    case "maxLength":
      return `${field} must be at most ${String(e.params.limit)} characters`;
    case "type":
      return `${field} must be ${String(e.params.type).split(",").join(" or ")}`;
    case "not":
      return "give max_tokens or max_completion_tokens, not both";
    case "oneOf":
      return `${field} does not match any accepted form`;
    default:
      return `${field} ${e.message ?? "is invalid"}`;
  }
}
