// A loopback stand-in for Azure OpenAI that speaks the chat-completions wire format (JSON and SSE)
// and the App Service flavour of the managed identity token endpoint.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: any;
}

/** Overrides the default answer to API calls (chat and models); token requests are always answered. */
export type Script = (req: UpstreamRequest, res: ServerResponse) => void | Promise<void>;

export interface UpstreamStub {
  url: string;
  port: number;
  deployment: string;
  requests: UpstreamRequest[];
  tokenRequests: number;
  script: Script | undefined;
  close(): Promise<void>;
}

export interface StubOptions {
  deployment?: string;
  /** Keep every request (tests); off for benchmarks. */
  record?: boolean;
  /** The token the managed identity endpoint hands out. */
  token?: string;
}

export const STUB_MODEL = "gpt-4o-mini-2024-07-18";
export const STUB_WORDS = ["Hello", " from", " the", " stub", "."];

export function usageFor(body: any) {
  const prompt = JSON.stringify(body?.messages ?? []).length >> 2;
  return { prompt_tokens: prompt, completion_tokens: STUB_WORDS.length, total_tokens: prompt + STUB_WORDS.length };
}

export function completionFor(body: any) {
  return {
    id: "chatcmpl-stub",
    object: "chat.completion",
    created: 1_700_000_000,
    model: STUB_MODEL,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: STUB_WORDS.join("") },
        finish_reason: "stop",
        logprobs: null,
      },
    ],
    usage: usageFor(body),
  };
}

export function chunksFor(body: any): any[] {
  const base = { id: "chatcmpl-stub", object: "chat.completion.chunk", created: 1_700_000_000, model: STUB_MODEL };
  const chunks: any[] = [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
    ...STUB_WORDS.map((word) => ({ ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  ];
  if (body?.stream_options?.include_usage) chunks.push({ ...base, choices: [], usage: usageFor(body) });
  return chunks;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Writes the chunks as SSE, waiting `delayBeforeLastMs` before the last chunk and the [DONE] line. */
export async function sendStream(
  res: ServerResponse,
  body: any,
  { delayBeforeLastMs = 0, chunks = chunksFor(body) }: { delayBeforeLastMs?: number; chunks?: object[] } = {},
) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  chunks.forEach((chunk, i) => {
    if (i < chunks.length - 1) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  });
  if (delayBeforeLastMs) await sleep(delayBeforeLastMs);
  if (res.destroyed) return;
  const last = chunks[chunks.length - 1];
  res.end(`${last ? `data: ${JSON.stringify(last)}\n\n` : ""}data: [DONE]\n\n`);
}

function azureError(code: string, message: string) {
  return { error: { code, message } };
}

export async function startUpstream(options: StubOptions = {}): Promise<UpstreamStub> {
  const deployment = options.deployment ?? "chat";
  const record = options.record ?? true;
  const token = options.token ?? "stub-managed-identity-token";
  const chatPath = `/openai/deployments/${deployment}/chat/completions`;
  const completionCache = new Map<string, string>();

  const stub: UpstreamStub = {
    url: "",
    port: 0,
    deployment,
    requests: [],
    tokenRequests: 0,
    script: undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stub");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return sendJson(res, 400, azureError("invalid_json", "bad json"));
      }
      const request: UpstreamRequest = { method: req.method ?? "", path: url.pathname, query: url.searchParams, headers: req.headers, body };
      if (record) stub.requests.push(request);

      if (url.pathname === "/msi/token") {
        stub.tokenRequests++;
        return sendJson(res, 200, {
          access_token: token,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: url.searchParams.get("resource"),
          token_type: "Bearer",
        });
      }
      if (stub.script) {
        Promise.resolve(stub.script(request, res)).catch(() => res.destroy());
        return;
      }
      if (!url.searchParams.get("api-version")) {
        return sendJson(res, 404, azureError("404", "Resource not found"));
      }
      if (req.method === "GET" && url.pathname === "/openai/models") {
        return sendJson(res, 200, { object: "list", data: [{ id: STUB_MODEL, object: "model" }] });
      }
      if (req.method !== "POST" || url.pathname !== chatPath) {
        return sendJson(res, 404, azureError("DeploymentNotFound", "The API deployment for this resource does not exist."));
      }
      if (body?.stream) {
        void sendStream(res, body);
        return;
      }
      let payload = completionCache.get(text);
      if (payload === undefined) {
        payload = JSON.stringify(completionFor(body));
        if (completionCache.size < 16) completionCache.set(text, payload);
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  server.keepAliveTimeout = 120_000;

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stub.port = (server.address() as AddressInfo).port;
  stub.url = `http://127.0.0.1:${stub.port}`;
  return stub;
}
