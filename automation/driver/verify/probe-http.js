// One HTTP attempt of a `verify` probe, with the outcome classified: a status, or why no status came back
// (no DNS answer, refused, timed out before connecting, TLS failure, ...). Plain CommonJS JavaScript on
// purpose: the same file runs in-process for probes from the internet and, unchanged, as a small relay
// server in a pod inside the cluster for probes that must start in the VNet (see incluster.ts).
//
//   node probe-http.js --serve      listens on $PORT (default 8080); POST /attempt {request} -> outcome;
//                                   requires ?token=$RELAY_TOKEN (or header x-relay-token) when that is set
"use strict";
const http = require("node:http");
const https = require("node:https");
const net = require("node:net");

const DNS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA", "EAI_FAIL"]);
const UNROUTABLE = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);
const TLS = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH|EPROTO$|ERR_TLS_CERT)/;
const MAX_BODY = 64 * 1024;

function classify(code, connected) {
  if (DNS.has(code)) return "dns";
  if (code === "ECONNREFUSED") return "refused";
  if (UNROUTABLE.has(code)) return "unroutable";
  if (code === "PROBE_TIMEOUT") return connected ? "response-timeout" : "timeout";
  if (code === "ECONNRESET" || code === "EPIPE") return connected ? "reset" : "reset-before-connect";
  if (TLS.test(code || "")) return "tls";
  return "other";
}

/** Kinds of failure that mean nothing answered at all: what an `unreachable` expectation wants. */
const UNREACHABLE_KINDS = new Set(["dns", "refused", "unroutable", "timeout", "reset-before-connect"]);

/** Only the response headers a probe asked for (a probe names what it checks; nothing else is passed on). */
function reported(headers, names) {
  if (!Array.isArray(names) || names.length === 0) return {};
  const out = {};
  for (const name of names) {
    const value = headers[String(name).toLowerCase()];
    if (value !== undefined) out[String(name).toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return { headers: out };
}

/**
 * @param {{ method: string, url: string, headers?: Record<string,string>, body?: unknown, timeoutMs?: number, insecureTls?: boolean, responseHeaders?: string[], clientCertificate?: { certPem: string, keyPem: string }, caPem?: string }} request
 * @returns {Promise<object>} outcome: { ok: true, status, ms, tls? } or { ok: false, error: { kind, code, message, connected }, unreachable, ms }
 */
function attempt(request) {
  const started = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    let url;
    try {
      url = new URL(request.url);
    } catch (e) {
      resolve({ ok: false, error: { kind: "other", code: "ERR_INVALID_URL", message: String(e.message || e), connected: false }, unreachable: false, ms: ms() });
      return;
    }
    const secure = url.protocol === "https:";
    const lib = secure ? https : http;
    const body = request.body === undefined ? undefined : Buffer.from(typeof request.body === "string" ? request.body : JSON.stringify(request.body));
    const headers = Object.assign({ "user-agent": "scenarios-verify/1", accept: "*/*" }, request.headers || {});
    if (body) {
      headers["content-type"] = headers["content-type"] || "application/json";
      headers["content-length"] = String(body.length);
    }
    let connected = false;
    let settled = false;
    let tls;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(Object.assign(outcome, { ms: ms() }));
    };
    const req = lib.request(url, {
      method: request.method || "GET",
      headers,
      // A fresh connection for every attempt: DNS, connect and TLS are part of what is being checked.
      agent: false,
      rejectUnauthorized: !request.insecureTls,
      // The only CA the server's certificate may chain to, when the request names one (it replaces the public roots).
      ...(secure && request.caPem ? { ca: request.caPem } : {}),
      // SNI carries host names only (RFC 6066 section 3), not an address.
      servername: secure && !net.isIP(url.hostname.replace(/^\[|\]$/g, "")) ? url.hostname : undefined,
      // Presented when the server asks for a client certificate during the handshake (mutual TLS).
      ...(secure && request.clientCertificate ? { cert: request.clientCertificate.certPem, key: request.clientCertificate.keyPem } : {}),
    });
    const fail = (err) => {
      const code = (err && err.code) || "UNKNOWN";
      const kind = classify(code, connected);
      finish({ ok: false, error: { kind, code, message: String((err && err.message) || err), connected }, unreachable: UNREACHABLE_KINDS.has(kind) });
      req.destroy();
    };
    const timer = setTimeout(() => {
      const e = new Error(`no ${connected ? "response" : "connection"} within ${request.timeoutMs || 10000} ms`);
      e.code = "PROBE_TIMEOUT";
      fail(e);
    }, request.timeoutMs || 10000);
    req.on("socket", (socket) => {
      socket.once(secure ? "secureConnect" : "connect", () => {
        connected = true;
        if (secure) tls = { authorized: socket.authorized, error: socket.authorizationError ? String(socket.authorizationError) : undefined };
      });
      // TCP connected even when the TLS handshake then fails: the host answered.
      if (secure) socket.once("connect", () => (connected = true));
    });
    req.on("error", fail);
    req.on("response", (res) => {
      let size = 0;
      const chunks = [];
      // For an event stream: how many reads carried events. Events relayed as produced arrive in several
      // reads; a buffering proxy delivers a short answer in one.
      const stream = String(res.headers["content-type"] || "").startsWith("text/event-stream");
      let eventReads = 0;
      res.on("data", (c) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
        if (stream && c.includes("data:")) eventReads++;
      });
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8").slice(0, 2000);
        finish({ ok: true, status: res.statusCode, bodySnippet: text.slice(0, 300), tls, ...(stream ? { eventReads } : {}), ...reported(res.headers, request.responseHeaders) });
      });
      res.on("error", fail);
    });
    req.end(body);
  });
}

/** The relay: the same `attempt`, reachable over HTTP (through the Kubernetes API server's pod proxy). */
function serve(port, token) {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (req.method !== "POST" || !req.url.startsWith("/attempt")) {
      res.writeHead(404).end();
      return;
    }
    const given = new URL(req.url, "http://relay").searchParams.get("token") || req.headers["x-relay-token"];
    if (token && given !== token) {
      res.writeHead(403).end();
      return;
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      let request;
      try {
        request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const outcome = await attempt(request);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(outcome));
    });
  });
  server.listen(port, "0.0.0.0");
  return server;
}

module.exports = { attempt, serve, classify, UNREACHABLE_KINDS };

if (require.main === module && process.argv.includes("--serve")) {
  const server = serve(Number(process.env.PORT || 8080), process.env.RELAY_TOKEN || "");
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
