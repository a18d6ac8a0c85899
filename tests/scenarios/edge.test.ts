/**
 * The `edge` setting (issue 20 part 2, and part 3's forwarded-header source): where it is allowed, the caller
 * filter behind it per tier, and the probes through it.
 */
import assert from "node:assert/strict";
import { isIPv4, isIPv6 } from "node:net";
import { XMLParser } from "fast-xml-parser";
import { evaluateScenario } from "../../automation/evaluate";
import { parseProbes } from "../../automation/driver/verify/verify";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { edgeFits, scenariosForEdge } from "../../config/edge";
import { formatProblems, resolveConfig } from "../../config/validate";
import { composeGatewayPolicies } from "../../components/gateway-policies";
import { forwardedCallerFilter } from "../../components/policies";
import { ALL_TIERS } from "../../components/policy-support";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";
import { edgeProbes, probesFor, SQL_INJECTION_QUERY } from "../../scenarios/probes";
import { one, POLICY_SETTINGS, T } from "./helpers";

const EDGE_SUBNET = COMMON_DEFAULTS.edgeSubnetPrefix;
const RANGES = ["203.0.113.7/32", "198.51.100.0/24"];
const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false });
const flat = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => ["address", "address-range"].includes(n) });

function inboundOrder(xml: string): string[] {
  const policies = (ordered.parse(xml) as Record<string, unknown[]>[])[0].policies as Record<string, unknown>[];
  const inbound = (policies.find((e) => "inbound" in e)?.inbound ?? []) as Record<string, unknown>[];
  return inbound.map((e) => Object.keys(e).find((k) => k !== ":@")!).filter((n) => n !== "#text");
}

describe("edge: where a WAF in front of APIM is allowed (config)", () => {
  it("fits only where APIM's gateway is private (Internal mode), decided from traits", () => {
    assert.deepEqual(
      SCENARIO_CATALOG.filter((d) => edgeFits(d.traits)).map((d) => d.name),
      SCENARIO_CATALOG.filter((d) => d.traits.vnetMode === "Internal").map((d) => d.name),
    );
    assert.ok(scenariosForEdge().includes("internal"));
    assert.equal(edgeFits({ vnetMode: "External" }), false);
    assert.equal(edgeFits({ vnetMode: "None" }), false);
  });

  it("defaults to none, accepts appgw-waf on internal, refuses it elsewhere with one line naming the key", () => {
    const plain = resolveConfig("internal", {});
    assert.ok(plain.ok && plain.config.edge === "none");
    assert.equal(resolveConfig("internal", { edge: "appgw-waf" }).ok, true);
    for (const scenario of SCENARIO_CATALOG.filter((d) => !edgeFits(d.traits)).map((d) => d.name)) {
      const r = resolveConfig(scenario, { edge: "appgw-waf" });
      assert.equal(r.ok, false, scenario);
      const lines = r.ok ? [] : formatProblems(r.problems).filter((l) => l.startsWith("edge"));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /^edge = "appgw-waf": scenario "[a-z]+" gives APIM's gateway a public endpoint, so a WAF in front of it could be bypassed; use edge with a scenario whose gateway is private \(internal/);
    }
    const bad = resolveConfig("internal", { edge: "frontdoor" });
    assert.equal(bad.ok, false);
  });

  it("is refused in workshop mode, whose halves do not build it, with one line", () => {
    const r = resolveConfig("internal", { edge: "appgw-waf", workshopRole: "shared" });
    const lines = r.ok ? [] : formatProblems(r.problems).filter((l) => l.startsWith("edge"));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /workshop mode/);
  });

  it("refuses an edge subnet that overlaps another subnet or lies outside the VNet", () => {
    const overlap = resolveConfig("internal", { edge: "appgw-waf", edgeSubnetPrefix: "10.42.16.0/24" });
    assert.ok(!overlap.ok && formatProblems(overlap.problems).some((l) => /^edgeSubnetPrefix = "10\.42\.16\.0\/24": overlaps aksSubnetPrefix/.test(l)));
    const outside = resolveConfig("internal", { edge: "appgw-waf", edgeSubnetPrefix: "10.99.0.0/24" });
    assert.ok(!outside.ok && formatProblems(outside.problems).some((l) => /^edgeSubnetPrefix = "10\.99\.0\.0\/24": lies outside vnetAddressSpace/.test(l)));
    // Without an edge the subnet is not used, so it is not checked.
    assert.equal(resolveConfig("internal", { edgeSubnetPrefix: "10.42.16.0/24" }).ok, true);
  });
});

describe("edge: the caller filter judges the forwarded header (issue 20 part 3)", () => {
  it("builds a choose that refuses (403) a call from the edge's subnet unless the last X-Forwarded-For entry lies in the list", () => {
    const xml = forwardedCallerFilter({ proxyRanges: ["10.42.8.0/24"], allowedRanges: ["198.51.100.0/24", "203.0.113.7/32"] }).xml;
    const doc = flat.parse(xml).choose;
    const condition: string = doc.when.condition;
    assert.deepEqual(doc.when["return-response"]["set-status"], { code: "403", reason: "Forbidden" });
    assert.match(condition, /^@\{.*\}$/s);
    assert.match(condition, /GetValueOrDefault\(new string\(new char\[\] \{ 'X', '-', 'F', 'o', 'r', 'w', 'a', 'r', 'd', 'e', 'd', '-', 'F', 'o', 'r' \}\), string\.Empty\)\.Split\(','\)/);
    assert.match(condition, /hops\[hops\.Length - 1\]/, "the entry the edge appended: the last");
    // 10.42.8.0/24 = 170526720..170526975; 198.51.100.0/24 = 3325256704..3325256959; 203.0.113.7 = 3405803783.
    assert.match(condition, /System\.Math\.Sign\(peer - 170526720L\) != -1 \? System\.Math\.Sign\(170526975L - peer\) != -1 : false/);
    assert.match(condition, /System\.Math\.Sign\(forwarded - 3405803783L\) != -1 \? System\.Math\.Sign\(3405803783L - forwarded\) != -1 : false/);
    // rawxml (how the project sends policies) takes expressions unencoded: this one has nothing XML would encode.
    assert.doesNotMatch(condition, /[&<>"]/);
    assert.ok(xml.includes(`condition="${condition}"`), "the XML carries the expression as it is");
    assert.throws(() => forwardedCallerFilter({ proxyRanges: [], allowedRanges: RANGES }), /proxyRanges/);
    assert.throws(() => forwardedCallerFilter({ proxyRanges: ["10.42.8.1/24"], allowedRanges: RANGES }), /not an IPv4 CIDR block/);
    assert.throws(() => forwardedCallerFilter({ proxyRanges: ["10.42.8.0/24"], allowedRanges: RANGES, header: "X'Forwarded" }), /letters, digits and hyphens/);
  });

  describe("what the condition decides (run by an imitation of the gateway's C#, translated to JavaScript)", () => {
    const condition = flat.parse(forwardedCallerFilter({ proxyRanges: ["10.42.8.0/24"], allowedRanges: ["198.51.100.0/24", "203.0.113.7/32"] }).xml).choose.when.condition as string;
    const refuses = imitateCondition(condition);
    const fromEdge = "10.42.8.6";
    it("admits a caller the edge names last (its port dropped), whatever the client wrote before it", () => {
      assert.equal(refuses(fromEdge, "198.51.100.7:51234"), false);
      assert.equal(refuses(fromEdge, "192.0.2.66, 203.0.113.7:443"), false);
    });
    it("refuses a caller outside the list, even when the client put an admitted address first", () => {
      assert.equal(refuses(fromEdge, "198.51.100.7, 192.0.2.66:51234"), true);
      assert.equal(refuses(fromEdge, "192.0.2.66:51234"), true);
    });
    it("refuses a call from the edge without the header, with an unreadable one, or with an IPv6 caller", () => {
      assert.equal(refuses(fromEdge, undefined), true);
      assert.equal(refuses(fromEdge, "not-an-address"), true);
      assert.equal(refuses(fromEdge, "[2001:db8::1]:443"), true);
    });
    it("leaves calls that do not come from the edge's subnet to ip-filter", () => {
      assert.equal(refuses("10.42.16.5", undefined), false);
      assert.equal(refuses("10.42.16.5", "192.0.2.66"), false);
    });
  });

  for (const tier of ALL_TIERS) {
    it(`${tier}: ip-filter admits the edge's subnet and the list, then the forwarded check, first in the product's inbound`, () => {
      const p = composeGatewayPolicies(tier, { ...POLICY_SETTINGS, allowedCallerRanges: RANGES, edgeSubnet: EDGE_SUBNET });
      assert.deepEqual(inboundOrder(p.product).slice(0, 3), ["base", "ip-filter", "choose"], inboundOrder(p.product).join(", "));
      const filter = flat.parse(p.product).policies.inbound["ip-filter"];
      assert.deepEqual(filter["address-range"][0], { from: "10.42.8.0", to: "10.42.8.255" });
      assert.deepEqual(filter.address, ["203.0.113.7"]);
      assert.ok(!p.omitted.some((o) => /ip-filter|choose/.test(o)), p.omitted.join("; "));
      const without = composeGatewayPolicies(tier, { ...POLICY_SETTINGS, allowedCallerRanges: RANGES });
      assert.ok(!inboundOrder(without.product).includes("choose"), "no edge, no forwarded check");
      const noList = composeGatewayPolicies(tier, { ...POLICY_SETTINGS, edgeSubnet: EDGE_SUBNET });
      assert.ok(!inboundOrder(noList.product).includes("ip-filter") && !inboundOrder(noList.product).includes("choose"), "no list, no filter");
    });
  }

  for (const apimSku of ["Developer", "Premium"] as const) {
    it(`internal on ${apimSku} with an edge and a list: the real graph's product policy carries both`, async () => {
      const e = await evaluateScenario("internal", { overrides: { apimSku, edge: "appgw-waf", apimAllowedCallerRanges: RANGES }, stack: `internal-edge-callers-${apimSku}` });
      const xml = String(one(e, T.productPolicy).inputs.value);
      assert.deepEqual(inboundOrder(xml).slice(0, 3), ["base", "ip-filter", "choose"]);
      assert.match(xml, /GetValueOrDefault\(new string\(new char\[\] \{ 'X', '-', 'F', 'o', 'r', 'w', 'a', 'r', 'd', 'e', 'd', '-', 'F', 'o', 'r' \}\)/);
    });
  }
});

describe("edge: probes", () => {
  it("through the edge: a normal keyless call reaches APIM (401), an SQL injection meets the WAF (403); APIM itself stays unreachable", async () => {
    const e = await evaluateScenario("internal", { overrides: { edge: "appgw-waf" }, stack: "internal-edge" });
    const probes = parseProbes(e.outputs.probes?.value);
    const edgeUrl = String(e.outputs.edgeUrl?.value);
    const pass = probes.find((p) => p.name === "edge-passes-normal-call")!;
    const sqli = probes.find((p) => p.name === "edge-waf-blocks-sql-injection")!;
    assert.deepEqual([pass.from, pass.request.url, pass.request.withSubscriptionKey, pass.expect], ["internet", `${edgeUrl}/ai/healthz`, false, { status: 401 }]);
    assert.deepEqual([sqli.from, sqli.request.url, sqli.expect], ["internet", `${edgeUrl}/ai/healthz?${SQL_INJECTION_QUERY}`, { status: 403 }]);
    assert.equal(decodeURIComponent(SQL_INJECTION_QUERY), "id=1' OR '1'='1");
    const direct = probes.find((p) => p.name === "apim-unreachable-from-internet")!;
    assert.deepEqual(direct.expect, { unreachable: true });
    assert.ok(!direct.request.url.startsWith(edgeUrl));
  });

  it("no edge, no edge probes", () => {
    const base = { scenario: "internal" as const, gatewayUrl: "https://gw.example", apiBasePath: "ai", backendHost: "b.example", rateLimitCalls: 5 };
    assert.ok(!probesFor(base).some((p) => p.name.startsWith("edge-")));
    assert.deepEqual(
      probesFor({ ...base, edge: { url: "https://edge.example/" } }).filter((p) => p.name.startsWith("edge-")),
      edgeProbes("https://edge.example", "ai"),
    );
  });
});

/**
 * An imitation of the gateway running the choose condition: the C# statements the builder emits, translated to
 * JavaScript token by token (declarations, char literals, IPAddress.TryParse, string methods). It stands in for
 * APIM, which only a live gateway can be; .NET's TryParse accepts more forms than this imitation (such as "1.2").
 */
function imitateCondition(condition: string): (peer: string, forwardedFor: string | undefined) => boolean {
  const body = condition
    .replace(/^@\{/, "")
    .replace(/\}$/, "")
    .replace(/new string\(new char\[\] \{ ([^}]*) \}\)/g, (_m, chars: string) => `[${chars}].join("")`)
    .replace(/System\.Net\.IPAddress\.TryParse\(([^,]+), out (\w+)\)/g, (_m, src: string, out: string) => `__tryParse(${src}, (v) => (${out} = v))`)
    .replace(/System\.Net\.IPAddress (\w+);/g, "let $1;")
    .replace(/\b(?:long|int|bool|string\[\]|string|byte\[\]) (\w+) =/g, "let $1 =")
    .replace(/(\d+)L\b/g, "$1")
    .replace(/string\.Empty/g, '""')
    .replace(/System\.Math\.Sign/g, "Math.sign")
    .replace(/context\.Request\.Headers\.GetValueOrDefault/g, "__header")
    .replace(/context\.Request\.IpAddress/g, "__ip")
    .replace(/\.GetAddressBytes\(\)/g, ".bytes")
    .replace(/\.Split\(/g, ".split(")
    .replace(/\.Trim\(\)/g, ".trim()")
    .replace(/\.LastIndexOf\(/g, ".lastIndexOf(")
    .replace(/\.IndexOf\(/g, ".indexOf(")
    .replace(/\.Substring\(/g, ".substring(")
    .replace(/\.Length\b/g, ".length");
  const run = new Function("__header", "__ip", "__tryParse", body) as (h: (n: string, d: string) => string, ip: string, p: (s: string, set: (v: unknown) => void) => boolean) => boolean;
  const tryParse = (text: string, set: (v: unknown) => void): boolean => {
    if (isIPv4(text)) return set({ bytes: text.split(".").map(Number) }), true;
    if (isIPv6(text)) return set({ bytes: new Array(16).fill(0) }), true;
    return false;
  };
  return (peer, forwardedFor) => run((name, fallback) => (name.toLowerCase() === "x-forwarded-for" && forwardedFor !== undefined ? forwardedFor : fallback), peer, tryParse);
}
