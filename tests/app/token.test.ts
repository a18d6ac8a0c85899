import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { tokenSource, TokenUnavailableError, TokenWaitAbortedError, type TokenProvider } from "../../app/src/token";
import { call, hello, serviceHooks, startService } from "./helpers/service";
import { sleep, startUpstream, type UpstreamStub } from "./helpers/upstream";

const never: TokenProvider = () => new Promise(() => undefined);

describe("app token source", () => {
  it("gives up an attempt after the timeout", async () => {
    const tokens = tokenSource(never, { timeoutMs: 100, failureTtlMs: 1000 });
    const started = performance.now();
    await assert.rejects(tokens.get(), (e: unknown) => e instanceof TokenUnavailableError && e.reason === "credential_timeout");
    const took = performance.now() - started;
    assert.ok(took >= 90 && took < 1000, `took ${took} ms`);
  });

  it("aborts the provider's signal when it gives up", async () => {
    let seen: AbortSignal | undefined;
    const tokens = tokenSource((signal) => ((seen = signal), new Promise(() => undefined)), { timeoutMs: 50, failureTtlMs: 0 });
    await assert.rejects(tokens.get());
    assert.equal(seen?.aborted, true);
  });

  it("remembers a failure for the TTL, so callers fail fast, then tries again", async () => {
    let now = 0;
    let calls = 0;
    const tokens = tokenSource(async () => (calls++, Promise.reject(new Error("refused"))), { timeoutMs: 1000, failureTtlMs: 5000, now: () => now });
    await assert.rejects(tokens.get(), TokenUnavailableError);
    now = 4999;
    await assert.rejects(tokens.get(), TokenUnavailableError);
    assert.equal(calls, 1);
    now = 5000;
    await assert.rejects(tokens.get(), TokenUnavailableError);
    assert.equal(calls, 2);
  });

  it("shares one attempt between callers, and a caller that leaves stops waiting without cancelling it", async () => {
    let release!: (token: string) => void;
    let calls = 0;
    const tokens = tokenSource(() => (calls++, new Promise<string>((resolve) => (release = resolve))), { timeoutMs: 5000, failureTtlMs: 0 });
    const leaving = new AbortController();
    const first = tokens.get(leaving.signal);
    const second = tokens.get();
    leaving.abort();
    await assert.rejects(first, TokenWaitAbortedError);
    release("t-1");
    assert.equal(await second, "t-1");
    assert.equal(calls, 1);
  });

  it("reports each distinct cause once, and every repeat as such", async () => {
    const reports: [string, boolean][] = [];
    let message = "a";
    const tokens = tokenSource(async () => Promise.reject(new Error(message)), {
      timeoutMs: 1000,
      failureTtlMs: 0,
      onFailure: (cause, _reason, repeated) => reports.push([cause.message, repeated]),
    });
    for (const m of ["a", "a", "b", "a"]) {
      message = m;
      await tokens.get().catch(() => undefined);
    }
    assert.deepEqual(reports, [["a", false], ["a", true], ["b", false], ["a", true]]);
  });

  it("reuses an access token until its refresh time, and keeps it while a refresh fails", async () => {
    let now = 0;
    let calls = 0;
    let fail = false;
    const tokens = tokenSource(
      async () => {
        calls++;
        if (fail) throw new Error("down");
        return { token: `t-${calls}`, expiresOnTimestamp: 3_600_000, refreshAfterTimestamp: 1_800_000 };
      },
      { timeoutMs: 1000, failureTtlMs: 5000, now: () => now },
    );
    assert.equal(await tokens.get(), "t-1");
    now = 1_799_999;
    assert.equal(await tokens.get(), "t-1");
    assert.equal(calls, 1);
    now = 1_800_000;
    fail = true;
    assert.equal(await tokens.get(), "t-1");
    await sleep(0);
    assert.equal(calls, 2);
    now = 3_600_000 - 30_000;
    await assert.rejects(tokens.get(), TokenUnavailableError);
  });
});

describe("app without a token", () => {
  const t = serviceHooks({ start: false });

  it("answers 503 within the upstream timeout when the credential never answers, and logs the cause once", async () => {
    let attempts = 0;
    t.svc = await startService(t.stub, { env: { UPSTREAM_TIMEOUT_MS: "300", READINESS_TIMEOUT_MS: "200" }, tokenProvider: (s) => (attempts++, never(s)) });
    const started = performance.now();
    const res = await call(t.svc.url, { body: hello });
    const took = performance.now() - started;
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, "credential_unavailable");
    assert.ok(took < 1500, `took ${took} ms`);
    assert.equal((await call(t.svc.url, { body: hello })).status, 503);
    const ready = await call(t.svc.url, { method: "GET", path: "/readyz" });
    assert.equal(ready.status, 503);
    assert.equal(attempts, 1, "the remembered failure answers the second request and the probe without a new attempt");
    assert.equal(t.stub.requests.length, 0);
    const lines = t.svc.logs.filter((l) => l.msg === "could not obtain a token for the model endpoint");
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.reason, "credential_timeout");
  });

  it("is not ready when the readiness timeout passes first", async () => {
    t.svc = await startService(t.stub, { env: { UPSTREAM_TIMEOUT_MS: "60000", READINESS_TIMEOUT_MS: "150" }, tokenProvider: never });
    const started = performance.now();
    const ready = await call(t.svc.url, { method: "GET", path: "/readyz" });
    assert.equal(ready.status, 503);
    assert.equal(ready.json.reason, "credential_timeout");
    assert.ok(performance.now() - started < 1500);
  });

  it("stops waiting for a token when the client leaves", async () => {
    let signal: AbortSignal | undefined;
    t.svc = await startService(t.stub, { env: { UPSTREAM_TIMEOUT_MS: "60000" }, tokenProvider: (s) => ((signal = s), new Promise(() => undefined)) });
    const controller = new AbortController();
    const otherWaiting = call(t.svc.url, { body: hello }).catch(() => undefined);
    const leaving = fetch(`${t.svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(hello),
      signal: controller.signal,
    }).catch(() => undefined);
    await sleep(100);
    controller.abort();
    await leaving;
    for (let waited = 0; waited < 2000 && !t.svc.logs.some((l) => l.msg === "request aborted by the client"); waited += 20) await sleep(20);
    assert.ok(t.svc.logs.some((l) => l.msg === "request aborted by the client"));
    assert.equal(signal?.aborted, false, "the shared attempt goes on for the other waiting request");
    t.svc.app.server.closeAllConnections();
    await otherWaiting;
  });
});

describe("app process with a token endpoint that fails", () => {
  const MAIN = path.resolve(__dirname, "../../app/src/main.ts");
  let stub: UpstreamStub;
  let identity: Server | undefined;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    stub = await startUpstream();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    identity?.closeAllConnections();
    await new Promise((resolve) => (identity ? identity.close(resolve) : resolve(undefined)));
    identity = undefined;
    await stub.close();
  });

  async function startWith(identityEndpoint: string) {
    child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      env: {
        PATH: process.env.PATH,
        AZURE_OPENAI_ENDPOINT: stub.url,
        AZURE_OPENAI_DEPLOYMENT: stub.deployment,
        HOST: "127.0.0.1",
        PORT: "0",
        UPSTREAM_TIMEOUT_MS: "1500",
        READINESS_TIMEOUT_MS: "1000",
        // DefaultAzureCredential's App Service managed identity flavour, pointed at a loopback endpoint.
        AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
        IDENTITY_ENDPOINT: identityEndpoint,
        IDENTITY_HEADER: "test",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const logs: Record<string, unknown>[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).on("line", (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(entry.msg));
        if (match) resolve(match[1]!);
      });
      child!.once("exit", (code) => reject(new Error(`exited with ${code}`)));
    });
    return { url, logs };
  }

  async function expectBounded(url: string, logs: Record<string, unknown>[]) {
    const started = performance.now();
    const [chat, ready] = await Promise.all([call(url, { body: hello }), call(url, { method: "GET", path: "/readyz" })]);
    const took = performance.now() - started;
    assert.equal(chat.status, 503);
    assert.equal(chat.json.error.code, "credential_unavailable");
    assert.equal(ready.status, 503);
    assert.ok(took < 4000, `took ${took} ms`);
    assert.equal(stub.requests.length, 0);
    child!.kill("SIGTERM");
    await once(child!, "exit");
    assert.equal(logs.filter((l) => l.msg === "could not obtain a token for the model endpoint").length, 1);
  }

  it("answers 503 and is not ready within the bound when the token endpoint is silent", async () => {
    identity = createServer(() => undefined);
    await new Promise<void>((resolve) => identity!.listen(0, "127.0.0.1", resolve));
    const { url, logs } = await startWith(`http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`);
    await expectBounded(url, logs);
  });

  it("answers 503 and is not ready within the bound when the token endpoint refuses connections", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { url, logs } = await startWith(`http://127.0.0.1:${port}/msi/token`);
    await expectBounded(url, logs);
  });
});
