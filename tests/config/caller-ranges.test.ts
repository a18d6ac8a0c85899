/** apimAllowedCallerRanges (issue 20 part 3): CIDR blocks, validated like the other CIDR settings. */
import assert from "node:assert/strict";
import { formatProblems, resolveConfig } from "../../config/validate";

function refusal(raw: Record<string, unknown>): string[] {
  const result = resolveConfig("public", raw);
  assert.equal(result.ok, false, `expected ${JSON.stringify(raw)} to be refused`);
  return result.ok ? [] : formatProblems(result.problems);
}

describe("config: apimAllowedCallerRanges", () => {
  it("is optional, and accepts a list of IPv4 CIDR blocks (public and internal)", () => {
    assert.equal(resolveConfig("public", {}).ok, true);
    const result = resolveConfig("public", { apimAllowedCallerRanges: ["203.0.113.7/32", "198.51.100.0/24"] });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.ok && result.config.apimAllowedCallerRanges, ["203.0.113.7/32", "198.51.100.0/24"]);
    assert.equal(resolveConfig("internal", { apimAllowedCallerRanges: ["10.42.0.0/16"] }).ok, true);
  });

  it("refuses what is not a CIDR block (host bits set, a bare address, IPv6), an empty list, and /0", () => {
    for (const bad of ["198.51.100.1/24", "203.0.113.7", "2001:db8::/32", "10.0.0.0/33"]) {
      assert.ok(
        refusal({ apimAllowedCallerRanges: [bad] }).some((l) => l.startsWith("apimAllowedCallerRanges") && /IPv4 CIDR block/.test(l)),
        bad,
      );
    }
    assert.ok(refusal({ apimAllowedCallerRanges: [] }).some((l) => l.startsWith("apimAllowedCallerRanges")));
    assert.ok(refusal({ apimAllowedCallerRanges: ["0.0.0.0/0"] }).some((l) => /^apimAllowedCallerRanges = "0\.0\.0\.0\/0": admits every address, which is no filter at all/.test(l)));
  });
});
