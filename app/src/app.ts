import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { DestinationStream } from "pino";
import { chatBodySchema, describeSchemaError, type ChatRequest } from "./chat-schema";
import type { AppConfig } from "./config";
import { createHttpFetch } from "./http-fetch";
import { CHAT_PATH, HEALTH_PATH, READINESS_PATH } from "./image";
import { cached, upstreamReadiness } from "./readiness";
import {
  createChatClient,
  defaultTokenProvider,
  guardTokenProvider,
  mapStreamError,
  mapUpstreamError,
  type HttpFailure,
  type TokenProvider,
} from "./upstream";

export interface BuildAppOptions {
  config: AppConfig;
  /** Defaults to DefaultAzureCredential for the Cognitive Services scope. */
  tokenProvider?: TokenProvider;
  /** Where logs go; defaults to stdout. */
  logStream?: DestinationStream;
}

const FORWARDED_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const PROBE_PATHS = new Set([HEALTH_PATH, READINESS_PATH]);

/** One line per request, when it completes; probes only at debug level. */
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
    if (error) req.log.error(fields, "request failed");
    else if (PROBE_PATHS.has(req.url)) req.log.debug(fields, "request completed");
    else req.log.info(fields, "request completed");
  }
}

function errorBody(type: string, code: string, message: string) {
  return { error: { type, code, message } };
}

function sendFailure(reply: FastifyReply, failure: HttpFailure) {
  return reply.code(failure.status).headers(failure.headers).send(errorBody(failure.type, failure.code, failure.message));
}

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { config } = options;
  const tokenProvider = guardTokenProvider(options.tokenProvider ?? defaultTokenProvider());
  const upstreamFetch = createHttpFetch();
  const client = createChatClient(config, tokenProvider, upstreamFetch);
  const idHeader = config.requestIdHeader;

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
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  app.removeContentTypeParser("text/plain");
  app.addHook("onClose", (_app, done) => {
    upstreamFetch.close();
    done();
  });

  // Node keeps a keep-alive connection open after its last response even while the server closes, so
  // close would wait for KEEP_ALIVE_TIMEOUT_MS: in-flight requests answer with Connection: close instead.
  let closing = false;
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
          return reply
            .code(413)
            .send(errorBody("invalid_request_error", "body_too_large", `request body exceeds ${config.limits.bodyBytes} bytes`));
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
          return reply
            .code(415)
            .send(errorBody("invalid_request_error", "unsupported_media_type", "Content-Type must be application/json"));
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
        case "FST_ERR_CTP_INVALID_JSON_BODY":
          return reply.code(400).send(errorBody("invalid_request_error", "invalid_json", "request body is not valid JSON"));
        default:
          return reply.code(status).send(errorBody("invalid_request_error", "bad_request", error.message));
      }
    }
    req.log.error({ err: error }, "unhandled error");
    return reply.code(500).send(errorBody("server_error", "internal_error", "internal error"));
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody("not_found", "not_found", `no route for ${req.method} ${req.url.split("?")[0]}`)),
  );

  app.get(HEALTH_PATH, async () => ({ status: "ok" }));

  const readiness = cached(
    upstreamReadiness(client, tokenProvider, config.readiness.timeoutMs),
    config.readiness.ttlMs,
  );
  app.get(READINESS_PATH, async (_req, reply) => {
    const state = await readiness();
    return reply.code(state.ready ? 200 : 503).send(state);
  });

  app.post<{ Body: ChatRequest }>(CHAT_PATH, { schema: { body: chatBodySchema(config.limits) } }, async (req, reply) => {
    const body = req.body;
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: config.deployment,
      messages: body.messages,
      max_tokens: body.max_tokens ?? config.limits.maxTokens,
    };
    if (body.temperature !== undefined) params.temperature = body.temperature;

    const abort = new AbortController();
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) abort.abort();
    });

    if (!body.stream) {
      try {
        return await client.chat.completions.create(params, { signal: abort.signal });
      } catch (error) {
        return sendFailure(reply, logFailure(req.log, mapUpstreamError(error)));
      }
    }

    let stream: AsyncIterable<ChatCompletionChunk>;
    try {
      stream = await client.chat.completions.create(
        { ...params, stream: true, stream_options: { include_usage: true } },
        { signal: abort.signal },
      );
    } catch (error) {
      return sendFailure(reply, logFailure(req.log, mapUpstreamError(error)));
    }
    reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-cache, no-transform");
    return reply.send(Readable.from(relay(stream, abort, config.timeouts.upstreamMs, req.log)));
  });

  return app;
}

type Log = FastifyInstance["log"];

function logFailure(log: Log, failure: HttpFailure): HttpFailure {
  const { status, code, upstreamStatus, upstreamRequestId } = failure;
  if (status === 499) log.info({ status, code }, "client closed the request");
  else log.warn({ status, code, upstreamStatus, upstreamRequestId }, "upstream call failed");
  return failure;
}

const STALLED: HttpFailure = {
  status: 504,
  type: "upstream_error",
  code: "upstream_timeout",
  message: "the model endpoint stopped sending",
  headers: {},
};

/**
 * Relays chunks as server-sent events, ending with [DONE] or an OpenAI-shaped error event. The SDK ends
 * an aborted stream as if it were complete, so whether it was aborted is checked after the loop.
 */
async function* relay(
  stream: AsyncIterable<ChatCompletionChunk>,
  abort: AbortController,
  idleTimeoutMs: number,
  log: Log,
): AsyncGenerator<string> {
  let idle = false;
  const timer = setTimeout(() => {
    idle = true;
    abort.abort();
  }, idleTimeoutMs);
  let failure: HttpFailure | undefined;
  try {
    for await (const chunk of stream) {
      timer.refresh();
      yield `data: ${JSON.stringify(chunk)}\n\n`;
    }
  } catch (error) {
    failure = mapStreamError(error);
  } finally {
    clearTimeout(timer);
  }
  if (idle) failure = STALLED;
  else if (abort.signal.aborted) return;
  if (!failure) {
    yield "data: [DONE]\n\n";
    return;
  }
  logFailure(log, failure);
  yield `data: ${JSON.stringify(errorBody(failure.type, failure.code, failure.message))}\n\n`;
}
