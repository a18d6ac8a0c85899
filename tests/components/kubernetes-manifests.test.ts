import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hashSync } from "bcryptjs";
import { acrBuildCommand, contentTag } from "../../components/AppImage";
import { pemToBase64Der } from "../../components/ApiGateway";
import {
  basicAuthUsers,
  certManagerValues,
  ipAllowListMiddleware,
  middlewareRef,
  traefikIngressPolicy,
  traefikValues,
  websecureAllowListPolicy,
} from "../../components/kubernetes-manifests";
import { authenticationBasic, PolicyOptionError } from "../../components/policies";

const RESOURCES = { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } };

describe("components/kubernetes-manifests and friends", () => {
  it("refuses an allow-list that admits nobody (Traefik would treat it as no rule)", () => {
    assert.throws(() => ipAllowListMiddleware("ai-api", "apim-only", []), /at least one source range/);
    assert.equal(middlewareRef("ai-api", "apim-only"), "ai-api-apim-only@kubernetescrd");
  });

  it("opens port 80 only on a public load balancer, and a private one only to the given ranges", () => {
    const pub = traefikIngressPolicy("traefik", { kind: "public", dnsLabel: "x" }, "cert-manager");
    assert.equal((pub.spec.ingress ?? []).length, 2, "the internet, and cert-manager's self-check");
    const priv = traefikIngressPolicy("traefik", { kind: "internal", subnetName: "s", ipAddress: "10.0.2.4", allowedSourceRanges: ["10.0.1.0/27"] }, "cert-manager");
    assert.deepEqual(priv.spec.ingress, [{ from: [{ ipBlock: { cidr: "10.0.1.0/27" } }], ports: [{ protocol: "TCP", port: 8443 }] }]);
    const values = traefikValues({ exposure: { kind: "internal", subnetName: "s", ipAddress: "10.0.2.4", allowedSourceRanges: [] }, replicas: 1, resources: RESOURCES }) as any;
    assert.equal(values.podDisruptionBudget.enabled, false, "a PDB on one replica would block node drains");
  });

  it("keeps APIM's backend password out of the policy: only a named value reference is accepted", () => {
    assert.throws(() => authenticationBasic({ username: "apim", password: "hunter2" }), PolicyOptionError);
    assert.match(authenticationBasic({ username: "apim", password: "{{ingress-password}}" }).xml, /password="\{\{ingress-password\}\}"/);
  });

  it("turns a PEM certificate into the base64 DER body APIM takes, and refuses anything else", () => {
    assert.equal(pemToBase64Der("-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n"), "QUJDREVG");
    assert.throws(() => pemToBase64Der("-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----"), /not a PEM certificate/);
  });

  it("tags the image by the content of its inputs: same content, same tag; any change, a new one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tag-"));
    try {
      fs.mkdirSync(path.join(dir, "src"));
      fs.writeFileSync(path.join(dir, "a.json"), "{}");
      fs.writeFileSync(path.join(dir, "src", "b.ts"), "export {}");
      const inputs = ["a.json", "src"];
      const first = contentTag(dir, inputs);
      assert.match(first, /^[0-9a-f]{16}$/);
      assert.equal(contentTag(dir, inputs), first);
      fs.writeFileSync(path.join(dir, "src", "b.ts"), "export const x = 1;");
      assert.notEqual(contentTag(dir, inputs), first);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("makes Pulumi wait for cert-manager's webhook CA bundle, not for a hook Job helm.v4.Chart never renders", () => {
    const v = certManagerValues({ namespace: "certs", resources: RESOURCES }) as any;
    for (const key of ["mutatingWebhookConfigurationAnnotations", "validatingWebhookConfigurationAnnotations"]) {
      assert.equal(v.webhook[key]["pulumi.com/waitFor"], "jsonpath={.webhooks[*].clientConfig.caBundle}", key);
    }
    assert.equal(v.startupapicheck.enabled, false);
  });

  it("puts cert-manager's leader election in the namespace it is given", () => {
    assert.equal((certManagerValues({ namespace: "certs", resources: RESOURCES }) as any).global.leaderElection.namespace, "certs");
  });

  it("closes HTTPS on a public load balancer to all but the allow-list when asked, keeping port 80 for HTTP-01", () => {
    const pub = traefikIngressPolicy("traefik", { kind: "public", dnsLabel: "x" }, "cert-manager", { websecureFromAllowListOnly: true });
    assert.deepEqual(
      (pub.spec.ingress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port)),
      [8000, 8000],
    );
    const tls = websecureAllowListPolicy("traefik", "allow-websecure-apim-only", ["198.51.100.0/24"]);
    assert.deepEqual(tls.spec.ingress, [{ from: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ protocol: "TCP", port: 8443 }] }]);
    assert.deepEqual(tls.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "traefik" } });
    assert.throws(() => websecureAllowListPolicy("traefik", "x", []), /at least one source range/);
  });

  it("writes Traefik basic-auth users with a bcrypt hash and refuses a plain password", () => {
    const hash = hashSync("correct horse battery staple", 4);
    assert.equal(basicAuthUsers("apim", hash), `apim:${hash}`);
    assert.throws(() => basicAuthUsers("apim", "correct horse battery staple"), /bcrypt hash, not a password/);
    assert.throws(() => basicAuthUsers("a:b", hash), /without ":"/);
  });

  it("builds the image with az in the given subscription", () => {
    assert.equal(
      acrBuildCommand({ subscriptionId: "sub-1", registry: "acr1", image: "ai-api:abc" }),
      "az acr build --subscription sub-1 --registry acr1 --image ai-api:abc --file app/Dockerfile --no-logs .",
    );
  });
});
