/**
 * Runs the `probes` a stack exports (scenarios/probes.ts) and judges each against its expectation:
 * status codes, the status of the last call of a burst, or that nothing answers at all. Probes run in
 * their order (a rate-limit burst must not precede the call that expects 200), each with a timeout per
 * request and bounded retries while DNS, certificates and backends settle after a deployment.
 */
import type { Probe } from "../../../scenarios/probes";
import type { AttemptOutcome, AttemptRequest } from "./probe-http";
import { verifyCertificateHints } from "./certificate-errors";
import type { CertificateAndKey, ClientCertificateSource } from "./client-certificates";
import type { ClientCertificateChoice, TrustedCa } from "../../../scenarios/probes";

const CLIENT_CERTIFICATE_CHOICES: readonly ClientCertificateChoice[] = ["issued", "foreign"];
const TRUSTED_CAS: readonly TrustedCa[] = ["edge"];

/** The private CAs probes may trust (`request.trust`), as PEM: `edge` from the stack output edgeCaCertificatePem. */
export type TrustedCas = Partial<Record<TrustedCa, string>>;

export const SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key";

/** Sends one request from somewhere: this machine, or a pod inside the scenario's VNet. */
export interface ProbeTransport {
  readonly description: string;
  attempt(request: AttemptRequest, signal?: AbortSignal): Promise<AttemptOutcome>;
}

export interface VerifyOptions {
  /** Per request. */
  requestTimeoutMs: number;
  /** Attempts per probe, the first included. */
  attempts: number;
  /** Give up retrying a probe after this long. */
  probeDeadlineMs: number;
  /** First pause between attempts; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onProgress?: (text: string) => void;
  /** The client certificates probes present (`request.clientCertificate`); needed only when a probe asks. */
  clientCertificates?: ClientCertificateSource;
  /** The CAs probes trust by name (`request.trust`); needed only when a probe asks. */
  trustedCas?: TrustedCas;
}

export const DEFAULT_VERIFY_OPTIONS: VerifyOptions = {
  requestTimeoutMs: 10_000,
  attempts: 8,
  probeDeadlineMs: 4 * 60_000,
  backoffMs: 3_000,
  maxBackoffMs: 30_000,
};

export type ProbeVerdict = "pass" | "fail" | "not-run";

export interface ProbeResult {
  name: string;
  from: Probe["from"];
  why: string;
  url: string;
  expected: string;
  observed: string;
  verdict: ProbeVerdict;
  attempts: number;
  durationMs: number;
  /** Statuses of the last attempt (all calls of a burst). */
  statuses: number[];
  /** Certificate trust when it was not checked (requests without a secret accept any certificate). */
  tlsNote?: string;
}

export interface VerifyReport {
  stack: string;
  scenario?: string;
  results: ProbeResult[];
  passed: number;
  failed: number;
  notRun: number;
  durationMs: number;
}

/** What one attempt of a probe saw. */
export interface Observation {
  statuses: number[];
  /** Set when a call got no HTTP status (then it was the last call made). */
  failure?: Extract<AttemptOutcome, { ok: false }>;
  tlsNote?: string;
  /** Reads that carried server-sent events, when the last answer was an event stream. */
  eventReads?: number;
  /** The response headers the expectation names, as the last answer carried them (lower-cased names). */
  headers?: Record<string, string>;
}

/** The response header an expectation checks, if any. */
const expectedHeader = (expect: Probe["expect"]) => ("status" in expect ? expect.header : undefined);

export function describeExpectation(expect: Probe["expect"]): string {
  if ("unreachable" in expect) return "unreachable";
  if ("statusOnLast" in expect) return `${expect.statusOnLast} on last call`;
  const events = expect.eventReadsAtLeast === undefined ? "" : `, events in >= ${expect.eventReadsAtLeast} reads`;
  return `${expect.status}${events}${expect.header ? `, ${expect.header.name} one of ${expect.header.oneOf.join("|")}` : ""}`;
}

const FAILURE_TEXT: Record<string, string> = {
  dns: "no DNS answer",
  refused: "connection refused",
  unroutable: "no route to host",
  timeout: "no connection (timed out)",
  "response-timeout": "connected, no response (timed out)",
  reset: "connection reset after connecting",
  "reset-before-connect": "connection reset",
  tls: "TLS handshake failed",
  other: "request failed",
};

export function describeObservation(o: Observation, expect: Probe["expect"]): string {
  const parts: string[] = [];
  if (o.statuses.length === 1) parts.push(String(o.statuses[0]));
  else if (o.statuses.length > 1) {
    const last = o.statuses[o.statuses.length - 1];
    const target = "statusOnLast" in expect ? expect.statusOnLast : undefined;
    const firstHit = target === undefined ? -1 : o.statuses.indexOf(target);
    parts.push(`${last} on call ${o.statuses.length}` + (firstHit >= 0 ? ` (first ${target} on call ${firstHit + 1})` : ` (${summarizeStatuses(o.statuses)})`));
  }
  if (o.eventReads !== undefined && parts.length > 0) parts[parts.length - 1] += `, events in ${o.eventReads} reads`;
  const header = expectedHeader(expect);
  if (header && o.statuses.length > 0) {
    const value = o.headers?.[header.name.toLowerCase()];
    parts[parts.length - 1] += value === undefined ? `, no ${header.name}` : `, ${header.name}: ${value}`;
  }
  if (o.failure) parts.push(`${FAILURE_TEXT[o.failure.error.kind] ?? o.failure.error.kind} (${o.failure.error.code})`);
  return parts.join(", then ") || "nothing";
}

function summarizeStatuses(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n}x ${s}`).join(", ");
}

/** Whether what was observed is what the probe expects. */
export function judge(o: Observation, expect: Probe["expect"]): boolean {
  if ("unreachable" in expect) return o.statuses.length === 0 && Boolean(o.failure?.unreachable);
  if (o.failure) return false;
  const last = o.statuses[o.statuses.length - 1];
  if ("statusOnLast" in expect) return last === expect.statusOnLast;
  const value = expect.header ? o.headers?.[expect.header.name.toLowerCase()]?.trim().toLowerCase() : undefined;
  return (
    last === expect.status &&
    (expect.eventReadsAtLeast === undefined || (o.eventReads ?? 0) >= expect.eventReadsAtLeast) &&
    (!expect.header || (value !== undefined && expect.header.oneOf.some((v) => v.toLowerCase() === value)))
  );
}

/** Outcomes that say the deployment has not settled yet (worth another attempt), not that the property fails. */
const TRANSIENT_STATUSES = new Set([404, 408, 500, 502, 503, 504]);

export function worthRetrying(o: Observation, expect: Probe["expect"]): boolean {
  // An endpoint that must not answer is judged on the first attempt: settling never makes it vanish.
  if ("unreachable" in expect) return false;
  if (o.failure) return true;
  const target = "statusOnLast" in expect ? expect.statusOnLast : expect.status;
  return o.statuses.some((s) => s !== target && TRANSIENT_STATUSES.has(s));
}

/** The PEM of the CA a probe trusts, if it names one; an error when verify was not given it. */
export function trustedCaFor(probe: Probe, cas: TrustedCas | undefined): string | undefined {
  const name = probe.request.trust;
  if (name === undefined) return undefined;
  const pem = cas?.[name];
  if (!pem) throw new Error(`probe ${probe.name} trusts the stack's ${name} CA, but the output ${name}CaCertificatePem is missing`);
  return pem;
}

export function requestFor(probe: Probe, subscriptionKey: string | undefined, timeoutMs: number, clientCertificate?: CertificateAndKey, caPem?: string): AttemptRequest {
  const headers: Record<string, string> = {};
  if (probe.request.withSubscriptionKey && subscriptionKey) headers[probe.request.keyHeader ?? SUBSCRIPTION_KEY_HEADER] = subscriptionKey;
  const header = expectedHeader(probe.expect);
  return {
    method: probe.request.method,
    url: probe.request.url,
    headers,
    body: probe.request.body,
    timeoutMs,
    // A request carrying the subscription key, or trusting a named CA, verifies the certificate; others accept
    // any certificate (the backends' staging or default certificates) and report whether it was trusted.
    insecureTls: !probe.request.withSubscriptionKey && !caPem,
    ...(caPem ? { caPem } : {}),
    ...(header ? { responseHeaders: [header.name.toLowerCase()] } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
  };
}

async function observe(probe: Probe, transport: ProbeTransport, subscriptionKey: string | undefined, options: VerifyOptions): Promise<Observation> {
  const calls = Math.max(1, probe.request.repeat ?? 1);
  if (probe.request.clientCertificate && !options.clientCertificates) throw new Error(`probe ${probe.name} presents a client certificate, but none was given to verify`);
  const request = requestFor(probe, subscriptionKey, options.requestTimeoutMs, options.clientCertificates?.for(probe), trustedCaFor(probe, options.trustedCas));
  const observation: Observation = { statuses: [] };
  for (let i = 0; i < calls; i++) {
    if (options.signal?.aborted) throw abortError();
    const outcome = await transport.attempt(request, options.signal);
    if (!outcome.ok) {
      observation.failure = outcome;
      break;
    }
    observation.statuses.push(outcome.status);
    observation.eventReads = outcome.eventReads;
    observation.headers = outcome.headers;
    if (outcome.tls && !outcome.tls.authorized) observation.tlsNote = `certificate not trusted (${outcome.tls.error ?? "unknown"})`;
  }
  return observation;
}

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

function abortError(): Error {
  const e = new Error("verification interrupted");
  e.name = "AbortError";
  return e;
}

export async function runProbe(probe: Probe, transport: ProbeTransport, subscriptionKey: string | undefined, options: VerifyOptions): Promise<ProbeResult> {
  const sleep = options.sleep ?? defaultSleep;
  const started = Date.now();
  let attempts = 0;
  let backoff = options.backoffMs;
  let observation: Observation;
  for (;;) {
    attempts++;
    observation = await observe(probe, transport, subscriptionKey, options);
    const passed = judge(observation, probe.expect);
    const elapsed = Date.now() - started;
    if (passed || !worthRetrying(observation, probe.expect) || attempts >= options.attempts || elapsed + backoff > options.probeDeadlineMs) break;
    options.onProgress?.(`${probe.name}: ${describeObservation(observation, probe.expect)}; retrying in ${Math.round(backoff / 1000)} s (attempt ${attempts + 1} of ${options.attempts})`);
    await sleep(backoff, options.signal);
    backoff = Math.min(options.maxBackoffMs, backoff * 2);
  }
  return {
    name: probe.name,
    from: probe.from,
    why: probe.why,
    url: probe.request.url,
    expected: describeExpectation(probe.expect),
    observed: describeObservation(observation, probe.expect),
    verdict: judge(observation, probe.expect) ? "pass" : "fail",
    attempts,
    durationMs: Date.now() - started,
    statuses: observation.statuses,
    ...(observation.tlsNote ? { tlsNote: observation.tlsNote } : {}),
  };
}

export interface Transports {
  internet: ProbeTransport;
  /** Absent when no way into the VNet is available; such probes are reported as not run (a failure). */
  vnet?: ProbeTransport | { unavailable: string };
}

export async function runProbes(
  stack: string,
  probes: Probe[],
  transports: Transports,
  subscriptionKey: string | undefined,
  options: Partial<VerifyOptions> = {},
  scenario?: string,
): Promise<VerifyReport> {
  const opts: VerifyOptions = { ...DEFAULT_VERIFY_OPTIONS, ...options };
  const started = Date.now();
  const results: ProbeResult[] = [];
  for (const probe of probes) {
    const transport = probe.from === "vnet" ? transports.vnet : transports.internet;
    if (!transport || "unavailable" in transport) {
      results.push({
        name: probe.name,
        from: probe.from,
        why: probe.why,
        url: probe.request.url,
        expected: describeExpectation(probe.expect),
        observed: `not run: ${transport && "unavailable" in transport ? transport.unavailable : "no way into the VNet"}`,
        verdict: "not-run",
        attempts: 0,
        durationMs: 0,
        statuses: [],
      });
      continue;
    }
    opts.onProgress?.(`${probe.name} (from ${probe.from})`);
    results.push(await runProbe(probe, transport, subscriptionKey, opts));
  }
  return {
    stack,
    scenario,
    results,
    passed: results.filter((r) => r.verdict === "pass").length,
    failed: results.filter((r) => r.verdict === "fail").length,
    notRun: results.filter((r) => r.verdict === "not-run").length,
    durationMs: Date.now() - started,
  };
}

/** Probes sent from this machine. */
export function localTransport(): ProbeTransport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require("./probe-http") as typeof import("./probe-http");
  return {
    description: "this machine",
    attempt: (request, signal) => {
      if (signal?.aborted) return Promise.reject(abortError());
      return http.attempt(request);
    },
  };
}

/** Checks that a stack output is a list of probes before trusting it. */
export function parseProbes(value: unknown): Probe[] {
  if (!Array.isArray(value)) throw new Error("the stack output `probes` is missing or not a list");
  return value.map((p, i) => {
    const probe = p as Probe;
    if (!probe || typeof probe.name !== "string" || !probe.request || typeof probe.request.url !== "string" || !probe.expect) {
      throw new Error(`probes[${i}] is not a probe (needs name, request.url and expect)`);
    }
    if (probe.from !== "internet" && probe.from !== "vnet") throw new Error(`probes[${i}] (${probe.name}): from must be "internet" or "vnet"`);
    if (probe.request.keyHeader !== undefined && (typeof probe.request.keyHeader !== "string" || !probe.request.keyHeader)) throw new Error(`probes[${i}] (${probe.name}): request.keyHeader must be a header name`);
    if (probe.request.clientCertificate !== undefined && !CLIENT_CERTIFICATE_CHOICES.includes(probe.request.clientCertificate)) {
      throw new Error(`probes[${i}] (${probe.name}): request.clientCertificate must be one of ${CLIENT_CERTIFICATE_CHOICES.join(", ")}`);
    }
    if (probe.request.trust !== undefined && !TRUSTED_CAS.includes(probe.request.trust)) throw new Error(`probes[${i}] (${probe.name}): request.trust must be one of ${TRUSTED_CAS.join(", ")}`);
    const header = expectedHeader(probe.expect);
    if (header !== undefined && (typeof header.name !== "string" || !Array.isArray(header.oneOf) || header.oneOf.length === 0)) {
      throw new Error(`probes[${i}] (${probe.name}): expect.header needs a name and the values it may take (oneOf)`);
    }
    return probe;
  });
}

/** A fixed-width table: probe, from, expected, observed, result, time, and why (on failures). */
export function formatVerifyTable(report: VerifyReport): string[] {
  const rows = report.results.map((r) => [r.name, r.from, r.expected, r.observed, r.verdict.toUpperCase(), `${(r.durationMs / 1000).toFixed(1)}s`, String(r.attempts)]);
  const header = ["PROBE", "FROM", "EXPECTED", "OBSERVED", "RESULT", "TIME", "TRIES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const r of report.results) {
    if (r.verdict !== "pass") out.push(`  ${r.name}: expected because ${r.why}`);
    if (r.tlsNote) out.push(`  ${r.name}: note: ${r.tlsNote}`);
  }
  out.push(...verifyCertificateHints(report.results));
  out.push(`${report.stack}: ${report.passed} passed, ${report.failed} failed${report.notRun ? `, ${report.notRun} not run` : ""} in ${(report.durationMs / 1000).toFixed(1)}s`);
  return out;
}
