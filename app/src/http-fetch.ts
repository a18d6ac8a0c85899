import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

/** Idle keep-alive sockets are dropped after this, or earlier when the server's Keep-Alive hint says so. */
const FREE_SOCKET_TIMEOUT_MS = 30_000;

export interface HttpFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  close(): void;
}

/**
 * A fetch for the OpenAI SDK built on node:http with keep-alive agents: on the bench machine it takes
 * about 0.3 ms of CPU off every call compared with Node's built-in fetch. The SDK only sends string
 * bodies here. JSON answers are buffered; event streams are handed over as they arrive.
 */
export function createHttpFetch(): HttpFetch {
  const agents = {
    "http:": new http.Agent({ keepAlive: true, timeout: FREE_SOCKET_TIMEOUT_MS }),
    "https:": new https.Agent({ keepAlive: true, timeout: FREE_SOCKET_TIMEOUT_MS }),
  };

  const fetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (typeof input !== "string" && !(input instanceof URL)) {
      return Promise.reject(new TypeError("only URL inputs are supported"));
    }
    if (init.body != null && typeof init.body !== "string") {
      return Promise.reject(new TypeError("only string bodies are supported"));
    }
    const url = typeof input === "string" ? new URL(input) : input;
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return Promise.reject(new TypeError(`unsupported protocol ${url.protocol}`));

    const headers: Record<string, string> = {};
    (init.headers instanceof Headers ? init.headers : new Headers(init.headers)).forEach((value, name) => {
      headers[name] = value;
    });
    if (typeof init.body === "string") headers["content-length"] = String(Buffer.byteLength(init.body));

    return new Promise<Response>((resolve, reject) => {
      const transport = url.protocol === "https:" ? https : http;
      const req = transport.request(
        url,
        { method: init.method ?? "GET", headers, agent, signal: init.signal ?? undefined },
        (res) => {
          try {
            const status = res.statusCode ?? 502;
            const responseHeaders = new Headers();
            const raw = res.rawHeaders;
            for (let i = 0; i < raw.length; i += 2) responseHeaders.append(raw[i]!, raw[i + 1]!);
            const meta = { status, statusText: res.statusMessage, headers: responseHeaders };

            if (res.headers["content-type"]?.startsWith("text/event-stream")) {
              resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, meta));
              return;
            }
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", reject);
            res.on("end", () => {
              const bodyless = status === 204 || status === 304 || init.method === "HEAD";
              try {
                resolve(new Response(bodyless ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), meta));
              } catch (error) {
                reject(error);
              }
            });
          } catch (error) {
            res.destroy();
            reject(error);
          }
        },
      );
      req.on("error", reject);
      req.end(init.body ?? undefined);
    });
  };

  return Object.assign(fetch, {
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  });
}
