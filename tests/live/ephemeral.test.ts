/**
 * LIVE: every scenario on its own ephemeral stack, in parallel: up, verify (all probes pass), then
 * destroy + purge + stack removal, and a check that nothing is left (resource group gone, APIM and Azure
 * OpenAI not soft-deleted). Costs money and takes about an hour (classic APIM tiers).
 *
 *   npm run test:live                       (every scenario in SCENARIO_NAMES)
 *   LIVE_SCENARIOS=consumption npm run test:live
 *   LIVE_SCENARIOS=none LIVE_VARIANTS=internal-edge npm run test:live    (no scenario; see variants.test.ts)
 *
 * Needs AZURE_SUBSCRIPTION_ID, the Pulumi CLI on PATH, an Azure login, kubelogin and a passphrase
 * (PULUMI_CONFIG_PASSPHRASE); state goes to PULUMI_BACKEND_URL or .pulumi-state/. Skipped, with the reason
 * printed once, when any is missing, and when run as part of the default suite rather than test:live.
 */
import assert from "node:assert/strict";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import { assertNothingLeftInAzure, type LiveOutcome, liveSkipReason, openLiveDriver, printVerifyTable, runEphemeral, skipWith } from "./live-stack";
import { parseLiveScenarios } from "./selection";

/** The selection, or why LIVE_SCENARIOS is wrong (reported by the suite's hook, not as a load error). */
function selection(): { scenarios: ScenarioName[]; error?: string } {
  try {
    return { scenarios: parseLiveScenarios(process.env.LIVE_SCENARIOS) };
  } catch (e) {
    return { scenarios: [], error: (e as Error).message };
  }
}

describe("live: ephemeral stacks (up, verify, destroy, purge, remove)", function () {
  const outcomes = new Map<ScenarioName, LiveOutcome>();
  const selected = selection();
  let subscriptionId = "";

  before(async function () {
    if (selected.error) throw new Error(selected.error);
    skipWith(this, "live tests", liveSkipReason());
    skipWith(this, "live scenarios", selected.scenarios.length ? undefined : "LIVE_SCENARIOS=none");
    const driver = await openLiveDriver(selected.scenarios);
    subscriptionId = driver.subscriptionId!;
    try {
      await driver.run(selected.scenarios, async (scenario) => {
        const outcome = await runEphemeral(driver, scenario, scenario as ScenarioName, {});
        outcomes.set(scenario as ScenarioName, outcome);
        return outcome;
      });
    } finally {
      driver.close();
    }
  });

  // One test per scenario of the catalog, so that the hook runs (and says why it skips) whatever LIVE_SCENARIOS holds.
  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario}: deploys, passes every probe, and leaves nothing behind`, async function () {
      if (!selected.scenarios.includes(scenario)) this.skip();
      const outcome = outcomes.get(scenario);
      assert.ok(outcome, "the scenario ran");
      printVerifyTable(outcome);
      assert.ok(outcome.ok, outcome.error);
      await assertNothingLeftInAzure(subscriptionId, outcome);
    });
  }
});
