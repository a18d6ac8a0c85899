import assert from "node:assert/strict";
import { explainCertificateError, verifyCertificateHints, withCertificateExplanation } from "../../../automation/driver/verify/certificate-errors";
import { formatVerifyTable, type ProbeResult } from "../../../automation/driver/verify/verify";
import { eventProgress } from "../../../automation/driver/lifecycle/orchestrate";
import type { EngineEvent, ProgressEvent } from "../../../automation/driver/stack/types";

const CERT_URN = "urn:pulumi:public::apim-aks-ai-scenarios::apim-aks-ai-scenarios:scenario:Scenario$apim-aks-ai-scenarios:kubernetes:AiBackend$kubernetes:cert-manager.io/v1:Certificate::ai-backend-certificate";

describe("driver: certificate errors explained (issue 19 item 1)", () => {
  it("the shared bucket, as letsencrypt/boulder#7447 quotes it, names the region's bucket and the private CA way out", () => {
    const text = `Failed to create Order: 429 urn:ietf:params:acme:error:rateLimited: Error creating new order :: too many certificates already issued for 'uksouth.cloudapp.azure.com': see https://letsencrypt.org/docs/rate-limits/`;
    const why = explainCertificateError(text)!;
    assert.match(why, /50 new certificates a week per registered domain is used up for uksouth\.cloudapp\.azure\.com/);
    assert.match(why, /every Azure customer in the region shares/);
    assert.match(why, /ingressCertificate=auto \(the default\) or privateCa/);
  });

  it("the current wording with a count and a retry time", () => {
    const text = `429 urn:ietf:params:acme:error:rateLimited: too many certificates (50) already issued for "swedencentral.cloudapp.azure.com" in the last 168h0m0s, retry after 2026-12-01 10:00:00 UTC: see https://letsencrypt.org/docs/rate-limits/#new-certificates-per-registered-domain`;
    const why = explainCertificateError(text)!;
    assert.match(why, /swedencentral\.cloudapp\.azure\.com, a bucket every Azure customer/);
    assert.match(why, /earliest retry: 2026-12-01 10:00:00 UTC/);
  });

  it("a domain of the user's own is not called shared", () => {
    const why = explainCertificateError("too many certificates already issued for: example.com")!;
    assert.match(why, /used up for example\.com \(/);
    assert.doesNotMatch(why, /every Azure customer/);
  });

  it("the duplicate limit (same host name, repeated up and destroy)", () => {
    assert.match(explainCertificateError("Error creating new order :: too many certificates already issued for exact set of domains: aiapim-public-x-ai.swedencentral.cloudapp.azure.com")!, /duplicate limit: 5 certificates a week/);
    assert.match(explainCertificateError("too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s")!, /duplicate limit/);
  });

  it("any other ACME rate limit", () => {
    assert.match(explainCertificateError("urn:ietf:params:acme:error:rateLimited: too many new orders recently")!, /one of its rate limits/);
  });

  it("a Certificate that never became Ready (pulumi-kubernetes does not surface cert-manager's message)", () => {
    const why = explainCertificateError("timed out waiting for the condition", CERT_URN)!;
    assert.match(why, /never became Ready/);
    assert.match(why, /kubectl -n ai-api describe certificate,order,challenge/);
  });

  it("leaves everything else alone", () => {
    assert.equal(explainCertificateError("timed out waiting for the condition", CERT_URN.replace("cert-manager.io/v1:Certificate", "apps/v1:Deployment")), undefined);
    assert.equal(explainCertificateError("Code=\"InvalidTemplateDeployment\""), undefined);
    assert.equal(withCertificateExplanation("plain"), "plain");
  });

  it("up's error messages carry the explanation (eventProgress)", () => {
    const events: ProgressEvent[] = [];
    const handle = eventProgress("public", (e) => events.push(e));
    handle({ sequence: 1, timestamp: 0, diagnosticEvent: { urn: CERT_URN, message: "resource ai-api was not ready: timed out", severity: "error", color: "never", prefix: "error: " } } as unknown as EngineEvent);
    const message = events.find((e) => e.kind === "message") as Extract<ProgressEvent, { kind: "message" }>;
    assert.match(message.text, /^resource ai-api was not ready: timed out\nThe ingress certificate never became Ready/);
  });

  describe("verify", () => {
    const probe = (name: string, verdict: ProbeResult["verdict"], tlsNote?: string): ProbeResult => ({
      name,
      from: "internet",
      why: "w",
      url: "https://x",
      expected: "200",
      observed: "500",
      verdict,
      attempts: 1,
      durationMs: 1000,
      statuses: [],
      ...(tlsNote ? { tlsNote } : {}),
    });
    const report = (results: ProbeResult[]) => ({ stack: "consumption", results, passed: 0, failed: results.filter((r) => r.verdict === "fail").length, notRun: 0, durationMs: 1 });

    it("a failing run that met Traefik's default (self-signed) certificate says cert-manager has not issued one, and where to look", () => {
      const lines = formatVerifyTable(report([probe("apim-accepts-key", "fail"), probe("backend-answers-direct-call", "pass", "certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)")]));
      const hint = lines.find((l) => l.startsWith("  certificate:"));
      assert.ok(hint, lines.join("\n"));
      assert.match(hint, /Traefik's default: cert-manager has not issued the ingress certificate/);
      assert.match(hint, /too many certificates already issued/);
      assert.match(lines.at(-1)!, /^consumption: /, "the summary stays last");
    });

    it("no hint for the private CA's leaf (another TLS error) or when every probe passes", () => {
      assert.deepEqual(verifyCertificateHints([probe("a", "fail"), probe("b", "pass", "certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)")]), []);
      assert.deepEqual(verifyCertificateHints([probe("b", "pass", "certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)")]), []);
    });
  });
});
