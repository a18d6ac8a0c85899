// Errors Node and Fastify raise before the service's handlers run get the service's one error shape.
import assert from "node:assert/strict";
import net from "node:net";
import { CHAT_PATH } from "../../app/src/image";
import { call, serviceHooks } from "./helpers/service";

interface RawReply {
  status: number;
  headers: string;
  body: any;
  ms: number;
}

/** Writes raw bytes on a fresh connection (optionally more later) and reads until the server closes it. */
function raw(url: string, first: string, { later }: { later?: (socket: net.Socket) => void } = {}): Promise<RawReply> {
  const { port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      socket.write(first);
      later?.(socket);
    });
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = body;
      }
      resolve({ status, headers: head, body: json, ms: performance.now() - started });
    });
  });
}

function assertShape(body: any, code: string) {
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "type"]);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
}

describe("app framework errors", () => {
  const t = serviceHooks({ once: true, env: { REQUEST_TIMEOUT_MS: "500" } });

  it("answers a malformed header with 400 in the error shape", async () => {
    const res = await raw(t.svc.url, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
    assert.equal(res.status, 400);
    assertShape(res.body, "bad_request");
    assert.match(res.headers, /content-type: application\/json/i);
  });

  it("answers oversized headers with 431 in the error shape", async () => {
    const res = await raw(t.svc.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20 * 1024)}\r\n\r\n`);
    assert.equal(res.status, 431);
    assertShape(res.body, "headers_too_large");
  });

  it("answers a request that is not received in time with 408 at REQUEST_TIMEOUT_MS", async () => {
    const body = JSON.stringify({ messages: [{ role: "user", content: "x" }] });
    const res = await raw(
      t.svc.url,
      `POST ${CHAT_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    assert.equal(res.status, 408);
    assertShape(res.body, "request_timeout");
    // Node's default check interval (30 s) would answer after up to 30.5 s.
    assert.ok(res.ms >= 450 && res.ms < 1500, `408 after ${res.ms} ms, documented 500 ms`);
    assert.equal(t.stub.requests.length, 0);
  });

  it("answers a wrong method on a known path with 405 and Allow", async () => {
    const get = await call(t.svc.url, { method: "GET", path: CHAT_PATH });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assertShape(get.json, "method_not_allowed");
    const post = await call(t.svc.url, { method: "POST", path: "/readyz", body: {} });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });

  it("answers a bad URL and an unknown route in the same shape", async () => {
    const bad = await call(t.svc.url, { method: "GET", path: "/%zz" });
    assert.equal(bad.status, 400);
    assertShape(bad.json, "bad_request");
    const unknown = await call(t.svc.url, { method: "GET", path: "/v1/models" });
    assertShape(unknown.json, "not_found");
  });
});
