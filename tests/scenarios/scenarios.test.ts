import assert from "node:assert/strict";
import { XMLValidator } from "fast-xml-parser";
import { isSimulatedAddress } from "../../automation/simulate";
import { SECRET } from "../../automation/mock-engine";
import { plannedIngressIp } from "../../config/naming";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { SCENARIO_NAMES } from "../../config/schema";
import { SCENARIOS } from "../../scenarios";
import { evaluated, one, ofType, T } from "./helpers";

const OPENAI_USER_ROLE = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";
const STACK_OUTPUTS = ["scenario", "gatewayUrl", "apiBasePath", "subscriptionKey", "openAiEndpoint", "backendHost", "resourceGroupName", "probes"];

describe("scenarios", () => {
  for (const scenario of SCENARIO_NAMES) {
    describe(scenario, () => {
      it("exports the stack outputs of the contract, the key only as a secret", async () => {
        const e = await evaluated(scenario);
        assert.deepEqual(Object.keys(e.outputs).sort(), [...STACK_OUTPUTS].sort());
        assert.equal(e.outputs.scenario.value, scenario);
        assert.equal(e.outputs.subscriptionKey.secret, true);
        for (const key of STACK_OUTPUTS.filter((k) => k !== "subscriptionKey")) assert.equal(e.outputs[key].secret, false, key);
        const key = String(e.outputs.subscriptionKey.value);
        assert.ok(key.length >= 32);
        assert.ok(!JSON.stringify(e.resources).includes(key), "the key appears in no recorded input or output");
        const subscription = one(e, T.subscription);
        assert.ok(subscription.secretInputs.includes("primaryKey"));
        assert.equal(subscription.inputs.primaryKey, SECRET);
      });

      it("tags every Azure resource with scenario, stack and managed-by", async () => {
        const e = await evaluated(scenario);
        const tagged = e.resources.filter((r) => r.custom && r.type.startsWith("azure-native:") && "tags" in r.inputs);
        assert.ok(tagged.length >= 8, `only ${tagged.length} tagged resources`);
        for (const r of tagged) {
          assert.deepEqual(
            { ...(r.inputs.tags as Record<string, string>) },
            { ...(r.inputs.tags as Record<string, string>), scenario, stack: scenario, "managed-by": "pulumi" },
            `${r.type} ${r.name}`,
          );
        }
        // Resources that take tags must get them: the ones ARM tags at all.
        for (const type of [T.apim, T.vnet, T.openAi, T.aks]) assert.ok(ofType(e, type).every((r) => "tags" in r.inputs), type);
      });

      it("parents every resource to a component of the scenario", async () => {
        const e = await evaluated(scenario);
        const root = e.resources.find((r) => r.type === "apim-aks-ai:scenario:Scenario");
        assert.ok(root, "scenario root component");
        for (const r of e.resources.filter((r) => r !== root)) {
          assert.ok(r.parent, `${r.type} ${r.name} has no parent`);
        }
      });

      it("grants APIM's identity the OpenAI User role on the account, as a service principal", async () => {
        const e = await evaluated(scenario);
        const apim = one(e, T.apim);
        const account = one(e, T.openAi);
        const principal = (apim.outputs.identity as { principalId: string }).principalId;
        const grant = one(e, T.roleAssignment, (r) => r.inputs.principalId === principal);
        assert.equal(grant.inputs.principalType, "ServicePrincipal");
        assert.equal(grant.inputs.scope, account.id);
        assert.match(String(grant.inputs.roleDefinitionId), new RegExp(`/roleDefinitions/${OPENAI_USER_ROLE}$`));
        assert.equal((account.inputs.properties as Record<string, unknown>).disableLocalAuth, true);
      });

      it("starts APIM without waiting for the cluster", async () => {
        const e = await evaluated(scenario);
        const apim = one(e, T.apim);
        const aks = one(e, T.aks);
        const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
        const seen = new Set<string>();
        const waitsFor = (urn: string): boolean => {
          if (seen.has(urn)) return false;
          seen.add(urn);
          const r = byUrn.get(urn);
          return !!r && (r.urn === aks.urn || r.dependencies.some(waitsFor));
        };
        assert.equal(apim.dependencies.some(waitsFor), false);
      });

      it("composes well-formed policy XML for every scope", async () => {
        const e = await evaluated(scenario);
        const policies = [...ofType(e, T.productPolicy), ...ofType(e, T.apiPolicy)];
        assert.equal(policies.length, 3);
        for (const p of policies) assert.equal(XMLValidator.validate(String(p.inputs.value)), true, p.name);
      });

      it("lists probes with the scenario's expectations", async () => {
        const e = await evaluated(scenario);
        const probes = e.outputs.probes.value as { name: string; from: string; request: { url: string } }[];
        assert.ok(probes.some((p) => p.name === "apim-rejects-missing-key"));
        const direct = probes.find((p) => p.name.startsWith("backend-"))!;
        assert.equal(direct.name, scenario === "public" ? "backend-answers-direct-call" : "backend-refuses-direct-call");
        assert.equal(direct.request.url, `https://${e.outputs.backendHost.value}/healthz`);
        assert.ok(probes.filter((p) => p.request.url.startsWith(String(e.outputs.gatewayUrl.value))).every((p) => p.from === (scenario === "internal" ? "vnet" : "internet") || p.name === "apim-unreachable-from-internet"));
      });

      it("points the AI API at the scenario's backend host", async () => {
        const e = await evaluated(scenario);
        const api = one(e, T.api, (r) => r.inputs.apiId === "ai-api");
        assert.equal(api.inputs.serviceUrl, `https://${e.outputs.backendHost.value}`);
        assert.deepEqual(api.inputs.protocols, ["https"]);
        assert.equal(api.inputs.subscriptionRequired, true);
      });
    });
  }

  it("the registry describes every scenario", () => {
    assert.deepEqual(Object.keys(SCENARIOS), [...SCENARIO_NAMES]);
  });

  describe("what differs between scenarios, and why", () => {
    it("public: no VNet for APIM, a public backend host, TLS hardening on the Developer tier", async () => {
      const e = await evaluated("public");
      const apim = one(e, T.apim);
      assert.equal(apim.inputs.virtualNetworkType, "None");
      assert.equal(apim.inputs.virtualNetworkConfiguration, undefined);
      assert.match(String(e.outputs.backendHost.value), /\.swedencentral\.cloudapp\.azure\.com$/);
      const props = apim.inputs.customProperties as Record<string, string>;
      assert.equal(props["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"], "False");
      assert.equal(props["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11"], "False");
      assert.equal(ofType(e, T.zone).length, 0);
    });

    it("external: APIM injected in External mode with a Standard static public IP, backend by private DNS", async () => {
      const e = await evaluated("external");
      const apim = one(e, T.apim);
      assert.equal(apim.inputs.virtualNetworkType, "External");
      assert.match(String((apim.inputs.virtualNetworkConfiguration as { subnetResourceId: string }).subnetResourceId), /\/subnets\/[^/]*apim[^/]*$/);
      const pip = one(e, T.pip);
      assert.equal(apim.inputs.publicIpAddressId, pip.id);
      assert.deepEqual(pip.inputs.sku, { name: "Standard", tier: "Regional" });
      assert.equal(pip.inputs.publicIPAllocationMethod, "Static");
      assert.ok((pip.inputs.dnsSettings as { domainNameLabel: string }).domainNameLabel);
      const record = one(e, T.record);
      assert.deepEqual(record.inputs.aRecords, [{ ipv4Address: plannedIngressIp(COMMON_DEFAULTS.ingressSubnetPrefix) }]);
      assert.match(String(e.outputs.backendHost.value), /^ai\..*\.internal$/);
    });

    it("internal: a private zone per APIM host name resolving to its private address, plus the backend's", async () => {
      const e = await evaluated("internal");
      const apim = one(e, T.apim);
      assert.equal(apim.inputs.virtualNetworkType, "Internal");
      const privateIp = (apim.outputs.privateIPAddresses as string[])[0];
      assert.ok(isSimulatedAddress(privateIp));
      const zones = ofType(e, T.zone).map((z) => String(z.inputs.privateZoneName));
      const host = new URL(String(e.outputs.gatewayUrl.value)).hostname;
      const [svc, ...domain] = host.split(".");
      for (const expected of [host, ...["portal", "developer", "management", "scm"].map((k) => [svc, k, ...domain].join("."))]) {
        assert.ok(zones.includes(expected), `zone ${expected} in ${zones.join(", ")}`);
      }
      // Five APIM hosts, the backend's zone, and Azure OpenAI's privatelink zone (its record comes from the
      // private endpoint's DNS zone group, not from a record set of the program's).
      assert.ok(zones.includes("privatelink.openai.azure.com"), zones.join(", "));
      assert.equal(zones.length, 7);
      const apimRecords = ofType(e, T.record).filter((r) => r.inputs.relativeRecordSetName === "@");
      assert.equal(apimRecords.length, 5);
      for (const r of apimRecords) assert.deepEqual(r.inputs.aRecords, [{ ipv4Address: privateIp }]);
      assert.equal(ofType(e, T.link).length, 7);
      for (const l of ofType(e, T.link)) assert.equal(l.inputs.registrationEnabled, false);
    });

    it("consumption: capacity 0, no VNet, no custom properties, per-subscription limits instead of by-key", async () => {
      const e = await evaluated("consumption");
      const apim = one(e, T.apim);
      assert.deepEqual(apim.inputs.sku, { name: "Consumption", capacity: 0 });
      assert.equal(apim.inputs.customProperties, undefined);
      assert.equal(apim.inputs.virtualNetworkType, "None");
      assert.deepEqual(apim.outputs.outboundPublicIPAddresses, []);
      const product = String(one(e, T.productPolicy).inputs.value);
      assert.match(product, /<rate-limit /);
      assert.doesNotMatch(product, /rate-limit-by-key|quota-by-key/);
    });

    it("dedicated tiers expose simulated outbound addresses that flow through the program", async () => {
      const e = await evaluated("public");
      const outbound = one(e, T.apim).outputs.outboundPublicIPAddresses as string[];
      assert.equal(outbound.length, 1);
      assert.ok(isSimulatedAddress(outbound[0]));
    });
  });
});
