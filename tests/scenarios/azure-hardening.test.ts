/**
 * Issue 12 items 1, 7, 9 and 10 on the real scenario graph: what the APIM service and the Azure OpenAI
 * account are registered with is what the provider sends to Azure (and what the plan shows).
 */
import assert from "node:assert/strict";
import { offlineSettings, type ScenarioEvaluation } from "../../automation/evaluate";
import type { RegisteredResource } from "../../automation/mock-engine";
import { apimResourceLogs, portalSettings, propertiesTheTierLacks } from "../../components/ApiGateway";
import { SCENARIO_NAMES } from "../../config/schema";
import { evaluated, evaluatedWith, ofType, one, T } from "./helpers";

const DIAG = "azure-native:monitor:DiagnosticSetting";
const APIM_DIAGNOSTIC = "azure-native:apimanagement:Diagnostic";

/** An evaluation with overrides, after the shared ones (the mock engine runs one program at a time). */
const classic = (e: ScenarioEvaluation) => String((one(e, T.apim).inputs.sku as { name: string }).name) !== "Consumption";

describe("scenarios: APIM service request (issue 12 items 1 and 9)", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: sends enableClientCertificate only to Consumption, and the portals off`, async () => {
      const e = await evaluated(scenario);
      const apim = one(e, T.apim);
      const v2 = /V2$/.test(String((apim.inputs.sku as { name: string }).name));
      if (v2) {
        assert.ok(!("enableClientCertificate" in apim.inputs), `${scenario} must not send enableClientCertificate`);
        assert.ok(!("legacyPortalStatus" in apim.inputs), "v2 tiers never had the legacy portal");
        assert.equal(apim.inputs.developerPortalStatus, "Disabled");
      } else if (classic(e)) {
        assert.ok(!("enableClientCertificate" in apim.inputs), `${scenario} must not send enableClientCertificate: ${JSON.stringify(apim.inputs.enableClientCertificate)}`);
        assert.equal(apim.inputs.legacyPortalStatus, "Disabled");
        assert.equal(apim.inputs.developerPortalStatus, "Disabled");
      } else {
        assert.equal(apim.inputs.enableClientCertificate, false);
        assert.ok(!("legacyPortalStatus" in apim.inputs) && !("developerPortalStatus" in apim.inputs), "Consumption has no portal to switch");
      }
    });
  }

  it("Premium and the v2 tiers lose the flag too; the developer portal opens when a setting asks", async () => {
    const premium = one(await evaluatedWith("external", { apimSku: "Premium", apimCapacity: 1, apimDeveloperPortal: "true" }), T.apim);
    assert.ok(!("enableClientCertificate" in premium.inputs));
    assert.equal(premium.inputs.developerPortalStatus, "Enabled");
    assert.equal(premium.inputs.legacyPortalStatus, "Disabled");
    const v2 = one(await evaluatedWith("public", { apimSku: "StandardV2", apimCapacity: 1, apimSharedSourceRanges: ["198.51.100.0/24"] }), T.apim);
    assert.ok(!("enableClientCertificate" in v2.inputs));
    assert.ok(!("legacyPortalStatus" in v2.inputs), "v2 tiers never had the legacy portal");
    assert.equal(v2.inputs.developerPortalStatus, "Disabled");
  });

  it("the pure rules behind it", () => {
    assert.deepEqual(propertiesTheTierLacks("Developer"), ["enableClientCertificate"]);
    assert.deepEqual(propertiesTheTierLacks("Consumption"), ["developerPortalStatus", "legacyPortalStatus"]);
    assert.deepEqual(propertiesTheTierLacks("BasicV2"), ["enableClientCertificate", "legacyPortalStatus", "natGatewayState"]);
    assert.deepEqual(portalSettings("Premium", false), { developerPortalStatus: "Disabled", legacyPortalStatus: "Disabled" });
    assert.deepEqual(portalSettings("Consumption", true), {});
  });
});

describe("scenarios: Azure OpenAI admits only APIM and the cluster (issue 12 item 7)", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: default Deny, APIM's addresses and the AKS subnet, with its service endpoint`, async () => {
      const e = await evaluated(scenario);
      const account = one(e, T.openAi);
      const acls = (account.inputs.properties as { networkAcls?: Record<string, any> }).networkAcls;
      assert.ok(acls, "networkAcls");
      assert.equal(acls.defaultAction, "Deny");
      assert.equal(acls.bypass, "None");
      const apim = one(e, T.apim);
      // With its private endpoint and public access off, the account admits no addresses (nor waits for APIM's):
      // tests/scenarios/model-path.test.ts, "a private account does not wait for APIM". A tier without addresses
      // of its own that reaches the model privately (integrated) needs no shared ranges at all.
      const publicOff = (account.inputs.properties as { publicNetworkAccess?: string }).publicNetworkAccess === "Disabled";
      const expected = classic(e) && !/V2$/.test(String((apim.inputs.sku as { name: string }).name))
        ? (apim.outputs.outboundPublicIPAddresses as string[])
        : ((offlineSettings(scenario).apimSharedSourceRanges ?? []) as string[]);
      if (!publicOff) assert.ok(expected.length > 0);
      assert.deepEqual(acls.ipRules.map((r: { value: string }) => r.value).sort(), publicOff ? [] : [...expected].sort());
      const aksSubnet = one(e, T.subnet, (s) => String(s.inputs.subnetName).includes("aks"));
      assert.deepEqual(acls.virtualNetworkRules, [{ id: aksSubnet.id, ignoreMissingVnetServiceEndpoint: false }]);
      assert.deepEqual(aksSubnet.inputs.serviceEndpoints, [{ service: "Microsoft.CognitiveServices" }]);
      for (const other of ofType(e, T.subnet).filter((s) => s !== aksSubnet)) assert.equal(other.inputs.serviceEndpoints, undefined, String(other.inputs.subnetName));
    });

    it(`${scenario}: verify has a probe showing a direct call from the internet is refused`, async () => {
      const e = await evaluated(scenario);
      const probes = e.outputs.probes.value as { name: string; from: string; request: { url: string; withSubscriptionKey: boolean }; expect: unknown }[];
      const probe = probes.find((p) => p.name === "openai-refuses-internet");
      assert.ok(probe, "openai-refuses-internet");
      assert.equal(probe.from, "internet");
      assert.ok(probe.request.url.startsWith(String(e.outputs.openAiEndpoint.value)));
      assert.equal(probe.request.withSubscriptionKey, false);
      assert.deepEqual(probe.expect, { status: 403 });
    });
  }
});

describe("scenarios: diagnostics (issue 12 item 10)", () => {
  const apimDiag = (e: ScenarioEvaluation): RegisteredResource => one(e, DIAG, (d) => d.inputs.resourceUri === one(e, T.apim).id);

  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: APIM's resource logs are the categories its tier writes`, async () => {
      const e = await evaluated(scenario);
      const diag = apimDiag(e);
      assert.deepEqual(diag.inputs.metrics, [{ category: "AllMetrics", enabled: true }]);
      assert.deepEqual(diag.inputs.logs, classic(e) ? [{ categoryGroup: "allLogs", enabled: true }] : []);
    });

    it(`${scenario}: Application Insights sampling and client IP logging follow the settings' defaults`, async () => {
      const e = await evaluated(scenario);
      const d = one(e, APIM_DIAGNOSTIC);
      assert.deepEqual(d.inputs.sampling, { samplingType: "fixed", percentage: 100 });
      assert.equal(d.inputs.logClientIp, false);
    });
  }

  it("sampling and client IP logging are settings", async () => {
    const e = await evaluatedWith("public", { appInsightsSamplingPercentage: "25", appInsightsLogClientIp: "true" });
    const d = one(e, APIM_DIAGNOSTIC);
    assert.deepEqual(d.inputs.sampling, { samplingType: "fixed", percentage: 25 });
    assert.equal(d.inputs.logClientIp, true);
  });

  it("apimResourceLogs: Consumption writes no resource logs to Log Analytics", () => {
    assert.deepEqual(apimResourceLogs("Consumption"), []);
    assert.deepEqual(apimResourceLogs("Developer"), [{ categoryGroup: "allLogs", enabled: true }]);
  });
});

describe("scenarios: Log Analytics daily cap (issue 19 item 4)", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: the workspace has the lab-sized default cap`, async () => {
      const e = await evaluated(scenario);
      assert.deepEqual(one(e, "azure-native:operationalinsights:Workspace").inputs.workspaceCapping, { dailyQuotaGb: 1 });
    });
  }
});

describe("scenarios: the AI API is told how to talk to the model (issue 12 item 2)", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: the default reasoning model gets max_completion_tokens and an api-version that takes it`, async () => {
      const e = await evaluated(scenario);
      const deployment = one(e, "kubernetes:apps/v1:Deployment", (d) => (d.inputs.metadata as { name?: string })?.name === "ai-api");
      const env = Object.fromEntries(
        ((deployment.inputs.spec as any).template.spec.containers[0].env as { name: string; value: string }[]).map((v) => [v.name, v.value]),
      );
      assert.equal(env.AZURE_OPENAI_TOKEN_PARAMETER, "max_completion_tokens");
      assert.equal(env.AZURE_OPENAI_API_VERSION, "2025-04-01-preview");
    });
  }

  it("openAiTokenParameter and openAiApiVersion override what the family decides", async () => {
    const envOf = (e: ScenarioEvaluation) =>
      Object.fromEntries(
        ((one(e, "kubernetes:apps/v1:Deployment", (d) => (d.inputs.metadata as { name?: string })?.name === "ai-api").inputs.spec as any).template.spec.containers[0].env as {
          name: string;
          value: string;
        }[]).map((v) => [v.name, v.value]),
      );
    const pinned = envOf(await evaluatedWith("public", { openAiTokenParameter: "max_tokens", openAiApiVersion: "2024-10-21" }));
    assert.equal(pinned.AZURE_OPENAI_TOKEN_PARAMETER, "max_tokens");
    assert.equal(pinned.AZURE_OPENAI_API_VERSION, "2024-10-21");
  });
});
