/**
 * The fifth scenario, `integrated` (issue 20 part 1): APIM Standard v2 with outbound VNet integration, on the
 * real evaluated graph of stacks/Pulumi.integrated.yaml.
 * https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { evaluateScenario } from "../../automation/evaluate";
import { analyzeScenario } from "../../automation/plan/analysis";
import { defaultsFor } from "../../config/defaults";
import { plannedIngressIp } from "../../config/naming";
import { crossFieldProblems } from "../../config/rules";
import { certificatePath, certificateProblems } from "../../config/certificates";
import { apiGatewayArgsProblems, vnetProperties } from "../../components/ApiGateway";
import { APIM_INTEGRATION_DELEGATION, apimNsgRules, nsgVerdict } from "../../components/Network";
import { runPolicies } from "../../policy/run";
import { APIM_PRIVATE_LINK_ZONE } from "../../scenarios/build";
import { findScenario } from "../../scenarios/catalog";
import type { Probe } from "../../scenarios/probes";
import { apimInjected, gatewayReach, modelReachedPrivately, traitProblems } from "../../scenarios/traits";
import { evaluated, ofType, one, T } from "./helpers";

const K = {
  nsg: "azure-native:network:NetworkSecurityGroup",
  backend: "azure-native:apimanagement:Backend",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  chart: "kubernetes:helm.sh/v4:Chart",
  privateEndpoint: "azure-native:network:PrivateEndpoint",
} as const;

type Rule = Record<string, unknown>;
const subnetNamed = (e: Awaited<ReturnType<typeof evaluated>>, name: string) => one(e, T.subnet, (s) => s.inputs.subnetName === name);
const nsgRules = (e: Awaited<ReturnType<typeof evaluated>>, subnetName: string) => {
  const id = (subnetNamed(e, subnetName).inputs.networkSecurityGroup as { id: string }).id;
  return (one(e, K.nsg, (n) => n.id === id).inputs.securityRules ?? []) as Rule[];
};

describe("integrated: Standard v2 with outbound VNet integration (issue 20 part 1)", function () {
  this.timeout(120_000);

  it("is registered with traits that say: integrated, internal ingress admitting the VNet, no second factor, Standard v2 only", () => {
    const d = findScenario("integrated")!;
    assert.deepEqual(traitProblems(d), []);
    assert.equal(d.traits.vnetMode, "Integration");
    assert.deepEqual([d.traits.publicIngress, d.traits.backendAdmission, d.traits.secondFactor], [false, "vnet", "none"]);
    assert.deepEqual(d.traits.allowedSkus, ["StandardV2"]);
    assert.equal(gatewayReach(d.traits), "internet", "the gateway stays public");
    assert.equal(modelReachedPrivately(d.traits), true, "APIM's outbound calls reach the model's private endpoint");
    assert.equal(apimInjected(d.traits), false);
    // A definition that integrates a tier without outbound integration is incoherent.
    assert.deepEqual(traitProblems({ ...d, traits: { ...d.traits, allowedSkus: ["StandardV2", "Developer"] } }), ["vnetMode Integration exists only on StandardV2"]);
  });

  it("delegates APIM's subnet to Microsoft.Web/serverFarms, a /27, with an NSG and no rules of its own", async () => {
    const e = await evaluated("integrated");
    const subnet = subnetNamed(e, "snet-apim");
    assert.deepEqual(subnet.inputs.delegations, [{ name: "Microsoft.Web.serverFarms", serviceName: APIM_INTEGRATION_DELEGATION }]);
    assert.equal(subnet.inputs.addressPrefix, "10.42.1.0/27");
    assert.ok((subnet.inputs.networkSecurityGroup as { id?: string }).id, "an NSG is associated");
    assert.deepEqual(nsgRules(e, "snet-apim"), []);
    assert.deepEqual(apimNsgRules("Integration"), []);
    // The injection scenarios keep their subnet undelegated.
    const external = await evaluated("external");
    assert.equal(subnetNamed(external, "snet-apim").inputs.delegations, undefined);
  });

  it("sends APIM as Standard v2 with virtualNetworkType External, the delegated subnet and no public IP", async () => {
    const e = await evaluated("integrated");
    const apim = one(e, T.apim);
    assert.deepEqual(apim.inputs.sku, { name: "StandardV2", capacity: 1 });
    assert.equal(apim.inputs.virtualNetworkType, "External");
    assert.equal((apim.inputs.virtualNetworkConfiguration as { subnetResourceId: string }).subnetResourceId, subnetNamed(e, "snet-apim").id);
    assert.equal(apim.inputs.publicIpAddressId, undefined);
    assert.equal(ofType(e, T.pip).filter((p) => /^pip-apim/.test(String(p.inputs.publicIpAddressName))).length, 0, "no APIM public IP");
    // What Standard v2 does not take: the client-certificate flag, the legacy portal, TLS custom properties, CA certificates.
    for (const key of ["enableClientCertificate", "legacyPortalStatus", "customProperties", "certificates", "natGatewayState"]) assert.equal(apim.inputs[key], undefined, key);
    // azure-native answered StandardV2 with OperationSupportedInSkuForApiVersions while it sent 2022-09-01-preview
    // (pulumi/pulumi-azure-native#4510); 2024-05-01 became the default with #4574. The SDK in use says which it sends.
    const sdk = fs.readFileSync(require.resolve("@pulumi/azure-native/apimanagement/apiManagementService.d.ts"), "utf8");
    assert.match(sdk, /Uses Azure REST API version (2024-05-01|2024-(0[6-9]|1\d)-\d\d|202[5-9]-\d\d-\d\d)/);
    assert.equal(analyzeScenario("integrated", e.resources).apimVnetMode, "Integration");
  });

  it("maps each VNet mode to the service's properties, and refuses integration on a tier without it", () => {
    assert.deepEqual(vnetProperties({ mode: "Integration", subnetId: "s" }), { virtualNetworkType: "External", virtualNetworkConfiguration: { subnetResourceId: "s" } });
    assert.deepEqual(vnetProperties({ mode: "Internal", subnetId: "s", publicIpAddressId: "p" }), {
      virtualNetworkType: "Internal",
      virtualNetworkConfiguration: { subnetResourceId: "s" },
      publicIpAddressId: "p",
    });
    assert.deepEqual(vnetProperties(undefined), { virtualNetworkType: "None" });
    const base = {
      resourceGroupName: "rg",
      location: "swedencentral",
      tags: {},
      serviceName: "apim",
      capacity: 1,
      publisherName: "p",
      publisherEmail: "p@contoso.com",
      developerPortal: false,
      policies: {} as never,
      aiApiBackendUrl: "https://ai",
      openAiEndpoint: "https://oai",
    };
    assert.deepEqual(apiGatewayArgsProblems({ ...base, sku: "StandardV2", vnet: { mode: "Integration", subnetId: "s" } }), []);
    assert.deepEqual(apiGatewayArgsProblems({ ...base, sku: "Developer", vnet: { mode: "Integration", subnetId: "s" } }), ["vnet (Integration mode) needs one of StandardV2, not Developer"]);
    assert.deepEqual(apiGatewayArgsProblems({ ...base, sku: "StandardV2", vnet: { mode: "External", subnetId: "s", publicIpAddressId: "p" } }), [
      "vnet (External mode) needs one of Developer, Premium, not StandardV2",
    ]);
  });

  it("admits only the integration subnet at the ingress: NSG on the load balancer's backends and Traefik's NetworkPolicy", async () => {
    const e = await evaluated("integrated");
    const apimSubnet = String(subnetNamed(e, "snet-apim").inputs.addressPrefix);
    const ingressSubnet = String(subnetNamed(e, "snet-ingress").inputs.addressPrefix);
    const aksSubnet = String(subnetNamed(e, "snet-aks").inputs.addressPrefix);
    const vnet = [String(((one(e, T.vnet).inputs.addressSpace as { addressPrefixes: string[] }).addressPrefixes)[0])];
    const frontend = plannedIngressIp(ingressSubnet);
    for (const subnet of ["snet-aks", "snet-ingress"]) {
      const verdict = (source: string) => nsgVerdict(nsgRules(e, subnet), { source, destination: frontend, port: 443, protocol: "Tcp" }, vnet).access;
      assert.equal(verdict(plannedIngressIp(apimSubnet)), "Allow", `${subnet}: an address of the integration subnet`);
      assert.equal(verdict(plannedIngressIp(aksSubnet)), "Deny", `${subnet}: a node`);
      assert.equal(verdict("192.0.2.10"), "Deny", `${subnet}: the internet`);
    }
    const entry = one(e, K.networkPolicy, (p) => (p.inputs.metadata as { namespace?: string }).namespace === "traefik" && (p.inputs.metadata as { name?: string }).name === "allow-entrypoints");
    assert.deepEqual((entry.inputs.spec as { ingress: { from: unknown }[] }).ingress.map((r) => r.from), [[{ ipBlock: { cidr: apimSubnet } }]]);
    const traefik = one(e, K.chart, (c) => /traefik/.test(JSON.stringify(c.inputs.chart ?? "")));
    const annotations = ((traefik.inputs.values as { service: { annotations: Record<string, string> } }).service.annotations);
    assert.equal(annotations["service.beta.kubernetes.io/azure-load-balancer-internal"], "true", "an internal load balancer: no public ingress");
    // No shared ranges and no second factor, unlike consumption.
    assert.equal(ofType(e, "random:index/randomPassword:RandomPassword").filter((p) => p.name === "apim-backend-password").length, 0);
    assert.equal(ofType(e, "kubernetes:traefik.io/v1alpha1:Middleware").filter((m) => (m.inputs.spec as { ipAllowList?: unknown }).ipAllowList).length, 0);
  });

  it("calls the AI API by its private name through a backend entity that checks the certificate's name, not its chain (no CA store on v2)", async () => {
    const e = await evaluated("integrated");
    const host = String(e.outputs.backendHost.value);
    assert.match(host, /^ai\.[a-z0-9-]+\.internal$/);
    const backend = one(e, K.backend, (b) => b.inputs.backendId === "ai-api-backend");
    assert.equal(backend.inputs.url, `https://${host}`);
    assert.deepEqual(backend.inputs.tls, { validateCertificateChain: false, validateCertificateName: true });
    const aiPolicy = one(e, T.apiPolicy, (p) => p.inputs.apiId === one(e, T.api, (a) => a.inputs.apiId === "ai-api").inputs.apiId);
    assert.match(String(aiPolicy.inputs.value), /<set-backend-service backend-id="ai-api-backend" \/>/);
    assert.ok(aiPolicy.dependencies.includes(backend.urn), "the backend exists before the policy names it");
    const cert = analyzeScenario("integrated", e.resources).hops.find((h) => h.id === "apim-ingress")!.protections.find((p) => p.name === "certificate")!;
    assert.deepEqual([cert.present, cert.summary, cert.tone], [true, "private CA, name only", "warn"]);
    assert.match(certificatePath(defaultsFor("integrated")).reason, /no CA store, so APIM checks the certificate's name, not its chain/);
    // The classic scenarios keep trusting their CA and need no such backend.
    const external = await evaluated("external");
    assert.equal(ofType(external, K.backend).filter((b) => b.inputs.backendId === "ai-api-backend").length, 0);
    assert.equal(((one(external, T.apim).inputs.certificates ?? []) as unknown[]).length, 1);
  });

  it("runs the policies Standard v2 supports: rate-limit-by-key and the token limit, quota per subscription (quota-by-key is classic only)", async () => {
    const e = await evaluated("integrated");
    const product = String(one(e, T.productPolicy).inputs.value);
    assert.match(product, /<rate-limit-by-key /);
    assert.match(product, /<quota /);
    assert.doesNotMatch(product, /<quota-by-key /);
    const openAi = String(one(e, T.apiPolicy, (p) => p.inputs.apiId === "azure-openai").inputs.value);
    assert.match(openAi, /<azure-openai-token-limit /);
    assert.match(openAi, /<azure-openai-emit-token-metric /);
  });

  it("reaches the model through its private endpoint, with no shared ranges needed", async () => {
    const e = await evaluated("integrated");
    assert.equal(ofType(e, K.privateEndpoint).length, 1);
    assert.equal((one(e, T.openAi).inputs.properties as { publicNetworkAccess?: string }).publicNetworkAccess, "Disabled");
    assert.ok(ofType(e, T.zone).some((z) => z.inputs.privateZoneName === "privatelink.openai.azure.com"));
    assert.deepEqual(crossFieldProblems(defaultsFor("integrated")), []);
  });

  it("lists probes that follow its traits: public gateway, backend unreachable from the internet, the model's private path", async () => {
    const e = await evaluated("integrated");
    const probes = new Map((e.outputs.probes.value as Probe[]).map((p) => [p.name, p]));
    assert.equal(probes.get("apim-accepts-key")?.from, "internet");
    assert.deepEqual(probes.get("apim-accepts-key")?.expect, { status: 200 });
    assert.equal(probes.has("apim-unreachable-from-internet"), false);
    assert.deepEqual(probes.get("backend-refuses-direct-call")?.expect, { unreachable: true });
    assert.equal(probes.has("backend-answers-direct-call"), false);
    assert.deepEqual(probes.get("openai-refuses-internet")?.expect, { status: 403 });
    assert.equal(probes.get("openai-private-endpoint")?.from, "vnet");
  });

  it("shows no internet path to the AI API in the plan, and passes the policy pack", async () => {
    const e = await evaluated("integrated");
    const a = analyzeScenario("integrated", e.resources);
    assert.equal(a.endpoints.apim.reach, "internet");
    assert.equal(a.endpoints.ingress.reach, "vnet");
    assert.ok(!a.gaps.some((g) => /ingress answers anyone|APIM refuses the backend/.test(g)), a.gaps.join("\n"));
    const report = runPolicies(e);
    assert.deepEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    assert.ok(!report.results.some((r) => r.notApplicable.some((why) => /unknown scenario/.test(why))), "the pack knows the scenario");
  });

  it("integratedPrivateGateway: a private endpoint for the gateway (Gateway) in the endpoints' subnet, named by privatelink.azure-api.net in the VNet", async () => {
    await evaluated("integrated");
    const e = await evaluateScenario("integrated", { overrides: { integratedPrivateGateway: "true" }, stack: "integrated-private-gateway" });
    const apim = one(e, T.apim);
    const pe = one(e, K.privateEndpoint, (p) => p.name === "gateway-pe");
    const connection = (pe.inputs.privateLinkServiceConnections as { privateLinkServiceId: string; groupIds: string[] }[])[0];
    assert.deepEqual(connection.groupIds, ["Gateway"]);
    assert.equal(connection.privateLinkServiceId, apim.id);
    assert.equal((pe.inputs.subnet as { id: string }).id, subnetNamed(e, "snet-pe").id);
    const zone = one(e, T.zone, (z) => z.inputs.privateZoneName === APIM_PRIVATE_LINK_ZONE);
    assert.equal(ofType(e, T.link).filter((l) => l.inputs.privateZoneName === APIM_PRIVATE_LINK_ZONE).length, 1, "linked to the VNet");
    const group = one(e, "azure-native:network:PrivateDnsZoneGroup", (g) => g.inputs.privateEndpointName === pe.inputs.privateEndpointName);
    assert.deepEqual(group.inputs.privateDnsZoneConfigs, [{ name: "apim", privateDnsZoneId: zone.id }]);
    // Azure refuses publicNetworkAccess Disabled when the service is created: the gateway stays public.
    assert.notEqual(apim.inputs.publicNetworkAccess, "Disabled");
    // Without the setting: no such endpoint.
    assert.equal(ofType(await evaluated("integrated"), K.privateEndpoint).filter((p) => p.name === "gateway-pe").length, 0);
  });

  it("refuses integratedPrivateGateway outside integrated, naming the source", () => {
    for (const scenario of ["public", "external", "internal", "consumption"] as const) {
      const found = crossFieldProblems({ ...defaultsFor(scenario), integratedPrivateGateway: true }).filter((p) => p.key === "integratedPrivateGateway");
      assert.equal(found.length, 1, scenario);
      assert.match(found[0].message, /only the integrated scenario .* \(https:\/\/learn\.microsoft\.com\/azure\/api-management\/private-endpoint\)/);
    }
    assert.deepEqual(crossFieldProblems({ ...defaultsFor("integrated"), integratedPrivateGateway: true }), []);
  });

  it("refuses other tiers and a subnet smaller than /27, naming the source", () => {
    const c = defaultsFor("integrated");
    const sku = crossFieldProblems({ ...c, apimSku: "Developer" }).find((p) => p.key === "apimSku");
    assert.match(sku!.message, /integrates APIM with the VNet for outbound calls, which only these tiers support .*integrate-vnet-outbound.*: StandardV2/);
    const small = crossFieldProblems({ ...c, apimSubnetPrefix: "10.42.1.0/28" }).find((p) => p.key === "apimSubnetPrefix");
    assert.match(small!.message, /at least a \/27 \(https:\/\/learn\.microsoft\.com\/azure\/api-management\/integrate-vnet-outbound#subnet-size\)/);
    assert.deepEqual(crossFieldProblems({ ...c, apimSubnetPrefix: "10.42.1.0/26" }).filter((p) => p.key === "apimSubnetPrefix"), []);
    // Let's Encrypt cannot validate a host only the VNet resolves.
    assert.equal(certificateProblems({ ...c, ingressCertificate: "letsencrypt" })[0].key, "ingressCertificate");
  });
});
