/**
 * The plan's model path (issue 16): the comparison table's "model reached privately" and "model failover" rows
 * and the trust-boundary diagram's private endpoint and pool, read from the real scenario graphs, as written and
 * with `openAiSecondaryLocation` (a second account behind APIM's pool), and from hand-made graphs for the cases
 * the scenarios do not produce.
 */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../../automation/evaluate";
import { analyzeScenario, parsePolicy } from "../../../automation/plan/analysis";
import { estimateScenario } from "../../../automation/plan/estimates";
import { comparisonRows, type PlanResult } from "../../../automation/plan/model";
import { breakerText, isoDuration, modelFailover, modelReach, retryStatuses } from "../../../automation/plan/model-path";
import { renderText } from "../../../automation/plan/render-text";
import { policyOutcome } from "../../../automation/plan/run";
import { topologySvg } from "../../../automation/plan/svg";
import { SCENARIO_NAMES, type ScenarioName } from "../../../config/schema";
import { SCENARIOS } from "../../../scenarios";
import { planned, resource } from "./helpers";

const SECONDARY = "germanywestcentral";
const ANSI = /\x1b\[[0-9;]*m/g;

/** The plan of a real scenario with settings over its stack file, policy pack included. */
async function plannedWith(scenario: ScenarioName, overrides: Record<string, unknown>): Promise<PlanResult> {
  const evaluation = await evaluateScenario(scenario, { overrides });
  return {
    scenario,
    title: SCENARIOS[scenario].title,
    summary: SCENARIOS[scenario].summary,
    evaluation,
    estimate: estimateScenario(evaluation),
    analysis: analyzeScenario(scenario, evaluation.resources),
    policy: policyOutcome(evaluation),
  };
}

const rowOf = (results: readonly PlanResult[], label: string) => {
  const row = comparisonRows(results).find((r) => r.label.trim() === label);
  assert.ok(row, `a "${label}" row`);
  return Object.fromEntries(results.map((r, i) => [r.scenario, row.cells[i]]));
};

/** The text elements of a diagram with a class, in order. */
const texts = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<text [^>]*class="${cls}"[^>]*>([^<]*)</text>`, "g"))].map((m) => m[1].replace(/&amp;/g, "&"));

describe("plan: the model path, private and with failover (issue 16)", function () {
  let results: PlanResult[];
  /** external and public with openAiSecondaryLocation; internal with its public endpoint kept for debugging. */
  let resilient: PlanResult[];
  before(async function () {
    results = [];
    for (const s of SCENARIO_NAMES) results.push(await planned(s));
    resilient = [
      await plannedWith("public", { openAiSecondaryLocation: SECONDARY }),
      await plannedWith("external", { openAiSecondaryLocation: SECONDARY }),
      await plannedWith("internal", { openAiPublicNetworkAccess: true }),
      results.find((r) => r.scenario === "consumption")!,
    ];
  });

  it("model reached privately: a private endpoint in external and internal, the account's firewall on public and consumption", () => {
    const cells = rowOf(results, "model reached privately");
    for (const s of ["external", "internal"]) {
      assert.equal(cells[s].text, "private endpoint", s);
      assert.equal(cells[s].tone, "good", s);
      assert.match(cells[s].detail!, /private endpoint \(group account\) resolved through privatelink\.openai\.azure\.com linked to the VNet; public network access disabled/);
    }
    for (const s of ["public", "consumption"]) {
      assert.equal(cells[s].text, "public, firewall", s);
      assert.equal(cells[s].tone, "warn", s);
      assert.match(cells[s].detail!, /public endpoint; its firewall denies by default and admits 1 IP rule \(APIM's outbound addresses\) and 1 subnet/);
    }
    const rule = comparisonRows(results).find((r) => r.label.trim() === "model reached privately")!.rule;
    assert.match(rule!, /amber where the public endpoint answers/);
    // Restricted, not missing: the firewall-limited endpoint is not listed as a gap.
    for (const r of results) assert.ok(!r.analysis.gaps.some((g) => /public endpoint; its firewall/.test(g)), r.scenario);
  });

  it("model failover: off with one account, '— (tier)' on Consumption, whose backends have no circuit breaker", () => {
    const cells = rowOf(results, "model failover");
    for (const s of ["public", "external", "internal"]) {
      assert.equal(cells[s].text, "off", s);
      assert.equal(cells[s].tone, "muted", s);
      assert.match(cells[s].detail!, /set openAiSecondaryLocation/);
    }
    assert.equal(cells.consumption.text, "— (tier)");
    assert.match(cells.consumption.detail!, /the Consumption tier has no backend circuit breakers or pools/);
  });

  it("with openAiSecondaryLocation: both accounts private in external, a priority pool with a breaker on each member and the retry", () => {
    const reach = rowOf(resilient, "model reached privately");
    assert.equal(reach.external.text, "private endpoint ×2");
    assert.equal(reach.external.tone, "good");
    assert.match(reach.external.detail!, /-2: private endpoint/);
    assert.equal(reach.public.text, "public, firewall");
    assert.match(reach.public.detail!, /-2: public endpoint; its firewall denies by default and admits 1 IP rule \(APIM's outbound addresses\) and 0 subnets/);
    assert.equal(reach.internal.text, "PE, public kept");
    assert.equal(reach.internal.tone, "warn");
    assert.match(reach.internal.detail!, /kept for debugging \(openAiPublicNetworkAccess\)/);

    const failover = rowOf(resilient, "model failover");
    for (const s of ["public", "external"]) {
      assert.equal(failover[s].text, "pool of 2, priority", s);
      assert.equal(failover[s].tone, "good", s);
      const d = failover[s].detail!;
      assert.match(d, /^APIM pool openai-pool: openai-1 \(priority 1, oai-[a-z0-9-]+\.openai\.azure\.com\): trips on 429, 500-599 \(1 in 10 s\) for 1 min or the upstream's Retry-After · openai-2 \(priority 2, oai-[a-z0-9-]+-2\.openai\.azure\.com\)/);
      assert.match(d, /the Azure OpenAI API retries 1× on 429 or 503, on the backend the pool chooses next/);
    }
    // The AI API fails over itself only where its pods reach the secondary privately.
    assert.match(failover.external.detail!, /the AI API also fails over itself to https:\/\/oai-[a-z0-9-]+-2\.openai\.azure\.com\/ \(AZURE_OPENAI_FAILOVER_ENDPOINTS\)/);
    assert.doesNotMatch(failover.public.detail!, /AI API also fails over/);
    assert.equal(failover.internal.text, "off");
  });

  for (const width of [80, 100, 120]) {
    it(`the plan with the secondary fits ${width} columns, every word of the new rows there`, () => {
      const out = renderText(resilient, { color: false, width }).replace(ANSI, "");
      for (const line of out.split("\n")) assert.ok([...line].length <= width, `${[...line].length} > ${width}: ${line}`);
      assert.ok(!out.includes("…"));
      const flat = out.replace(/\s+/g, " ");
      for (const label of ["model reached privately", "model failover"]) {
        const row = comparisonRows(resilient).find((r) => r.label.trim() === label)!;
        for (const w of label.split(" ")) assert.ok(flat.includes(w));
        for (const cell of row.cells) for (const w of cell.text.split(/\s+/)) assert.ok(flat.includes(w), `${label}: "${w}"`);
      }
    });
  }

  it("the trust-boundary diagram: a private endpoint on the VNet's edge, the pool with priorities and the breaker rule", () => {
    const svgOf = (r: PlanResult) => topologySvg({ scenario: r.scenario, analysis: r.analysis, resources: r.evaluation.resources });
    const external = svgOf(resilient[1]);
    assert.match(external, /<rect class="private-endpoint" /);
    assert.deepEqual(texts(external, "model-reach"), ["private endpoint"]);
    assert.deepEqual(texts(external, "model-failover"), ["APIM pool, by priority:", "1. swedencentral", `2. ${SECONDARY}`, "breaker: 429, 500-599", "1 in 10 s: out for 1 min", "(or the Retry-After)"]);
    assert.match(external, />Azure OpenAI ×2</);

    const pub = svgOf(resilient[0]);
    assert.doesNotMatch(pub, /class="private-endpoint"/, "public reaches its accounts over their public endpoints");
    assert.deepEqual(texts(pub, "model-reach"), ["public, firewall"]);
    assert.equal(texts(pub, "model-failover")[0], "APIM pool, by priority:");

    const byScenario = Object.fromEntries(results.map((r) => [r.scenario, svgOf(r)]));
    assert.deepEqual(texts(byScenario.internal, "model-reach"), ["private endpoint"]);
    assert.deepEqual(texts(byScenario.internal, "model-failover"), ["failover: off"]);
    assert.deepEqual(texts(byScenario.consumption, "model-reach"), ["public, firewall"]);
    assert.deepEqual(texts(byScenario.consumption, "model-failover"), ["failover: — (tier)"]);
    assert.ok(!byScenario.public.includes("model reached priva…"), "the hop's label is whole");
  });

  describe("from hand-made graphs", () => {
    const ACCOUNT = "azure-native:cognitiveservices:Account";
    const BACKEND = "azure-native:apimanagement:Backend";
    const apim = (sku: string) => resource("azure-native:apimanagement:ApiManagementService", "apim", { inputs: { sku: { name: sku } } });
    const account = (name: string, properties: Record<string, unknown>) =>
      resource(ACCOUNT, name, { id: `/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/${name}`, inputs: { accountName: name, kind: "OpenAI", properties } });
    const pe = (target: string) =>
      resource("azure-native:network:PrivateEndpoint", `${target}-pe`, {
        inputs: { privateEndpointName: `pe-${target}`, privateLinkServiceConnections: [{ privateLinkServiceId: `/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/${target}`, groupIds: ["account"] }] },
      });
    const zoneGroup = (target: string) =>
      resource("azure-native:network:PrivateDnsZoneGroup", `${target}-dns`, {
        inputs: { privateEndpointName: `pe-${target}`, privateDnsZoneConfigs: [{ privateDnsZoneId: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com" }] },
      });
    const link = resource("azure-native:privatedns:VirtualNetworkLink", "link", { inputs: { privateZoneName: "privatelink.openai.azure.com", virtualNetwork: { id: "/vnet" } } });
    const breaker = { rules: [{ failureCondition: { count: 3, interval: "PT1M", statusCodeRanges: [{ min: 500, max: 599 }] }, tripDuration: "PT30S" }] };
    const member = (id: string, url: string, circuitBreaker?: unknown) => resource(BACKEND, id, { id: `/backends/${id}`, inputs: { backendId: id, type: "Single", url, circuitBreaker } });
    const pool = (services: unknown[]) => resource(BACKEND, "pool", { inputs: { backendId: "openai-pool", type: "Pool", pool: { services } } });
    const routed = [parsePolicy(`<policies><inbound><set-backend-service backend-id="openai-pool" /></inbound></policies>`)];

    it("a private endpoint whose zone the VNet does not resolve, or an account open to all, is missing (a gap), not restricted", () => {
      const a = account("a", { publicNetworkAccess: "Disabled" });
      assert.equal(modelReach([a, pe("a"), zoneGroup("a"), link]).summary, "private endpoint");
      const unlinked = modelReach([a, pe("a"), zoneGroup("a")]);
      assert.equal(unlinked.summary, "PE incomplete");
      assert.equal(unlinked.present, false);
      assert.equal(unlinked.tone, undefined);
      assert.match(unlinked.detail, /writes no record into a privatelink\.openai\.azure\.com zone linked to the VNet/);
      assert.equal(modelReach([account("b", {})]).summary, "public, open");
      assert.equal(modelReach([account("b", {}), account("c", { publicNetworkAccess: "Disabled" }), pe("c"), zoneGroup("c"), link]).summary, "public, open", "the weakest account decides");
      assert.equal(modelReach([]).summary, "not in graph");
    });

    it("failover: a pool the policy does not route to, a member without a breaker, weights, two accounts without a pool", () => {
      const accounts = [account("a", {}), account("b", {})];
      const members = [member("openai-1", "https://a.openai.azure.com/openai", breaker), member("openai-2", "https://b.openai.azure.com/openai", breaker)];
      const byPriority = pool([{ id: "/backends/openai-1", priority: 1 }, { id: "/backends/openai-2", priority: 2 }]);
      const ok = modelFailover([apim("StandardV2"), ...accounts, ...members, byPriority], routed);
      assert.equal(ok.summary, "pool of 2, priority");
      assert.match(ok.detail, /openai-1 \(priority 1, a\.openai\.azure\.com\): trips on 500-599 \(3 in 1 min\) for 30 s ·/);
      assert.equal(modelFailover([apim("StandardV2"), ...accounts, ...members, byPriority], []).summary, "pool unused");
      const bare = [members[0], member("openai-2", "https://b.openai.azure.com/openai")];
      assert.equal(modelFailover([apim("StandardV2"), ...accounts, ...bare, byPriority], routed).summary, "no breaker");
      const weighted = pool([{ id: "/backends/openai-1", priority: 1, weight: 3 }, { id: "/backends/openai-2", priority: 1, weight: 1 }]);
      const w = modelFailover([apim("Developer"), ...accounts, ...members, weighted], routed);
      assert.equal(w.summary, "pool of 2, weighted");
      assert.match(w.detail, /priority 1, weight 3/);
      assert.equal(modelFailover([apim("Developer"), ...accounts], routed).summary, "no pool");
      assert.equal(modelFailover([apim("Consumption"), ...accounts], routed).detail.includes("calls the primary account only"), true);
    });

    it("words: durations, breaker rules, retry conditions", () => {
      assert.equal(isoDuration("PT10S"), "10 s");
      assert.equal(isoDuration("PT1M30S"), "1 min 30 s");
      assert.equal(isoDuration("P1D"), "P1D");
      assert.equal(breakerText({ failureCondition: { count: 1, interval: "PT10S", statusCodeRanges: [{ min: 429, max: 429 }] }, tripDuration: "PT1M", acceptRetryAfter: true }), "trips on 429 (1 in 10 s) for 1 min or the upstream's Retry-After");
      assert.equal(retryStatuses("@(context.Response.StatusCode == 429 || context.Response.StatusCode == 503)"), "429 or 503");
      assert.equal(retryStatuses("@(true)"), "@(true)");
    });
  });
});
