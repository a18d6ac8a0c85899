import assert from "node:assert/strict";
import { addressCount, aggregateCidrs, contains, nthAddress, overlaps, parseCidr, usableAzureAddresses } from "../../config/cidr";

const c = (text: string) => {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
};

describe("config/cidr", () => {
  it("parses valid blocks and rejects malformed ones or host bits", () => {
    assert.deepEqual(c("10.42.0.0/16"), { text: "10.42.0.0/16", network: 10 * 2 ** 24 + 42 * 2 ** 16, prefix: 16 });
    assert.equal(c("0.0.0.0/0").network, 0);
    for (const bad of ["10.42.0.0", "10.42.0.1/16", "256.0.0.0/8", "10.0.0.0/33", "a.b.c.d/8", "10.0.0.0/-1", "", " /24"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("computes containment, overlap and sizes", () => {
    assert.ok(contains(c("10.42.0.0/16"), c("10.42.1.0/27")));
    assert.ok(!contains(c("10.42.0.0/16"), c("10.43.0.0/24")));
    assert.ok(!contains(c("10.42.1.0/27"), c("10.42.0.0/16")));
    assert.ok(overlaps(c("10.42.1.0/24"), c("10.42.1.128/25")));
    assert.ok(!overlaps(c("10.42.1.0/25"), c("10.42.1.128/25")));
    assert.equal(addressCount(c("10.0.0.0/29")), 8);
    assert.equal(usableAzureAddresses(c("10.0.0.0/29")), 3);
    assert.equal(usableAzureAddresses(c("10.0.0.0/30")), 0);
  });

  it("names the n-th address and refuses one outside the block", () => {
    assert.equal(nthAddress(c("10.42.2.0/27"), 4), "10.42.2.4");
    assert.equal(nthAddress(c("192.168.255.0/24"), 255), "192.168.255.255");
    assert.throws(() => nthAddress(c("10.42.2.0/30"), 4), /no address number 4/);
  });
  describe("aggregateCidrs", () => {
    it("drops duplicates and contained blocks, and merges adjacent halves", () => {
      assert.deepEqual(aggregateCidrs(["192.0.2.0/25", "192.0.2.128/25", "192.0.2.7", "192.0.2.7/32"]), ["192.0.2.0/24"]);
    });
    it("keeps blocks that are adjacent but not aligned as separate blocks", () => {
      // 192.0.2.128/25 + 192.0.3.0/25 cover a run that no single block covers.
      assert.deepEqual(aggregateCidrs(["192.0.3.0/25", "192.0.2.128/25"]), ["192.0.2.128/25", "192.0.3.0/25"]);
    });
    it("covers exactly the same addresses it was given", () => {
      const input = ["198.51.100.0/26", "198.51.100.64/27", "198.51.100.96/27", "203.0.113.5", "203.0.113.6/31"];
      const out = aggregateCidrs(input);
      assert.deepEqual(out, ["198.51.100.0/25", "203.0.113.5/32", "203.0.113.6/31"]);
      const count = (list: string[]) => list.reduce((n, t) => n + addressCount(c(t.includes("/") ? t : `${t}/32`)), 0);
      assert.equal(count(out), count(input));
    });
    it("refuses text that is not IPv4", () => {
      assert.throws(() => aggregateCidrs(["2001:db8::/32"]), /not an IPv4 address or CIDR block/);
    });
  });
});
