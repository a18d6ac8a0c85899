/**
 * Issue 20 part 3: apimClientCertificates end to end on the real evaluated graph of every tier. Classic tiers
 * upload the callers' CA to the Root store, negotiate client certificates on the gateway's default host and check
 * the chain to that CA; Consumption and the v2 tiers request certificates with enableClientCertificate and admit
 * the issued certificate by thumbprint (no CA store there). The product's policy runs validate-client-certificate
 * after the caller filter; the probes expect 401 without a certificate and with a foreign one, and present the
 * issued one everywhere else; the client's key leaves the stack only as a secret output.
 */
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { evaluateScenario, type ScenarioEvaluation } from "../../automation/evaluate";
import { parseProbes } from "../../automation/driver/verify/verify";
import { CAPACITY_RANGE, crossFieldProblems } from "../../config/rules";
import { APIM_SKUS, type ApimSku } from "../../config/schema";
import { defaultsFor } from "../../config/defaults";
import { certificateThumbprint, type ClientCertificateTrust } from "../../components/ClientCertificates";
import { composeGatewayPolicies } from "../../components/gateway-policies";
import { ALL_TIERS, CLASSIC_TIERS } from "../../components/policy-support";
import { runPolicies } from "../../policy/run";
import { analyzeScenario } from "../../automation/plan/analysis";
import { one, POLICY_SETTINGS, T } from "./helpers";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => name === "identity" });
const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false });

function inboundOrder(xml: string): string[] {
  const policies = (ordered.parse(xml) as Record<string, unknown[]>[])[0].policies as Record<string, unknown>[];
  const inbound = (policies.find((e) => "inbound" in e)?.inbound ?? []) as Record<string, unknown>[];
  return inbound.map((e) => Object.keys(e).find((k) => k !== ":@")!).filter((n) => n !== "#text");
}

const classic = (sku: ApimSku) => (CLASSIC_TIERS as readonly string[]).includes(sku);
const productPolicy = (e: ScenarioEvaluation) => String(one(e, T.productPolicy).inputs.value);
const checkOf = (e: ScenarioEvaluation) => parser.parse(productPolicy(e)).policies.inbound["validate-client-certificate"];

describe("client certificates at APIM: apimClientCertificates (issue 20 part 3)", function () {
  this.timeout(120_000);

  it("puts validate-client-certificate after the caller filter and before the token check, in every tier, omitting nothing", () => {
    for (const tier of ALL_TIERS) {
      const trust: ClientCertificateTrust = classic(tier) ? { kind: "ca", caThumbprint: "AB".repeat(20) } : { kind: "pinned", thumbprints: ["CD".repeat(20)] };
      const p = composeGatewayPolicies(tier, { ...POLICY_SETTINGS, allowedCallerRanges: ["203.0.113.7/32"], clientCertificate: trust, jwt: { issuer: "https://login.example.com/t/v2.0", audience: "api://ai" } });
      assert.deepEqual(inboundOrder(p.product).slice(0, 4), ["base", "ip-filter", "validate-client-certificate", "validate-jwt"], tier);
      assert.ok(!p.omitted.some((o) => o.startsWith("validate-client-certificate")), tier);
      assert.ok(!composeGatewayPolicies(tier, POLICY_SETTINGS).product.includes("validate-client-certificate"), `${tier}: off, no check`);
    }
  });

  for (const sku of APIM_SKUS) {
    it(`public on ${sku}: trust, certificate request and policy as the tier allows; the key a secret output`, async () => {
      const e = await evaluateScenario("public", { overrides: { apimSku: sku, apimCapacity: CAPACITY_RANGE[sku][0], apimClientCertificates: true }, stack: `public-client-cert-${sku}` });
      const apim = one(e, T.apim).inputs as Record<string, any>;
      const caPem = String(one(e, "tls:index/selfSignedCert:SelfSignedCert", (r) => r.name === "client-certificates-ca").outputs.certPem);
      const clientPem = String(e.outputs.clientCertificatePem.value);
      const check = checkOf(e);
      assert.ok(check, `${sku}: no validate-client-certificate in ${productPolicy(e)}`);
      assert.equal(check["ignore-error"], "false");
      assert.equal(check["validate-revocation"], "false", "the private CA publishes no revocation list");
      assert.equal(check["validate-not-after"], "true");
      if (classic(sku)) {
        // The CA in the Root store, next to the ingress's CA where the scenario has one.
        const roots = (apim.certificates as { encodedCertificate: string; storeName: string }[]).filter((c) => c.storeName === "Root");
        assert.ok(roots.some((c) => c.encodedCertificate === caPem.replace(/-----[^-]+-----|\s/g, "")), `${sku}: the callers' CA is not in the Root store`);
        assert.deepEqual(apim.hostnameConfigurations, [
          { type: "Proxy", hostName: `${apim.serviceName}.azure-api.net`, certificateSource: "BuiltIn", negotiateClientCertificate: true },
        ]);
        assert.ok(!("enableClientCertificate" in apim), `${sku}: classic tiers are not sent enableClientCertificate`);
        assert.equal(check["validate-trust"], "true");
        assert.deepEqual(check.identities.identity, [{ "issuer-thumbprint": certificateThumbprint(caPem) }]);
      } else {
        assert.equal(apim.enableClientCertificate, true, `${sku}: Request client certificate`);
        assert.equal(apim.hostnameConfigurations, undefined);
        assert.ok(!(apim.certificates ?? []).some((c: { encodedCertificate: string }) => c.encodedCertificate === caPem.replace(/-----[^-]+-----|\s/g, "")), `${sku} has no CA store`);
        assert.equal(check["validate-trust"], "false", `${sku}: a chain to a private CA cannot be built without a CA store`);
        assert.deepEqual(check.identities.identity, [{ thumbprint: certificateThumbprint(clientPem) }]);
      }
      assert.equal(e.outputs.clientCertificateKeyPem.secret, true);
      assert.equal(e.outputs.clientCertificatePem.secret, false);
      // The policy pack's rule on enableClientCertificate stays quiet: classic tiers get none, the others true.
      const flag = runPolicies(e).violations.filter((v) => v.policy === "apim-client-certificate-flag");
      assert.deepEqual(flag, [], `${sku}: ${flag.map((v) => v.message).join("; ")}`);
    });
  }

  it("the policy pack still refuses enableClientCertificate: false on a v2 tier, and true on a classic one", async () => {
    const e = await evaluateScenario("public", { overrides: { apimSku: "StandardV2", apimCapacity: 1, apimClientCertificates: true }, stack: "public-client-cert-StandardV2" });
    const withFlag = (sku: string, flag: boolean) => ({
      ...e,
      resources: e.resources.map((r) => (r.type === T.apim ? { ...r, inputs: { ...r.inputs, sku: { name: sku, capacity: 1 }, enableClientCertificate: flag } } : r)),
    });
    const messages = (x: ScenarioEvaluation) => runPolicies(x).violations.filter((v) => v.policy === "apim-client-certificate-flag").map((v) => v.message);
    assert.deepEqual(messages(withFlag("StandardV2", true)), []);
    assert.match(messages(withFlag("StandardV2", false)).join(), /enableClientCertificate is sent \(false\) to the StandardV2 tier/);
    assert.match(messages(withFlag("Developer", true)).join(), /enableClientCertificate is sent \(true\) to the Developer tier/);
  });

  it("public on Developer without the setting: no CA, no negotiation, no check, no certificate outputs", async () => {
    const e = await evaluateScenario("public", { stack: "public-client-cert-off" });
    const apim = one(e, T.apim).inputs as Record<string, any>;
    assert.equal(apim.hostnameConfigurations, undefined);
    assert.ok(!("enableClientCertificate" in apim));
    assert.equal(checkOf(e), undefined);
    assert.equal(e.resources.filter((r) => r.type === "apim-aks-ai:gateway:ClientCertificates").length, 0);
    assert.ok(!("clientCertificatePem" in e.outputs) && !("clientCertificateKeyPem" in e.outputs));
    assert.ok(!parseProbes(e.outputs.probes.value).some((p) => p.request.clientCertificate || p.name.includes("client-certificate")));
  });

  for (const [scenario, from] of [["consumption", "internet"], ["internal", "vnet"]] as const) {
    it(`${scenario}: probes expect 401 without a certificate and with a foreign one, and every other keyed APIM call presents the issued one`, async () => {
      const e = await evaluateScenario(scenario, { overrides: { apimClientCertificates: true }, stack: `${scenario}-client-cert` });
      const probes = parseProbes(e.outputs.probes.value);
      const byName = new Map(probes.map((p) => [p.name, p]));
      const missing = byName.get("apim-refuses-missing-client-certificate")!;
      const foreign = byName.get("apim-refuses-foreign-client-certificate")!;
      assert.deepEqual([missing.from, missing.request.withSubscriptionKey, missing.request.clientCertificate, missing.expect], [from, true, undefined, { status: 401 }]);
      assert.deepEqual([foreign.from, foreign.request.withSubscriptionKey, foreign.request.clientCertificate, foreign.expect], [from, true, "foreign", { status: 401 }]);
      const accepts = byName.get("apim-accepts-key")!;
      assert.deepEqual([accepts.request.clientCertificate, accepts.expect], ["issued", { status: 200 }]);
      const gateway = String(e.outputs.gatewayUrl.value);
      for (const p of probes.filter((p) => p.request.withSubscriptionKey && p.request.url.startsWith(gateway) && !p.name.startsWith("apim-refuses-") && !("unreachable" in p.expect))) {
        assert.equal(p.request.clientCertificate, "issued", p.name);
      }
      // The keyless probe presents the issued certificate, so that it is judged on the key alone; calls that do not
      // go through APIM present nothing.
      assert.equal(byName.get("apim-rejects-missing-key")!.request.clientCertificate, "issued");
      for (const p of probes.filter((p) => !p.request.url.startsWith(gateway))) assert.equal(p.request.clientCertificate, undefined, p.name);
      const order = probes.map((p) => p.name);
      assert.ok(order.indexOf("apim-refuses-foreign-client-certificate") < order.indexOf("apim-rate-limits-burst"), "before the burst uses up the rate limit");
    });
  }

  it("with a caller allow-list that excludes verify's machine, only the allow-list's 403 is probed, presenting the issued certificate", async () => {
    const e = await evaluateScenario("public", { overrides: { apimClientCertificates: true, apimAllowedCallerRanges: ["203.0.113.7/32"] }, stack: "public-client-cert-callers" });
    const probes = parseProbes(e.outputs.probes.value);
    assert.ok(!probes.some((p) => p.name.includes("client-certificate")));
    assert.equal(probes.find((p) => p.name === "apim-refuses-caller-outside-ranges")?.request.clientCertificate, "issued");
  });

  it("refuses the setting behind an Application Gateway, which ends the caller's TLS connection (one line naming the key)", () => {
    const base = defaultsFor("internal");
    const problems = crossFieldProblems({ ...base, apimClientCertificates: true, edge: "appgw-waf" }).filter((p) => p.key === "apimClientCertificates");
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /Application Gateway ends the caller's TLS connection/);
    assert.doesNotMatch(problems[0].message, /\n/);
    assert.deepEqual(crossFieldProblems({ ...base, apimClientCertificates: true }).filter((p) => p.key === "apimClientCertificates"), []);
  });
});

describe("plan: the client certificate row follows apimClientCertificates per tier (issue 20 part 3)", function () {
  this.timeout(60_000);
  const row = (e: ScenarioEvaluation, scenario: "public" | "consumption" = "public") =>
    analyzeScenario(scenario, e.resources).hops.find((h) => h.id === "client-apim")?.protections.find((p) => p.name === "client certificate");

  it("classic: CA-checked, negotiated on the default host; v2 and Consumption: the issued certificate pinned, requested by the gateway", async () => {
    const dev = await evaluateScenario("public", { overrides: { apimClientCertificates: true }, stack: "plan-client-cert-Developer" });
    const r = row(dev)!;
    assert.deepEqual([r.present, r.summary], [true, "CA-checked"]);
    assert.match(r.detail, /chain to a trusted CA, issuer [0-9A-F]{8}…; negotiated on apim-[a-z0-9-]+\.azure-api\.net$/);
    const cons = await evaluateScenario("consumption", { overrides: { apimClientCertificates: true }, stack: "plan-client-cert-consumption" });
    const c = row(cons, "consumption")!;
    assert.deepEqual([c.present, c.summary], [true, "pinned"]);
    assert.equal(c.detail, "validate-client-certificate: 1 certificate by thumbprint, no CA store to check the chain against; requested by the gateway (enableClientCertificate)");
  });

  it("a check on a gateway that never asks for a certificate is a gap, not a protection", async () => {
    const dev = await evaluateScenario("public", { overrides: { apimClientCertificates: true }, stack: "plan-client-cert-Developer" });
    const resources = dev.resources.map((r) => (r.type === T.apim ? { ...r, inputs: { ...r.inputs, hostnameConfigurations: undefined } } : r));
    const r = row({ ...dev, resources })!;
    assert.deepEqual([r.present, r.summary], [false, "not asked for"]);
  });
});
