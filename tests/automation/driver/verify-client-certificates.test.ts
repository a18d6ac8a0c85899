/**
 * verify presents TLS client certificates (issue 20 part 3, apimClientCertificates), checked against a real local
 * HTTPS server that asks for a client certificate in the handshake (node:https, requestCert) and answers the way
 * APIM's validate-client-certificate does: 401 without a certificate or with one from another CA, 200 with one
 * from the CA it trusts. Nothing here is a stub of the TLS layer: the handshake, the client certificate and the
 * chain check are node's own.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Probe } from "../../../scenarios/probes";
import { attempt, serve } from "../../../automation/driver/verify/probe-http";
import { ClientCertificateSource, foreignClientCertificate, issueChain } from "../../../automation/driver/verify/client-certificates";
import { localTransport, parseProbes, type ProbeTransport, runProbes, SUBSCRIPTION_KEY_HEADER, type VerifyOptions } from "../../../automation/driver/verify/verify";

const KEY = "test-subscription-key";
const FAST: Partial<VerifyOptions> = { requestTimeoutMs: 5000, attempts: 1, probeDeadlineMs: 10_000, backoffMs: 1, maxBackoffMs: 1, sleep: async () => {} };

/** An HTTPS server on 127.0.0.1 that asks every connection for a client certificate and trusts `clientCa`. */
function mtlsServer(clientCa: string) {
  const server = issueChain({ caCommonName: "test server CA", commonName: "localhost", usage: "server", hosts: ["localhost", "127.0.0.1"] });
  const seen: { authorized: boolean; subject?: string }[] = [];
  const s = https.createServer({ key: server.leaf.keyPem, cert: server.leaf.certPem, ca: [clientCa], requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    seen.push({ authorized: socket.authorized, subject: peer && Object.keys(peer).length ? String(peer.subject?.CN) : undefined });
    if (req.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()] !== KEY) return void res.writeHead(401).end("missing subscription key");
    if (!peer || Object.keys(peer).length === 0) return void res.writeHead(401).end("Client certificate missing");
    if (!socket.authorized) return void res.writeHead(401).end("Invalid client certificate");
    res.writeHead(200).end("ok");
  });
  return {
    serverCa: server.ca.certPem,
    seen,
    listen: () => new Promise<string>((resolve) => s.listen(0, "127.0.0.1", () => resolve(`https://127.0.0.1:${(s.address() as AddressInfo).port}`))),
    close: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

describe("verify: TLS client certificates against a local mutual-TLS server (issue 20 part 3)", function () {
  this.timeout(30_000);
  const trusted = issueChain({ caCommonName: "stack client CA", commonName: "stack verify", usage: "client" });
  const server = mtlsServer(trusted.ca.certPem);
  let url = "";
  before(async () => {
    url = await server.listen();
  });
  after(() => server.close());

  it("makes certificates node itself accepts: a CA, a client certificate it signs, and a foreign one it did not", () => {
    const ca = new X509Certificate(trusted.ca.certPem);
    const leaf = new X509Certificate(trusted.leaf.certPem);
    assert.equal(ca.ca, true);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), "the client certificate is signed by the CA");
    assert.deepEqual(leaf.keyUsage, ["1.3.6.1.5.5.7.3.2"], "extended key usage: clientAuth only");
    const foreign = new X509Certificate(foreignClientCertificate().certPem);
    assert.equal(foreign.checkIssued(ca), false);
    assert.equal(foreign.verify(ca.publicKey), false);
  });

  it("probe-http presents the certificate the request names, and none otherwise", async () => {
    const base = { method: "GET", url: `${url}/healthz`, headers: { [SUBSCRIPTION_KEY_HEADER]: KEY }, insecureTls: true, timeoutMs: 5000 };
    const none = await attempt(base);
    const right = await attempt({ ...base, clientCertificate: trusted.leaf });
    const wrong = await attempt({ ...base, clientCertificate: foreignClientCertificate() });
    assert.deepEqual([none, right, wrong].map((o) => (o.ok ? o.status : o.error.code)), [401, 200, 401]);
    assert.deepEqual(server.seen.slice(-3), [
      { authorized: false, subject: undefined },
      { authorized: true, subject: "stack verify" },
      { authorized: false, subject: "scenarios verify foreign client" },
    ]);
  });

  it("runs the three client-certificate probes the way a stack exports them: none -> 401, foreign CA -> 401, issued -> 200", async () => {
    const probes: Probe[] = parseProbes([
      { name: "apim-refuses-missing-client-certificate", from: "internet", request: { method: "GET", url: `${url}/healthz`, withSubscriptionKey: true }, expect: { status: 401 }, why: "no certificate" },
      { name: "apim-refuses-foreign-client-certificate", from: "internet", request: { method: "GET", url: `${url}/healthz`, withSubscriptionKey: true, clientCertificate: "foreign" }, expect: { status: 401 }, why: "another CA" },
      { name: "apim-accepts-key", from: "internet", request: { method: "GET", url: `${url}/healthz`, withSubscriptionKey: true, clientCertificate: "issued" }, expect: { status: 200 }, why: "the issued certificate" },
    ]);
    const real = localTransport();
    // The real probe-http underneath; only the server's certificate (from this test's own CA, which node does
    // not know) is accepted without a chain check. The client side of the handshake is untouched.
    const transport: ProbeTransport = { description: "this machine", attempt: (request, signal) => real.attempt({ ...request, insecureTls: true }, signal) };
    const outputs = { clientCertificatePem: { value: trusted.leaf.certPem }, clientCertificateKeyPem: { value: trusted.leaf.keyPem } };
    let foreignMade = 0;
    const source = ClientCertificateSource.fromOutputs(outputs);
    const counting = new ClientCertificateSource({ certPem: trusted.leaf.certPem, keyPem: trusted.leaf.keyPem }, () => (foreignMade++, foreignClientCertificate()));
    for (const certificates of [source, counting]) {
      const report = await runProbes("t", probes, { internet: transport }, KEY, { ...FAST, clientCertificates: certificates });
      assert.deepEqual(report.results.map((r) => [r.name, r.observed, r.verdict]), [
        ["apim-refuses-missing-client-certificate", "401", "pass"],
        ["apim-refuses-foreign-client-certificate", "401", "pass"],
        ["apim-accepts-key", "200", "pass"],
      ]);
    }
    assert.equal(foreignMade, 1, "the foreign certificate is made once per run, when a probe first asks");
  });

  it("fails a probe that sends the wrong certificate where the right one is expected (the check can fail)", async () => {
    const stranger = foreignClientCertificate();
    const source = new ClientCertificateSource(stranger);
    const probe: Probe = { name: "apim-accepts-key", from: "internet", request: { method: "GET", url: `${url}/healthz`, withSubscriptionKey: true, clientCertificate: "issued" }, expect: { status: 200 }, why: "x" };
    const real = localTransport();
    const transport: ProbeTransport = { description: "this machine", attempt: (request, signal) => real.attempt({ ...request, insecureTls: true }, signal) };
    const report = await runProbes("t", [probe], { internet: transport }, KEY, { ...FAST, clientCertificates: source });
    assert.equal(report.results[0].verdict, "fail");
    assert.equal(report.results[0].observed, "401");
  });

  it("the in-cluster relay (probe-http --serve, the same script the VNet probes run in a pod) presents the certificate it is sent", async () => {
    const relay = serve(0, "relay-token");
    await new Promise<void>((resolve) => relay.once("listening", () => resolve()));
    try {
      const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/attempt?token=relay-token`;
      const send = async (clientCertificate?: { certPem: string; keyPem: string }) => {
        const body = JSON.stringify({ method: "GET", url: `${url}/healthz`, headers: { [SUBSCRIPTION_KEY_HEADER]: KEY }, insecureTls: true, timeoutMs: 5000, clientCertificate });
        const res = await fetch(relayUrl, { method: "POST", body, headers: { "content-type": "application/json" } });
        return ((await res.json()) as { status?: number }).status;
      };
      assert.deepEqual([await send(), await send(trusted.leaf), await send(foreignClientCertificate())], [401, 200, 401]);
    } finally {
      relay.closeAllConnections();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it("refuses a probe that asks for the issued certificate when the stack exported none, and unknown choices", () => {
    const source = ClientCertificateSource.fromOutputs({});
    const probe = { name: "p", from: "internet", request: { method: "GET", url, withSubscriptionKey: true, clientCertificate: "issued" }, expect: { status: 200 }, why: "x" } as Probe;
    assert.throws(() => source.for(probe), /clientCertificatePem and clientCertificateKeyPem are missing/);
    assert.equal(source.for({ ...probe, request: { ...probe.request, clientCertificate: undefined } }), undefined);
    assert.throws(() => parseProbes([{ ...probe, request: { ...probe.request, clientCertificate: "mine" } }]), /clientCertificate must be one of issued, foreign/);
  });
});
