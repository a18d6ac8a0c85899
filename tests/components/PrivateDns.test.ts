import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluateProgram, type Evaluation, type RegisteredResource } from "../../automation/mock-engine";
import { constructionError, ofType } from "../helpers/graph";
import { apimHostNames, apimPrivateDnsZones, PrivateDns, type PrivateDnsArgs } from "../../components/PrivateDns";

const T = {
  component: "apim-aks-ai:dns:PrivateDns",
  zone: "azure-native:privatedns:PrivateZone",
  link: "azure-native:privatedns:VirtualNetworkLink",
  record: "azure-native:privatedns:PrivateRecordSet",
} as const;

const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const VNET_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dns/providers/Microsoft.Network/virtualNetworks/vnet-test";
const PRIVATE_IP = "192.0.2.44";
const GATEWAY_HOST = "apim-test.azure-api.net";

async function build(zones: (() => PrivateDnsArgs["zones"]) | PrivateDnsArgs["zones"], ttlSeconds?: number): Promise<{ e: Evaluation; outputs: Record<string, unknown> }> {
  const e = await evaluateProgram(() => {
    const dns = new PrivateDns("private-dns", {
      resourceGroupName: "rg-dns",
      tags: TAGS,
      virtualNetworkId: VNET_ID,
      zones: typeof zones === "function" ? zones() : zones,
      ttlSeconds,
    });
    return { zoneNames: pulumi.output(dns.zoneNames), fqdns: pulumi.output(dns.fqdns) };
  }, { project: "test", stack: "t" });
  return { e, outputs: Object.fromEntries(Object.entries(e.outputs).map(([k, v]) => [k, v.value])) };
}

const inZone = (e: Evaluation, type: string, zone: RegisteredResource) => ofType(e, type).filter((r) => r.inputs.privateZoneName === zone.inputs.privateZoneName);

describe("components/PrivateDns", () => {
  describe("apimHostNames", () => {
    it("derives the five endpoint hosts from the gateway host", () => {
      assert.deepEqual(apimHostNames("contoso.azure-api.net"), {
        gateway: "contoso.azure-api.net",
        portal: "contoso.portal.azure-api.net",
        developer: "contoso.developer.azure-api.net",
        management: "contoso.management.azure-api.net",
        scm: "contoso.scm.azure-api.net",
      });
    });

    it("normalises case and a trailing dot, and refuses a host without a domain", () => {
      assert.equal(apimHostNames("Contoso.Azure-API.net.").scm, "contoso.scm.azure-api.net");
      assert.throws(() => apimHostNames("contoso"), /<service>\.<domain>/);
      assert.throws(() => apimHostNames("contoso..net"), /<service>\.<domain>/);
    });
  });

  describe("for an Internal-mode APIM", () => {
    let built: { e: Evaluation; outputs: Record<string, unknown> };
    before(async () => {
      built = await build(() => apimPrivateDnsZones(pulumi.output(GATEWAY_HOST), pulumi.output(PRIVATE_IP)));
    });

    it("creates one global zone per APIM host, never one for the whole service domain", () => {
      const zones = ofType(built.e, T.zone);
      assert.deepEqual(zones.map((z) => z.inputs.privateZoneName).sort(), Object.values(apimHostNames(GATEWAY_HOST)).sort());
      assert.ok(!zones.some((z) => z.inputs.privateZoneName === "azure-api.net"));
      for (const z of zones) {
        assert.equal(z.inputs.location, "global");
        assert.deepEqual(z.inputs.tags, TAGS);
        assert.equal(z.inputs.resourceGroupName, "rg-dns");
      }
    });

    it("puts one apex A record to the private VIP in each zone", () => {
      for (const zone of ofType(built.e, T.zone)) {
        const records = inZone(built.e, T.record, zone);
        assert.equal(records.length, 1, String(zone.inputs.privateZoneName));
        assert.equal(records[0].inputs.relativeRecordSetName, "@");
        assert.equal(records[0].inputs.recordType, "A");
        assert.deepEqual(records[0].inputs.aRecords, [{ ipv4Address: PRIVATE_IP }]);
        assert.equal(records[0].inputs.ttl, 300);
        assert.ok(records[0].dependencies.includes(zone.urn), "the record waits for its zone");
      }
    });

    it("links each zone to the VNet for resolution only", () => {
      for (const zone of ofType(built.e, T.zone)) {
        const links = inZone(built.e, T.link, zone);
        assert.equal(links.length, 1, String(zone.inputs.privateZoneName));
        const link = links[0];
        assert.deepEqual(link.inputs.virtualNetwork, { id: VNET_ID });
        assert.equal(link.inputs.registrationEnabled, false);
        assert.equal(link.inputs.location, "global");
        assert.deepEqual(link.inputs.tags, TAGS);
        assert.equal(link.inputs.virtualNetworkLinkName, "vnet-test-link");
        assert.ok(link.dependencies.includes(zone.urn));
      }
    });

    it("parents every resource to the component", () => {
      const component = ofType(built.e, T.component);
      assert.equal(component.length, 1);
      assert.equal(component[0].urn, "urn:pulumi:t::test::apim-aks-ai:dns:PrivateDns::private-dns");
      const children = built.e.resources.filter((r) => r.custom);
      assert.equal(children.length, 15);
      for (const r of children) assert.equal(r.parent, component[0].urn, `${r.type} ${r.name}`);
    });

    it("exports zone names and apex FQDNs by key", () => {
      const hosts = apimHostNames(GATEWAY_HOST);
      const keyed = Object.fromEntries(Object.entries(hosts).map(([k, v]) => [`apim-${k}`, v]));
      assert.deepEqual(built.outputs.zoneNames, keyed);
      assert.deepEqual(built.outputs.fqdns, keyed);
    });
  });

  describe("for a backend zone with a named record", () => {
    let built: { e: Evaluation; outputs: Record<string, unknown> };
    before(async () => {
      built = await build([{ key: "backend", zoneName: "aiapim-ext-abc123.internal", records: [{ name: "ai", ipv4Addresses: ["10.42.2.4"] }] }], 60);
    });

    it("creates the zone, its link and the A record with the given TTL", () => {
      assert.equal(ofType(built.e, T.zone).length, 1);
      assert.equal(ofType(built.e, T.link).length, 1);
      const [record] = ofType(built.e, T.record);
      assert.equal(record.inputs.relativeRecordSetName, "ai");
      assert.deepEqual(record.inputs.aRecords, [{ ipv4Address: "10.42.2.4" }]);
      assert.equal(record.inputs.ttl, 60);
    });

    it("exports the record's FQDN without the trailing dot", () => {
      assert.deepEqual(built.outputs.fqdns, { backend: "ai.aiapim-ext-abc123.internal" });
      assert.deepEqual(built.outputs.zoneNames, { backend: "aiapim-ext-abc123.internal" });
    });
  });

  describe("apimPrivateDnsZones", () => {
    it("returns five specs with stable keys and one apex record each", () => {
      const specs = apimPrivateDnsZones(GATEWAY_HOST, PRIVATE_IP);
      assert.deepEqual(specs.map((s) => s.key), ["apim-gateway", "apim-portal", "apim-developer", "apim-management", "apim-scm"]);
      for (const s of specs) assert.deepEqual(s.records, [{ name: "@", ipv4Addresses: [PRIVATE_IP] }]);
    });
  });

  it("refuses two zones with the same key as a ResourceError of the component, before any zone exists", async () => {
    const { error, e } = await constructionError(
      () =>
        new PrivateDns("private-dns", {
          resourceGroupName: "rg",
          tags: {},
          virtualNetworkId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet",
          zones: [
            { key: "same", zoneName: "a.internal", records: [] },
            { key: "same", zoneName: "b.internal", records: [] },
          ],
        }),
    );
    assert.ok(error instanceof pulumi.ResourceError, String(error));
    assert.deepEqual(e.resources.filter((r) => r.custom), []);
  });

  it("refuses two zones with the same key", async () => {
    await assert.rejects(
      build([
        { key: "same", zoneName: "a.internal", records: [] },
        { key: "same", zoneName: "b.internal", records: [] },
      ]),
      /zone key same is used twice/,
    );
  });
});
