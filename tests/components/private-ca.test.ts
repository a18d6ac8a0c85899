/**
 * The private CAs the program makes (components/private-ca.ts): the CA's settings, and the tls resources of the
 * three components that make one (CertManager, ClientCertificates, AppGateway) with the names, types and parents
 * they had before they shared the function, so that existing stacks see no replacement.
 */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../automation/evaluate";
import { CA_VALIDITY_HOURS, caCertificateArgs, CERTIFICATE_ORGANIZATION, keyArgs } from "../../components/private-ca";
import { CONFIG_NAMESPACE } from "../../config/load";

/** The tls resources' URNs (after `urn:pulumi:<stack>::<project>::`) and their parents' names, as before the change. */
const RECORDED = {
  edge: [
    "apim-aks-ai:edge:AppGateway$tls:index/certRequest:CertRequest::edge-listener-csr <- edge",
    "apim-aks-ai:edge:AppGateway$tls:index/locallySignedCert:LocallySignedCert::edge-listener-cert <- edge",
    "apim-aks-ai:edge:AppGateway$tls:index/privateKey:PrivateKey::edge-ca-key <- edge",
    "apim-aks-ai:edge:AppGateway$tls:index/privateKey:PrivateKey::edge-listener-key <- edge",
    "apim-aks-ai:edge:AppGateway$tls:index/selfSignedCert:SelfSignedCert::edge-ca <- edge",
    "apim-aks-ai:kubernetes:CertManager$tls:index/privateKey:PrivateKey::cert-manager-ca-key <- cert-manager",
    "apim-aks-ai:kubernetes:CertManager$tls:index/selfSignedCert:SelfSignedCert::cert-manager-ca <- cert-manager",
  ],
  clientCertificates: [
    "apim-aks-ai:gateway:ClientCertificates$tls:index/certRequest:CertRequest::client-certificates-client-csr <- client-certificates",
    "apim-aks-ai:gateway:ClientCertificates$tls:index/locallySignedCert:LocallySignedCert::client-certificates-client <- client-certificates",
    "apim-aks-ai:gateway:ClientCertificates$tls:index/privateKey:PrivateKey::client-certificates-ca-key <- client-certificates",
    "apim-aks-ai:gateway:ClientCertificates$tls:index/privateKey:PrivateKey::client-certificates-client-key <- client-certificates",
    "apim-aks-ai:gateway:ClientCertificates$tls:index/selfSignedCert:SelfSignedCert::client-certificates-ca <- client-certificates",
    "apim-aks-ai:kubernetes:CertManager$tls:index/privateKey:PrivateKey::cert-manager-ca-key <- cert-manager",
    "apim-aks-ai:kubernetes:CertManager$tls:index/selfSignedCert:SelfSignedCert::cert-manager-ca <- cert-manager",
  ],
};

async function tlsUrns(overrides: Record<string, unknown>, stack: string): Promise<string[]> {
  const e = await evaluateScenario("internal", { overrides, stack });
  const prefix = `urn:pulumi:${stack}::${CONFIG_NAMESPACE}::`;
  const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
  return e.resources
    .filter((r) => r.type.startsWith("tls:"))
    .map((r) => {
      assert.ok(r.urn.startsWith(prefix), r.urn);
      return `${r.urn.slice(prefix.length)} <- ${byUrn.get(r.parent ?? "")?.name}`;
    })
    .sort();
}

describe("components/private-ca", function () {
  this.timeout(120_000);

  it("makes CAs that may only sign, for ten years, under the project's organization, with an RSA 2048 or ECDSA P-256 key", () => {
    assert.equal(CA_VALIDITY_HOURS, 87_600);
    assert.deepEqual(caCertificateArgs("test CA"), {
      isCaCertificate: true,
      subject: { commonName: "test CA", organization: CERTIFICATE_ORGANIZATION },
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
    assert.equal(caCertificateArgs("short", 24).validityPeriodHours, 24);
    assert.deepEqual(keyArgs("rsa"), { algorithm: "RSA", rsaBits: 2048 });
    assert.deepEqual(keyArgs("ecdsa"), { algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it("keeps the names, types and parents the edge's and the ingress's CA resources had (internal, edge=appgw-waf)", async () => {
    assert.deepEqual(await tlsUrns({ edge: "appgw-waf" }, "internal-edge"), RECORDED.edge);
  });

  it("keeps the names, types and parents the client CA's and the ingress's CA resources had (internal, apimClientCertificates)", async () => {
    assert.deepEqual(await tlsUrns({ apimClientCertificates: true }, "internal-client-cert"), RECORDED.clientCertificates);
  });
});
