import assert from "node:assert/strict";
import { ipv4PrefixesOf, regionTag } from "../../../automation/driver/preflight/service-tags";

describe("automation/driver/preflight/service-tags", () => {
  const list = {
    values: [
      { name: "AzureCloud", properties: { addressPrefixes: ["192.0.2.0/24"] } },
      { name: "AzureCloud.swedencentral", properties: { addressPrefixes: ["198.51.100.0/24", "2001:db8::/32", "203.0.113.0/25"] } },
    ],
  };

  it("takes the region's tag, IPv4 only (the allow-list setting holds IPv4 CIDRs)", () => {
    assert.deepEqual(ipv4PrefixesOf(list, regionTag("swedencentral")), ["198.51.100.0/24", "203.0.113.0/25"]);
  });

  it("says so when the region has no tag or no IPv4 prefix, rather than returning an empty allow-list", () => {
    assert.throws(() => ipv4PrefixesOf(list, regionTag("atlantis")), /AzureCloud\.atlantis not found/);
    assert.throws(() => ipv4PrefixesOf({ values: [{ name: "AzureCloud.x", properties: { addressPrefixes: ["2001:db8::/32"] } }] }, "AzureCloud.x"), /no IPv4/);
  });
});
