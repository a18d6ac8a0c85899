import assert from "node:assert/strict";
import { apimTrustsPrivateCa, certificatePath, certificateProblems } from "../../config/certificates";
import { defaultsFor } from "../../config/defaults";
import { crossFieldProblems } from "../../config/rules";
import { APIM_SKUS } from "../../config/schema";

describe("config: the ingress certificate path (issue 19 item 1)", () => {
  it("only the classic tiers can trust a private CA (CA certificates: Developer, Basic, Standard, Premium)", () => {
    assert.deepEqual(
      APIM_SKUS.filter(apimTrustsPrivateCa),
      ["Developer", "Basic", "Standard", "Premium"],
    );
  });

  it("defaults: the private CA everywhere the tier allows; Let's Encrypt, from the region's shared limit, only for the Consumption tier", () => {
    assert.equal(certificatePath(defaultsFor("public")).path, "privateCa");
    assert.equal(certificatePath(defaultsFor("external")).path, "privateCa");
    assert.equal(certificatePath(defaultsFor("internal")).path, "privateCa");
    const consumption = certificatePath(defaultsFor("consumption"));
    assert.equal(consumption.path, "letsencrypt");
    assert.equal(consumption.sharedRateLimit, true);
    assert.match(consumption.reason, /Consumption tier cannot trust a private CA/);
  });

  it("follows the tier, not the scenario name: public on a v2 tier needs Let's Encrypt, consumption on Developer does not", () => {
    assert.equal(certificatePath({ scenario: "public", apimSku: "BasicV2" }).path, "letsencrypt");
    assert.equal(certificatePath({ scenario: "consumption", apimSku: "Developer" }).path, "privateCa");
  });

  it("ingressCertificate=letsencrypt is honoured on a public ingress", () => {
    assert.equal(certificatePath({ scenario: "public", apimSku: "Developer", ingressCertificate: "letsencrypt" }).path, "letsencrypt");
  });

  it("ingressDomain takes Consumption's Let's Encrypt certificate out of the region's shared bucket", () => {
    const d = certificatePath({ scenario: "consumption", apimSku: "Consumption", ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "dns" });
    assert.equal(d.path, "letsencrypt");
    assert.equal(d.sharedRateLimit, false);
    assert.match(d.reason, /labs\.contoso\.com, from that domain's own rate limit/);
  });

  it("ingressDomain needs a public ingress and its zone's resource group", () => {
    assert.equal(certificateProblems({ scenario: "internal", apimSku: "Developer", ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "dns" })[0].key, "ingressDomain");
    assert.equal(certificateProblems({ scenario: "consumption", apimSku: "Consumption", ingressDomain: "labs.contoso.com" })[0].key, "ingressDomainResourceGroup");
    assert.equal(certificateProblems({ scenario: "public", apimSku: "Developer", ingressDomainResourceGroup: "dns" })[0].key, "ingressDomainResourceGroup");
  });

  it("refuses a path the scenario or the tier cannot serve", () => {
    assert.match(certificateProblems({ scenario: "external", apimSku: "Developer", ingressCertificate: "letsencrypt" })[0].message, /no public ingress/);
    assert.match(certificateProblems({ scenario: "consumption", apimSku: "Consumption", ingressCertificate: "privateCa" })[0].message, /cannot trust a private CA/);
    assert.deepEqual(certificateProblems({ scenario: "consumption", apimSku: "Standard", ingressCertificate: "privateCa" }), []);
    const problems = crossFieldProblems({ ...defaultsFor("public"), apimSku: "StandardV2", apimCapacity: 1, apimSharedSourceRanges: ["10.0.0.0/8"], ingressCertificate: "privateCa" });
    assert.ok(problems.some((p) => p.key === "ingressCertificate"), JSON.stringify(problems));
  });
});
