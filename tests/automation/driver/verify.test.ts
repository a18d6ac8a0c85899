import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { Probe } from "../../../scenarios/probes";
import { attempt } from "../../../automation/driver/verify/probe-http";
import {
  formatVerifyTable,
  judge,
  localTransport,
  parseProbes,
  type ProbeTransport,
  runProbe,
  runProbes,
  SUBSCRIPTION_KEY_HEADER,
  type VerifyOptions,
  worthRetrying,
} from "../../../automation/driver/verify/verify";

const KEY = "test-subscription-key";
const FAST: VerifyOptions = { requestTimeoutMs: 2000, attempts: 4, probeDeadlineMs: 30_000, backoffMs: 1, maxBackoffMs: 2, sleep: async () => {} };

/** A stand-in for an APIM gateway on 127.0.0.1: 401 without key, 200 with it, 429 past `limit` keyed calls. */
function gateway(limit: number) {
  let keyed = 0;
  let flaky = 0;
  const server = http.createServer((req, res) => {
    if (req.url === "/flaky/healthz") {
      flaky++;
      res.writeHead(flaky <= 2 ? 503 : 200).end();
      return;
    }
    if (req.url === "/hang") return; // accept, never answer
    if (req.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()] !== KEY) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"statusCode":401,"message":"Access denied due to missing subscription key."}');
      return;
    }
    keyed++;
    res.writeHead(keyed > limit ? 429 : 200).end(keyed > limit ? "Rate limit is exceeded." : "ok");
  });
  return {
    server,
    reset: () => {
      keyed = 0;
      flaky = 0;
    },
    listen: () => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A port that was just free: nothing listens there, so connections are refused. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function probe(name: string, url: string, expect: Probe["expect"], withSubscriptionKey = false, repeat?: number): Probe {
  return { name, from: "internet", request: { method: "GET", url, withSubscriptionKey, ...(repeat ? { repeat } : {}) }, expect, why: `${name} because` };
}

describe("automation/driver/verify/verify: probes against local HTTP servers", () => {
  const gw = gateway(5);
  let base: string;
  before(async () => {
    base = await gw.listen();
  });
  beforeEach(() => gw.reset());
  after(() => gw.close());

  it("401 without the key, 200 with it, 429 on the last call of a burst past the limit", async () => {
    const probes = [
      probe("rejects-missing-key", `${base}/ai/healthz`, { status: 401 }),
      probe("accepts-key", `${base}/ai/healthz`, { status: 200 }, true),
      probe("rate-limits-burst", `${base}/ai/healthz`, { statusOnLast: 429 }, true, 8),
    ];
    const report = await runProbes("s", probes, { internet: localTransport() }, KEY, FAST);
    assert.deepEqual(report.results.map((r) => r.verdict), ["pass", "pass", "pass"]);
    const burst = report.results[2];
    assert.equal(burst.statuses.length, 8);
    // one keyed call before the burst, limit 5: calls 1-4 of the burst pass, the 5th is the first 429
    assert.deepEqual(burst.statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
    assert.match(burst.observed, /429 on call 8 \(first 429 on call 5\)/);
    assert.equal(report.passed, 3);
    assert.equal(report.failed, 0);
  });

  it("fails a burst that never reaches the limit, without retrying it", async () => {
    const r = await runProbe(probe("burst", `${base}/ai/healthz`, { statusOnLast: 429 }, true, 3), localTransport(), KEY, FAST);
    assert.equal(r.verdict, "fail");
    assert.equal(r.attempts, 1, "a clean 200 is not a transient state");
    assert.match(r.observed, /200 on call 3 \(3x 200\)/);
  });

  it("fails when the key is not sent but the expectation needs it (wrong key => 401)", async () => {
    const r = await runProbe(probe("accepts-key", `${base}/ai/healthz`, { status: 200 }, true), localTransport(), "wrong-key", FAST);
    assert.equal(r.verdict, "fail");
    assert.equal(r.observed, "401");
  });

  it("retries while the backend settles (503, 503, then 200), with bounded attempts", async () => {
    const pauses: number[] = [];
    const r = await runProbe(probe("settles", `${base}/flaky/healthz`, { status: 200 }), localTransport(), undefined, {
      ...FAST,
      backoffMs: 10,
      maxBackoffMs: 15,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    assert.equal(r.verdict, "pass");
    assert.equal(r.attempts, 3);
    assert.deepEqual(pauses, [10, 15], "backoff doubles up to the maximum");
  });

  it("gives up after the configured attempts", async () => {
    const port = await closedPort();
    const r = await runProbe(probe("down", `http://127.0.0.1:${port}/healthz`, { status: 200 }), localTransport(), undefined, { ...FAST, attempts: 3 });
    assert.equal(r.verdict, "fail");
    assert.equal(r.attempts, 3);
    assert.match(r.observed, /connection refused \(ECONNREFUSED\)/);
  });

  it("an unreachable port satisfies `unreachable` on the first attempt", async () => {
    const port = await closedPort();
    const r = await runProbe(probe("backend-refuses", `http://127.0.0.1:${port}/healthz`, { unreachable: true }), localTransport(), undefined, FAST);
    assert.equal(r.verdict, "pass");
    assert.equal(r.attempts, 1);
  });

  it("a server that answers does not satisfy `unreachable`, whatever the status", async () => {
    const r = await runProbe(probe("must-be-private", `${base}/ai/healthz`, { unreachable: true }), localTransport(), undefined, FAST);
    assert.equal(r.verdict, "fail");
    assert.equal(r.observed, "401");
  });

  it("connected but no response is a timeout that does not count as unreachable", async () => {
    const outcome = await attempt({ method: "GET", url: `${base}/hang`, timeoutMs: 300 });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.error.kind, "response-timeout");
      assert.equal(outcome.error.connected, true);
      assert.equal(outcome.unreachable, false);
    }
  });

  it("a name that does not resolve is unreachable (no DNS answer)", async () => {
    const outcome = await attempt({ method: "GET", url: "http://backend.scenarios-test.invalid/healthz", timeoutMs: 5000 });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.ok(["dns", "timeout"].includes(outcome.error.kind), `got ${outcome.error.kind} ${outcome.error.code}`);
      assert.equal(outcome.unreachable, true);
    }
  });

  it("sends the subscription key header only for probes that ask for it", async () => {
    const seen: (string | undefined)[] = [];
    const s = http.createServer((req, res) => {
      seen.push(req.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()] as string | undefined);
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/x`;
    // Closed whatever happens: a server left listening keeps mocha from exiting after a failure.
    await runProbes("s", [probe("a", url, { status: 200 }), probe("b", url, { status: 200 }, true)], { internet: localTransport() }, KEY, FAST).finally(() => s.close());
    assert.deepEqual(seen, [undefined, KEY]);
  });

  it("sends the key in the header a probe names (the Azure OpenAI API takes `api-key`), and only there", async () => {
    const seen: { apiKey?: string; apim?: string }[] = [];
    const s = http.createServer((req, res) => {
      seen.push({ apiKey: req.headers["api-key"] as string | undefined, apim: req.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()] as string | undefined });
      res.writeHead(req.headers["api-key"] === KEY ? 200 : 401).end();
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/openai/deployments/m/chat/completions`;
    const named: Probe = { ...probe("openai-api", url, { status: 200 }, true), request: { method: "POST", url, withSubscriptionKey: true, keyHeader: "api-key", body: { messages: [] } } };
    const report = await runProbes("s", [named, probe("default", url, { status: 401 }, true)], { internet: localTransport() }, KEY, FAST).finally(() => s.close());
    assert.deepEqual(seen, [{ apiKey: KEY, apim: undefined }, { apiKey: undefined, apim: KEY }]);
    assert.deepEqual(report.results.map((r) => r.verdict), ["pass", "pass"]);
  });

  it("expects a response header with one of the given values: either account passes, another value or none fails, and the table says what came back", async () => {
    const answers: Record<string, Record<string, string>> = {
      "/primary": { "x-model-backend": "oai-app-1" },
      "/secondary": { "X-Model-Backend": "OAI-APP-2" },
      "/elsewhere": { "x-model-backend": "oai-other" },
      "/none": { "x-other": "oai-app-1" },
    };
    const s = http.createServer((req, res) => res.writeHead(200, { ...answers[req.url!], "x-secret-ish": "not for the report" }).end());
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    try {
      const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      const expect = { status: 200, header: { name: "x-model-backend", oneOf: ["oai-app-1", "oai-app-2"] } };
      const report = await runProbes("s", Object.keys(answers).map((p) => probe(p.slice(1), `${base}${p}`, expect)), { internet: localTransport() }, KEY, FAST);
      assert.deepEqual(report.results.map((r) => [r.name, r.verdict, r.observed]), [
        ["primary", "pass", "200, x-model-backend: oai-app-1"],
        ["secondary", "pass", "200, x-model-backend: OAI-APP-2"],
        ["elsewhere", "fail", "200, x-model-backend: oai-other"],
        ["none", "fail", "200, no x-model-backend"],
      ]);
      assert.equal(report.results[0].expected, "200, x-model-backend one of oai-app-1|oai-app-2");
      assert.deepEqual(report.results.map((r) => r.attempts), [1, 1, 1, 1], "a wrong backend is an answer, not a deployment settling");
      // Only the header asked for comes back from an attempt.
      const outcome = await attempt({ method: "GET", url: `${base}/primary`, responseHeaders: ["x-model-backend"] });
      assert.ok(outcome.ok);
      assert.deepEqual(outcome.ok && outcome.headers, { "x-model-backend": "oai-app-1" });
      const plain = await attempt({ method: "GET", url: `${base}/primary` });
      assert.equal(plain.ok && plain.headers, undefined);
    } finally {
      s.close();
    }
  });

  it("asks a VNet transport for the expected header and judges what it returns", async () => {
    const asked: (string[] | undefined)[] = [];
    const vnet: ProbeTransport = {
      description: "imitation relay",
      attempt: async (req) => (asked.push(req.responseHeaders), { ok: true, status: 200, ms: 1, headers: { "x-model-backend": "oai-app-2" } }),
    };
    const vnetProbe: Probe = { ...probe("model-failover", "https://apim.example/openai/x", { status: 200, header: { name: "X-Model-Backend", oneOf: ["oai-app-1", "oai-app-2"] } }, true), from: "vnet" };
    const report = await runProbes("s", [vnetProbe], { internet: localTransport(), vnet }, KEY, FAST);
    assert.deepEqual(asked, [["x-model-backend"]]);
    assert.equal(report.results[0].verdict, "pass");
  });

  it("reports VNet probes it cannot run as not run (a failure, not a pass)", async () => {
    const vnetProbe: Probe = { ...probe("internal", `${base}/ai/healthz`, { status: 401 }), from: "vnet" };
    const report = await runProbes("s", [vnetProbe], { internet: localTransport(), vnet: { unavailable: "no cluster" } }, KEY, FAST);
    assert.equal(report.results[0].verdict, "not-run");
    assert.equal(report.notRun, 1);
    assert.match(report.results[0].observed, /no cluster/);
    const lines = formatVerifyTable(report);
    assert.match(lines[0], /^PROBE\s+FROM\s+EXPECTED\s+OBSERVED\s+RESULT/);
    assert.match(lines.at(-1)!, /0 passed, 0 failed, 1 not run/);
  });

  it("uses the VNet transport for probes from the VNet", async () => {
    const calls: string[] = [];
    const vnet: ProbeTransport = { description: "fake pod", attempt: async (req) => (calls.push(req.url), { ok: true, status: 401, ms: 1 }) };
    const vnetProbe: Probe = { ...probe("internal", "https://apim.example/ai/healthz", { status: 401 }), from: "vnet" };
    const report = await runProbes("s", [vnetProbe], { internet: localTransport(), vnet }, KEY, FAST);
    assert.deepEqual(calls, ["https://apim.example/ai/healthz"]);
    assert.equal(report.results[0].verdict, "pass");
  });

  it("stops waiting between attempts when interrupted", async () => {
    const port = await closedPort();
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      runProbe(probe("down", `http://127.0.0.1:${port}/`, { status: 200 }), localTransport(), undefined, { ...FAST, sleep: undefined, backoffMs: 10_000, signal: controller.signal }),
      /interrupted/,
    );
    assert.ok(Date.now() - started < 5000);
  });
});

describe("automation/driver/verify/verify: TLS", () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  before(async function () {
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-tls-"));
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem"), "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
    } catch {
      console.log("      (TLS tests skipped: openssl is not available to make a test certificate)");
      this.skip();
    }
    server = https.createServer({ key: fs.readFileSync(path.join(dir, "k.pem")), cert: fs.readFileSync(path.join(dir, "c.pem")) }, (_req, res) => res.writeHead(403).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `https://localhost:${(server.address() as AddressInfo).port}/healthz`;
  });
  after(() => {
    server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a request without a secret accepts an untrusted certificate and says so", async () => {
    const r = await runProbe(probe("backend-refuses", url, { status: 403 }), localTransport(), undefined, FAST);
    assert.equal(r.verdict, "pass");
    assert.match(r.tlsNote ?? "", /certificate not trusted/);
  });

  it("a request carrying the subscription key refuses an untrusted certificate", async () => {
    const r = await runProbe(probe("with-key", url, { status: 403 }, true), localTransport(), KEY, { ...FAST, attempts: 1 });
    assert.equal(r.verdict, "fail");
    assert.match(r.observed, /TLS handshake failed/);
  });
});

describe("automation/driver/verify/verify: judging and retry rules", () => {
  const fail = (kind: "dns" | "refused" | "tls" | "response-timeout", unreachable: boolean) => ({ statuses: [], failure: { ok: false as const, ms: 1, unreachable, error: { kind, code: "X", message: "", connected: !unreachable } } });
  it("judges statuses, last-call statuses and unreachability", () => {
    assert.equal(judge({ statuses: [401] }, { status: 401 }), true);
    assert.equal(judge({ statuses: [200, 429] }, { statusOnLast: 429 }), true);
    assert.equal(judge({ statuses: [429, 200] }, { statusOnLast: 429 }), false);
    assert.equal(judge(fail("refused", true), { unreachable: true }), true);
    assert.equal(judge(fail("tls", false), { unreachable: true }), false, "a TLS failure means something answered");
    assert.equal(judge(fail("response-timeout", false), { unreachable: true }), false);
    assert.equal(judge({ statuses: [200], failure: fail("refused", true).failure }, { unreachable: true }), false);
  });
  it("retries connection failures and settling statuses, never a clean wrong answer or an unreachable check", () => {
    assert.equal(worthRetrying(fail("dns", true), { status: 200 }), true);
    assert.equal(worthRetrying({ statuses: [502] }, { status: 200 }), true);
    assert.equal(worthRetrying({ statuses: [404] }, { status: 401 }), true);
    assert.equal(worthRetrying({ statuses: [200] }, { status: 401 }), false);
    assert.equal(worthRetrying({ statuses: [200, 200] }, { statusOnLast: 429 }), false);
    assert.equal(worthRetrying({ statuses: [200] }, { unreachable: true }), false);
  });
  it("checks the probes output before trusting it", () => {
    assert.throws(() => parseProbes(undefined), /missing or not a list/);
    assert.throws(() => parseProbes([{ name: "x" }]), /probes\[0\] is not a probe/);
    assert.throws(() => parseProbes([{ ...probe("x", "http://a", { status: 1 }), from: "moon" }]), /from must be/);
    assert.equal(parseProbes([probe("x", "http://a", { status: 1 })]).length, 1);
    assert.throws(() => parseProbes([{ ...probe("x", "http://a", { status: 200 }), expect: { status: 200, header: { name: "x-model-backend", oneOf: [] } } }]), /expect\.header needs a name and the values/);
    assert.throws(() => parseProbes([{ ...probe("x", "http://a", { status: 200 }, true), request: { method: "GET", url: "http://a", withSubscriptionKey: true, keyHeader: "" } }]), /keyHeader must be a header name/);
  });
});

describe("automation/driver/verify/probe-http.js as the in-cluster relay", () => {
  let relay: ChildProcess;
  let relayUrl: string;
  const gw = gateway(100);
  let target: string;
  const token = "relay-token-123";
  before(async () => {
    target = await gw.listen();
    const port = await closedPort();
    relay = spawn(process.execPath, [path.join(__dirname, "../../../automation/driver/verify/probe-http.js"), "--serve"], {
      env: { ...process.env, PORT: String(port), RELAY_TOKEN: token },
      stdio: "ignore",
    });
    relayUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const up = await attempt({ method: "GET", url: `${relayUrl}/healthz`, timeoutMs: 500 });
      if (up.ok && up.status === 200) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("relay did not start");
  });
  after(async () => {
    relay?.kill("SIGTERM");
    await gw.close();
  });

  async function viaRelay(body: unknown, query = `?token=${token}`) {
    const res = await fetch(`${relayUrl}/attempt${query}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, body: (res.status === 200 ? await res.json() : undefined) as any };
  }

  it("performs the attempt the same way and returns the classified outcome", async () => {
    const withKey = await viaRelay({ method: "GET", url: `${target}/ai/healthz`, headers: { [SUBSCRIPTION_KEY_HEADER]: KEY }, timeoutMs: 2000 });
    assert.equal(withKey.status, 200);
    assert.equal(withKey.body.ok, true);
    assert.equal(withKey.body.status, 200);
    const port = await closedPort();
    const refused = await viaRelay({ method: "GET", url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 });
    assert.equal(refused.body.ok, false);
    assert.equal(refused.body.unreachable, true);
    assert.equal(refused.body.error.kind, "refused");
  });

  it("returns the response headers a probe asks for, and only those, from inside the cluster too", async () => {
    const asked = await viaRelay({ method: "GET", url: `${target}/ai/healthz`, timeoutMs: 2000, responseHeaders: ["content-type"] });
    assert.equal(asked.body.status, 401);
    assert.deepEqual(asked.body.headers, { "content-type": "application/json" });
    const plain = await viaRelay({ method: "GET", url: `${target}/ai/healthz`, timeoutMs: 2000 });
    assert.equal(plain.body.headers, undefined);
  });

  it("refuses callers without the relay token", async () => {
    assert.equal((await viaRelay({ method: "GET", url: target }, "")).status, 403);
    assert.equal((await viaRelay({ method: "GET", url: target }, "?token=wrong")).status, 403);
  });
});
