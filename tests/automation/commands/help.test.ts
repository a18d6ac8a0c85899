/**
 * The CLI's own help names the scenarios from the catalog and the traits, so adding one (integrated was the
 * fifth) cannot leave it saying "four ways", or say that only internal probes from the VNet.
 */
import assert from "node:assert/strict";
import { buildProgram } from "../../../automation/cli";
import { VNET_PROBE_SCENARIOS } from "../../../automation/commands/verify";
import { SCENARIO_NAMES } from "../../../config/schema";
import type { Probe } from "../../../scenarios/probes";
import { evaluated } from "../../scenarios/helpers";

describe("automation/cli: the top-level help", () => {
  it("names every scenario of the catalog and counts none by hand", () => {
    const help = buildProgram().helpInformation();
    for (const name of SCENARIO_NAMES) assert.match(help, new RegExp(`\\b${name}\\b`), name);
    assert.doesNotMatch(help, /\b(three|four|five|six) (ways|scenarios)\b/i);
  });
});

describe("automation/commands/verify: the help says where probes run from the VNet", () => {
  it("names exactly the scenarios whose offline probes include one from vnet", async function () {
    this.timeout(60_000);
    const withVnetProbes: string[] = [];
    for (const name of SCENARIO_NAMES) {
      const probes = (await evaluated(name)).outputs.probes.value as Probe[];
      if (probes.some((p) => p.from === "vnet")) withVnetProbes.push(name);
    }
    assert.deepEqual([...VNET_PROBE_SCENARIOS], withVnetProbes);
    const help = buildProgram().commands.find((c) => c.name() === "verify")!;
    let text = "";
    help.configureOutput({ writeOut: (s) => (text += s), writeErr: () => {} });
    help.outputHelp();
    assert.ok(text.includes(`Probes "from vnet" (in ${withVnetProbes.join(", ")}:`), text);
  });
});
