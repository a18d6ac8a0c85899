/**
 * Destroying a VNet-injected APIM on the real scenario graphs: its public IP, like its subnet, is deleted only
 * after the release step has purged the soft-deleted service (a soft-deleted service may still hold both).
 * Pulumi deletes in reverse dependency order, so the step must depend on the IP and APIM on the step.
 */
import assert from "node:assert/strict";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";
import { apimInjected } from "../../scenarios/traits";
import { evaluated, one, ofType, T } from "./helpers";

const RELEASE = "command:local:Command";

describe("APIM teardown: the public IP outlives the subnet-release step", () => {
  for (const d of SCENARIO_CATALOG.filter((s) => apimInjected(s.traits))) {
    it(`${d.name}: the release step depends on APIM's public IP, and APIM's publicIpAddressId comes through the step`, async () => {
      const e = await evaluated(d.name);
      const release = one(e, RELEASE, (r) => r.name === "network-apim-subnet-release");
      const apim = one(e, T.apim);
      const pip = one(e, T.pip, (p) => p.id === (apim.inputs as Record<string, unknown>).publicIpAddressId);
      assert.ok(release.dependencies.includes(pip.urn), "the release step waits for the IP, so destroy deletes the IP after it");
      assert.ok(apim.propertyDependencies.publicIpAddressId.includes(release.urn), "APIM takes the IP's ID through the release step");
      assert.ok(apim.propertyDependencies.virtualNetworkConfiguration.includes(release.urn), "and the subnet's, as before");
      assert.equal(ofType(e, T.pip).filter((p) => p.name === "gateway-pip").length, 0);
    });
  }

  // Outbound integration (Standard v2) has no public IP of its own; its delegated subnet is still released after
  // the purge, since a soft-deleted service may still hold it.
  for (const d of SCENARIO_CATALOG.filter((s) => s.traits.vnetMode === "Integration")) {
    it(`${d.name}: no APIM public IP; APIM takes its integration subnet through the release step`, async () => {
      const e = await evaluated(d.name);
      const release = one(e, RELEASE, (r) => r.name === "network-apim-subnet-release");
      const apim = one(e, T.apim);
      assert.equal((apim.inputs as Record<string, unknown>).publicIpAddressId, undefined);
      assert.equal(ofType(e, T.pip).filter((p) => p.name === "network-apim-pip").length, 0);
      assert.ok(apim.propertyDependencies.virtualNetworkConfiguration.includes(release.urn));
    });
  }
});
