/**
 * Estimates for the Application Gateway edge and Standard v2 (issue 20, done-when: "Estimates for App Gateway and
 * Standard v2 (time and cost) are in the estimates data with sources"), read from the real graphs: internal with
 * edge=appgw-waf and integrated as written, through the same functions and renderer the plan uses.
 */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../../automation/evaluate";
import { costOf, durationOf, ESTIMATES, estimateScenario } from "../../../automation/plan/estimates";
import { renderMarkdown } from "../../../automation/plan/render-markdown";
import { planScenarios } from "../../../automation/plan/run";
import { evaluated } from "../../scenarios/helpers";

const APPGW = "azure-native:network:ApplicationGateway";
const WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy";
const PIP = "azure-native:network:PublicIPAddress";
const LEARN_PRICING = "https://learn.microsoft.com/azure/application-gateway/understanding-pricing";

describe("estimates: the App Gateway edge and Standard v2 (issue 20)", function () {
  this.timeout(120_000);
  const edgeStack = () => evaluateScenario("internal", { overrides: { edge: "appgw-waf" }, stack: "internal-edge" });

  it("every figure added names a source with its URL, the date it was read, and a quote", () => {
    for (const id of ["appgw-understanding-pricing", "appgw-create"]) {
      const s = ESTIMATES.sources[id];
      assert.match(s.url, /^https:\/\/learn\.microsoft\.com\/azure\/application-gateway\//, id);
      assert.equal(s.read, "2026-11-30", id);
    }
    assert.match(ESTIMATES.sources["appgw-understanding-pricing"].says, /WAF_V2 \$0\.443 per hour.*WAF_V2 \$0\.0144 per hour/);
    assert.match(ESTIMATES.sources["appgw-create"].says, /around 6 minutes/);
    assert.equal(ESTIMATES.priceRegion, "eastus", "the page's example prices are East US's, the file's price region");
  });

  it("internal+edge: the gateway's fixed price is $0.443 x 730, capacity units are usage, the WAF policy and the gateway's public IP cost nothing extra", async () => {
    const e = await edgeStack();
    const of = (type: string) => e.resources.filter((r) => r.type === type);
    const [gateway] = of(APPGW);
    const [fixed, units] = costOf(gateway);
    assert.deepEqual([fixed.item, fixed.usd, fixed.usage, fixed.unknown, fixed.source], ["Application Gateway WAF_v2 (fixed)", 323.39, false, undefined, LEARN_PRICING]);
    assert.deepEqual([units.usage, units.unknown, units.source], [true, undefined, LEARN_PRICING]);
    assert.match(units.basis, /\$0\.0144 per capacity unit-hour/);
    const [policy] = costOf(of(WAF_POLICY)[0]);
    assert.deepEqual([policy.usd, policy.usage, policy.unknown], [0, false, undefined]);
    const ips = of(PIP).map((r) => ({ name: String(r.inputs.publicIpAddressName), line: costOf(r)[0] }));
    const edgeIp = ips.filter((i) => i.line.item === "public IP of the Application Gateway");
    assert.equal(edgeIp.length, 1, ips.map((i) => i.name).join(", "));
    assert.equal(edgeIp[0].line.usd, 0);
    assert.ok(
      e.resources.find((r) => r.type === APPGW)!.inputs.frontendIPConfigurations !== undefined &&
        JSON.stringify(gateway.inputs.frontendIPConfigurations).includes("publicIPAddress"),
      "the gateway's frontend uses a public IP",
    );
    for (const other of ips.filter((i) => i !== edgeIp[0])) assert.equal(other.line.usd, 3.65, other.name);
  });

  it("internal+edge: the gateway's create time is the FAQ's documented 6 minutes", async () => {
    const e = await edgeStack();
    const d = durationOf(e.resources.find((r) => r.type === APPGW)!);
    assert.deepEqual([d.minutes, d.kind, d.source], [6, "documented", "appgw-create"]);
  });

  it("the plan's cost lines: internal+edge costs exactly the gateway's $323.39 more than internal, with no App Gateway line left unread", async () => {
    const [plain] = await planScenarios(["internal"]);
    const [edge] = await planScenarios(["internal"], { edge: "appgw-waf" });
    const unread = (lines: typeof edge.estimate.costLines) => lines.filter((l) => l.unknown).map((l) => l.type);
    assert.deepEqual(unread(edge.estimate.costLines).filter((t) => [APPGW, WAF_POLICY, PIP].includes(t)), []);
    assert.deepEqual(unread(edge.estimate.costLines), unread(plain.estimate.costLines), "the edge adds no unread price");
    assert.equal(Math.round((edge.estimate.monthlyCostUsd - plain.estimate.monthlyCostUsd) * 100) / 100, 323.39);
    assert.ok(edge.estimate.sources.includes("appgw-understanding-pricing") && edge.estimate.sources.includes("appgw-create"));
    const md = renderMarkdown([edge]);
    assert.match(md, /\| Application Gateway WAF_v2 \(fixed\) \| 1 \| \$323\.39 \|/);
    assert.match(md, /\| Application Gateway WAF_v2 capacity units \| 1 \| usage \| \$0\.0144 per capacity unit-hour/);
    assert.doesNotMatch(md, /\| (WebApplicationFirewallPolicy|WAF policy|ApplicationGateway|PublicIPAddress)[^|]*\| \d+ \| price not read/);
  });

  it("integrated: Standard v2's unit price stays 'price not read', saying which sources were tried, and its create time names its source", async () => {
    const e = await evaluated("integrated");
    const apim = e.resources.find((r) => r.type === "azure-native:apimanagement:ApiManagementService")!;
    assert.equal((apim.inputs.sku as { name: string }).name, "StandardV2");
    const [line] = costOf(apim);
    assert.equal(line.unknown, true);
    assert.match(line.basis, /price not read \(2026-11-23\).*placeholders.*v2 tiers overview.*third-party summaries/);
    const d = durationOf(apim);
    assert.deepEqual([d.minutes, d.source], [10, "apim-v2-tiers"]);
    assert.ok(estimateScenario(e).costLines.some((l) => l.item === "API Management Standard v2 units" && l.unknown));
  });
});
