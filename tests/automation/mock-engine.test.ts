import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as random from "@pulumi/random";
import { evaluateScenario } from "../../automation/evaluate";
import { evaluateProgram, SECRET } from "../../automation/mock-engine";
import { isSimulatedAddress, simulateCall, simulatedAddress, simulateResource } from "../../automation/simulate";

class Box extends pulumi.ComponentResource {
  readonly password: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:Box", name, {});
    const rg = new resources.ResourceGroup("rg", { resourceGroupName: "rg-box", location: "swedencentral" }, { parent: this });
    const pw = new random.RandomPassword("pw", { length: 16 }, { parent: this });
    const pip = new network.PublicIPAddress("pip", { resourceGroupName: rg.name, publicIpAddressName: "pip-box" }, { parent: this });
    new network.VirtualNetwork(
      "vnet",
      { resourceGroupName: rg.name, virtualNetworkName: "vnet-box", tags: { ip: pip.ipAddress.apply((a) => a ?? "") } },
      { parent: this, dependsOn: [pw] },
    );
    this.password = pw.result;
    this.registerOutputs({ password: pw.result });
  }
}

describe("automation/mock-engine", () => {
  // The monitor hook is not a public Pulumi API (DESIGN.md, Engineering notes): this guards it on upgrades.
  it("captures parents, explicit and input dependencies through the monitor hook", async () => {
    const evaluation = await evaluateProgram(() => ({ password: new Box("box").password }), { project: "p", stack: "s" });
    const byName = new Map(evaluation.resources.map((r) => [r.name, r]));
    const box = byName.get("box")!;
    const vnet = byName.get("vnet")!;
    assert.equal(box.urn, "urn:pulumi:s::p::test:index:Box::box");
    assert.equal(vnet.parent, box.urn);
    assert.ok(vnet.dependencies.includes(byName.get("rg")!.urn), "input dependency on the resource group");
    assert.ok(vnet.dependencies.includes(byName.get("pw")!.urn), "explicit dependsOn");
    assert.deepEqual(vnet.propertyDependencies.tags, [byName.get("pip")!.urn]);
    assert.equal(vnet.custom, true);
    assert.equal(box.custom, false);
  });

  it("flows simulated outputs from documentation ranges into other resources' inputs", async () => {
    const evaluation = await evaluateProgram(() => (new Box("box"), {}), { project: "p", stack: "s" });
    const vnet = evaluation.resources.find((r) => r.name === "vnet")!;
    const ip = (vnet.inputs.tags as Record<string, string>).ip;
    assert.ok(isSimulatedAddress(ip), ip);
    assert.equal(ip, simulatedAddress("public", "pip/pip"));
    assert.match(String(vnet.id), /^\/subscriptions\/0{8}-.*\/virtualNetworks\/vnet-box$/);
  });

  it("keeps secrets secret: engine-marked outputs, masked in records, flagged on stack outputs", async () => {
    const evaluation = await evaluateProgram(() => ({ password: new Box("box").password, plain: "x" }), { project: "p", stack: "s" });
    assert.equal(evaluation.outputs.password.secret, true);
    assert.equal(evaluation.outputs.plain.secret, false);
    const pw = evaluation.resources.find((r) => r.name === "pw")!;
    assert.equal(pw.outputs.result, SECRET);
    const box = evaluation.resources.find((r) => r.name === "box")!;
    assert.equal(box.outputs.password, SECRET);
    assert.ok(!JSON.stringify(evaluation.resources).includes(String(evaluation.outputs.password.value)));
  });

  it("forms host names as Azure does; only addresses, IDs and random parts are simulated", () => {
    const apim = simulateResource("azure-native:apimanagement:ApiManagementService", "gw", { serviceName: "apim-x", sku: { name: "Developer", capacity: 1 }, virtualNetworkType: "Internal" }).state;
    assert.equal(apim.gatewayUrl, "https://apim-x.azure-api.net");
    assert.equal(apim.portalUrl, "https://apim-x.portal.azure-api.net");
    assert.equal(apim.developerPortalUrl, "https://apim-x.developer.azure-api.net");
    assert.equal(apim.managementApiUrl, "https://apim-x.management.azure-api.net");
    assert.equal(apim.scmUrl, "https://apim-x.scm.azure-api.net");
    assert.ok(isSimulatedAddress(apim.privateIPAddresses[0]) && isSimulatedAddress(apim.publicIPAddresses[0]));
    const pip = simulateResource("azure-native:network:PublicIPAddress", "pip", { location: "swedencentral", dnsSettings: { domainNameLabel: "lbl" } }).state;
    assert.equal(pip.dnsSettings.fqdn, "lbl.swedencentral.cloudapp.azure.com");
    const oai = simulateResource("azure-native:cognitiveservices:Account", "oai", { properties: { customSubDomainName: "oai-x" } }).state;
    assert.equal(oai.properties.endpoint, "https://oai-x.openai.azure.com/");
    assert.equal(simulateResource("azure-native:containerregistry:Registry", "acr", { registryName: "AcrX" }).state.loginServer, "acrx.azurecr.io");
    const aks = simulateResource("azure-native:containerservice:ManagedCluster", "aks", { resourceGroupName: "rg", resourceName: "aks-x", dnsPrefix: "pfx", location: "swedencentral" }).state;
    assert.match(aks.fqdn, /^pfx-[0-9a-f]{8}\.hcp\.swedencentral\.azmk8s\.io$/);
    assert.match(aks.oidcIssuerProfile.issuerURL, /^https:\/\/swedencentral\.oic\.prod-aks\.azure\.com\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/$/);
    const creds = simulateCall("azure-native:containerservice:listManagedClusterUserCredentials", { resourceGroupName: "rg", resourceName: "aks-x" });
    assert.ok(Buffer.from(creds.kubeconfigs[0].value, "base64").toString().includes(`server: "https://${aks.fqdn}:443"`), "the kubeconfig names the cluster's own host");
    const appi = simulateResource("azure-native:applicationinsights:Component", "appi", { location: "swedencentral" }).state;
    assert.match(appi.connectionString, /IngestionEndpoint=https:\/\/swedencentral-0\.in\.applicationinsights\.azure\.com\/$/);
    const all = JSON.stringify([apim, pip, oai, aks, appi]);
    assert.ok(!/\.example\b/.test(all), "no stand-in domains");
  });

  it("evaluateScenario: the same scenario, stack and settings are evaluated once per process, calls at once run in turn", async () => {
    const [a, b] = await Promise.all([evaluateScenario("consumption"), evaluateScenario("consumption")]);
    assert.equal(a, b, "one evaluation, shared");
    const other = await evaluateScenario("consumption", { overrides: { rateLimitCalls: 61 }, stack: "consumption-rate" });
    assert.notEqual(other, a);
    assert.equal(other.stack, "consumption-rate");
    assert.equal(a.resources.length, (await evaluateScenario("consumption")).resources.length);
    await assert.rejects(evaluateScenario("consumption", { overrides: { apimSku: "Gold" } }), /apimSku/);
  });

  it("evaluates programs one after another with fresh state", async () => {
    const a = await evaluateProgram(() => (new Box("box"), {}), { project: "p", stack: "one" });
    const b = await evaluateProgram(() => (new Box("box"), {}), { project: "p", stack: "two" });
    assert.equal(a.resources.length, b.resources.length);
    assert.ok(b.resources.every((r) => r.urn.startsWith("urn:pulumi:two::")));
  });
});
