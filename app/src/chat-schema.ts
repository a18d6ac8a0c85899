import type { AppConfig } from "./config";

export const ROLES = ["system", "user", "assistant"] as const;

export interface ChatMessage {
  role: (typeof ROLES)[number];
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  stream?: boolean;
}

export function chatBodySchema(limits: AppConfig["limits"]) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["messages"],
    properties: {
      messages: {
        type: "array",
        minItems: 1,
        maxItems: limits.messages,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["role", "content"],
          properties: {
            role: { type: "string", enum: [...ROLES] },
            content: { type: "string", minLength: 1, maxLength: limits.contentChars },
          },
        },
      },
      max_tokens: { type: "integer", minimum: 1, maximum: limits.maxTokens },
      temperature: { type: "number", minimum: 0, maximum: 2 },
      stream: { type: "boolean" },
    },
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
  const e = errors[0];
  if (!e) return "invalid request body";
  const field = fieldName(e.instancePath);
  switch (e.keyword) {
    case "additionalProperties":
      return `${field === "body" ? "" : `${field}: `}unknown field "${String(e.params.additionalProperty)}"`;
    case "required":
      return `${field === "body" ? "" : `${field}: `}missing required field "${String(e.params.missingProperty)}"`;
    case "enum":
      return `${field} must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`;
    case "maxItems":
      return `${field} must have at most ${String(e.params.limit)} items`;
    case "maxLength":
      return `${field} must be at most ${String(e.params.limit)} characters`;
    default:
      return `${field} ${e.message ?? "is invalid"}`;
  }
}
