/**
 * The pack over the graph each scenario registers in the mock engine, as `scenarios plan` runs it. A mandatory
 * violation here is a product bug, not a reason to relax a rule. Kubernetes resources are checked as soon as the
 * scenarios register them: the counts below come from the graph, not from a fixed list.
 */
import assert from "node:assert/strict";
import { SCENARIO_NAMES } from "../../config/schema";
import { BACKEND_PRIVATE_FROM_INTERNET } from "../../scenarios/probes";
import { HELM_TYPES, T, WORKLOAD_POD_SPEC } from "../../policy/lib";
import { policies } from "../../policy/policies";
import { runPolicies } from "../../policy/run";
import { CHART_WORKLOADS, isDefaultDenyIngress } from "../../policy/kubernetes";
import { chartName } from "../../policy/lib";
import { evaluated, show } from "./helpers";

describe("policy pack over the scenarios", () => {
  for (const scenario of SCENARIO_NAMES) {
    describe(scenario, () => {
      it("passes every mandatory rule", async () => {
        const report = runPolicies(await evaluated(scenario));
        const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory");
        assert.equal(mandatory.length, 0, `mandatory violations in ${scenario}:\n${show(mandatory)}`);
        assert.equal(report.summary.ok, true);
        assert.equal(report.scenario, scenario);
      });

      it("passes the Kubernetes rules on the scenario's own Kubernetes layer, not on an empty one", async () => {
        const e = await evaluated(scenario);
        const objects = (type: string) =>
          e.resources.filter((r) => r.type === type).map((r) => `${(r.inputs.metadata as any)?.namespace}/${(r.inputs.metadata as any)?.name}`).sort();
        assert.deepEqual(objects(T.deployment), ["ai-api/ai-api"]);
        assert.deepEqual(e.resources.filter((r) => r.type === T.helmChartV4).map((r) => r.inputs.chart).sort(), ["cert-manager", "traefik"]);
        const denied = e.resources.filter((r) => r.type === T.networkPolicy && isDefaultDenyIngress(r.inputs)).map((r) => (r.inputs.metadata as any)?.namespace).sort();
        assert.deepEqual(denied, ["ai-api", "cert-manager", "traefik"]);
        assert.deepEqual(objects(T.ingress), ["ai-api/ai-api"]);
        assert.deepEqual(objects(T.traefikMiddleware), scenario === "consumption" ? ["ai-api/apim-basic-auth", "ai-api/apim-only"] : []);
        const report = runPolicies(e);
        const result = (name: string) => report.results.find((r) => r.policy === name)!;
        assert.equal(result("k8s-workload-hardening").status, "pass");
        assert.equal(result("k8s-workload-hardening").checked, 3, "the AI API's Deployment and the two charts");
        assert.equal(result("k8s-namespace-default-deny").status, "pass");
      });

      it("reports every policy exactly once, as passed, failed or not applicable", async () => {
        const { results, summary } = runPolicies(await evaluated(scenario));
        assert.deepEqual(results.map((r) => r.policy), policies.map((p) => p.name));
        const listed = [...summary.passed, ...summary.failed, ...summary.notApplicable].sort();
        assert.deepEqual(listed, policies.map((p) => p.name).sort());
        for (const r of results) {
          if (r.status === "fail") assert.ok(r.violations.length > 0, r.policy);
          if (r.status === "not-applicable") assert.ok(r.notApplicable.length > 0 || r.checked === 0, r.policy);
        }
      });

      it("keeps the backend private where the scenario promises it, and says so where it does not", async () => {
        const report = runPolicies(await evaluated(scenario));
        const status = (name: string) => report.results.find((r) => r.policy === name)!.status;
        if (BACKEND_PRIVATE_FROM_INTERNET[scenario]) {
          assert.equal(status("backend-private-from-internet"), "pass");
          assert.equal(status("backend-public-exposure"), "not-applicable");
        } else {
          assert.equal(status("backend-private-from-internet"), "not-applicable");
          assert.equal(status("backend-public-exposure"), "fail");
          assert.ok(report.violations.some((v) => v.policy === "backend-public-exposure" && v.enforcementLevel === "advisory"));
        }
      });

      it("checks the secrets of the stack outputs and the Azure resources every scenario has", async () => {
        const report = runPolicies(await evaluated(scenario));
        const status = (name: string) => report.results.find((r) => r.policy === name)!;
        for (const name of [
          "stack-outputs-secret",
          "apim-managed-identity",
          "openai-local-auth-disabled",
          "role-assignment-least-privilege",
          "role-assignment-managed-identity-principal-type",
          "nsg-no-open-inbound",
          "aks-cluster-hardening",
          "apim-https-only",
        ]) {
          assert.equal(status(name).status, "pass", `${name}: ${status(name).notApplicable.join("; ")}`);
        }
        // TLS settings exist only on the classic tiers (not on Consumption, nor on Standard v2: integrated).
        assert.equal(status("apim-tls-hardening").status, scenario === "consumption" || scenario === "integrated" ? "not-applicable" : "pass");
      });

      it("checks every Kubernetes workload and known chart the scenario registers", async () => {
        const e = await evaluated(scenario);
        const report = runPolicies(e);
        const workloads = e.resources.filter((r) => WORKLOAD_POD_SPEC[r.type] || (HELM_TYPES.includes(r.type) && CHART_WORKLOADS[chartName(r.inputs)]));
        const hardening = report.results.find((r) => r.policy === "k8s-workload-hardening")!;
        assert.equal(hardening.checked, workloads.length);
        const runsPods = e.resources.some((r) => WORKLOAD_POD_SPEC[r.type] || HELM_TYPES.includes(r.type));
        const defaultDeny = report.results.find((r) => r.policy === "k8s-namespace-default-deny")!;
        assert.equal(defaultDeny.status === "not-applicable", !runsPods);
      });
    });
  }
});
