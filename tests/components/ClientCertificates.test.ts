/**
 * The ClientCertificates component on its own (issue 20 part 3): a CA for API callers and the client certificate
 * it signs for verify, both from @pulumi/tls, the keys secret; and the pure pieces the gateway uses (thumbprint,
 * which tiers trust a CA and which pin certificates).
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { evaluateProgram, type Evaluation, SECRET } from "../../automation/mock-engine";
import { issueChain } from "../../automation/driver/verify/client-certificates";
import { certificateThumbprint, ClientCertificates, clientCertificateTrust, pemToBase64Der } from "../../components/ClientCertificates";
import { apimTrustsPrivateCa } from "../../config/certificates";
import { ALL_TIERS, CLASSIC_TIERS } from "../../components/policy-support";
import { one } from "../helpers/graph";

const T = {
  component: "apim-aks-ai:gateway:ClientCertificates",
  key: "tls:index/privateKey:PrivateKey",
  ca: "tls:index/selfSignedCert:SelfSignedCert",
  csr: "tls:index/certRequest:CertRequest",
  signed: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

describe("components/ClientCertificates", () => {
  let e: Evaluation;
  before(async () => {
    e = await evaluateProgram(
      () => {
        const c = new ClientCertificates("client-certificates", { caCommonName: "aiapim public client CA", clientCommonName: "aiapim public verify" });
        return { ca: c.caCertificatePem, cert: c.clientCertificatePem, key: c.clientPrivateKeyPem, caThumbprint: c.caThumbprint, thumbprint: c.clientThumbprint };
      },
      { project: "test", stack: "t" },
    );
  });

  it("creates an RSA CA that may only sign, and a client certificate for client authentication signed by it", () => {
    const keys = e.resources.filter((r) => r.type === T.key);
    assert.deepEqual(keys.map((k) => [k.name, k.inputs.algorithm, k.inputs.rsaBits]), [
      ["client-certificates-ca-key", "RSA", 2048],
      ["client-certificates-client-key", "RSA", 2048],
    ]);
    const ca = one(e, T.ca).inputs as Record<string, any>;
    assert.equal(ca.isCaCertificate, true);
    assert.deepEqual(ca.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
    assert.equal(ca.subject.commonName, "aiapim public client CA");
    const signed = one(e, T.signed);
    assert.deepEqual(signed.inputs.allowedUses, ["client_auth", "digital_signature", "key_encipherment"]);
    assert.equal(signed.inputs.validityPeriodHours, 24 * 365);
    assert.equal((one(e, T.csr).inputs.subject as any).commonName, "aiapim public verify");
    // Signed with the CA's key and certificate: the registration depends on both.
    assert.ok(signed.dependencies.includes(one(e, T.ca).urn));
    assert.ok(signed.dependencies.includes(keys[0].urn));
    assert.equal(signed.inputs.caPrivateKeyPem, SECRET, "the CA's key travels only as a secret");
  });

  it("hands out the certificates and thumbprints in the open and the client's key only as a secret", () => {
    assert.equal(e.outputs.key.secret, true);
    assert.equal(e.outputs.cert.secret, false);
    assert.match(String(e.outputs.cert.value), /^-----BEGIN CERTIFICATE-----/);
    assert.equal(e.outputs.thumbprint.value, certificateThumbprint(String(e.outputs.cert.value)));
    assert.equal(e.outputs.caThumbprint.value, certificateThumbprint(String(e.outputs.ca.value)));
    assert.equal(one(e, T.component).outputs.clientPrivateKeyPem, SECRET);
  });

  it("computes the thumbprint as .NET does: SHA-1 of the DER, upper-case hex (node's fingerprint without colons)", () => {
    const { leaf } = issueChain({ caCommonName: "ca", commonName: "c", usage: "client" });
    assert.equal(certificateThumbprint(leaf.certPem), new X509Certificate(leaf.certPem).fingerprint.replace(/:/g, ""));
    assert.match(certificateThumbprint(leaf.certPem), /^[0-9A-F]{40}$/);
    assert.equal(pemToBase64Der("-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n"), "QUJDREVG");
  });

  it("trusts the CA on classic tiers (which have a CA store) and pins the issued certificates elsewhere", () => {
    for (const tier of ALL_TIERS) {
      const trust = clientCertificateTrust(tier, "CA", ["LEAF"]);
      if ((CLASSIC_TIERS as readonly string[]).includes(tier)) {
        assert.ok(apimTrustsPrivateCa(tier), tier);
        assert.deepEqual(trust, { kind: "ca", caThumbprint: "CA" }, tier);
      } else {
        assert.ok(!apimTrustsPrivateCa(tier), tier);
        assert.deepEqual(trust, { kind: "pinned", thumbprints: ["LEAF"] }, tier);
      }
    }
  });
});
