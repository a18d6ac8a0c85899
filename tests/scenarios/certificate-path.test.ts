/**
 * Issue 19 item 1 on the real scenario graph: the ingress certificate comes from the private CA APIM trusts
 * wherever the tier can trust one, so no first deploy waits on the Let's Encrypt limit every Azure customer
 * in the region shares; and issue 19 item 4: the AKS audit log category.
 */
import assert from "node:assert/strict";
import type { ScenarioEvaluation } from "../../automation/evaluate";
import { policyOutcome } from "../../automation/plan/run";
import { aksLogCategories } from "../../components/AksCluster";
import { apimTrustsPrivateCa, certificatePath } from "../../config/certificates";
import { defaultsFor } from "../../config/defaults";
import { SCENARIO_NAMES } from "../../config/schema";
import { evaluated, evaluatedWith, one, ofType, T } from "./helpers";

const ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const SECRET = "kubernetes:core/v1:Secret";
const DIAG = "azure-native:monitor:DiagnosticSetting";

const issuerSpec = (e: ScenarioEvaluation) => one(e, ISSUER).inputs.spec as { ca?: { secretName: string }; acme?: { server: string } };


describe("scenarios: the ingress certificate path (issue 19 item 1)", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: the graph's issuer is the path config/certificates.ts decides, and APIM trusts a private CA it signs with`, async () => {
      const e = await evaluated(scenario);
      const decision = certificatePath(defaultsFor(scenario));
      const apim = one(e, T.apim);
      if (decision.path === "privateCa" && !apimTrustsPrivateCa(defaultsFor(scenario).apimSku)) {
        // A v2 tier has no CA store: no Root certificate, and a backend entity checks the name only (integrated).
        assert.ok(issuerSpec(e).ca, "a CA issuer");
        assert.equal(apim.inputs.certificates, undefined);
        const backend = one(e, "azure-native:apimanagement:Backend", (b) => b.inputs.backendId === "ai-api-backend");
        assert.deepEqual(backend.inputs.tls, { validateCertificateChain: false, validateCertificateName: true });
      } else if (decision.path === "privateCa") {
        assert.ok(issuerSpec(e).ca, "a CA issuer");
        assert.equal(issuerSpec(e).acme, undefined);
        const roots = apim.inputs.certificates as { encodedCertificate: string; storeName: string }[];
        assert.equal(roots.length, 1);
        assert.equal(roots[0].storeName, "Root");
        const ca = one(e, "tls:index/selfSignedCert:SelfSignedCert");
        assert.ok(apim.dependencies.includes(ca.urn), "APIM's Root store holds the CA the issuer signs with");
        assert.ok(one(e, SECRET, (s) => (s.inputs.metadata as { name?: string })?.name === issuerSpec(e).ca!.secretName).dependencies.includes(ca.urn));
      } else {
        assert.equal(issuerSpec(e).acme?.server, "https://acme-v02.api.letsencrypt.org/directory");
        assert.equal(apim.inputs.certificates, undefined);
      }
    });
  }

  it("public (Developer) no longer depends on Let's Encrypt; consumption (Consumption tier) still does", async () => {
    assert.ok(issuerSpec(await evaluated("public")).ca, "public: private CA");
    assert.ok(issuerSpec(await evaluated("consumption")).acme, "consumption: Let's Encrypt");
  });

  it("consumption on a classic tier (Developer) takes the private CA too", async () => {
    const e = await evaluatedWith("consumption", { apimSku: "Developer", apimCapacity: 1 });
    assert.ok(issuerSpec(e).ca);
    assert.equal((one(e, T.apim).inputs.certificates as unknown[]).length, 1);
  });

  it("ingressCertificate=letsencrypt brings Let's Encrypt back on public, and APIM trusts no private CA", async () => {
    const e = await evaluatedWith("public", { ingressCertificate: "letsencrypt" });
    assert.ok(issuerSpec(e).acme);
    assert.equal(one(e, T.apim).inputs.certificates, undefined);
    assert.equal(ofType(e, SECRET).filter((s) => (s.inputs.metadata as { name?: string })?.name === "private-ca").length, 0);
  });
});

describe("scenarios: ingressDomain, the user's own zone (issue 19 item 1)", () => {
  it("consumption with ingressDomain: a CNAME in the user's zone to the Azure name, and everything on the user's host", async () => {
    const e = await evaluatedWith("consumption", { ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "dns-rg" });
    const record = one(e, "azure-native:dns:RecordSet");
    assert.equal(record.inputs.zoneName, "labs.contoso.com");
    assert.equal(record.inputs.resourceGroupName, "dns-rg");
    assert.equal(record.inputs.recordType, "CNAME");
    const label = String(record.inputs.relativeRecordSetName);
    assert.match(label, /-ai$/);
    assert.equal((record.inputs.cnameRecord as { cname: string }).cname, `${label}.swedencentral.cloudapp.azure.com`);
    const host = `${label}.labs.contoso.com`;
    assert.equal(e.outputs.backendHost.value, host);
    assert.equal(one(e, T.api, (a) => a.inputs.apiId === "ai-api").inputs.serviceUrl, `https://${host}`);
    const cert = one(e, "kubernetes:cert-manager.io/v1:Certificate");
    assert.deepEqual((cert.inputs.spec as { dnsNames: string[] }).dnsNames, [host]);
    assert.ok(cert.dependencies.includes(record.urn), "the certificate waits for the record");
    assert.ok(issuerSpec(e).acme, "Consumption still needs Let's Encrypt, now from the user's domain's limit");
    const policy = policyOutcome(e);
    assert.ok(policy.ok, policy.summary);
  });

  it("the policy pack passes the variants: public on Let's Encrypt, consumption on Developer", async () => {
    for (const e of [await evaluatedWith("public", { ingressCertificate: "letsencrypt" }), await evaluatedWith("consumption", { apimSku: "Developer", apimCapacity: 1 })]) {
      const policy = policyOutcome(e);
      assert.ok(policy.ok, policy.summary);
    }
  });

  it("without ingressDomain no DNS record is written", async () => {
    assert.equal(ofType(await evaluated("consumption"), "azure-native:dns:RecordSet").length, 0);
  });
});

describe("scenarios: AKS audit logs (issue 19 item 4)", () => {
  const aksDiag = (e: ScenarioEvaluation) => one(e, DIAG, (d) => d.dependencies.includes(one(e, T.aks).urn) || String(d.name).startsWith("aks"));
  const categories = (e: ScenarioEvaluation) => (aksDiag(e).inputs.logs as { category?: string; categoryGroup?: string }[]).map((l) => l.category ?? `group:${l.categoryGroup}`);

  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: kube-audit-admin, not kube-audit, and no allLogs group (which holds both)`, async () => {
      const got = categories(await evaluated(scenario));
      assert.ok(got.includes("kube-audit-admin"));
      assert.ok(!got.includes("kube-audit"));
      assert.ok(!got.includes("group:allLogs"));
      assert.deepEqual(got, aksLogCategories("admin").map((l) => l.category));
    });
  }

  it("aksAuditLog=all adds kube-audit", async () => {
    const got = categories(await evaluatedWith("public", { aksAuditLog: "all" }));
    assert.ok(got.includes("kube-audit") && got.includes("kube-audit-admin"));
  });
});
