/**
 * verify through the edge (issue 20 part 2): the probes the real `internal` graph exports with edge=appgw-waf
 * are run by verify against a real local HTTPS server standing in for the Application Gateway, its certificate
 * signed by a CA made here, which verify is told to trust the way it reads the stack output
 * edgeCaCertificatePem. The server imitates the edge's answers (WAF 403 for the injection, APIM's 401 without
 * a key, 200 with it, an event stream relayed in several writes); the TLS handshake and the chain check are
 * node's own. Keyed calls never skip the certificate check: with the wrong CA the key is never sent.
 */
import assert from "node:assert/strict";
import * as https from "node:https";
import { type AddressInfo, isIP } from "node:net";
import { evaluateScenario } from "../../../automation/evaluate";
import { issueChain } from "../../../automation/driver/verify/client-certificates";
import type { DriverContext } from "../../../automation/driver/lifecycle/orchestrate";
import type { StackHandle, StackOutputs } from "../../../automation/driver/stack/types";
import { localTransport, parseProbes, requestFor, runProbes, SUBSCRIPTION_KEY_HEADER, trustedCaFor, type VerifyOptions } from "../../../automation/driver/verify/verify";
import { verifyStack } from "../../../automation/driver/verify/verify-stack";
import { CHAT_PATH } from "../../../app/src/image";
import { edgeProbes, type Probe, probesFor, SQL_INJECTION_QUERY } from "../../../scenarios/probes";

const KEY = "test-subscription-key";
const FAST: Partial<VerifyOptions> = { requestTimeoutMs: 5000, attempts: 1, probeDeadlineMs: 10_000, backoffMs: 1, maxBackoffMs: 1, sleep: async () => {} };

/**
 * An imitation of the edge on 127.0.0.1, serving a certificate for `localhost` from its own CA. `buffering`
 * sends the whole event stream in one write, as a buffering proxy would; `wafOff` lets the injection through.
 */
function imitationEdge(o: { buffering?: boolean; wafOff?: boolean } = {}) {
  const chain = issueChain({ caCommonName: "test edge CA", commonName: "localhost", usage: "server", hosts: ["localhost"] });
  const keysSeen: string[] = [];
  const server = https.createServer({ key: chain.leaf.keyPem, cert: chain.leaf.certPem }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://localhost");
    const key = req.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()];
    if (typeof key === "string") keysSeen.push(key);
    if (!o.wafOff && /' OR '/i.test(decodeURIComponent(url.search))) return void res.writeHead(403).end("403 Forbidden (Microsoft-Azure-Application-Gateway/v2)");
    if (key !== KEY) return void res.writeHead(401).end("missing subscription key");
    if (req.method === "POST" && url.pathname.endsWith(CHAT_PATH)) {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      const events = ["1", "2", "3"].map((n) => `data: {"choices":[{"delta":{"content":"${n}"}}]}\n\n`);
      if (o.buffering) return void res.end(events.join("") + "data: [DONE]\n\n");
      let i = 0;
      const next = () => (i < events.length ? (res.write(events[i++]), setTimeout(next, 60)) : res.end("data: [DONE]\n\n"));
      return void next();
    }
    res.writeHead(200).end("ok");
  });
  return {
    ca: chain.ca.certPem,
    keysSeen,
    listen: () => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 nothing listens on (taken, then released). */
function closedPort(): Promise<number> {
  const s = https.createServer();
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => {
    const port = (s.address() as AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

/** The graph's probes with the edge's origin moved to the local imitation (path and query kept as exported). */
function pointedAt(probes: Probe[], edgeUrl: string, edgePort: number, privateAddress: string, privatePort: number): Probe[] {
  return probes.map((p) => {
    const url = new URL(p.request.url);
    if (p.request.url.startsWith(edgeUrl)) return { ...p, request: { ...p.request, url: `https://localhost:${edgePort}${url.pathname}${url.search}` } };
    if (url.hostname === privateAddress) return { ...p, request: { ...p.request, url: `https://127.0.0.1:${privatePort}${url.pathname}${url.search}` } };
    return p;
  });
}

const ctx = { progress: () => {}, interrupt: { signal: new AbortController().signal } } as unknown as DriverContext;
const handle = (outputs: StackOutputs) => ({ name: "internal-edge", outputs: async () => outputs }) as unknown as StackHandle;

describe("verify through the edge: the graph's probes against a local HTTPS edge (issue 20 part 2)", function () {
  this.timeout(120_000);
  let graph: Probe[] = [];
  let edgeUrl = "";
  let privateAddress = "";
  let graphCa = "";
  before(async () => {
    const e = await evaluateScenario("internal", { overrides: { edge: "appgw-waf" }, stack: "internal-edge" });
    graph = parseProbes(e.outputs.probes?.value);
    edgeUrl = String(e.outputs.edgeUrl?.value);
    graphCa = String(e.outputs.edgeCaCertificatePem?.value);
    privateAddress = (e.resources.find((r) => r.type === "azure-native:apimanagement:ApiManagementService")!.outputs.privateIPAddresses as string[])[0];
  });

  it("the graph exports the edge probes in order: keyed ones before the rate-limit burst, all trusting the edge's CA", () => {
    const names = graph.map((p) => p.name);
    const edge = graph.filter((p) => p.request.url.startsWith(edgeUrl));
    assert.deepEqual(
      edge.map((p) => [p.name, p.request.method, p.request.withSubscriptionKey, p.expect]),
      [
        ["edge-accepts-key", "GET", true, { status: 200 }],
        ["edge-streams-chat-events", "POST", true, { status: 200, eventReadsAtLeast: 2 }],
        ["edge-passes-normal-call", "GET", false, { status: 401 }],
        ["edge-waf-blocks-sql-injection", "GET", false, { status: 403 }],
      ],
    );
    assert.ok(edge.every((p) => p.request.trust === "edge" && p.from === "internet"));
    assert.equal(edge[1].request.url, `${edgeUrl}/ai${CHAT_PATH}`);
    for (const name of ["edge-accepts-key", "edge-streams-chat-events"]) assert.ok(names.indexOf(name) < names.indexOf("apim-rate-limits-burst"), name);
    const direct = graph.find((p) => p.name === "apim-private-address-unreachable-from-internet")!;
    assert.ok(isIP(privateAddress), privateAddress);
    assert.deepEqual([direct.from, direct.request.url, direct.request.withSubscriptionKey, direct.expect], ["internet", `https://${privateAddress}/ai/healthz`, false, { unreachable: true }]);
    assert.deepEqual(graph.find((p) => p.name === "apim-unreachable-from-internet")?.expect, { unreachable: true });
  });

  it("no keyed request of the graph skips the certificate check; the edge's requests carry its CA from the outputs", () => {
    assert.match(graphCa, /^-----BEGIN CERTIFICATE-----/);
    for (const probe of graph) {
      const request = requestFor(probe, KEY, 1000, undefined, trustedCaFor(probe, { edge: graphCa }));
      if (probe.request.withSubscriptionKey) assert.equal(request.insecureTls, false, probe.name);
      if (probe.request.trust) assert.deepEqual([request.insecureTls, request.caPem], [false, graphCa], probe.name);
    }
    assert.throws(() => trustedCaFor(graph.find((p) => p.name === "edge-accepts-key")!, {}), /edgeCaCertificatePem is missing/);
  });

  it("with a caller list, the keyed edge call expects the filter's 403 (this machine is outside it) and streams nothing", () => {
    const probes = probesFor({
      scenario: "internal",
      gatewayUrl: "https://gw.example",
      apiBasePath: "ai",
      backendHost: "b.example",
      rateLimitCalls: 5,
      callerFilter: { allowedRanges: ["203.0.113.0/24"], vnetProbeSubnet: "10.0.0.0/22" },
      edge: { url: "https://edge.example" },
    });
    const edge = probes.filter((p) => p.name.startsWith("edge-"));
    assert.deepEqual(edge.map((p) => [p.name, p.expect]), [
      ["edge-refuses-caller-outside-ranges", { status: 403 }],
      ["edge-passes-normal-call", { status: 401 }],
      ["edge-waf-blocks-sql-injection", { status: 403 }],
    ]);
    assert.deepEqual(edge, edgeProbes("https://edge.example", "ai", { callerFilter: { allowedRanges: ["203.0.113.0/24"], vnetProbeSubnet: "10.0.0.0/22" } }));
  });

  describe("run by verifyStack against the imitation", () => {
    const edge = imitationEdge();
    let port = 0;
    let privatePort = 0;
    let local: Probe[] = [];
    before(async () => {
      port = await edge.listen();
      privatePort = await closedPort();
      local = pointedAt(graph.filter((p) => p.from === "internet" && (p.request.url.startsWith(edgeUrl) || p.name === "apim-private-address-unreachable-from-internet")), edgeUrl, port, privateAddress, privatePort);
    });
    after(() => edge.close());

    it("trusting the edge CA from the outputs: 200 with the key, events in several reads, WAF 403, APIM 401, private address unreachable", async () => {
      const report = await verifyStack(handle({ probes: { value: local, secret: false }, subscriptionKey: { value: KEY, secret: true }, edgeCaCertificatePem: { value: edge.ca, secret: false } } as StackOutputs), ctx, {
        verify: FAST,
        internet: localTransport(),
      });
      assert.deepEqual(
        report.results.map((r) => [r.name, r.verdict, r.observed]),
        [
          ["edge-accepts-key", "pass", "200"],
          ["edge-streams-chat-events", "pass", report.results[1].observed],
          ["edge-passes-normal-call", "pass", "401"],
          ["edge-waf-blocks-sql-injection", "pass", "403"],
          ["apim-private-address-unreachable-from-internet", "pass", "connection refused (ECONNREFUSED)"],
        ],
      );
      assert.match(report.results[1].observed, /^200, events in [3-9] reads$/);
      assert.ok(report.results.every((r) => r.tlsNote === undefined), "every edge certificate was checked and trusted");
      assert.deepEqual(edge.keysSeen, [KEY, KEY]);
    });

    it("without the output edgeCaCertificatePem, verify refuses to run rather than skip the check", async () => {
      await assert.rejects(
        verifyStack(handle({ probes: { value: local, secret: false }, subscriptionKey: { value: KEY, secret: true } } as StackOutputs), ctx, { verify: FAST, internet: localTransport() }),
        /edgeCaCertificatePem/,
      );
    });

    it("trusting another CA, every edge call fails the handshake and the key is never sent", async () => {
      const before = edge.keysSeen.length;
      const other = issueChain({ caCommonName: "some other CA", commonName: "localhost", usage: "server", hosts: ["localhost"] }).ca.certPem;
      const report = await runProbes("internal-edge", local.filter((p) => p.request.trust), { internet: localTransport() }, KEY, { ...FAST, trustedCas: { edge: other } });
      assert.deepEqual(report.results.map((r) => r.verdict), ["fail", "fail", "fail", "fail"]);
      assert.ok(report.results.every((r) => /TLS handshake failed/.test(r.observed)), report.results.map((r) => r.observed).join("; "));
      assert.equal(edge.keysSeen.length, before);
    });

    it("the public roots alone do not trust the edge's private CA: the keyed call fails, and nothing is sent", async () => {
      const before = edge.keysSeen.length;
      const keyed = local.find((p) => p.name === "edge-accepts-key")!;
      const report = await runProbes("internal-edge", [{ ...keyed, request: { ...keyed.request, trust: undefined } }], { internet: localTransport() }, KEY, FAST);
      assert.equal(report.results[0].verdict, "fail");
      assert.match(report.results[0].observed, /TLS handshake failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
      assert.equal(edge.keysSeen.length, before);
    });
  });

  describe("the probes fail where the edge would be wrong", () => {
    it("a buffering edge (the stream in one write) fails the stream probe; a WAF that lets the injection through fails the WAF probe", async () => {
      const wrong = imitationEdge({ buffering: true, wafOff: true });
      const port = await wrong.listen();
      try {
        const probes = pointedAt(graph.filter((p) => ["edge-streams-chat-events", "edge-waf-blocks-sql-injection"].includes(p.name)), edgeUrl, port, privateAddress, 1);
        assert.ok(probes[1].request.url.endsWith(`?${SQL_INJECTION_QUERY}`));
        const report = await runProbes("internal-edge", probes, { internet: localTransport() }, KEY, { ...FAST, trustedCas: { edge: wrong.ca } });
        assert.deepEqual(report.results.map((r) => [r.name, r.verdict, r.observed]), [
          ["edge-streams-chat-events", "fail", "200, events in 1 reads"],
          ["edge-waf-blocks-sql-injection", "fail", "401"],
        ]);
      } finally {
        await wrong.close();
      }
    });
  });
});
