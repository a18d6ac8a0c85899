/**
 * Offline: what the live suite deploys, from LIVE_SCENARIOS, LIVE_VARIANTS and LIVE_WORKSHOP (tests/live/selection.ts),
 * and the variants' table against the program: each variant's settings validate, and its program, evaluated
 * offline, has the probes and resources the live test asserts, which the scenario's default stack does not.
 */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../automation/evaluate";
import { parseProbes } from "../../automation/driver/verify/verify";
import { SCENARIO_NAMES } from "../../config/schema";
import { formatProblems, resolveConfig } from "../../config/validate";
import { LIVE_VARIANTS, liveTeardownOnly, nameOfUrn, parseLiveScenarios, parseLiveVariants, parseLiveWorkshop, parseLiveWorkshopConfig, roomStacksIn, variantGaps } from "./selection";

describe("live selection: LIVE_VARIANTS, LIVE_SCENARIOS, LIVE_WORKSHOP (offline)", () => {
  const variantNames = LIVE_VARIANTS.map((v) => v.name);

  it("LIVE_VARIANTS: none when absent or empty; all; names in the order given, each once, spaces ignored", () => {
    assert.deepEqual(parseLiveVariants(undefined), []);
    assert.deepEqual(parseLiveVariants(" , "), []);
    assert.deepEqual(parseLiveVariants("all").map((v) => v.name), variantNames);
    assert.deepEqual(parseLiveVariants(" public-caller-ranges,internal-edge , public-caller-ranges").map((v) => v.name), ["public-caller-ranges", "internal-edge"]);
  });

  it("LIVE_VARIANTS: an unknown name is refused, naming it and every known one", () => {
    assert.throws(
      () => parseLiveVariants("internal-edge,internal-waf"),
      (e: Error) => e.message === `LIVE_VARIANTS: unknown variant "internal-waf"; known: ${variantNames.join(", ")}, or all`,
    );
  });

  it("LIVE_SCENARIOS: every scenario when absent; none; names checked against the catalog", () => {
    assert.deepEqual(parseLiveScenarios(undefined), [...SCENARIO_NAMES]);
    assert.deepEqual(parseLiveScenarios("none"), []);
    assert.deepEqual(parseLiveScenarios("internal, public"), ["internal", "public"]);
    assert.throws(() => parseLiveScenarios(""), /^Error: LIVE_SCENARIOS is empty: name scenarios \(.*\), or none$/);
    assert.throws(() => parseLiveScenarios("public,privat"), (e: Error) => e.message === `LIVE_SCENARIOS: unknown scenario "privat"; known: ${SCENARIO_NAMES.join(", ")}, or none`);
  });

  it("LIVE_WORKSHOP: off when absent or empty, else exactly one known scenario", () => {
    assert.equal(parseLiveWorkshop(undefined), undefined);
    assert.equal(parseLiveWorkshop(""), undefined);
    assert.equal(parseLiveWorkshop(" public "), "public");
    assert.throws(() => parseLiveWorkshop("public,internal"), /^Error: LIVE_WORKSHOP: one scenario \(.*\), not "public,internal"$/);
    assert.throws(() => parseLiveWorkshop("1"), /LIVE_WORKSHOP: one scenario/);
  });

  it("LIVE_WORKSHOP_CONFIG: key=value settings separated by spaces, as --config takes them; what prepare sets is refused", () => {
    assert.deepEqual(parseLiveWorkshopConfig(undefined), {});
    assert.deepEqual(parseLiveWorkshopConfig("  ingressDomain=labs.example.com\tapim-aks-ai-scenarios:ingressDomainResourceGroup=rg-dns "), {
      ingressDomain: "labs.example.com",
      ingressDomainResourceGroup: "rg-dns",
    });
    assert.throws(() => parseLiveWorkshopConfig("ingressDomain"), /--config "ingressDomain": expected key=value/);
    assert.throws(() => parseLiveWorkshopConfig("attendee=x expiresAt=2030-01-01T00:00:00Z"), /^Error: LIVE_WORKSHOP_CONFIG: attendee, expiresAt set by workshop prepare itself$/);
  });

  it("the live room: its stacks in the backend (any attendee's), and teardown --only for what of it exists", () => {
    assert.deepEqual(roomStacksIn("internal", ["internal", "internal-shared", "internal-a01", "internal-lv02", "public-shared", "internal-eph-1a2b3c4d"]), [
      "internal-shared",
      "internal-a01",
      "internal-lv02",
    ]);
    assert.deepEqual(liveTeardownOnly("internal", ["lv01", "lv02"], ["internal-shared", "internal-lv02", "internal-a01"]), ["lv02", "shared"]);
    assert.deepEqual(liveTeardownOnly("internal", ["lv01", "lv02"], ["internal-lv01", "internal-lv02"]), ["lv01", "lv02"]);
    assert.deepEqual(liveTeardownOnly("internal", ["lv01", "lv02"], ["internal"]), []);
  });

  it("variantGaps names each probe not run and each resource not in the state (by the URN's last part)", () => {
    const variant = { ...LIVE_VARIANTS[0], probes: ["a", "b"], resources: [{ type: "t:m:R", name: "r1" }] };
    assert.equal(nameOfUrn("urn:pulumi:s::p::x:y:Z$t:m:R::r1"), "r1");
    assert.deepEqual(variantGaps(variant, ["a", "b"], [{ type: "t:m:R", urn: "urn:pulumi:s::p::t:m:R::r1" }]), []);
    assert.deepEqual(variantGaps(variant, ["a"], [{ type: "t:m:R", urn: "urn:pulumi:s::p::t:m:R::r10" }]), ["probe b was not run", "resource t:m:R r1 is not in the stack"]);
  });
});

describe("live variants' table against the program (offline evaluation)", function () {
  this.timeout(120_000);
  it("names are unique, each variant asserts something of its own", () => {
    assert.equal(new Set(LIVE_VARIANTS.map((v) => v.name)).size, LIVE_VARIANTS.length);
    for (const v of LIVE_VARIANTS) assert.ok(v.probes.length + v.resources.length > 0, v.name);
  });

  for (const variant of LIVE_VARIANTS) {
    it(`${variant.name}: its settings validate on ${variant.scenario}; its program has its probes and resources, the scenario's default has none of them`, async () => {
      const resolved = resolveConfig(variant.scenario, variant.overrides);
      assert.ok(resolved.ok, resolved.ok ? "" : formatProblems(resolved.problems).join("\n"));
      const gaps = async (overrides: Record<string, unknown>, stack: string) => {
        const e = await evaluateScenario(variant.scenario, { overrides, stack });
        const probes = parseProbes(e.outputs.probes?.value).map((p) => p.name);
        return variantGaps(variant, probes, e.resources);
      };
      assert.deepEqual(await gaps(variant.overrides, `live-${variant.name}`), []);
      assert.equal((await gaps({}, variant.scenario)).length, variant.probes.length + variant.resources.length, "each listed probe and resource is the variant's own");
    });
  }
});
