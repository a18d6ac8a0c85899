/**
 * The CertManager component on its own: the chart, and the one ClusterIssuer every Certificate uses, either
 * Let's Encrypt or a private CA whose certificate APIM is told to trust.
 */
import assert from "node:assert/strict";
import { evaluateProgram, type Evaluation, SECRET } from "../../automation/mock-engine";
import { CertManager, type IssuerChoice } from "../../components/CertManager";
import { ACME_SERVERS, WEBHOOK_CA_BUNDLE_WAIT } from "../../components/kubernetes-manifests";
import { ofType, one } from "../helpers/graph";
import { K8S, simulatedClusterProvider } from "../helpers/kubernetes";

const T = {
  component: "apim-aks-ai:kubernetes:CertManager",
  key: "tls:index/privateKey:PrivateKey",
  ca: "tls:index/selfSignedCert:SelfSignedCert",
} as const;

async function build(issuer: IssuerChoice): Promise<Evaluation> {
  return evaluateProgram(() => {
    const cm = new CertManager("cert-manager", {
      provider: simulatedClusterProvider(),
      namespace: "cert-manager",
      chartRepo: "https://charts.jetstack.io",
      chartVersion: "v1.18.2",
      issuer,
    });
    return { issuerName: cm.issuerName, ...(cm.caCertificatePem ? { caCertificatePem: cm.caCertificatePem } : {}) };
  }, { project: "test", stack: "t" });
}

const manifest = (e: Evaluation) => one(e, K8S.clusterIssuer).inputs as Record<string, any>;

describe("components/CertManager", () => {
  let acme: Evaluation;
  let privateCa: Evaluation;
  before(async () => {
    acme = await build({ kind: "acme", server: "staging", email: "ops@example.com" });
    privateCa = await build({ kind: "privateCa", commonName: "test private CA" });
  });

  it("installs the chart with its CRDs kept, waiting for the webhook's CA bundle, after its namespace and policies", () => {
    const chart = one(acme, K8S.chart);
    const values = chart.inputs.values as Record<string, any>;
    assert.deepEqual(values.crds, { enabled: true, keep: true });
    assert.deepEqual(values.webhook.validatingWebhookConfigurationAnnotations, WEBHOOK_CA_BUNDLE_WAIT);
    assert.equal(values.startupapicheck.enabled, false, "a Helm hook helm.v4.Chart never renders");
    const ns = one(acme, K8S.namespace);
    for (const dep of [ns, ...ofType(acme, K8S.networkPolicy)]) assert.ok(chart.dependencies.includes(dep.urn), dep.name);
    assert.deepEqual(ofType(acme, K8S.networkPolicy).map((p) => (p.inputs.metadata as any).name).sort(), ["allow-webhook", "default-deny"]);
  });

  it("with Let's Encrypt: an ACME ClusterIssuer on the chosen server, answered by Traefik, created after the chart; no CA", () => {
    const issuer = manifest(acme);
    assert.equal(issuer.metadata.name, "letsencrypt-staging");
    assert.equal(issuer.spec.acme.server, ACME_SERVERS.staging);
    assert.equal(issuer.spec.acme.email, "ops@example.com");
    assert.deepEqual(issuer.spec.acme.solvers, [{ http01: { ingress: { ingressClassName: "traefik" } } }]);
    assert.ok(one(acme, K8S.clusterIssuer).dependencies.includes(one(acme, K8S.chart).urn));
    assert.equal(acme.outputs.issuerName.value, "letsencrypt-staging");
    assert.equal(ofType(acme, T.ca).length, 0);
    assert.equal(ofType(acme, K8S.secret).length, 0);
    assert.equal(one(acme, T.component).outputs.caCertificatePem, undefined);
  });

  it("with a private CA: an ECDSA P-256 CA that may sign certificates, kept in a TLS Secret the CA issuer reads", () => {
    const key = one(privateCa, T.key);
    assert.deepEqual([key.inputs.algorithm, key.inputs.ecdsaCurve], ["ECDSA", "P256"]);
    const ca = one(privateCa, T.ca).inputs;
    assert.equal(ca.isCaCertificate, true);
    assert.deepEqual(ca.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
    assert.equal((ca.subject as any).commonName, "test private CA");
    const secret = one(privateCa, K8S.secret).inputs as Record<string, any>;
    assert.deepEqual(secret.metadata, { name: "private-ca", namespace: "cert-manager" });
    assert.equal(secret.type, "kubernetes.io/tls");
    assert.equal(secret.stringData, SECRET, "the CA's private key travels only as a secret");
    assert.deepEqual(manifest(privateCa).spec, { ca: { secretName: "private-ca" } });
    assert.equal(privateCa.outputs.issuerName.value, "private-ca");
  });

  it("hands out the CA certificate (not the key) for APIM to trust, as PEM", () => {
    const pem = String(privateCa.outputs.caCertificatePem.value);
    assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
    assert.doesNotMatch(pem, /PRIVATE KEY/);
    assert.ok(one(privateCa, T.component).outputs.caCertificatePem);
  });
});
