import assert from "node:assert/strict";
import { readStackSettings } from "../../config/load";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import { apimSubnetAddressesNeeded, CAPACITY_RANGE } from "../../config/rules";
import { ConfigError, formatProblems, requireConfig, resolveConfig } from "../../config/validate";
import { offlineSettings } from "../../automation/evaluate";

function problems(scenario: ScenarioName, raw: Record<string, unknown>): string[] {
  const result = resolveConfig(scenario, raw);
  assert.equal(result.ok, false, `expected ${JSON.stringify(raw)} to be refused in ${scenario}`);
  return result.ok ? [] : formatProblems(result.problems);
}

function expectProblem(scenario: ScenarioName, raw: Record<string, unknown>, key: string, pattern: RegExp): void {
  const lines = problems(scenario, raw);
  assert.ok(
    lines.some((l) => l.startsWith(`${key} = `) && pattern.test(l)),
    `no problem for ${key} matching ${pattern} in:\n${lines.join("\n")}`,
  );
}

describe("config/validate", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`accepts the ${scenario} stack file as written${scenario === "consumption" ? ", once the region's shared ranges are set" : ""}`, () => {
      const extra = scenario === "consumption" ? { apimSharedSourceRanges: ["198.51.100.0/24"] } : {};
      const config = requireConfig(scenario, { ...readStackSettings(scenario), ...extra });
      assert.equal(config.scenario, scenario);
    });
  }

  describe("the consumption allow-list's shared ranges", () => {
    it("are required where APIM has no dedicated outbound address, with the command that lists them", () => {
      expectProblem("consumption", {}, "apimSharedSourceRanges", /required: the Consumption tier .* az network list-service-tags --location swedencentral/);
      expectProblem("consumption", { apimSku: "StandardV2", apimCapacity: 1 }, "apimSharedSourceRanges", /required: the StandardV2 tier/);
    });
    it("are refused where they would not be used, and when they admit too much", () => {
      expectProblem("consumption", { apimSku: "Basic", apimCapacity: 1, apimSharedSourceRanges: ["198.51.100.0/24"] }, "apimSharedSourceRanges", /not used with the Basic tier/);
      expectProblem("public", { apimSharedSourceRanges: ["198.51.100.0/24"] }, "apimSharedSourceRanges", /only the consumption scenario/);
      expectProblem("consumption", { apimSharedSourceRanges: ["0.0.0.0/0"] }, "apimSharedSourceRanges", /wider than \/8/);
    });
    it("are refused when they would become more IP rules than an Azure OpenAI account takes (100), counted after merging", () => {
      const scattered = Array.from({ length: 101 }, (_, i) => `10.${i}.0.0/24`);
      expectProblem("consumption", { apimSharedSourceRanges: scattered }, "apimSharedSourceRanges", /become 101 Azure OpenAI IP rules once merged; an account takes at most 100/);
      const adjacent = Array.from({ length: 256 }, (_, i) => `10.42.${i}.0/24`);
      assert.equal(resolveConfig("consumption", { apimSharedSourceRanges: adjacent }).ok, true, "256 adjacent /24 blocks merge into one rule");
    });
    it("are simulated for the offline plan only, and say so by their documentation range", () => {
      assert.deepEqual(offlineSettings("consumption").apimSharedSourceRanges, ["198.51.100.0/24"]);
      assert.equal(offlineSettings("consumption", { apimSku: "Basic", apimCapacity: 1 }).apimSharedSourceRanges, undefined);
      assert.deepEqual(offlineSettings("consumption", { apimSharedSourceRanges: ["203.0.113.0/24"] }).apimSharedSourceRanges, ["203.0.113.0/24"]);
    });
  });

  it("fills defaults and coerces text from --config", () => {
    const config = requireConfig("public", { apimCapacity: "1", corsAllowedOrigins: "https://a.example, https://b.example:8443", tags: '{"team":"ai"}' });
    assert.equal(config.apimCapacity, 1);
    assert.deepEqual(config.corsAllowedOrigins, ["https://a.example", "https://b.example:8443"]);
    assert.deepEqual(config.tags, { team: "ai" });
    assert.equal(config.location, "swedencentral");
  });

  it("reports every problem at once, one line each, naming key, value and what is allowed", () => {
    const lines = problems("external", { apimSku: "Basic", publisherEmail: "nobody", vnetAddressSpace: "10.0.0.0/33", locaton: "westeurope" });
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith('locaton = "westeurope": unknown setting; did you mean "location"?')), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith('publisherEmail = "nobody": must be an email')));
    assert.ok(lines.some((l) => l.startsWith('vnetAddressSpace = "10.0.0.0/33": must be an IPv4 CIDR')));
    // Type errors stop before cross-field rules, so the SKU problem is reported once the types are right.
    expectProblem("external", { apimSku: "Basic" }, "apimSku", /External mode.*Developer, Premium/);
    for (const line of lines) assert.ok(!line.includes("\n") && !/at .*\.ts/.test(line), line);
  });

  it("ConfigError carries every problem", () => {
    const err = (() => {
      try {
        requireConfig("internal", { apimSku: "StandardV2", apimCapacity: 0 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 2, err.message);
  });

  describe("refuses what Azure would reject or what would be insecure", () => {
    const cases: [string, ScenarioName, Record<string, unknown>, string, RegExp][] = [
      ["VNet mode on a tier without VNet support", "internal", { apimSku: "Standard" }, "apimSku", /Internal mode.*Developer, Premium/],
      ["v2 tier in External mode", "external", { apimSku: "StandardV2" }, "apimSku", /Developer, Premium/],
      ["Consumption with capacity", "consumption", { apimCapacity: 1 }, "apimCapacity", /must be 0 for the Consumption tier/],
      ["Developer with two units", "public", { apimCapacity: 2 }, "apimCapacity", /must be 1 for the Developer tier/],
      ["Premium with zero units", "external", { apimSku: "Premium", apimCapacity: 0 }, "apimCapacity", /between 1 and 12/],
      ["Standard with five units", "public", { apimSku: "Standard", apimCapacity: 5 }, "apimCapacity", /between 1 and 4/],
      ["Premium in the consumption scenario", "consumption", { apimSku: "Premium", apimCapacity: 1 }, "apimSku", /Consumption, Developer, Basic, Standard/],
      ["subnet outside the address space", "external", { apimSubnetPrefix: "10.43.1.0/27" }, "apimSubnetPrefix", /outside vnetAddressSpace 10.42.0.0\/16/],
      ["overlapping subnets", "public", { ingressSubnetPrefix: "10.42.16.0/27" }, "ingressSubnetPrefix", /overlaps aksSubnetPrefix/],
      ["private endpoint subnet overlapping APIM's", "internal", { privateEndpointSubnetPrefix: "10.42.1.0/28" }, "privateEndpointSubnetPrefix", /overlaps apimSubnetPrefix/],
      ["APIM subnet too small", "internal", { apimSubnetPrefix: "10.42.1.0/30" }, "apimSubnetPrefix", /too small.*at least a \/29/],
      ["APIM subnet too small for Premium units", "external", { apimSku: "Premium", apimCapacity: 3, apimSubnetPrefix: "10.42.1.0/29" }, "apimSubnetPrefix", /needs 7 usable/],
      ["AKS subnet too small", "public", { aksNodeCount: 5, aksSubnetPrefix: "10.42.16.0/29" }, "aksSubnetPrefix", /too small for 5 node/],
      ["pod range overlapping the VNet", "public", { aksPodCidr: "10.42.128.0/17" }, "aksPodCidr", /overlaps vnetAddressSpace/],
      ["service range overlapping pods", "public", { aksServiceCidr: "192.168.0.0/24", aksDnsServiceIp: "192.168.0.10" }, "aksServiceCidr", /overlaps aksPodCidr/],
      ["DNS service IP outside the service range", "public", { aksDnsServiceIp: "10.0.0.10" }, "aksDnsServiceIp", /inside aksServiceCidr/],
      ["DNS service IP on the API server address", "public", { aksDnsServiceIp: "172.16.0.1" }, "aksDnsServiceIp", /Kubernetes API service/],
      ["malformed email", "public", { publisherEmail: "admin@" }, "publisherEmail", /must be an email/],
      ["malformed CIDR with host bits", "public", { aksSubnetPrefix: "10.42.16.5/22" }, "aksSubnetPrefix", /no host bits/],
      ["unknown key", "public", { apimSKU: "Premium" }, "apimSKU", /unknown setting; did you mean "apimSku"/],
      ["unknown SKU", "public", { apimSku: "Gold" }, "apimSku", /allowed: Consumption, Developer/],
      ["JWT issuer without audience", "public", { jwtIssuer: "https://login.microsoftonline.com/x/v2.0" }, "jwtAudience", /both jwtIssuer and jwtAudience/],
      ["JWT issuer over http", "public", { jwtIssuer: "http://issuer.example", jwtAudience: "api://ai" }, "jwtIssuer", /https/],
      ["CORS wildcard", "public", { corsAllowedOrigins: "*" }, "corsAllowedOrigins[0]", /never \*/],
      ["CORS origin with a path", "public", { corsAllowedOrigins: ["https://app.example/path"] }, "corsAllowedOrigins[0]", /no path/],
      ["reserved tag", "public", { tags: { "managed-by": "me" } }, "tags", /reserved/],
      ["token limit above model capacity", "public", { tokenLimitPerMinute: 20000, openAiModelCapacity: 10 }, "tokenLimitPerMinute", /exceeds.*10000 tokens per minute/],
      ["rate limit period above APIM's maximum", "public", { rateLimitPeriodSeconds: 301 }, "rateLimitPeriodSeconds", /at most 300/],
      ["rate limit above quota", "public", { rateLimitCalls: 500, quotaCalls: 100 }, "rateLimitCalls", /larger than quotaCalls/],
      ["non-numeric node count", "public", { aksNodeCount: "three" }, "aksNodeCount", /number/],
      ["bad region", "public", { location: "West Europe" }, "location", /region name/],
      ["bad expiry", "public", { expiresAt: "tomorrow" }, "expiresAt", /ISO 8601/],
      ["scenario setting that contradicts the stack", "public", { scenario: "internal" }, "scenario", /builds scenario "public"/],
    ];
    for (const [title, scenario, raw, key, pattern] of cases) {
      it(title, () => expectProblem(scenario, raw, key, pattern));
    }
  });

  it("sizes the APIM subnet from the documented per-unit addresses", () => {
    assert.equal(apimSubnetAddressesNeeded("Developer", 1, false), 2);
    assert.equal(apimSubnetAddressesNeeded("Developer", 1, true), 3);
    assert.equal(apimSubnetAddressesNeeded("Premium", 2, true), 6);
    assert.deepEqual(CAPACITY_RANGE.Consumption, [0, 0]);
  });
});
