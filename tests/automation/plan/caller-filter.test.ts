/** The plan's "caller filter" and "client certificate" rows (issue 20 parts 3 and 4): read from the product policy on the real graph. */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../../automation/evaluate";
import { analyzeScenario, type Protection } from "../../../automation/plan/analysis";
import { SCENARIO_NAMES } from "../../../config/schema";
import { composePolicy, validateClientCertificate } from "../../../components/policies";
import { evaluated } from "../../scenarios/helpers";

const callerFilter = (scenario: Parameters<typeof analyzeScenario>[0], resources: Parameters<typeof analyzeScenario>[1]): Protection | undefined =>
  analyzeScenario(scenario, resources).hops.find((h) => h.id === "client-apim")?.protections.find((p) => p.name === "caller filter");

describe("plan: caller filter at APIM", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario} as written: any address, marked not configured (neither good nor a gap)`, async () => {
      const p = callerFilter(scenario, (await evaluated(scenario)).resources);
      assert.deepEqual(p && [p.present, p.summary], [null, "any address"]);
    });
  }

  it("with apimAllowedCallerRanges: the ranges the ip-filter admits", async () => {
    const e = await evaluateScenario("public", { overrides: { apimAllowedCallerRanges: ["203.0.113.7/32", "198.51.100.0/24"] }, stack: "public-callers-Developer" });
    const p = callerFilter("public", e.resources);
    assert.deepEqual(p && [p.present, p.summary, p.detail], [true, "2 ranges", "ip-filter admits only 203.0.113.7, 198.51.100.0-198.51.100.255"]);
  });

  it("client certificate: not required in any stack file as written; CA-checked where a validate-client-certificate policy trusts the chain", async () => {
    const e = await evaluated("public");
    const row = (resources: typeof e.resources) =>
      analyzeScenario("public", resources).hops.find((h) => h.id === "client-apim")?.protections.find((p) => p.name === "client certificate");
    assert.deepEqual([row(e.resources)?.present, row(e.resources)?.summary], [null, "not required"]);
    const withPolicy = (validateTrust: boolean) =>
      e.resources.map((r) =>
        r.type === "azure-native:apimanagement:ProductPolicy"
          ? { ...r, inputs: { ...r.inputs, value: composePolicy("Developer", { inbound: [validateClientCertificate({ validateTrust, validateRevocation: false, identities: [{ issuerThumbprint: "AB12" }] })] }) } }
          : // A gateway that asks for certificates (classic tiers: negotiation on the host), as apimClientCertificates sets it.
            r.type === "azure-native:apimanagement:ApiManagementService"
            ? { ...r, inputs: { ...r.inputs, hostnameConfigurations: [{ type: "Proxy", hostName: "gw.azure-api.net", negotiateClientCertificate: true }] } }
            : r,
      );
    assert.deepEqual([row(withPolicy(true))?.present, row(withPolicy(true))?.summary], [true, "CA-checked"]);
    assert.equal(row(withPolicy(false))?.summary, "claims only");
  });
});
