import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/**
 * The one error body every failure gets, the shape OpenAI clients parse (`error.message`, `.type`, `.code`,
 * `.param`). `param` and `innererror` appear only when the model endpoint gave them.
 */
export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string | null; innererror?: unknown };
}

export function errorBody(type: string, code: string, message: string, extra: Partial<ErrorBody["error"]> = {}): ErrorBody {
  return { error: { type, code, message, ...extra } };
}

/** What a failed call becomes for the client: status, body and the headers worth passing on. */
export interface HttpFailure {
  status: number;
  type: string;
  code: string;
  message: string;
  headers: Record<string, string>;
  param?: string | null;
  innererror?: unknown;
  upstreamStatus?: number;
  upstreamRequestId?: string;
}

export function failureBody(f: HttpFailure): ErrorBody {
  const extra: Partial<ErrorBody["error"]> = {};
  if (f.param !== undefined) extra.param = f.param;
  if (f.innererror !== undefined) extra.innererror = f.innererror;
  return errorBody(f.type, f.code, f.message, extra);
}

/** Fastify's own 4xx errors by code, so that they read like the service's other errors. */
const FRAMEWORK_4XX: Record<number, [type: string, code: string]> = {
  400: ["invalid_request_error", "bad_request"],
  404: ["not_found", "not_found"],
  405: ["invalid_request_error", "method_not_allowed"],
  406: ["invalid_request_error", "not_acceptable"],
  408: ["invalid_request_error", "request_timeout"],
  413: ["invalid_request_error", "body_too_large"],
  414: ["invalid_request_error", "uri_too_long"],
  415: ["invalid_request_error", "unsupported_media_type"],
  431: ["invalid_request_error", "headers_too_large"],
};

export function frameworkError(status: number, message: string): ErrorBody {
  const [type, code] = FRAMEWORK_4XX[status] ?? ["invalid_request_error", "bad_request"];
  return errorBody(type, code, message);
}

/**
 * Answers errors Node's HTTP parser raises before Fastify sees a request (malformed or oversized headers,
 * the request timeout) with the same body shape, then closes the connection as Node's default handler does.
 * https://nodejs.org/api/http.html#event-clienterror
 */
export function clientErrorResponse(error: NodeJS.ErrnoException): { status: number; body: ErrorBody } {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, body: frameworkError(408, "the request was not received in time") };
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, body: frameworkError(431, "the request headers are too large") };
    default:
      return { status: 400, body: frameworkError(400, "the request is not valid HTTP") };
  }
}

export function writeClientError(error: NodeJS.ErrnoException, socket: Socket): number | undefined {
  if (error.code === "ECONNRESET" || socket.destroyed || !socket.writable) return undefined;
  // A response already under way cannot be replaced by an error; the connection is all that can go.
  if ((socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy(error);
    return undefined;
  }
  const { status, body } = clientErrorResponse(error);
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
  return status;
}
