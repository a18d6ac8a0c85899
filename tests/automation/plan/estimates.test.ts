import assert from "node:assert/strict";
import {
  costOf,
  durationOf,
  ESTIMATES,
  estimateScenario,
  matches,
  mergeCostLines,
  serviceLoadBalancer,
  typeKeys,
} from "../../../automation/plan/estimates";
import { resource } from "./helpers";

const APIM = "azure-native:apimanagement:ApiManagementService";
const AKS = "azure-native:containerservice:ManagedCluster";

describe("automation/plan/estimates", () => {
  describe("data/estimates.json", () => {
    it("takes every price figure from the quote of its source (per hour, per month, or per day as quoted)", () => {
      const quoted = (source: string, usd: number) => {
        const says = ESTIMATES.sources[source]?.says ?? "";
        const forms = [usd, usd.toFixed(2), usd.toFixed(3), (usd * 24).toFixed(3)].map((f) => `$${f}`);
        return forms.some((f) => says.includes(`${f} `) || says.includes(`${f}/`) || says.endsWith(f));
      };
      const figures: [where: string, source: string, usd: number][] = [];
      for (const [type, entries] of Object.entries(ESTIMATES.prices)) {
        for (const e of entries) for (const k of ["usdPerHour", "usdPerMonth", "usdPerUnitMonth"] as const) if (e[k] !== undefined) figures.push([`${type} ${k}`, e.source, e[k]!]);
      }
      const aks = ESTIMATES.aks;
      for (const [tier, usd] of Object.entries(aks.controlPlaneUsdPerHour)) if (usd > 0) figures.push([`AKS ${tier}`, aks.controlPlaneSource, usd]);
      for (const key of ["defaultOsDisk", "loadBalancer", "outboundPublicIp", "internalLoadBalancer", "servicePublicIp"] as const) {
        const item = aks[key];
        for (const usd of [item.usdPerHour, item.usdPerMonth]) if (usd !== undefined) figures.push([`aks.${key}`, item.source, usd]);
      }
      for (const [size, vm] of Object.entries(ESTIMATES.vmSizes)) if (vm.usdPerHour !== undefined) figures.push([size, vm.source, vm.usdPerHour]);
      assert.ok(figures.length >= 5);
      for (const [where, source, usd] of figures) assert.ok(quoted(source, usd), `${where}: $${usd} is not in the quote of ${source}: ${ESTIMATES.sources[source]?.says}`);
      for (const s of Object.values(ESTIMATES.sources)) assert.ok(!/stored copy|client-side|check them|not reachable|summar|read from/i.test(s.says), `an authoring note in a quote: ${s.says}`);
    });

    it("names a known source, a kind and a sane figure for every duration", () => {
      for (const [type, entries] of Object.entries(ESTIMATES.durations)) {
        assert.ok(entries.length, type);
        for (const e of entries) {
          assert.ok(e.source in ESTIMATES.sources, `${type}: unknown source ${e.source}`);
          assert.ok(["documented", "observed"].includes(e.kind), `${type}: kind ${e.kind}`);
          assert.ok(e.minutes >= 0 && e.minutes <= 120, `${type}: ${e.minutes} min`);
        }
        // The last variant has no condition, so every resource of the type gets a figure.
        assert.equal(entries[entries.length - 1].when, undefined, `${type}: needs a fallback entry`);
      }
    });

    it("names a known source for every price, and every source has a Microsoft URL and the date it was read", () => {
      for (const [type, entries] of Object.entries(ESTIMATES.prices)) for (const e of entries) assert.ok(e.source in ESTIMATES.sources, `${type}: ${e.source}`);
      for (const vm of Object.values(ESTIMATES.vmSizes)) assert.ok(vm.source in ESTIMATES.sources);
      for (const [id, s] of Object.entries(ESTIMATES.sources)) {
        assert.match(s.read, /^\d{4}-\d{2}-\d{2}$/, id);
        if (id !== "observed") assert.match(s.url, /^https:\/\/(learn|azure)\.microsoft\.com\//, id);
        assert.ok(s.says.length > 10, id);
      }
    });

    it("documents the APIM create time from Microsoft's page and marks figures Microsoft does not give as observed", () => {
      assert.equal(durationOf({ type: APIM, custom: true, inputs: { sku: { name: "Developer" } } }).kind, "documented");
      assert.equal(durationOf({ type: APIM, custom: true, inputs: { sku: { name: "Consumption" } } }).kind, "observed");
      assert.equal(durationOf({ type: AKS, custom: true, inputs: {} }).kind, "observed");
    });
  });

  describe("durationOf", () => {
    it("picks the first matching variant, then module, package and global wildcards", () => {
      assert.equal(durationOf({ type: APIM, custom: true, inputs: { sku: { name: "Consumption" } } }).minutes, 2);
      assert.equal(durationOf({ type: APIM, custom: true, inputs: { sku: { name: "Developer" }, virtualNetworkType: "Internal" } }).minutes, 45);
      assert.equal(durationOf({ type: APIM, custom: true, inputs: { sku: { name: "Developer" }, virtualNetworkType: "None" } }).minutes, 40);
      assert.equal(durationOf({ type: "azure-native:apimanagement:ApiPolicy", custom: true, inputs: {} }).minutes, 0.15);
      assert.equal(durationOf({ type: "azure-native:storage:StorageAccount", custom: true, inputs: {} }).minutes, 0.5);
      assert.equal(durationOf({ type: "random:index/randomString:RandomString", custom: true, inputs: {} }).minutes, 0);
      assert.equal(durationOf({ type: "kubernetes:helm.sh/v4:Chart", custom: true, inputs: { chart: "oci://ghcr.io/traefik/helm/traefik" } }).minutes, 2);
      assert.equal(durationOf({ type: "something:else:Entirely", custom: true, inputs: {} }).minutes, 0.5);
    });

    it("gives components no time", () => {
      assert.equal(durationOf({ type: "apim-aks-ai:gateway:ApiGateway", custom: false, inputs: {} }).minutes, 0);
    });

    it("matches dotted paths, alternatives and `~contains`", () => {
      assert.ok(matches({ "sku.name": ["A", "B"] }, { sku: { name: "B" } }));
      assert.ok(!matches({ "sku.name": ["A"] }, { sku: { name: "B" } }));
      assert.ok(matches({ chart: ["~traefik"] }, { chart: "Traefik/traefik" }));
      assert.ok(matches(undefined, {}));
      assert.deepEqual(typeKeys("azure-native:network:Subnet"), ["azure-native:network:Subnet", "azure-native:network:*", "azure-native:*", "*"]);
    });
  });

  describe("costOf", () => {
    it("counts APIM units, says their price was not read (the source shows none), and lists Consumption as usage-based with its free grant", () => {
      const dev = costOf({ type: APIM, custom: true, inputs: { sku: { name: "Developer", capacity: 1 } } });
      assert.deepEqual(dev.map((l) => [l.count, l.usd, l.usage, l.unknown]), [[1, 0, false, true]]);
      assert.match(dev[0].basis, /price not read \(2026-11-23\): /);
      assert.match(dev[0].source, /^https:\/\/azure\.microsoft\.com\/pricing\/details\/api-management/);
      const premium = costOf({ type: APIM, custom: true, inputs: { sku: { name: "Premium", capacity: 2 } } });
      assert.deepEqual([premium[0].count, premium[0].usd, premium[0].unknown], [2, 0, true]);
      const consumption = costOf({ type: APIM, custom: true, inputs: { sku: { name: "Consumption", capacity: 0 } } });
      assert.equal(consumption[0].usd, 0);
      assert.equal(consumption[0].usage, true);
      assert.match(consumption[0].basis, /1 million calls .* free/);
    });

    it("prices AKS: free control plane, VMs per node and managed OS disks (prices not read), and the load balancer and outbound IP AKS creates", () => {
      const lines = costOf({
        type: AKS,
        custom: true,
        inputs: { sku: { name: "Base", tier: "Free" }, agentPoolProfiles: [{ name: "system", count: 2, vmSize: "Standard_D2s_v5" }] },
      });
      const by = Object.fromEntries(lines.map((l) => [l.item, l]));
      assert.equal(by["control plane (Free tier)"].usd, 0);
      assert.equal(by["node VMs (Standard_D2s_v5)"].count, 2);
      assert.deepEqual([by["node VMs (Standard_D2s_v5)"].usd, by["node VMs (Standard_D2s_v5)"].unknown], [0, true]);
      assert.match(by["node VMs (Standard_D2s_v5)"].basis, /price not read/);
      assert.deepEqual([by["node OS disks (managed)"].count, by["node OS disks (managed)"].unknown], [2, true]);
      assert.equal(by["load balancer (AKS)"].usd, 18.25);
      assert.equal(by["outbound public IP (AKS)"].usd, 3.65);
      const standard = costOf({ type: AKS, custom: true, inputs: { sku: { tier: "Standard" }, agentPoolProfiles: [{ count: 1, vmSize: "Standard_D2s_v5", osDiskType: "Ephemeral" }] } });
      assert.equal(standard.find((l) => l.item.startsWith("control plane"))!.usd, 73);
      assert.ok(!standard.some((l) => l.item.startsWith("node OS disks")), "ephemeral OS disks cost nothing extra");
    });

    it("marks a VM size without a price as unknown instead of guessing", () => {
      const lines = costOf({ type: AKS, custom: true, inputs: { agentPoolProfiles: [{ count: 3, vmSize: "Standard_X99" }] } });
      const vm = lines.find((l) => l.item.includes("Standard_X99"))!;
      assert.equal(vm.unknown, true);
      assert.equal(vm.usd, 0);
    });

    it("prices public IPs hourly, private zones monthly, and free types at zero", () => {
      assert.equal(costOf({ type: "azure-native:network:PublicIPAddress", custom: true, inputs: {} })[0].usd, 3.65);
      assert.equal(costOf({ type: "azure-native:privatedns:PrivateZone", custom: true, inputs: {} })[0].usd, 0.5);
      assert.equal(costOf({ type: "azure-native:network:VirtualNetwork", custom: true, inputs: {} })[0].usd, 0);
      assert.deepEqual(costOf({ type: "apim-aks-ai:gateway:ApiGateway", custom: false, inputs: {} }), []);
    });

    it("charges a LoadBalancer service a public IP, or the shared internal load balancer once", () => {
      const internal = { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" };
      const pub = resource("kubernetes:core/v1:Service", "svc", { inputs: { spec: { type: "LoadBalancer" } } });
      const ilb = resource("kubernetes:core/v1:Service", "ilb", { inputs: { spec: { type: "LoadBalancer" }, metadata: { annotations: internal } } });
      const chart = resource("kubernetes:helm.sh/v4:Chart", "traefik", { inputs: { chart: "traefik", values: { service: { annotations: internal } } } });
      const certManager = resource("kubernetes:helm.sh/v4:Chart", "cm", { inputs: { chart: "cert-manager" } });
      assert.equal(serviceLoadBalancer(pub), "public");
      assert.equal(serviceLoadBalancer(ilb), "internal");
      assert.equal(serviceLoadBalancer(chart), "internal");
      assert.equal(serviceLoadBalancer(certManager), undefined);
      assert.equal(costOf(pub)[0].usd, 3.65);
      const merged = mergeCostLines([...costOf(ilb), ...costOf(chart)]);
      assert.deepEqual(merged.map((l) => [l.item, l.count, l.usd]), [["internal load balancer", 1, 18.25]]);
    });

    it("adds up lines of the same kind", () => {
      const pip = costOf({ type: "azure-native:network:PublicIPAddress", custom: true, inputs: {} });
      const merged = mergeCostLines([...pip, ...pip, ...pip]);
      assert.equal(merged.length, 1);
      assert.equal(merged[0].count, 3);
      assert.equal(merged[0].usd, 10.95);
    });
  });

  describe("estimateScenario", () => {
    // rg -> (apim: 40 | vnet -> subnet -> aks: 10) ; api waits for apim; component holds apim and api.
    const rg = resource("azure-native:resources:ResourceGroup", "rg", { inputs: { location: "swedencentral" } });
    const gateway = resource("test:component:Gateway", "gateway");
    const apim = resource(APIM, "apim", { parent: gateway.urn, dependencies: [rg.urn], inputs: { sku: { name: "Developer", capacity: 1 }, location: "swedencentral" } });
    const api = resource("azure-native:apimanagement:Api", "api", { parent: gateway.urn, dependencies: [apim.urn] });
    const vnet = resource("azure-native:network:VirtualNetwork", "vnet", { dependencies: [rg.urn] });
    const subnet = resource("azure-native:network:Subnet", "subnet", { dependencies: [vnet.urn] });
    const aks = resource(AKS, "aks", { dependencies: [subnet.urn], inputs: { agentPoolProfiles: [{ count: 2, vmSize: "Standard_D2s_v5" }] } });

    it("takes the critical path, not the sum, and names the slowest resource", () => {
      const e = estimateScenario({ resources: [rg, gateway, apim, api, vnet, subnet, aks] });
      assert.equal(e.spinUpMinutes, 40.25); // rg 0.1 + apim 40 + api 0.15
      assert.deepEqual(e.criticalPath.map((c) => c.urn), [rg.urn, apim.urn, api.urn]);
      assert.equal(e.serialMinutes, 50.75); // 0.1 + 40 + 0.15 + 0.25 + 0.25 + 10
      assert.equal(e.slowest.urn, apim.urn);
      assert.equal(e.slowest.minutes, 40);
      assert.equal(e.timeline.length, 6, "custom resources only");
      assert.equal(e.timeline.find((t) => t.urn === aks.urn)!.start, 0.6);
    });

    it("shows the cost of a needless wait: APIM behind AKS", () => {
      const chained = { ...apim, dependencies: [rg.urn, aks.urn] };
      const e = estimateScenario({ resources: [rg, gateway, chained, api, vnet, subnet, aks] });
      assert.equal(e.spinUpMinutes, 50.75);
      assert.deepEqual(e.criticalPath.map((c) => c.urn), [rg.urn, vnet.urn, subnet.urn, aks.urn, apim.urn, api.urn]);
    });

    it("times a Helm chart (a remote component the mock engine registers without children) after the cluster's provider", () => {
      const k8s = resource("pulumi:providers:kubernetes", "k8s", { dependencies: [aks.urn] });
      const chart = resource("kubernetes:helm.sh/v4:Chart", "traefik", {
        custom: false,
        provider: `${k8s.urn}::provider-id`,
        inputs: { chart: "traefik", values: { service: { annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" } } } },
      });
      const e = estimateScenario({ resources: [rg, vnet, subnet, aks, k8s, chart] });
      assert.equal(e.spinUpMinutes, 12.6); // rg 0.1 + vnet 0.25 + subnet 0.25 + aks 10 + provider 0 + chart 2
      assert.equal(e.criticalPath.at(-1)!.urn, chart.urn);
      assert.ok(e.costLines.some((l) => l.item === "internal load balancer" && l.usd === 18.25));
    });

    it("totals fixed monthly cost, lists usage separately, and says when the region differs from the price region", () => {
      const e = estimateScenario({ resources: [rg, gateway, apim, api, vnet, subnet, aks] });
      assert.equal(e.monthlyCostUsd, 18.25 + 3.65, "only the prices the sources showed");
      assert.deepEqual(e.costLines.filter((l) => l.unknown).map((l) => l.item).sort(), ["API Management Developer units", "node OS disks (managed)", "node VMs (Standard_D2s_v5)"]);
      assert.ok(!e.notes.some((n) => /price/.test(n) && /lower bound/.test(n)), "a missing price is said in the table, not in a note");
      assert.ok(e.costLines.every((l) => typeof l.type === "string" && typeof l.count === "number" && typeof l.usd === "number" && typeof l.basis === "string" && typeof l.source === "string"));
      assert.equal(e.region, "swedencentral");
      assert.match(e.notes.join(" "), /eastus list prices; this scenario deploys to swedencentral/);
      assert.ok(e.sources.includes("apim-create") && e.sources.includes("apim-pricing"), e.sources.join(","));
    });
  });
});
