/**
 * The plan of an attendee stack (workshop mode, docs/workshop.md): its graph lacks what the shared stack holds
 * (APIM, the cluster, the account, the issuer), so the rows read from those say "shared stack" and take the
 * topology's values from the shared half's simulated outputs, rather than "—", "not in graph" or a private
 * network the attendee's graph alone cannot show.
 */
import assert from "node:assert/strict";
import type { Protection } from "../../../automation/plan/analysis";
import { comparisonRows, type PlanResult } from "../../../automation/plan/model";
import { planScenarios } from "../../../automation/plan/run";
import type { ScenarioName } from "../../../config/schema";
import { runScenarios } from "./helpers";

const sharedStack = (s: ScenarioName) => `organization/apim-aks-ai-scenarios/${s}-shared`;
const zone = { ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "rg-dns" };
const attendee = (s: ScenarioName) => ({ workshopRole: "attendee", attendee: "a01", sharedStack: sharedStack(s), ...(s === "public" ? zone : {}) });
const args = (s: ScenarioName) => Object.entries(attendee(s)).flatMap(([k, v]) => ["--config", `${k}=${v}`]);

const row = (r: PlanResult, hop: string, name: string): Protection => r.analysis.hops.find((h) => h.id === hop)!.protections.find((p) => p.name === name)!;
const cell = (r: PlanResult, label: string) => comparisonRows([r]).find((x) => x.label === label)!.cells[0];

// Started when mocha loads the file (as the other CLI tests do), awaited by its test.
const cli = runScenarios(["plan", "internal", ...args("internal"), "--no-report"], { NO_COLOR: "1" });

describe("the plan of an attendee stack: rows of what the shared stack holds", function () {
  this.timeout(120000);

  it("internal: APIM's tier and VNet mode are the shared stack's, and APIM reaches the attendee's ingress inside the VNet", async () => {
    const [r] = await planScenarios(["internal"], attendee("internal"));
    assert.deepEqual(r.analysis.sharedStack, { name: sharedStack("internal"), topology: "internal", apimSku: "Developer" });
    assert.equal(cell(r, "APIM tier").text, "Developer (shared stack)");
    assert.equal(cell(r, "APIM VNet mode").text, "Internal (shared stack)");
    const network = row(r, "apim-ingress", "private network");
    assert.deepEqual([network.present, network.summary], [true, "VNet"]);
    assert.match(network.detail, /Internal mode.*the shared stack organization\/apim-aks-ai-scenarios\/internal-shared's/);
    assert.equal(row(r, "apim-ingress", "allow-list").summary, "n/a (VNet)", "on a private path the VNet is the boundary, as in the whole scenario");
    for (const key of ["apim", "aksApi", "openAi"] as const) assert.equal(r.analysis.endpoints[key].summary, "shared stack", key);
    for (const [hop, name] of [
      ["apim-ingress", "certificate"],
      ["ingress-api", "policy engine"],
      ["api-model", "local auth disabled"],
      ["api-model", "model reached privately"],
      ["api-model", "model failover"],
    ]) {
      const p = row(r, hop, name);
      assert.deepEqual([p.summary, p.present], ["shared stack", null], `${hop} ${name}`);
      assert.match(p.detail, /scenarios plan internal --config workshopRole=shared/);
    }
    // The attendee's own rows are still read from its graph.
    assert.equal(row(r, "client-apim", "subscription key").summary, "required");
    assert.equal(row(r, "api-model", "workload identity").summary, "yes");
    assert.ok(!r.analysis.gaps.some((g) => /not in the graph|outside any VNet/.test(g)), r.analysis.gaps.join("\n"));
  });

  it("public: APIM outside any VNet, as the public topology's shared stack has it, said to be the shared stack's", async () => {
    const [r] = await planScenarios(["public"], attendee("public"));
    assert.equal(cell(r, "APIM tier").text, "Developer (shared stack)");
    assert.equal(cell(r, "APIM VNet mode").text, "none (shared stack)");
    const network = row(r, "apim-ingress", "private network");
    assert.deepEqual([network.present, network.summary], [false, "internet"]);
    assert.match(network.detail, /^APIM is outside any VNet: the call crosses the internet \(APIM is the shared stack .*public-shared's\)$/);
  });

  it("a whole scenario's plan has no shared stack and keeps its own rows", async () => {
    const [r] = await planScenarios(["internal"]);
    assert.equal(r.analysis.sharedStack, undefined);
    assert.match(cell(r, "APIM tier").text, /^Developer ×1$/);
    assert.equal(cell(r, "APIM VNet mode").text, "Internal");
    assert.notEqual(r.analysis.endpoints.apim.summary, "shared stack");
  });

  it("on the command line: scenarios plan internal --config workshopRole=attendee … prints the shared stack's rows", async () => {
    const run = await cli;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^APIM tier +Developer \(shared stack\)$/m);
    assert.match(run.stdout, /^ {2}private network +VNet$/m);
    assert.doesNotMatch(run.stdout, /not in graph/);
    assert.match(run.stdout.replace(/\n +/g, " "), /Workshop attendee stack: reads the shared stack organization\/apim-aks-ai-scenarios\/internal-shared, whose APIM, cluster and model account are counted in its own plan/);
    assert.match(run.stdout.replace(/\n +/g, " "), /Monthly ≈ \$0\.00 fixed \(no resource with a fixed price\)\./, "not an empty list");
  });
});
