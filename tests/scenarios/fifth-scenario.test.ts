/**
 * A scenario built from traits alone (issue 18 part 2): a test-only definition, registered nowhere, that
 * combines External VNet mode with the admission `consumption` uses (a public ingress admitting only APIM's
 * addresses) but no second factor, since a Developer-tier APIM calls from addresses of its own. The mock
 * engine evaluates it through the same build as the four real scenarios; the graph, the probes and the
 * config rules follow its traits, and the policy pack runs over it.
 */
import assert from "node:assert/strict";
import { evaluateProgram } from "../../automation/mock-engine";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { CONFIG_NAMESPACE } from "../../config/load";
import { crossFieldProblems } from "../../config/rules";
import type { ScenarioConfig } from "../../config/schema";
import { runPolicies } from "../../policy/run";
import { buildFromDefinition } from "../../scenarios/build";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";
import type { Probe } from "../../scenarios/probes";
import { modelReachedPrivately, type ScenarioDefinition, traitProblems, VNET_INJECTION_TIERS } from "../../scenarios/traits";
import { one, ofType, T } from "./helpers";

const edge: ScenarioDefinition = {
  name: "edge",
  short: "edg",
  title: "External VNet mode, public ingress admitting APIM only (test only)",
  summary: "APIM injected in External mode calls a public ingress that admits only APIM's own outbound addresses.",
  traits: {
    vnetMode: "External",
    publicIngress: true,
    backendAdmission: "apim-only",
    secondFactor: "none",
    defaults: { apimSku: "Developer", apimCapacity: 1 },
    allowedSkus: VNET_INJECTION_TIERS,
  },
};

// The config schema admits only registered names, on purpose: this scenario is registered nowhere, so its
// settings are assembled as `defaultsFor` would, and nothing below may look a trait up by its name.
const config = { ...COMMON_DEFAULTS, scenario: edge.name, ...edge.traits.defaults } as unknown as ScenarioConfig;

const K = {
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  service: "kubernetes:core/v1:Service",
  chart: "kubernetes:helm.sh/v4:Chart",
  nsg: "azure-native:network:NetworkSecurityGroup",
  password: "random:index/randomPassword:RandomPassword",
  privateEndpoint: "azure-native:network:PrivateEndpoint",
} as const;

describe("a fifth scenario from traits alone", () => {
  let e: Awaited<ReturnType<typeof evaluateProgram>>;
  before(async function () {
    this.timeout(120_000);
    e = await evaluateProgram(() => buildFromDefinition(edge, config, edge.name), { project: CONFIG_NAMESPACE, stack: edge.name });
  });

  it("pins what the registered scenarios declare", () => {
    const declared = Object.fromEntries(
      SCENARIO_CATALOG.map((d) => [d.name, [d.traits.vnetMode, d.traits.publicIngress ? "public" : "internal", d.traits.backendAdmission, d.traits.secondFactor, modelReachedPrivately(d.traits)]]),
    );
    assert.deepEqual(declared, {
      public: ["None", "public", "open", "none", false],
      external: ["External", "internal", "vnet", "none", true],
      internal: ["Internal", "internal", "vnet", "none", true],
      consumption: ["None", "public", "apim-only", "basic-auth", false],
      integrated: ["Integration", "internal", "vnet", "none", true],
    });
  });

  it("declares coherent traits, like every registered scenario", () => {
    assert.deepEqual(traitProblems(edge), []);
    for (const d of SCENARIO_CATALOG) assert.deepEqual(traitProblems(d), [], d.name);
    assert.deepEqual(traitProblems({ ...edge, traits: { ...edge.traits, publicIngress: false } }), [
      "an internal ingress admits the VNet only: backendAdmission must be vnet, not apim-only",
    ]);
  });

  it("passes the config rules of its own traits, and they refuse what its traits refuse", () => {
    assert.deepEqual(crossFieldProblems(config, undefined, edge.traits), []);
    // allowedSkus: External mode exists only on Developer and Premium.
    // backendAdmission apim-only: a tier without addresses of its own needs the shared ranges listed, which
    // the same tier in a VNet-admitting scenario does not.
    const consumptionTier = { ...config, apimSku: "Consumption", apimCapacity: 0 } as const;
    assert.deepEqual(crossFieldProblems(consumptionTier, undefined, edge.traits).map((p) => p.key), ["apimSku", "apimSharedSourceRanges"]);
    assert.deepEqual(crossFieldProblems(consumptionTier, undefined, { ...edge.traits, publicIngress: false, backendAdmission: "vnet" }).map((p) => p.key), ["apimSku"]);
    // vnetMode External: APIM's subnet is checked; publicIngress: Let's Encrypt can validate the host.
    assert.deepEqual(crossFieldProblems({ ...config, apimSubnetPrefix: "10.99.0.0/27" }, undefined, edge.traits).map((p) => p.key), ["apimSubnetPrefix"]);
    assert.deepEqual(crossFieldProblems({ ...config, ingressCertificate: "letsencrypt" }, undefined, edge.traits), []);
  });

  it("names its resources with its own short name and tags them with its name", () => {
    const group = one(e, "azure-native:resources:ResourceGroup");
    assert.match(String(group.inputs.resourceGroupName), /^rg-aiapim-edg-/);
    assert.equal((group.inputs.tags as Record<string, string>).scenario, "edge");
    assert.equal(e.outputs.scenario.value, "edge");
  });

  it("injects APIM in External mode and reaches the model through a private endpoint (vnetMode)", () => {
    assert.equal(one(e, T.apim).inputs.virtualNetworkType, "External");
    assert.equal(ofType(e, K.privateEndpoint).length, 1);
    assert.equal(ofType(e, T.zone).filter((z) => String(z.inputs.privateZoneName).endsWith(".internal")).length, 0, "no private backend zone: the ingress is public");
  });

  it("admits only APIM's own addresses at a public ingress, without a password (backendAdmission, secondFactor)", () => {
    const allow = one(e, K.middleware, (m) => Boolean((m.inputs.spec as any).ipAllowList));
    const outbound = (one(e, T.apim).outputs?.outboundPublicIPAddresses ?? one(e, T.apim).outputs?.publicIPAddresses) as string[];
    assert.deepEqual((allow.inputs.spec as any).ipAllowList.sourceRange, outbound.map((ip) => `${ip}/32`));
    assert.equal(ofType(e, K.middleware).filter((m) => (m.inputs.spec as any).basicAuth).length, 0);
    assert.equal(ofType(e, K.password).filter((p) => p.name === "apim-backend-password").length, 0);
    const aksSubnet = one(e, T.subnet, (s) => s.inputs.subnetName === "snet-aks");
    const nsg = one(e, K.nsg, (n) => n.id === (aksSubnet.inputs.networkSecurityGroup as { id: string }).id);
    const rules = (nsg.inputs.securityRules ?? []) as Record<string, unknown>[];
    assert.ok(rules.some((r) => r.sourceAddressPrefix === `AzureCloud.${config.location}` && r.destinationPortRange === "443"), JSON.stringify(rules));
  });

  it("lists probes that follow its traits: from the internet, backend closed, streaming on a classic tier", () => {
    const probes = e.outputs.probes.value as Probe[];
    const byName = new Map(probes.map((p) => [p.name, p]));
    assert.equal(byName.get("apim-accepts-key")?.from, "internet");
    assert.equal(byName.has("apim-unreachable-from-internet"), false);
    assert.deepEqual(byName.get("backend-refuses-direct-call")?.expect, { unreachable: true });
    assert.doesNotMatch(byName.get("backend-refuses-direct-call")!.why, /secret/);
    assert.equal(byName.has("backend-answers-direct-call"), false);
    assert.deepEqual(byName.get("apim-streams-chat-events")?.expect, { status: 200, eventReadsAtLeast: 2 });
    assert.ok(byName.has("openai-private-endpoint"));
  });

  it("runs the policy pack over it with no mandatory violation; the rules keyed to a registered scenario's traits say why they skip it", () => {
    const report = runPolicies(e);
    const skipped = report.results.filter((r) => r.notApplicable.some((why) => /unknown scenario "edge"/.test(why))).map((r) => r.policy);
    assert.deepEqual(skipped.sort(), ["backend-private-from-internet", "backend-public-exposure", "openai-private-in-vnet"]);
    assert.ok(report.results.length > 0);
    assert.ok(report.summary.passed.length > 0, JSON.stringify(report.summary));
    assert.deepEqual(
      report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`),
      [],
    );
  });
});
