/** Types of probe-http.js (plain JavaScript so that it also runs unchanged in the in-cluster relay pod). */
import type { Server } from "node:http";

export interface AttemptRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  /** Accept any certificate (only for requests that carry no secret); the outcome still reports trust. */
  insecureTls?: boolean;
  /** Response headers to report (lower-cased names); no others are returned. */
  responseHeaders?: string[];
  /** A TLS client certificate and its key (PEM; the key is secret), presented when the server asks for one. */
  clientCertificate?: { certPem: string; keyPem: string };
  /** The one CA (PEM) the server's certificate must chain to, instead of the public roots. */
  caPem?: string;
}

export type FailureKind = "dns" | "refused" | "unroutable" | "timeout" | "response-timeout" | "reset" | "reset-before-connect" | "tls" | "other";

export type AttemptOutcome =
  | { ok: true; status: number; ms: number; bodySnippet?: string; tls?: { authorized: boolean; error?: string }; /** Reads that carried events, for an event stream. */ eventReads?: number; /** The asked-for response headers the answer carried. */ headers?: Record<string, string> }
  | { ok: false; ms: number; unreachable: boolean; error: { kind: FailureKind; code: string; message: string; connected: boolean } };

export function attempt(request: AttemptRequest): Promise<AttemptOutcome>;
export function serve(port: number, token: string): Server;
export function classify(code: string, connected: boolean): FailureKind;
export const UNREACHABLE_KINDS: Set<FailureKind>;
