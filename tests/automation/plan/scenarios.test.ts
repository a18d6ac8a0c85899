import assert from "node:assert/strict";
import { overSlowest, pathText, slowestStart, SPIN_UP_TOLERANCE, spinUpVerdict } from "../../../automation/plan/model";
import { nameFromUrn } from "../../../automation/shared/text";
import { SCENARIO_TRAITS } from "../../../config/defaults";
import { SCENARIO_NAMES } from "../../../config/schema";
import { CLASSIC_TIERS } from "../../../components/policy-support";
import { planned } from "./helpers";

const APIM = "azure-native:apimanagement:ApiManagementService";
const AKS = "azure-native:containerservice:ManagedCluster";

describe("automation/plan on every scenario", () => {
  for (const scenario of SCENARIO_NAMES) {
    describe(scenario, () => {
      // Issue #5: slow resources start at once. Where the critical path runs longer than the slowest resource,
      // the rest needs that resource first (the Kubernetes layer needs the cluster), so it cannot start earlier.
      it(`starts its slowest resource within ${SPIN_UP_TOLERANCE * 100}% of that resource's duration`, async () => {
        const { estimate: e } = await planned(scenario);
        const names = e.criticalPath.map((c) => nameFromUrn(c.urn));
        assert.ok(names.includes(nameFromUrn(e.slowest.urn)), `the slowest resource is on the critical path: ${pathText(e)}`);
        assert.ok(
          slowestStart(e) <= SPIN_UP_TOLERANCE * e.slowest.minutes,
          `${scenario}: ${nameFromUrn(e.slowest.urn)} (${e.slowest.minutes} min) waits ${slowestStart(e)} min: ${pathText(e)}`,
        );
        assert.ok(spinUpVerdict(e).ok, spinUpVerdict(e).text);
        if (CLASSIC_TIERS.some((t) => t === SCENARIO_TRAITS[scenario].defaults.apimSku)) {
          // APIM dominates the classic tiers: everything else fits in its shadow (Consumption and v2 are up in minutes).
          assert.ok(overSlowest(e) <= SPIN_UP_TOLERANCE, `${scenario}: +${(overSlowest(e) * 100).toFixed(1)}%: ${pathText(e)}`);
        }
      });

      it("does not make API Management and AKS wait for each other", async () => {
        const { estimate: e } = await planned(scenario);
        const types = e.criticalPath.map((c) => c.type);
        assert.ok(!(types.includes(APIM) && types.includes(AKS)), `both on one chain: ${pathText(e)}`);
      });

      it("estimates less than the serial sum and at least the slowest resource, with a fixed monthly cost", async () => {
        const { estimate: e } = await planned(scenario);
        assert.ok(e.spinUpMinutes >= e.slowest.minutes);
        assert.ok(e.spinUpMinutes < e.serialMinutes);
        assert.ok(e.monthlyCostUsd > 0, `${e.monthlyCostUsd}`);
        assert.ok(e.costLines.some((l) => l.usage && /token/.test(l.basis)), "Azure OpenAI is listed as usage-based");
        for (const l of e.costLines.filter((x) => x.unknown)) assert.match(l.basis, /price not read( \(\d{4}-\d\d-\d\d\))?: /, `${l.item} is unpriced without saying why`);
      });

      it("reads exposure from the graph", async () => {
        const { analysis: a } = await planned(scenario);
        assert.equal(a.endpoints.apim.reach, scenario === "internal" ? "vnet" : "internet");
        assert.equal(a.apimVnetMode, { public: "None", external: "External", internal: "Internal", consumption: "None", integrated: "Integration" }[scenario]);
        const ingress = { public: "internet", external: "vnet", internal: "vnet", consumption: a.kubernetesLayer ? "internet-restricted" : "internet", integrated: "vnet" }[scenario];
        assert.equal(a.endpoints.ingress.reach, ingress);
        assert.equal(a.endpoints.ingress.from, a.kubernetesLayer ? "graph" : "traits");
        const clientApim = a.hops.find((h) => h.id === "client-apim")!.protections;
        for (const name of ["subscription key", "rate limit", "quota", "CORS", "TLS"]) assert.equal(clientApim.find((p) => p.name === name)?.present, true, name);
        assert.equal(clientApim.find((p) => p.name === "token limit")?.present, scenario !== "consumption", "no token limit on Consumption");
        const model = a.hops.find((h) => h.id === "api-model")!.protections;
        assert.equal(model.find((p) => p.name === "local auth disabled")?.present, true);
        assert.equal(model.find((p) => p.name === "APIM identity")?.present, true);
      });
    });
  }
});
