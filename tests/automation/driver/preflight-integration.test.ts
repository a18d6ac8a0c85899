/**
 * Preflight's resource providers for outbound VNet integration (issue 20 part 1): the integrated scenario
 * delegates APIM's subnet to Microsoft.Web/serverFarms, which Microsoft says may need the Microsoft.Web provider
 * registered in the subscription. https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound#subnet-delegation
 */
import assert from "node:assert/strict";
import { requiredProviders } from "../../../automation/driver/preflight/preflight-azure";
import { defaultsFor } from "../../../config/defaults";
import type { ScenarioName } from "../../../config/schema";

const target = (scenario: ScenarioName) => ({ config: defaultsFor(scenario) });

describe("preflight: providers for outbound VNet integration", () => {
  it("needs Microsoft.Web where a stack delegates a subnet to Microsoft.Web/serverFarms (integrated), and only there", () => {
    assert.ok(requiredProviders([target("integrated")]).includes("Microsoft.Web"));
    assert.ok(requiredProviders([target("public"), target("integrated")]).includes("Microsoft.Web"));
    for (const scenario of ["public", "external", "internal", "consumption"] as const) {
      assert.ok(!requiredProviders([target(scenario)]).includes("Microsoft.Web"), scenario);
    }
  });
});
