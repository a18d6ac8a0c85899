import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { exitGracefully } from "../../app/src/main";
import { call, hello, serviceHooks, sseData } from "./helpers/service";
import { chunksFor, completionFor, sendJson, sendStream, sleep, startUpstream, type UpstreamStub } from "./helpers/upstream";
import { CHAT_PATH } from "../../app/src/image";

const MAIN = path.resolve(__dirname, "../../app/src/main.ts");

function answerAfter(ms: number) {
  return async (req: { body: unknown }, res: import("node:http").ServerResponse) => {
    await sleep(ms);
    sendJson(res, 200, completionFor(req.body));
  };
}

describe("app graceful shutdown", () => {
  const t = serviceHooks();

  it("finishes an in-flight request when closed, then refuses new connections", async () => {
    t.stub.script = answerAfter(300);
    const started = performance.now();
    const inFlight = call(t.svc.url, { body: hello });
    await sleep(50);
    const closing = t.svc.app.close().then(() => performance.now() - started);
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.json.object, "chat.completion");
    assert.equal(res.headers.get("connection"), "close");
    const closedAfter = await closing;
    assert.ok(closedAfter >= 290, `closed after ${closedAfter} ms, before the answer`);
    assert.ok(closedAfter < 3000, `close waited ${closedAfter} ms`);
    await assert.rejects(call(t.svc.url, { body: hello }));
  });

  it("finishes an in-flight stream when closed", async () => {
    t.stub.script = (req, res) => sendStream(res, req.body, { delayBeforeLastMs: 300 });
    const inFlight = call(t.svc.url, { body: { ...hello, stream: true } });
    await sleep(100);
    await t.svc.app.close();
    const res = await inFlight;
    assert.equal(res.status, 200);
    const events = sseData(res.text);
    assert.equal(events.at(-1), "[DONE]");
    assert.ok(JSON.parse(events.at(-2)!).usage);
  });

  it("exits 0 once in-flight requests are done, and ignores a second signal", async () => {
    t.stub.script = answerAfter(200);
    const exits: number[] = [];
    const shutdown = exitGracefully(t.svc.app, 5000, (code) => exits.push(code));
    const inFlight = call(t.svc.url, { body: hello });
    await sleep(50);
    const first = shutdown("SIGTERM");
    const second = shutdown("SIGTERM");
    assert.equal((await inFlight).status, 200);
    await Promise.all([first, second]);
    assert.deepEqual(exits, [0]);
  });

  it("sends open streams an error event when the shutdown timer fires, then exits 1", async () => {
    t.stub.script = (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunksFor(req.body)[0])}\n\n`);
    };
    const exits: number[] = [];
    const shutdown = exitGracefully(t.svc.app, 200, (code) => exits.push(code));
    const inFlight = call(t.svc.url, { body: { ...hello, stream: true } });
    await sleep(100);
    void shutdown("SIGTERM");
    const res = await inFlight;
    const events = sseData(res.text);
    assert.equal(events.length, 2, res.text);
    assert.deepEqual(JSON.parse(events[1]!).error, {
      type: "service_unavailable",
      code: "shutting_down",
      message: "the service is shutting down; retry the request",
    });
    for (let waited = 0; exits.length === 0 && waited < 3000; waited += 25) await sleep(25);
    assert.deepEqual(exits, [1]);
    const line = t.svc.logs.find((l) => l.msg === "stream failed after it started");
    assert.equal(line?.code, "shutting_down");
  });

  it("logs a request the client abandons, and cancels its upstream call", async () => {
    let upstreamClosed = false;
    t.stub.script = (_req, res) => void res.on("close", () => (upstreamClosed = true));
    const controller = new AbortController();
    const leaving = fetch(`${t.svc.url}${CHAT_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "gone-1" },
      body: JSON.stringify(hello),
      signal: controller.signal,
    }).catch(() => undefined);
    await sleep(100);
    controller.abort();
    await leaving;
    for (let waited = 0; waited < 2000 && !(upstreamClosed && t.svc.logs.some((l) => l.reqId === "gone-1")); waited += 20) await sleep(20);
    const lines = t.svc.logs.filter((l) => l.reqId === "gone-1");
    assert.deepEqual(lines.map((l) => [l.msg, l.url, l.method]), [["request aborted by the client", CHAT_PATH, "POST"]]);
    assert.equal(upstreamClosed, true);
  });

  it("exits 1 when in-flight requests outlast the shutdown timeout", async () => {
    t.stub.script = () => undefined;
    const exits: number[] = [];
    const shutdown = exitGracefully(t.svc.app, 150, (code) => exits.push(code));
    const inFlight = call(t.svc.url, { body: hello }).catch(() => undefined);
    await sleep(50);
    void shutdown("SIGTERM");
    for (let waited = 0; exits.length === 0 && waited < 3000; waited += 25) await sleep(25);
    assert.deepEqual(exits, [1]);
    t.svc.app.server.closeAllConnections();
    await inFlight;
  });
});

describe("app process", () => {
  let stub: UpstreamStub;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    stub = await startUpstream();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await stub.close();
  });

  function start(env: Record<string, string>) {
    child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    return { child, stderr: () => stderr };
  }

  it("signs in with DefaultAzureCredential, serves, and on SIGTERM finishes the request in flight before exiting 0", async () => {
    const { child } = start({
      AZURE_OPENAI_ENDPOINT: stub.url,
      AZURE_OPENAI_DEPLOYMENT: stub.deployment,
      HOST: "127.0.0.1",
      PORT: "0",
      // A loopback managed identity endpoint (the App Service flavour), so no real Azure is involved.
      AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
      IDENTITY_ENDPOINT: `${stub.url}/msi/token`,
      IDENTITY_HEADER: "test",
    });
    const lines = createInterface({ input: child.stdout! });
    const logs: string[] = [];
    const listening = new Promise<string>((resolve) =>
      lines.on("line", (line) => {
        logs.push(line);
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) resolve(match[1]!);
      }),
    );
    const url = await listening;

    stub.script = answerAfter(300);
    const inFlight = call(url, { body: hello });
    await sleep(100);
    child.kill("SIGTERM");
    const res = await inFlight;
    const [code] = (await once(child, "exit")) as [number | null];

    assert.equal(res.status, 200);
    assert.equal(code, 0);
    assert.equal(stub.tokenRequests, 1);
    const chat = stub.requests.find((r) => r.path.endsWith("/chat/completions"));
    assert.equal(chat?.headers.authorization, "Bearer stub-managed-identity-token");
    assert.equal(chat?.headers["api-key"], undefined);
    assert.ok(logs.some((l) => l.includes("shutting down")));
  });

  it("exits 2 with one line per problem when the configuration is invalid", async () => {
    const { child, stderr } = start({ PORT: "eighty", AZURE_OPENAI_API_KEY: "should-not-be-printed" });
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 2);
    const lines = stderr().trim().split("\n");
    assert.equal(lines[0], "invalid configuration:");
    assert.equal(lines.length, 5, stderr());
    assert.doesNotMatch(stderr(), /should-not-be-printed|\n\s+at /);
  });
});
