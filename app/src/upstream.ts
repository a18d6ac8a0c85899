import { Pool, type Dispatcher } from "undici";
import type { AppConfig } from "./config";
import type { HttpFailure } from "./errors";

/** Upstream response headers a client (or APIM) can act on; everything else stays behind. */
export function isPassedThrough(name: string): boolean {
  return name.startsWith("x-ratelimit-remaining-") || name.startsWith("retry-after") || name === "apim-request-id";
}

/** Where the relay delivers what the upstream answered. */
export interface RelaySink {
  /** A complete JSON answer (any 2xx), as the upstream's bytes. */
  json(status: number, headers: Record<string, string>, body: Buffer): void;
  /** Nothing has been sent yet: the client gets this failure as its status and error body. */
  fail(failure: HttpFailure): void;
  /** The upstream began an event stream: send the status line and headers. */
  streamStart(headers: Record<string, string>): void;
  /** Relays a chunk; false asks the relay to wait for `streamDrain`. */
  streamWrite(chunk: Buffer): boolean;
  streamDrain(resume: () => void): void;
  /** The stream ended: cleanly, or with a failure whose error event the sink writes before ending. */
  streamEnd(failure?: HttpFailure): void;
  /** The upstream's answer to record as a metric and in the log. */
  observed(status: number | undefined, failure?: HttpFailure): void;
}

export interface RelayCall {
  body: string;
  token: string;
  requestId: string;
  stream: boolean;
  signal: AbortSignal;
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_ERROR_MESSAGE_CHARS = 1000;
const MAX_INNERERROR_CHARS = 16 * 1024;
const TAIL_BYTES = 512;

/** Errors that mean no connection to the endpoint was made: these alone are "unreachable", and retried. */
const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const failure = (status: number, type: string, code: string, message: string, extra: Partial<HttpFailure> = {}): HttpFailure => ({
  status,
  type,
  code,
  message,
  headers: {},
  ...extra,
});

export const FAILURES = {
  timeout: () => failure(504, "upstream_error", "upstream_timeout", "the model endpoint did not answer in time"),
  stalled: () => failure(504, "upstream_error", "upstream_timeout", "the model endpoint stopped sending"),
  unreachable: () => failure(502, "upstream_error", "upstream_unreachable", "the model endpoint could not be reached"),
  closedEarly: () => failure(502, "upstream_error", "upstream_interrupted", "the model endpoint closed the connection before answering"),
  interrupted: () => failure(502, "upstream_error", "upstream_interrupted", "the model endpoint broke off the answer"),
  invalid: () => failure(502, "upstream_error", "upstream_invalid_response", "the model endpoint sent a response the service cannot relay"),
  notStream: () => failure(502, "upstream_error", "upstream_invalid_response", "the model endpoint answered a streaming request without an event stream"),
  clientClosed: () => failure(499, "client_closed", "client_closed", "request aborted"),
  shuttingDown: () => failure(503, "service_unavailable", "shutting_down", "the service is shutting down; retry the request"),
};

/** Maps an error the connection raised to the client's answer, depending on whether the answer had begun. */
export function mapConnectionError(error: NodeJS.ErrnoException, answerStarted: boolean, stream: boolean): HttpFailure {
  const code = error.code ?? "";
  if (code === "UND_ERR_HEADERS_TIMEOUT") return FAILURES.timeout();
  if (code === "UND_ERR_BODY_TIMEOUT") return stream ? FAILURES.stalled() : FAILURES.timeout();
  if (code.startsWith("HPE_") || code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" || code === "UND_ERR_RES_EXCEEDED_MAX_SIZE") return FAILURES.invalid();
  if (answerStarted) return FAILURES.interrupted();
  if (CONNECT_ERRORS.has(code)) return FAILURES.unreachable();
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE") return FAILURES.closedEarly();
  return failure(502, "upstream_error", "upstream_error", "the call to the model endpoint failed");
}

interface UpstreamError {
  code?: unknown;
  type?: unknown;
  message?: unknown;
  param?: unknown;
  innererror?: unknown;
}

function parseUpstreamError(body: Buffer): UpstreamError | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { error?: UpstreamError } | undefined;
    return parsed && typeof parsed.error === "object" && parsed.error !== null ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/** Azure's content filter and other request-level detail, kept when it is plain JSON of a sane size. */
function boundedInnerError(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const text = JSON.stringify(value);
  return text.length <= MAX_INNERERROR_CHARS ? value : undefined;
}

/** Maps an upstream non-2xx answer; only request-level 4xx detail reaches the client. */
export function mapUpstreamStatus(status: number, headers: Record<string, string>, body: Buffer): HttpFailure {
  const upstream = { upstreamStatus: status, upstreamRequestId: headers["apim-request-id"] ?? headers["x-request-id"], headers };
  if (status === 429) {
    return failure(429, "rate_limit_error", "rate_limited", "the model deployment is rate limited; retry after the time in Retry-After", upstream);
  }
  if (status === 400 || status === 413 || status === 422) {
    const e = parseUpstreamError(body);
    const extra: Partial<HttpFailure> = { ...upstream };
    if (typeof e?.param === "string" || e?.param === null) extra.param = e.param as string | null;
    const inner = boundedInnerError(e?.innererror);
    if (inner !== undefined) extra.innererror = inner;
    return failure(
      status,
      typeof e?.type === "string" && e.type ? e.type : "invalid_request_error",
      typeof e?.code === "string" && e.code ? e.code : "upstream_rejected_request",
      typeof e?.message === "string" && e.message ? e.message.slice(0, MAX_ERROR_MESSAGE_CHARS) : "the model endpoint rejected the request",
      extra,
    );
  }
  if (status === 408) return { ...FAILURES.timeout(), ...upstream };
  if (status >= 500) return failure(502, "upstream_error", "upstream_error", "the model endpoint failed to answer", upstream);
  return failure(502, "upstream_error", "upstream_refused", "the model endpoint refused the service's request", upstream);
}

/** Pass-through headers of an upstream answer, from undici's raw name/value list. */
function readHeaders(raw: Buffer[]): { contentType: string; passed: Record<string, string> } {
  let contentType = "";
  const passed: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString("latin1").toLowerCase();
    if (name === "content-type") contentType = raw[i + 1]!.toString("latin1");
    else if (isPassedThrough(name)) passed[name] = raw[i + 1]!.toString("latin1");
  }
  return { contentType, passed };
}

const DONE = /data: ?\[DONE\]\s*$/;
const ERROR_EVENT = /(?:^|\n)data: ?\{\s*"error"\s*:[^\n]*\n\s*$/;

/** One upstream call, relayed as bytes. A dispatch handler: undici calls it as the answer arrives. */
class Relay implements Dispatcher.DispatchHandlers {
  private abortUpstream: ((error?: Error) => void) | undefined;
  private status = 0;
  private mode: "none" | "json" | "error" | "sse" | "notsse" = "none";
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private tail = "";
  private clientGone = false;
  private finished = false;
  attempts = 0;

  constructor(
    private readonly call: RelayCall,
    private readonly sink: RelaySink,
    private readonly retry: (relay: Relay, error: NodeJS.ErrnoException) => boolean,
  ) {
    if (call.signal.aborted) this.clientGone = true;
    else call.signal.addEventListener("abort", this.onClientAbort, { once: true });
  }

  private readonly onClientAbort = () => {
    this.clientGone = true;
    this.abortUpstream?.();
  };

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone) abort();
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true;
    this.status = status;
    const { contentType, passed } = readHeaders(raw);
    this.headers = passed;
    if (status >= 300) this.mode = "error";
    else if (!this.call.stream) this.mode = "json";
    else if (contentType.startsWith("text/event-stream")) {
      this.mode = "sse";
      this.sink.streamStart(passed);
      this.resume = resume;
    } else this.mode = "notsse";
    return true;
  }

  private resume: (() => void) | undefined;
  private readonly onDrain = () => this.resume?.();

  onData(chunk: Buffer): boolean {
    if (this.mode === "sse") {
      this.tail = chunk.length >= TAIL_BYTES ? chunk.toString("latin1", chunk.length - TAIL_BYTES) : (this.tail + chunk.toString("latin1")).slice(-TAIL_BYTES);
      if (this.sink.streamWrite(chunk)) return true;
      this.sink.streamDrain(this.onDrain);
      return false;
    }
    if (this.mode === "json") {
      this.chunks.push(chunk);
      return true;
    }
    if (this.size < MAX_ERROR_BODY_BYTES) this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.done();
    const { status, headers } = this;
    if (this.mode === "sse") {
      if (DONE.test(this.tail)) {
        this.sink.observed(status);
        this.sink.streamEnd();
      } else if (ERROR_EVENT.test(this.tail)) {
        // The upstream's own error event already reached the client; the stream failed all the same.
        const f = failure(502, "upstream_error", "upstream_error_event", "the model endpoint ended the answer with an error event");
        this.sink.observed(status, f);
        this.sink.streamEnd({ ...f, headers: {} });
        return;
      } else {
        const f = FAILURES.interrupted();
        this.sink.observed(status, f);
        this.sink.streamEnd(f);
      }
      return;
    }
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    if (this.mode === "json") {
      this.sink.observed(status);
      this.sink.json(status, headers, body);
    } else if (this.mode === "notsse") {
      const f = { ...FAILURES.notStream(), upstreamStatus: status, upstreamRequestId: headers["apim-request-id"] };
      this.sink.observed(status, f);
      this.sink.fail(f);
    } else {
      const f = mapUpstreamStatus(status, headers, body);
      this.sink.observed(status, f);
      this.sink.fail(f);
    }
  }

  onError(error: Error): void {
    if (this.finished) return;
    const answerStarted = this.mode !== "none";
    if (!this.clientGone && !answerStarted && this.retry(this, error as NodeJS.ErrnoException)) return;
    this.done();
    if (this.clientGone) {
      const f = FAILURES.clientClosed();
      this.sink.observed(this.status || undefined, f);
      if (this.mode === "sse") this.sink.streamEnd(f);
      else this.sink.fail(f);
      return;
    }
    const f = mapConnectionError(error as NodeJS.ErrnoException, answerStarted, this.call.stream);
    if (this.status) f.upstreamStatus = this.status;
    this.sink.observed(this.status || undefined, f);
    if (this.mode === "sse") this.sink.streamEnd(f);
    else this.sink.fail(f);
  }

  /** Cuts the upstream call short (shutdown), leaving the sink to tell the client. */
  cancel(): void {
    this.done();
    this.abortUpstream?.();
  }

  private done(): void {
    this.finished = true;
    this.call.signal.removeEventListener("abort", this.onClientAbort);
  }

  get isFinished(): boolean {
    return this.finished;
  }
}

export interface Upstream {
  /** Sends the chat request; the sink receives the outcome. */
  chat(call: RelayCall, sink: RelaySink): { cancel(): void };
  close(): Promise<void>;
}

/**
 * One keep-alive connection pool to the endpoint's origin, the chat path and the constant headers built
 * once. Per call: the token, the request id (sent as `x-ms-client-request-id`) and the body.
 */
export function createUpstream(config: Pick<AppConfig, "endpoint" | "deployment" | "apiVersion" | "timeouts" | "upstreamMaxRetries">): Upstream {
  const pool = new Pool(config.endpoint, {
    keepAliveTimeout: 30_000,
    connect: { timeout: Math.min(config.timeouts.upstreamMs, 10_000) },
  });
  const path =
    `/openai/deployments/${encodeURIComponent(config.deployment)}/chat/completions` +
    `?api-version=${encodeURIComponent(config.apiVersion)}`;
  const timeouts = { headersTimeout: config.timeouts.upstreamMs, bodyTimeout: config.timeouts.upstreamMs };

  const send = (relay: Relay, call: RelayCall) => {
    relay.attempts++;
    pool.dispatch(
      {
        origin: config.endpoint,
        path,
        method: "POST",
        headers: [
          "content-type",
          "application/json",
          "accept",
          call.stream ? "text/event-stream" : "application/json",
          "authorization",
          `Bearer ${call.token}`,
          "x-ms-client-request-id",
          call.requestId,
        ],
        body: call.body,
        ...timeouts,
      },
      relay,
    );
  };

  return {
    chat(call, sink) {
      const relay: Relay = new Relay(call, sink, (r, error) => {
        if (r.attempts > config.upstreamMaxRetries || !CONNECT_ERRORS.has(error.code ?? "")) return false;
        send(r, call);
        return true;
      });
      send(relay, call);
      return { cancel: () => relay.cancel() };
    },
    close: () => pool.close(),
  };
}
