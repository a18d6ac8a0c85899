import assert from "node:assert/strict";
import { apiVersionBefore } from "../../app/src/config";
import { clientErrorResponse } from "../../app/src/errors";
import { isPassedThrough, mapConnectionError, mapUpstreamStatus } from "../../app/src/upstream";

const err = (code: string) => Object.assign(new Error(code), { code });
const codeOf = (code: string, started = false, stream = false) => mapConnectionError(err(code), started, stream).code;

describe("app upstream mapping", () => {
  it("calls only failures to connect unreachable", () => {
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "CERT_HAS_EXPIRED"]) assert.equal(codeOf(code), "upstream_unreachable", code);
    assert.equal(codeOf("UND_ERR_SOCKET"), "upstream_interrupted");
    assert.equal(codeOf("ECONNRESET", true), "upstream_interrupted");
    assert.equal(codeOf("SOMETHING_ELSE"), "upstream_error");
  });

  it("calls broken HTTP an invalid response, before or after the answer began", () => {
    for (const started of [false, true]) {
      assert.equal(codeOf("HPE_INVALID_CONSTANT", started), "upstream_invalid_response");
      assert.equal(codeOf("UND_ERR_RES_CONTENT_LENGTH_MISMATCH", started), "upstream_invalid_response");
    }
  });

  it("tells a late answer from a stream that stopped", () => {
    assert.deepEqual(
      [codeOf("UND_ERR_HEADERS_TIMEOUT"), mapConnectionError(err("UND_ERR_BODY_TIMEOUT"), true, true).message],
      ["upstream_timeout", "the model endpoint stopped sending"],
    );
    assert.equal(mapConnectionError(err("UND_ERR_HEADERS_TIMEOUT"), false, false).status, 504);
  });

  it("maps upstream statuses and keeps request-level detail only for 4xx the client caused", () => {
    const body = (e: object) => Buffer.from(JSON.stringify({ error: e }));
    const rejected = mapUpstreamStatus(422, { "apim-request-id": "r" }, body({ code: "bad", message: "m", param: "p", innererror: { x: 1 } }));
    assert.deepEqual([rejected.status, rejected.code, rejected.param, rejected.innererror, rejected.upstreamRequestId], [422, "bad", "p", { x: 1 }, "r"]);
    const huge = mapUpstreamStatus(400, {}, body({ code: "c", message: "m", innererror: { blob: "x".repeat(20_000) } }));
    assert.equal(huge.innererror, undefined);
    const notJson = mapUpstreamStatus(400, {}, Buffer.from("<html>"));
    assert.deepEqual([notJson.code, notJson.message], ["upstream_rejected_request", "the model endpoint rejected the request"]);
    const failed = mapUpstreamStatus(500, {}, body({ message: "internal secret" }));
    assert.deepEqual([failed.status, failed.code, failed.message], [502, "upstream_error", "the model endpoint failed to answer"]);
    assert.equal(mapUpstreamStatus(403, {}, Buffer.alloc(0)).code, "upstream_refused");
    assert.equal(mapUpstreamStatus(408, {}, Buffer.alloc(0)).status, 504);
  });

  it("passes on the rate-limit, retry and request-id headers only", () => {
    const names = ["x-ratelimit-remaining-tokens", "x-ratelimit-remaining-requests", "retry-after", "retry-after-ms", "apim-request-id"];
    for (const name of names) assert.equal(isPassedThrough(name), true, name);
    for (const name of ["x-ratelimit-limit-tokens", "set-cookie", "x-ms-region", "server", "azureml-model-session"]) assert.equal(isPassedThrough(name), false, name);
  });

  it("answers Node's client errors with the right status", () => {
    assert.equal(clientErrorResponse(err("ERR_HTTP_REQUEST_TIMEOUT")).status, 408);
    assert.equal(clientErrorResponse(err("HPE_HEADER_OVERFLOW")).status, 431);
    assert.equal(clientErrorResponse(err("HPE_INVALID_HEADER_TOKEN")).body.error.code, "bad_request");
  });

  it("orders API versions by date, a preview before the GA of its day", () => {
    assert.equal(apiVersionBefore("2024-06-01", "2024-09-01-preview"), true);
    assert.equal(apiVersionBefore("2024-09-01-preview", "2024-09-01-preview"), false);
    assert.equal(apiVersionBefore("2024-10-21", "2024-09-01-preview"), false);
    assert.equal(apiVersionBefore("2025-04-01-preview", "2025-04-01"), true);
  });
});
