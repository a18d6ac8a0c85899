import assert from "node:assert/strict";
import { createHttpFetch, type HttpFetch } from "../../app/src/http-fetch";
import { sendJson, startUpstream, type UpstreamStub } from "./helpers/upstream";

describe("app upstream transport", () => {
  let stub: UpstreamStub;
  let fetch: HttpFetch;

  beforeEach(async () => {
    stub = await startUpstream();
    fetch = createHttpFetch();
  });
  afterEach(async () => {
    fetch.close();
    await stub.close();
  });

  it("sends method, headers and body, and returns status, headers and body", async () => {
    stub.script = (req, res) => sendJson(res, 201, { echo: req.body, auth: req.headers.authorization }, { "x-upstream": "yes" });
    const res = await fetch(`${stub.url}/anything`, {
      method: "POST",
      headers: new Headers({ authorization: "Bearer t", "content-type": "application/json" }),
      body: JSON.stringify({ a: "ü" }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("x-upstream"), "yes");
    assert.deepEqual(await res.json(), { echo: { a: "ü" }, auth: "Bearer t" });
    assert.equal(stub.requests[0]!.headers["content-length"], String(Buffer.byteLength('{"a":"ü"}')));
  });

  it("reuses one keep-alive connection for sequential calls", async () => {
    const ports = new Set<number>();
    stub.script = (_req, res) => {
      ports.add(res.socket!.remotePort!);
      sendJson(res, 200, {});
    };
    for (let i = 0; i < 5; i++) await (await fetch(`${stub.url}/x`)).json();
    assert.equal(ports.size, 1);
  });

  it("rejects what the SDK never sends", async () => {
    await assert.rejects(fetch(`ftp://127.0.0.1/`), /unsupported protocol/);
    await assert.rejects(fetch(`${stub.url}/x`, { method: "POST", body: new Uint8Array([1]) }), /only string bodies/);
  });

  it("rejects when aborted", async () => {
    stub.script = () => undefined;
    const controller = new AbortController();
    const pending = fetch(`${stub.url}/x`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, { name: "AbortError" });
  });
});
