import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { contentTag } from "../../components/AppImage";
import { pemToBase64Der } from "../../components/ApiGateway";
import { ipAllowListMiddleware, middlewareRef, traefikIngressPolicy, traefikValues } from "../../components/kubernetes-manifests";
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
});
