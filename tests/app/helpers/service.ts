import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../../app/src/app";
import { loadConfig } from "../../../app/src/config";
import { CHAT_PATH } from "../../../app/src/image";
import type { TokenProvider } from "../../../app/src/token";
import { startUpstream, type UpstreamStub } from "./upstream";

export const TEST_TOKEN = "test-token-3f9a";

export interface RunningService {
  app: FastifyInstance;
  url: string;
  logs: Record<string, unknown>[];
  rawLogs: string[];
  close(): Promise<void>;
}

export function serviceEnv(stub: UpstreamStub, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    AZURE_OPENAI_ENDPOINT: stub.url,
    AZURE_OPENAI_DEPLOYMENT: stub.deployment,
    HOST: "127.0.0.1",
    PORT: "0",
    ...env,
  };
}

export type ServiceOptions = { env?: Record<string, string>; tokenProvider?: TokenProvider };

export async function startService(stub: UpstreamStub, { env = {}, tokenProvider = async () => TEST_TOKEN }: ServiceOptions = {}): Promise<RunningService> {
  const config = loadConfig(serviceEnv(stub, env));
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const app = buildApp({ config, tokenProvider, logStream });
  const address = await app.listen({ host: config.host, port: config.port });
  return { app, url: address, logs, rawLogs, close: () => app.close() };
}

/** What a suite's hooks hold: the upstream imitation and the service in front of it. */
export interface ServiceUnderTest {
  stub: UpstreamStub;
  /** With `start: false`, undefined until the test starts one. */
  svc: RunningService;
}

/**
 * Registers the hooks of a suite of service tests: an upstream imitation and the service in front of it, started
 * before each test (`once`: before the suite) and closed after it, also after a failure, so that mocha exits.
 * `start: false` starts only the upstream and leaves `svc` to the test. A test may close `svc` and start another:
 * the hooks close whatever `svc` holds at the end.
 */
export function serviceHooks({ once = false, start = true, ...options }: ServiceOptions & { once?: boolean; start?: boolean } = {}): ServiceUnderTest {
  const under = {} as ServiceUnderTest;
  (once ? before : beforeEach)(async () => {
    under.stub = await startUpstream();
    if (start) under.svc = await startService(under.stub, options);
  });
  (once ? after : afterEach)(async () => {
    const { stub, svc } = under as Partial<ServiceUnderTest>;
    delete (under as Partial<ServiceUnderTest>).svc;
    try {
      await svc?.close();
    } finally {
      await stub?.close();
    }
  });
  return under;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(
  url: string,
  { method = "POST", path = CHAT_PATH, headers = {}, body }: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const hello = { messages: [{ role: "user", content: "Say hello" }] };

/** Parses an SSE body into its data payloads, in order. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.trim())
    .map((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n"),
    );
}
