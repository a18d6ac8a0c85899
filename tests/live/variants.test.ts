/**
 * LIVE: options the default stacks never deploy (tests/live/selection.ts LIVE_VARIANTS: the edge WAF on internal,
 * client certificates and a caller allow-list on public, the gateway's private endpoint on integrated), each on
 * its own ephemeral stack through the same path as ephemeral.test.ts: up, every probe passed, the variant's own
 * probes among them (by name, scenarios/probes.ts) and its own resources in the state, then destroy, purge,
 * stack removal, and nothing left in Azure. None by default: each costs an hour of Azure.
 *
 *   LIVE_SCENARIOS=none LIVE_VARIANTS=internal-edge,public-caller-ranges npm run test:live
 *   LIVE_SCENARIOS=none LIVE_VARIANTS=all npm run test:live
 *
 * Needs what ephemeral.test.ts needs. An unknown name fails the suite at once, naming the known ones.
 */
import assert from "node:assert/strict";
import { assertNothingLeftInAzure, type LiveOutcome, liveSkipReason, openLiveDriver, printVerifyTable, runEphemeral, skipWith } from "./live-stack";
import { LIVE_VARIANTS, type LiveVariant, parseLiveVariants, variantGaps } from "./selection";

function selection(): { variants: LiveVariant[]; error?: string } {
  try {
    return { variants: parseLiveVariants(process.env.LIVE_VARIANTS) };
  } catch (e) {
    return { variants: [], error: (e as Error).message };
  }
}

describe("live: option variants on ephemeral stacks (LIVE_VARIANTS)", function () {
  const outcomes = new Map<string, LiveOutcome>();
  const selected = selection();
  let subscriptionId = "";

  before(async function () {
    if (selected.error) throw new Error(selected.error);
    skipWith(this, "live variants", selected.variants.length ? liveSkipReason() : `LIVE_VARIANTS is not set (one or more of ${LIVE_VARIANTS.map((v) => v.name).join(", ")}, or all)`);
    const driver = await openLiveDriver(selected.variants.map((v) => v.name));
    subscriptionId = driver.subscriptionId!;
    try {
      await driver.run(
        selected.variants.map((v) => v.name),
        async (name) => {
          const variant = selected.variants.find((v) => v.name === name)!;
          const outcome = await runEphemeral(driver, name, variant.scenario, variant.overrides, async (_stack, _outputs, o) => {
            assert.deepEqual(variantGaps(variant, o.probeNames, o.resources), [], `${name}: ${variant.why}`);
          });
          outcomes.set(name, outcome);
          return outcome;
        },
      );
    } finally {
      driver.close();
    }
  });

  // One test per variant of the table, so that the hook runs (and says why it skips) whatever LIVE_VARIANTS holds.
  for (const variant of LIVE_VARIANTS) {
    it(`${variant.name} (${variant.scenario} with ${JSON.stringify(variant.overrides)}): its own probes pass with every other, and nothing is left`, async function () {
      if (!selected.variants.includes(variant)) this.skip();
      const outcome = outcomes.get(variant.name);
      assert.ok(outcome, "the variant ran");
      printVerifyTable(outcome);
      assert.ok(outcome.ok, outcome.error);
      for (const probe of variant.probes) assert.ok(outcome.probeNames.includes(probe), `verify ran ${probe}`);
      await assertNothingLeftInAzure(subscriptionId, outcome);
    });
  }
});
