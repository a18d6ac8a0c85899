import assert from "node:assert/strict";
import { evaluateProgram, type Evaluation, type RegisteredResource } from "../../automation/mock-engine";
import { ofType, one } from "../helpers/graph";
import { aksNsgRules, apimNsgRules, ingressNsgRules, Network, type NetworkArgs, type NsgRule, nsgVerdict, toSecurityRule } from "../../components/Network";

const T = {
  network: "apim-aks-ai:network:Network",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  nsg: "azure-native:network:NetworkSecurityGroup",
  diag: "azure-native:monitor:DiagnosticSetting",
} as const;

const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const BASE: NetworkArgs = {
  resourceGroupName: "rg-net",
  location: "swedencentral",
  tags: TAGS,
  virtualNetworkName: "vnet-test",
  addressSpace: "10.42.0.0/16",
  aksSubnetPrefix: "10.42.16.0/22",
  ingressSubnetPrefix: "10.42.2.0/27",
};

interface Built {
  e: Evaluation;
  outputs: Record<string, unknown>;
}

async function build(overrides: Partial<NetworkArgs> = {}): Promise<Built> {
  const e = await evaluateProgram(() => {
    const n = new Network("network", { ...BASE, ...overrides });
    return {
      resourceId: n.resourceId,
      resourceName: n.resourceName,
      aksSubnetId: n.aksSubnetId,
      ingressSubnetId: n.ingressSubnetId,
      ingressSubnetName: n.ingressSubnetName,
      apimSubnetId: n.apimSubnetId ?? "none",
      apimPublicIpId: n.apimPublicIpId ?? "none",
      nsgAks: n.nsgIds.aks,
      nsgIngress: n.nsgIds.ingress,
      nsgApim: n.nsgIds.apim ?? "none",
    };
  }, { project: "test", stack: "t" });
  return { e, outputs: Object.fromEntries(Object.entries(e.outputs).map(([k, v]) => [k, v.value])) };
}

const subnet = (e: Evaluation, key: string) => ofType(e, T.subnet).find((s) => s.inputs.subnetName === `snet-${key}`)!;
const nsgFor = (e: Evaluation, s: RegisteredResource) =>
  ofType(e, T.nsg).find((n) => n.id === (s.inputs.networkSecurityGroup as { id: string }).id)!;
const rulesOf = (nsg: RegisteredResource) => (nsg.inputs.securityRules ?? []) as Record<string, unknown>[];
const ports = (r: Record<string, unknown>) => (r.destinationPortRanges as string[] | undefined) ?? [r.destinationPortRange as string];

/** Allows from anywhere on the internet to every port: what no NSG here may contain. */
function admitsInternetToAllPorts(r: Record<string, unknown>): boolean {
  return r.direction === "Inbound" && r.access === "Allow" && ["*", "Internet", "0.0.0.0/0", "Any"].includes(String(r.sourceAddressPrefix)) && ports(r).includes("*");
}

function hasRule(rules: Record<string, unknown>[], source: string, port: string, direction = "Inbound"): boolean {
  return rules.some((r) => r.direction === direction && r.access === "Allow" && r.sourceAddressPrefix === source && ports(r).includes(port));
}

describe("components/Network", () => {
  describe("in the External VNet scenario", () => {
    let built: Built;
    before(async () => {
      built = await build({ apim: { subnetPrefix: "10.42.1.0/27", mode: "External" }, diagnostics: { workspaceId: "/subscriptions/x/workspaces/log" } });
    });

    it("registers one VNet, three subnets and three NSGs, all parented to the component", () => {
      const { e } = built;
      const component = ofType(e, T.network);
      assert.equal(component.length, 1);
      assert.equal(component[0].urn, "urn:pulumi:t::test::apim-aks-ai:network:Network::network");
      assert.equal(ofType(e, T.vnet).length, 1);
      assert.equal(ofType(e, T.subnet).length, 3);
      assert.equal(ofType(e, T.nsg).length, 3);
      for (const r of e.resources.filter((r) => r.custom)) assert.equal(r.parent, component[0].urn, `${r.type} ${r.name}`);
    });

    it("names the VNet as asked and gives it the address space", () => {
      const vnet = ofType(built.e, T.vnet)[0];
      assert.equal(vnet.inputs.virtualNetworkName, "vnet-test");
      assert.deepEqual(vnet.inputs.addressSpace, { addressPrefixes: ["10.42.0.0/16"] });
      assert.equal(vnet.inputs.subnets, undefined, "subnets are standalone resources, never inline too");
      assert.equal(built.outputs.resourceName, "vnet-test");
      assert.equal(built.outputs.resourceId, vnet.id);
    });

    it("puts location and tags on every Azure resource that takes them", () => {
      for (const r of [...ofType(built.e, T.vnet), ...ofType(built.e, T.nsg)]) {
        assert.equal(r.inputs.location, "swedencentral", r.name);
        assert.deepEqual(r.inputs.tags, TAGS, r.name);
        assert.equal(r.inputs.resourceGroupName, "rg-net", r.name);
      }
    });

    it("gives each subnet its prefix and its own NSG", () => {
      const { e } = built;
      const expected = { apim: "10.42.1.0/27", aks: "10.42.16.0/22", ingress: "10.42.2.0/27" };
      const nsgIds = new Set<string>();
      for (const [key, prefix] of Object.entries(expected)) {
        const s = subnet(e, key);
        assert.equal(s.inputs.addressPrefix, prefix);
        assert.equal(s.inputs.virtualNetworkName, "vnet-test");
        const nsg = nsgFor(e, s);
        assert.ok(nsg, `${key} subnet references an NSG`);
        assert.ok(s.dependencies.includes(nsg.urn), `${key} subnet depends on its NSG`);
        assert.equal(nsg.inputs.networkSecurityGroupName, `vnet-test-snet-${key}-nsg`);
        nsgIds.add(String(nsg.id));
      }
      assert.equal(nsgIds.size, 3);
      assert.equal(built.outputs.nsgApim, nsgFor(e, subnet(e, "apim")).id);
      assert.equal(built.outputs.nsgAks, nsgFor(e, subnet(e, "aks")).id);
      assert.equal(built.outputs.nsgIngress, nsgFor(e, subnet(e, "ingress")).id);
    });

    it("creates the subnets one after another", () => {
      const { e } = built;
      const [apim, aks, ingress] = ["apim", "aks", "ingress"].map((k) => subnet(e, k));
      assert.ok(aks.dependencies.includes(apim.urn));
      assert.ok(ingress.dependencies.includes(aks.urn));
      assert.ok(!apim.dependencies.some((d) => ofType(e, T.subnet).some((s) => s.urn === d)));
    });

    it("exports subnet IDs under the VNet's ID", () => {
      const { e, outputs } = built;
      assert.equal(outputs.apimSubnetId, subnet(e, "apim").id);
      assert.equal(outputs.aksSubnetId, subnet(e, "aks").id);
      assert.equal(outputs.ingressSubnetId, subnet(e, "ingress").id);
      assert.equal(outputs.ingressSubnetName, "snet-ingress");
      for (const key of ["apimSubnetId", "aksSubnetId", "ingressSubnetId"]) {
        assert.ok(String(outputs[key]).startsWith(`${outputs.resourceId}/subnets/snet-`), `${key}: ${outputs[key]}`);
      }
      assert.match(String(outputs.apimSubnetId), /\/subnets\/[^/]*apim[^/]*$/);
    });

    it("leaves APIM's subnet without delegations or service endpoints", () => {
      const s = subnet(built.e, "apim");
      assert.equal(s.inputs.delegations, undefined);
      assert.equal(s.inputs.serviceEndpoints, undefined);
    });

    it("admits clients on 443 from the internet and the platform's documented inbound on the APIM NSG", () => {
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "apim")));
      assert.ok(hasRule(rules, "Internet", "443"));
      assert.ok(!hasRule(rules, "Internet", "80"), "port 80 is optional and the APIs are HTTPS only");
      assert.ok(hasRule(rules, "ApiManagement", "3443"));
      assert.ok(hasRule(rules, "AzureLoadBalancer", "6390"));
      assert.ok(hasRule(rules, "AzureTrafficManager", "443"));
      const outbound = (tag: string, port: string) =>
        rules.some((r) => r.direction === "Outbound" && r.access === "Allow" && r.destinationAddressPrefix === tag && ports(r).includes(port));
      for (const [tag, port] of [["Storage", "443"], ["Sql", "1433"], ["AzureKeyVault", "443"], ["AzureMonitor", "1886"], ["AzureMonitor", "443"], ["Internet", "80"]]) {
        assert.ok(outbound(tag, port), `outbound ${tag}:${port}`);
      }
    });

    it("has no NSG rule admitting the internet to all ports", () => {
      for (const nsg of ofType(built.e, T.nsg)) for (const r of rulesOf(nsg)) assert.ok(!admitsInternetToAllPorts(r), `${nsg.name} ${r.name}`);
    });

    it("admits only APIM's subnet and probes to the ingress subnet and denies the internet", () => {
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "ingress")));
      const apim = rules.find((r) => r.sourceAddressPrefix === "10.42.1.0/27")!;
      assert.equal(apim.access, "Allow");
      assert.deepEqual(ports(apim), ["443"]);
      assert.equal(apim.destinationAddressPrefix, "10.42.2.0/27");
      assert.ok(rules.some((r) => r.sourceAddressPrefix === "AzureLoadBalancer" && r.access === "Allow"));
      const deny = rules.find((r) => r.sourceAddressPrefix === "Internet")!;
      assert.equal(deny.access, "Deny");
      assert.ok(rules.filter((r) => r.access === "Allow").every((r) => (r.priority as number) < (deny.priority as number)));
    });

    it("admits only APIM's subnet to the internal ingress's addresses on the AKS subnet, and nothing else", () => {
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "aks")));
      assert.deepEqual(
        rules.map((r) => [r.name, r.access, r.sourceAddressPrefix, r.destinationAddressPrefix, ports(r).join(",")]),
        [
          ["AllowApimToIngressHttps", "Allow", "10.42.1.0/27", "10.42.2.0/27", "443"],
          ["DenyVnetToIngress", "Deny", "VirtualNetwork", "10.42.2.0/27", "*"],
        ],
      );
    });

    it("sends each NSG's two log categories, and no metrics, to the workspace", () => {
      const diags = ofType(built.e, T.diag);
      assert.equal(diags.length, 3);
      const nsgIds = ofType(built.e, T.nsg).map((n) => n.id);
      for (const d of diags) {
        assert.ok(nsgIds.includes(String(d.inputs.resourceUri)));
        assert.equal(d.inputs.workspaceId, "/subscriptions/x/workspaces/log");
        assert.deepEqual((d.inputs.logs as { category: string }[]).map((l) => l.category).sort(), ["NetworkSecurityGroupEvent", "NetworkSecurityGroupRuleCounter"]);
        assert.equal(d.inputs.metrics, undefined);
      }
    });
  });

  describe("in the Internal VNet scenario", () => {
    let built: Built;
    before(async () => {
      built = await build({ apim: { subnetPrefix: "10.42.1.0/27", mode: "Internal" } });
    });

    it("admits no internet traffic into APIM's subnet but keeps management and load balancer", () => {
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "apim")));
      assert.ok(!rules.some((r) => r.direction === "Inbound" && r.access === "Allow" && ["Internet", "*", "AzureTrafficManager"].includes(String(r.sourceAddressPrefix))));
      assert.ok(hasRule(rules, "ApiManagement", "3443"));
      assert.ok(hasRule(rules, "AzureLoadBalancer", "6390"));
    });

    it("creates no diagnostic settings without a workspace", () => {
      assert.equal(ofType(built.e, T.diag).length, 0);
    });
  });

  describe("without APIM in the VNet (public and consumption scenarios)", () => {
    let built: Built;
    before(async () => {
      built = await build({ publicIngressPorts: [80, 443] });
    });

    it("creates only the AKS and ingress subnets and exports no APIM subnet", () => {
      assert.deepEqual(ofType(built.e, T.subnet).map((s) => s.inputs.subnetName).sort(), ["snet-aks", "snet-ingress"]);
      assert.equal(ofType(built.e, T.nsg).length, 2);
      assert.equal(built.outputs.apimSubnetId, "none");
      assert.equal(built.outputs.nsgApim, "none");
      assert.ok(subnet(built.e, "ingress").dependencies.includes(subnet(built.e, "aks").urn));
    });

    it("admits the public ingress ports, and only those, from the internet on the AKS subnet", () => {
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "aks")));
      assert.equal(rules.length, 1);
      assert.deepEqual(ports(rules[0]), ["80", "443"]);
      assert.equal(rules[0].sourceAddressPrefix, "Internet");
      assert.ok(!admitsInternetToAllPorts(rules[0]));
    });

    it("gives the ingress subnet no APIM rule", () => {
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "ingress")));
      assert.deepEqual(rules.map((r) => r.name), ["AllowAzureLoadBalancerInbound", "DenyInternetInbound"]);
    });
  });

  describe("rule sets as data", () => {
    const all = (): [string, NsgRule[]][] => [
      ["apim External", apimNsgRules("External")],
      ["apim Internal", apimNsgRules("Internal")],
      ["aks", aksNsgRules()],
      ["aks public", aksNsgRules([443])],
      ["ingress", ingressNsgRules("10.42.2.0/27")],
      ["ingress vnet", ingressNsgRules("10.42.2.0/27", "10.42.1.0/27")],
    ];

    it("gives each rule a unique priority per direction, a valid priority, a description and a Microsoft doc", () => {
      for (const [set, rules] of all()) {
        for (const direction of ["Inbound", "Outbound"]) {
          const priorities = rules.filter((r) => r.direction === direction).map((r) => r.priority);
          assert.equal(new Set(priorities).size, priorities.length, `${set} ${direction}`);
        }
        assert.equal(new Set(rules.map((r) => r.name)).size, rules.length, set);
        for (const r of rules) {
          assert.ok(r.priority >= 100 && r.priority <= 4096, `${set} ${r.name}`);
          assert.ok(r.description.length > 0 && r.description.length <= 140, `${set} ${r.name}`);
          assert.match(r.doc, /^https:\/\/learn\.microsoft\.com\/azure\//, `${set} ${r.name}`);
          assert.ok(!admitsInternetToAllPorts({ ...toSecurityRule(r) }), `${set} ${r.name}`);
        }
      }
    });

    it("differs between modes only by the internet client and Traffic Manager rules", () => {
      const external = apimNsgRules("External").map((r) => r.name);
      const internal = apimNsgRules("Internal").map((r) => r.name);
      assert.deepEqual(external.filter((n) => !internal.includes(n)).sort(), ["AllowClientHttpsInbound", "AllowTrafficManagerInbound"]);
      assert.ok(internal.every((n) => external.includes(n)));
    });

    it("keeps the documented required rules in both modes", () => {
      for (const mode of ["External", "Internal"] as const) {
        const rules = apimNsgRules(mode);
        const find = (direction: string, tag: string, port: string) =>
          rules.find((r) => r.direction === direction && (direction === "Inbound" ? r.source : r.destination) === tag && r.ports.includes(port));
        assert.ok(find("Inbound", "ApiManagement", "3443"), mode);
        assert.ok(find("Inbound", "AzureLoadBalancer", "6390"), mode);
        for (const [tag, port] of [["Storage", "443"], ["Sql", "1433"], ["AzureKeyVault", "443"], ["AzureMonitor", "1886"], ["AzureMonitor", "443"], ["Internet", "80"]]) {
          const rule = find("Outbound", tag, port);
          assert.ok(rule, `${mode} outbound ${tag}:${port}`);
          assert.equal(rule.source, "VirtualNetwork");
          assert.equal(rule.protocol, "Tcp");
        }
      }
    });

    it("maps one port to destinationPortRange and several to destinationPortRanges", () => {
      const [monitor] = apimNsgRules("Internal").filter((r) => r.destination === "AzureMonitor");
      const arm = toSecurityRule(monitor);
      assert.deepEqual(arm.destinationPortRanges, ["1886", "443"]);
      assert.equal(arm.destinationPortRange, undefined);
      const single = toSecurityRule(apimNsgRules("Internal")[0]);
      assert.equal(single.destinationPortRange, "3443");
      assert.equal(single.destinationPortRanges, undefined);
      assert.equal(single.sourcePortRange, "*");
    });
  });

  describe("HTTPS at a public ingress from given sources only (consumption)", () => {
    it("admits 80 from the internet and 443 only from the source, on the AKS subnet", async () => {
      const built = await build({ publicIngressPorts: [80, 443], publicIngressHttpsSource: "AzureCloud.swedencentral" });
      const rules = rulesOf(nsgFor(built.e, subnet(built.e, "aks")));
      assert.ok(hasRule(rules, "Internet", "80"));
      assert.ok(!hasRule(rules, "Internet", "443"));
      assert.ok(hasRule(rules, "AzureCloud.swedencentral", "443"));
    });
  });

  describe("the destroy step between APIM and its subnet", () => {
    it("exists only when APIM's service name is given, and hands APIM the subnet's ID through itself", async () => {
      const without = await build({ apim: { subnetPrefix: "10.42.1.0/27", mode: "External" } });
      assert.equal(ofType(without.e, "command:local:Command").length, 0);
      const built = await build({ apim: { subnetPrefix: "10.42.1.0/27", mode: "External", serviceName: "apim-x" } });
      const [release] = ofType(built.e, "command:local:Command");
      assert.equal(release.inputs.delete, "node --import tsx scripts/release-apim-subnet.ts");
      assert.ok(release.dependencies.includes(subnet(built.e, "apim").urn));
      assert.equal((release.inputs.environment as Record<string, string>).APIM_NAME, "apim-x");
      assert.equal(built.outputs.apimSubnetId, subnet(built.e, "apim").id);
    });
    it("makes APIM's Standard static public IP with its DNS label, which the step waits for and hands on to APIM", async () => {
      const built = await build({ apim: { subnetPrefix: "10.42.1.0/27", mode: "Internal", serviceName: "apim-x", publicIp: { dnsLabel: "apim-test-label" } } });
      const pip = one(built.e, "azure-native:network:PublicIPAddress");
      assert.equal(pip.inputs.publicIpAddressName, "pip-apim-x");
      assert.deepEqual(pip.inputs.sku, { name: "Standard", tier: "Regional" });
      assert.equal(pip.inputs.publicIPAllocationMethod, "Static");
      assert.deepEqual(pip.inputs.dnsSettings, { domainNameLabel: "apim-test-label" });
      const [release] = ofType(built.e, "command:local:Command");
      assert.ok(release.dependencies.includes(pip.urn));
      assert.equal(built.outputs.apimPublicIpId, pip.id);
    });
    it("keeps no checkout path in state, so destroy runs from any clone of the project", async () => {
      const built = await build({ apim: { subnetPrefix: "10.42.1.0/27", mode: "External", serviceName: "apim-x" } });
      const [release] = ofType(built.e, "command:local:Command");
      assert.equal(release.inputs.dir, undefined, "the engine runs the command provider in the project's directory");
      assert.ok(!JSON.stringify(release.inputs).includes(process.cwd()), "no absolute path of this checkout in the step's inputs");
    });
  });

  describe("nsgVerdict: which rule decides a packet", () => {
    const vnet = ["10.42.0.0/16"];
    const tcp = (source: string, destination: string, port: number) => ({ source, destination, port, protocol: "Tcp" as const });
    it("falls back to Azure's defaults: VNet and load balancer in, everything else denied", () => {
      assert.deepEqual(nsgVerdict([], tcp("10.42.1.4", "10.42.2.4", 443), vnet), { rule: "AllowVnetInBound", access: "Allow" });
      assert.deepEqual(nsgVerdict([], tcp("168.63.129.16", "10.42.16.4", 30000), vnet), { rule: "AllowAzureLoadBalancerInBound", access: "Allow" });
      assert.deepEqual(nsgVerdict([], tcp("192.0.2.1", "10.42.2.4", 443), vnet), { rule: "DenyAllInBound", access: "Deny" });
    });
    it("applies the lowest priority that matches source, destination, port and protocol", () => {
      const rules = [...aksNsgRules([], { internalIngress: { ingressSubnetPrefix: "10.42.2.0/27", apimSubnetPrefix: "10.42.1.0/27" } })].map(toSecurityRule);
      assert.equal(nsgVerdict(rules, tcp("10.42.1.4", "10.42.2.4", 443), vnet).rule, "AllowApimToIngressHttps");
      assert.equal(nsgVerdict(rules, tcp("10.42.1.4", "10.42.2.4", 80), vnet).rule, "DenyVnetToIngress");
      assert.equal(nsgVerdict(rules, { ...tcp("10.42.1.4", "10.42.2.4", 443), protocol: "Udp" }, vnet).rule, "DenyVnetToIngress");
      assert.equal(nsgVerdict(rules, tcp("10.42.16.4", "10.42.16.9", 443), vnet).rule, "AllowVnetInBound");
    });
    it("matches port ranges, address lists and service tags it is told about", () => {
      const rules = [{ name: "r", priority: 100, direction: "Inbound", access: "Allow", protocol: "*", sourceAddressPrefixes: ["AzureCloud.x", "192.0.2.0/28"], destinationAddressPrefix: "*", destinationPortRanges: ["1000-2000"] }];
      assert.equal(nsgVerdict(rules, tcp("198.51.100.3", "10.42.2.4", 1500), vnet, { "AzureCloud.x": ["198.51.100.0/24"] }).access, "Allow");
      assert.equal(nsgVerdict(rules, tcp("192.0.2.3", "10.42.2.4", 2001), vnet).access, "Deny");
      assert.equal(nsgVerdict(rules, tcp("198.51.100.3", "10.42.2.4", 1500), vnet).access, "Deny", "an unknown tag matches nothing");
    });
  });
});
