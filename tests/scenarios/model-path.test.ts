/**
 * The model path on the real scenario graphs (issue 16 item 1): in the VNet scenarios Azure OpenAI is reached
 * through a private endpoint in a subnet of its own, its name resolves through the privatelink zone linked to
 * the VNet, and its public endpoint is off unless kept for debugging; elsewhere the firewall admits APIM and AKS.
 */
import assert from "node:assert/strict";
import type { RegisteredResource } from "../../automation/mock-engine";
import { type ScenarioEvaluation, simulatedSettings } from "../../automation/evaluate";
import { DEBUG_PUBLIC_ACCESS_TAG } from "../../components/AiModel";
import { nsgVerdict } from "../../components/Network";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { nthAddress, parseCidr } from "../../config/cidr";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import type { Probe } from "../../scenarios/probes";
import { runPolicies } from "../../policy/run";
import { formatProblems, resolveConfig } from "../../config/validate";
import { evaluated, evaluatedWith, one, ofType, T } from "./helpers";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";
import { modelReachedPrivately } from "../../scenarios/traits";

const PE = "azure-native:network:PrivateEndpoint";
const ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup";
const NSG = "azure-native:network:NetworkSecurityGroup";
/** Where the model is reached through its private endpoint, as each scenario's traits declare (fifth-scenario.test.ts pins the four). */
const PRIVATE = Object.fromEntries(SCENARIO_CATALOG.map((d) => [d.name, modelReachedPrivately(d.traits)])) as Record<ScenarioName, boolean>;

const props = (r: RegisteredResource) => r.inputs as Record<string, any>;
const probesOf = (e: ScenarioEvaluation) => (e.outputs.probes?.value ?? []) as Probe[];

describe("model path: Azure OpenAI reached privately in the VNet scenarios", () => {
  for (const scenario of SCENARIO_NAMES) {
    if (!PRIVATE[scenario]) {
      it(`${scenario}: no private endpoint; the public endpoint stays, behind the firewall (deny by default)`, async () => {
        const e = await evaluated(scenario);
        assert.equal(ofType(e, PE).length, 0);
        assert.ok(!ofType(e, T.zone).some((z) => props(z).privateZoneName === "privatelink.openai.azure.com"));
        const account = props(one(e, T.openAi));
        assert.equal(account.properties.publicNetworkAccess, "Enabled");
        assert.equal(account.properties.networkAcls.defaultAction, "Deny");
        assert.ok(!probesOf(e).some((p) => p.name === "openai-private-endpoint"));
      });
      continue;
    }

    it(`${scenario}: a private endpoint (group account) in its own subnet, the privatelink zone linked, public access off`, async () => {
      const e = await evaluated(scenario);
      const accountRes = one(e, T.openAi);
      const account = props(accountRes);
      assert.equal(account.properties.publicNetworkAccess, "Disabled");
      assert.equal(account.tags[DEBUG_PUBLIC_ACCESS_TAG], undefined);

      const subnet = one(e, T.subnet, (s) => props(s).subnetName === "snet-pe");
      assert.equal(props(subnet).addressPrefix, COMMON_DEFAULTS.privateEndpointSubnetPrefix);
      assert.equal(props(subnet).privateEndpointNetworkPolicies, "Enabled", "the subnet's NSG applies to the endpoints");

      const pe = props(one(e, PE));
      assert.equal(pe.subnet.id, subnet.id);
      assert.deepEqual(pe.privateLinkServiceConnections, [{ name: "account", privateLinkServiceId: accountRes.id, groupIds: ["account"] }]);
      assert.equal(pe.location, COMMON_DEFAULTS.location, "the endpoint lives in the VNet's region");

      const zone = one(e, T.zone, (z) => props(z).privateZoneName === "privatelink.openai.azure.com");
      const vnet = one(e, T.vnet);
      const links = ofType(e, T.link).filter((l) => props(l).privateZoneName === "privatelink.openai.azure.com");
      assert.equal(links.length, 1);
      assert.equal(props(links[0]).virtualNetwork.id, vnet.id);
      assert.equal(props(links[0]).registrationEnabled, false);
      const group = props(one(e, ZONE_GROUP));
      assert.equal(group.privateEndpointName, `pe-${account.accountName}`);
      assert.deepEqual(group.privateDnsZoneConfigs, [{ name: "openai", privateDnsZoneId: zone.id }]);
    });

    it(`${scenario}: the endpoints' NSG admits HTTPS from APIM's and the AKS nodes' subnets only`, async () => {
      const e = await evaluated(scenario);
      const nsg = one(e, NSG, (n) => n.name === "network-pe-nsg");
      const rules = props(nsg).securityRules;
      const space = [COMMON_DEFAULTS.vnetAddressSpace];
      const peIp = nthAddress(parseCidr(COMMON_DEFAULTS.privateEndpointSubnetPrefix)!, 4);
      const from = (prefix: string, port = 443) => nsgVerdict(rules, { source: nthAddress(parseCidr(prefix)!, 5), destination: peIp, port, protocol: "Tcp" }, space);
      assert.equal(from(COMMON_DEFAULTS.apimSubnetPrefix).access, "Allow");
      assert.equal(from(COMMON_DEFAULTS.aksSubnetPrefix).access, "Allow");
      assert.equal(from(COMMON_DEFAULTS.aksSubnetPrefix, 22).access, "Deny");
      assert.equal(from(COMMON_DEFAULTS.aksPodCidr).access, "Allow", "a pod address, should a dataplane not translate it");
      assert.equal(from(COMMON_DEFAULTS.ingressSubnetPrefix).access, "Deny");
      assert.equal(nsgVerdict(rules, { source: "203.0.113.9", destination: peIp, port: 443, protocol: "Tcp" }, space).access, "Deny");
    });

    it(`${scenario}: probes check the public endpoint refuses the internet and the private name answers in the VNet`, async () => {
      const e = await evaluated(scenario);
      const endpoint = String(e.outputs.openAiEndpoint.value).replace(/\/$/, "");
      const refuses = probesOf(e).find((p) => p.name === "openai-refuses-internet")!;
      assert.deepEqual([refuses.from, refuses.expect], ["internet", { status: 403 }]);
      const inside = probesOf(e).find((p) => p.name === "openai-private-endpoint");
      assert.ok(inside, "an in-VNet probe of the model");
      assert.equal(inside.from, "vnet");
      assert.ok(inside.request.url.startsWith(`${endpoint}/openai/`), "the account's own name, resolved privately inside the VNet");
      assert.deepEqual(inside.expect, { status: 401 });
    });
  }

  it("external with openAiPublicNetworkAccess: the public endpoint kept (firewall still deny by default) and tagged as a debugging choice", async () => {
    const e = await evaluatedWith("external", { openAiPublicNetworkAccess: true });
    const account = props(one(e, T.openAi));
    assert.equal(account.properties.publicNetworkAccess, "Enabled");
    assert.equal(account.properties.networkAcls.defaultAction, "Deny");
    assert.equal(account.tags[DEBUG_PUBLIC_ACCESS_TAG], "debug");
    assert.equal(ofType(e, PE).length, 1, "the private endpoint stays");
    // The pack lets the deliberate choice through and says so.
    const report = runPolicies(e);
    assert.deepEqual(report.violations.filter((v) => v.policy === "openai-private-in-vnet"), []);
    assert.equal(report.violations.filter((v) => v.policy === "openai-public-access-debug").length, 1);
  });
});

/** Every resource `urn` waits for: its dependencies, theirs, and (a component stands for its children) the children of any component among them. */
function waitsFor(e: ScenarioEvaluation, urn: string): Set<string> {
  const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const queue = [...(byUrn.get(urn)?.dependencies ?? [])];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(byUrn.get(next)?.dependencies ?? []));
    queue.push(...e.resources.filter((r) => r.parent === next).map((r) => r.urn));
  }
  return seen;
}

describe("model path: a private account does not wait for APIM", () => {
  for (const scenario of SCENARIO_NAMES.filter((s) => PRIVATE[s])) {
    it(`${scenario}: the account has no IP rules and does not depend, even transitively, on the API Management service`, async () => {
      const e = await evaluated(scenario);
      const account = one(e, T.openAi);
      assert.deepEqual(props(account).properties.networkAcls.ipRules, []);
      const apim = one(e, T.apim);
      assert.ok(!waitsFor(e, account.urn).has(apim.urn), "the account waits for APIM");
    });
  }

  it("external with openAiPublicNetworkAccess: the kept public endpoint admits APIM's outbound addresses again", async () => {
    const e = await evaluatedWith("external", { openAiPublicNetworkAccess: true });
    const account = one(e, T.openAi);
    const apim = one(e, T.apim);
    const outbound = (apim.outputs.outboundPublicIPAddresses ?? []) as string[];
    assert.ok(outbound.length > 0, "the simulated APIM has outbound addresses");
    assert.deepEqual(
      props(account).properties.networkAcls.ipRules.map((r: { value: string }) => r.value).sort(),
      [...outbound].sort(),
    );
    assert.ok(waitsFor(e, account.urn).has(apim.urn));
  });
});

describe("model path: the account's region where the AKS subnet reaches it through a service endpoint", () => {
  for (const scenario of SCENARIO_NAMES) {
    // The model is offered in eastus2 too (data/openai-models.json); location stays at the default.
    const raw = { openAiLocation: "eastus2", ...simulatedSettings(scenario, {}) };
    if (!PRIVATE[scenario]) {
      it(`${scenario}: the account admits the AKS subnet by service endpoint, so an openAiLocation other than location is refused`, async () => {
        const e = await evaluated(scenario);
        const aksSubnet = one(e, T.subnet, (s) => props(s).subnetName === "snet-aks");
        assert.deepEqual(
          props(one(e, T.openAi)).properties.networkAcls.virtualNetworkRules.map((r: { id: string }) => r.id),
          [aksSubnet.id],
        );
        const result = resolveConfig(scenario, raw);
        assert.equal(result.ok, false);
        const lines = result.ok ? [] : formatProblems(result.problems);
        assert.equal(lines.length, 1, lines.join("\n"));
        assert.match(lines[0], new RegExp(`^openAiLocation = "eastus2": differs from location ${COMMON_DEFAULTS.location}: .*service endpoint.*set location to eastus2`));
        assert.ok(resolveConfig(scenario, { ...raw, openAiLocation: COMMON_DEFAULTS.location }).ok);
      });
    } else {
      it(`${scenario}: reached through its private endpoint, the account may live in another region than the VNet`, async () => {
        assert.ok(resolveConfig(scenario, raw).ok);
        const e = await evaluatedWith(scenario, raw);
        assert.equal(props(one(e, T.openAi)).location, "eastus2");
        assert.equal(props(one(e, PE)).location, COMMON_DEFAULTS.location);
      });
    }
  }
});
