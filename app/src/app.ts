import { randomUUID } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { DestinationStream } from "pino";
import { chatBodySchema, describeSchemaError, type ChatRequest } from "./chat-schema";
import type { AppConfig } from "./config";
import { errorBody, failureBody, frameworkError, writeClientError, type HttpFailure } from "./errors";
import { CHAT_PATH, HEALTH_PATH, METRICS_PATH, READINESS_PATH } from "./image";
import { Metrics } from "./metrics";
import { cached, tokenReadiness } from "./readiness";
import { defaultTokenProvider, tokenSource, TokenUnavailableError, type TokenProvider } from "./token";
import { upstreamFor } from "./failover";
import { FAILURES, type RelaySink } from "./upstream";

export interface BuildAppOptions {
  config: AppConfig;
  /** Defaults to DefaultAzureCredential for the Cognitive Services scope. */
  tokenProvider?: TokenProvider;
  /** Where logs go; defaults to stdout. */
  logStream?: DestinationStream;
}

/** How long a failed token attempt is remembered: requests meanwhile fail fast with 503. */
export const TOKEN_FAILURE_TTL_MS = 5000;
/** Token attempts never wait longer than this, whatever UPSTREAM_TIMEOUT_MS says. */
export const TOKEN_TIMEOUT_CAP_MS = 10_000;

const FORWARDED_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const PROBE_PATHS = new Set([HEALTH_PATH, READINESS_PATH, METRICS_PATH]);
/** Methods each route answers, for 405 and its Allow header. */
const ROUTE_METHODS = new Map([
  [CHAT_PATH, "POST"],
  [HEALTH_PATH, "GET, HEAD"],
  [READINESS_PATH, "GET, HEAD"],
  [METRICS_PATH, "GET, HEAD"],
]);

interface RelayState {
  abort: AbortController;
  /** Set when a stream that had begun (status 200 sent) failed; the access log reports it. */
  failure: HttpFailure | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    relay: RelayState | null;
  }
}

/** One line per request, when its response completes; probes only at debug level. */
class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const fields = {
      method: req.method,
      url: req.url,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    };
    const failed = req.relay?.failure;
    if (error) req.log.error(fields, "request failed");
    else if (failed) req.log.warn({ ...fields, code: failed.code }, "stream failed after it started");
    else if (PROBE_PATHS.has(req.url)) req.log.debug(fields, "request completed");
    else req.log.info(fields, "request completed");
  }
}

interface OpenStream {
  cut(failure: HttpFailure): void;
}

const openStreamsOf = new WeakMap<FastifyInstance, Set<OpenStream>>();

/**
 * Ends every stream still open with an error event (and cancels its upstream call), for a shutdown that
 * ran out of time: clients learn the answer is incomplete instead of seeing the connection drop.
 */
export function cutOpenStreams(app: FastifyInstance): number {
  const streams = openStreamsOf.get(app);
  if (!streams) return 0;
  const n = streams.size;
  for (const stream of [...streams]) stream.cut(FAILURES.shuttingDown());
  return n;
}

type Log = FastifyInstance["log"];

/** A client that left is logged once, by the access line "request aborted by the client". */
function logFailure(log: Log, failure: HttpFailure): void {
  const { status, code, upstreamStatus, upstreamRequestId } = failure;
  if (status === 499) return;
  if (code === "credential_unavailable") log.warn({ status, code }, "no token for the upstream call");
  else log.warn({ status, code, upstreamStatus, upstreamRequestId }, "upstream call failed");
}

const CREDENTIAL_FAILURE: HttpFailure = {
  status: 503,
  type: "service_unavailable",
  code: "credential_unavailable",
  message: "the service could not obtain a token for the model endpoint",
  headers: {},
};

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { config } = options;
  const idHeader = config.requestIdHeader;
  const metrics = new Metrics();
  const upstream = upstreamFor(config);
  const openStreams = new Set<OpenStream>();
  let closing = false;

  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: {
        paths: [
          "req.headers.authorization",
          'req.headers["api-key"]',
          'req.headers["ocp-apim-subscription-key"]',
          "req.headers.cookie",
        ],
        censor: "[redacted]",
      },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    logController: new RequestLog(),
    requestIdHeader: false,
    genReqId: (req) => {
      const forwarded = req.headers[idHeader];
      return typeof forwarded === "string" && FORWARDED_ID.test(forwarded) ? forwarded : randomUUID();
    },
    bodyLimit: config.limits.bodyBytes,
    requestTimeout: config.timeouts.requestMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    // Node checks request timeouts every connectionsCheckingInterval (30 s by default), which would let a
    // slow request run up to twice REQUEST_TIMEOUT_MS. https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
    http: {
      requestTimeout: config.timeouts.requestMs,
      headersTimeout: config.timeouts.requestMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.timeouts.requestMs / 10))),
    },
    return503OnClosing: false,
    // Bad URLs and failed route constraints are answered here, before the route and its error handler.
    frameworkErrors: (error, _req, reply) => {
      const status = error.statusCode ?? 400;
      (reply as FastifyReply).code(status).send(frameworkError(status, error.message));
    },
    clientErrorHandler(error, socket) {
      const status = writeClientError(error, socket);
      if (status !== undefined) app.log.info({ statusCode: status, code: (error as NodeJS.ErrnoException).code }, "client error");
    },
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, discriminator: true, allowUnionTypes: true },
    },
  });
  openStreamsOf.set(app, openStreams);
  app.decorateRequest("relay", null);

  const tokens = tokenSource(options.tokenProvider ?? defaultTokenProvider(), {
    timeoutMs: Math.min(config.timeouts.upstreamMs, TOKEN_TIMEOUT_CAP_MS),
    failureTtlMs: TOKEN_FAILURE_TTL_MS,
    onFailure: (cause, reason, repeated) => {
      metrics.tokenFailure(reason);
      if (!repeated) app.log.warn({ reason, cause }, "could not obtain a token for the model endpoint");
    },
  });

  // undici reports connections to the endpoint on diagnostics channels; they go to the service's log.
  const endpointHost = new URL(config.endpoint).hostname;
  type ConnectMessage = { connectParams: { hostname?: string; host?: string; port?: string }; error?: NodeJS.ErrnoException };
  const forEndpoint = (m: ConnectMessage) => (m.connectParams.hostname ?? m.connectParams.host ?? "").startsWith(endpointHost);
  const onConnectError = (message: unknown) => {
    const m = message as ConnectMessage;
    if (forEndpoint(m)) app.log.warn({ code: m.error?.code, port: m.connectParams.port }, "could not connect to the model endpoint");
  };
  const onConnected = (message: unknown) => {
    const m = message as ConnectMessage;
    if (forEndpoint(m)) app.log.debug({ port: m.connectParams.port }, "connected to the model endpoint");
  };
  diagnostics.subscribe("undici:client:connectError", onConnectError);
  diagnostics.subscribe("undici:client:connected", onConnected);

  app.removeContentTypeParser("text/plain");
  app.addHook("onClose", async () => {
    diagnostics.unsubscribe("undici:client:connectError", onConnectError);
    diagnostics.unsubscribe("undici:client:connected", onConnected);
    await upstream.close();
  });

  // Node keeps a keep-alive connection open after its last response even while the server closes, so
  // close would wait for KEEP_ALIVE_TIMEOUT_MS: in-flight requests answer with Connection: close instead.
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook("onSend", (_req, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });
  app.addHook("onResponse", (req, _reply, done) => {
    if (closing) req.raw.socket?.end();
    done();
  });

  app.addHook("onRequest", (req, reply, done) => {
    reply.header(idHeader, req.id);
    const res = reply.raw;
    res.once("close", () => {
      if (res.writableFinished) return;
      metrics.abortedRequests++;
      req.relay?.abort.abort();
      req.log.info(
        { method: req.method, url: req.url, statusCode: res.headersSent ? res.statusCode : undefined, ms: Math.round(reply.elapsedTime * 100) / 100 },
        "request aborted by the client",
      );
    });
    done();
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error.validation) {
      return reply.code(400).send(errorBody("invalid_request_error", "invalid_body", describeSchemaError(error.validation)));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      switch (error.code) {
        case "FST_ERR_CTP_BODY_TOO_LARGE":
          return reply.code(413).send(frameworkError(413, `request body exceeds ${config.limits.bodyBytes} bytes`));
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
          return reply.code(415).send(frameworkError(415, "Content-Type must be application/json"));
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
        case "FST_ERR_CTP_INVALID_JSON_BODY":
          return reply.code(400).send(errorBody("invalid_request_error", "invalid_json", "request body is not valid JSON"));
        default:
          return reply.code(status).send(frameworkError(status, error.message));
      }
    }
    req.log.error({ err: error }, "unhandled error");
    return reply.code(500).send(errorBody("server_error", "internal_error", "internal error"));
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0]!;
    const allowed = ROUTE_METHODS.get(path);
    if (allowed) {
      return reply.code(405).header("allow", allowed).send(frameworkError(405, `${req.method} is not allowed on ${path}; use ${allowed}`));
    }
    return reply.code(404).send(frameworkError(404, `no route for ${req.method} ${path}`));
  });

  app.get(HEALTH_PATH, async () => ({ status: "ok" }));

  const readiness = cached(tokenReadiness(tokens, config.readiness.timeoutMs), config.readiness.ttlMs);
  app.get(READINESS_PATH, async (_req, reply) => {
    const state = await readiness();
    return reply.code(state.ready ? 200 : 503).send(state);
  });

  app.get(METRICS_PATH, async (_req, reply) => reply.type("text/plain; version=0.0.4").send(metrics.render()));

  const sinkFor = (req: FastifyRequest, reply: FastifyReply, state: RelayState) => {
    const res = reply.raw;
    let open: OpenStream | undefined;
    let cancelUpstream: (() => void) | undefined;
    const end = (failure?: HttpFailure, writeEvent = true) => {
      if (open) {
        openStreams.delete(open);
        metrics.openStreams--;
        open = undefined;
      }
      if (failure && failure.status !== 499) {
        state.failure = failure;
        if (writeEvent && !res.destroyed) res.write(`data: ${JSON.stringify(failureBody(failure))}\n\n`);
      }
      if (!res.destroyed) res.end();
    };
    const sink: RelaySink & { setCancel(cancel: () => void): void } = {
      setCancel(cancel) {
        cancelUpstream = cancel;
      },
      json(status, headers, body) {
        if (res.destroyed) return;
        reply.code(status).headers(headers).header("content-type", "application/json").send(body);
      },
      fail(failure) {
        if (failure.status === 499 || reply.sent || res.destroyed) return;
        reply.code(failure.status).headers(failure.headers).send(failureBody(failure));
      },
      streamStart(headers) {
        reply.hijack();
        res.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache, no-transform",
          [idHeader]: req.id,
          ...headers,
          ...(closing ? { connection: "close" } : {}),
        });
        open = {
          cut(failure) {
            cancelUpstream?.();
            metrics.failure(failure.code);
            req.log.warn({ code: failure.code }, "stream cut short");
            end(failure);
          },
        };
        openStreams.add(open);
        metrics.openStreams++;
      },
      streamWrite: (chunk) => res.write(chunk),
      streamDrain(resume) {
        res.once("drain", resume);
      },
      streamEnd(failure) {
        end(failure, failure?.code !== "upstream_error_event");
      },
      observed(status, failure) {
        metrics.upstreamResponse(status);
        if (failure) {
          metrics.failure(failure.code);
          logFailure(req.log, failure);
        }
      },
    };
    return sink;
  };

  app.post<{ Body: ChatRequest }>(CHAT_PATH, { schema: { body: chatBodySchema(config.limits) } }, (req, reply) => {
    const body = req.body;
    const stream = body.stream === true;
    const limit = body.max_completion_tokens ?? body.max_tokens ?? config.limits.maxTokens;
    delete body.max_tokens;
    delete body.max_completion_tokens;
    body[config.tokenParameter] = limit;
    // The deployment decides the model; a client's `model` is accepted and replaced.
    body.model = config.deployment;
    // Usage in the last chunk lets APIM's token policies count streamed answers too.
    if (stream) body.stream_options = { ...body.stream_options, include_usage: true };
    const payload = JSON.stringify(body);

    const state: RelayState = { abort: new AbortController(), failure: undefined };
    req.relay = state;
    const sink = sinkFor(req, reply, state);
    tokens.get(state.abort.signal).then(
      (token) => {
        if (state.abort.signal.aborted) return;
        const call = upstream.chat({ body: payload, token, requestId: req.id, stream, signal: state.abort.signal }, sink);
        sink.setCancel(call.cancel);
      },
      (error: unknown) => {
        if (!(error instanceof TokenUnavailableError)) return; // the client left while waiting
        metrics.failure(CREDENTIAL_FAILURE.code);
        logFailure(req.log, CREDENTIAL_FAILURE);
        sink.fail(CREDENTIAL_FAILURE);
      },
    );
  });

  return app;
}
