/**
 * The CLI's own help names the scenarios from the catalog, so adding one (integrated was the fifth) cannot
 * leave it saying "four ways".
 */
import assert from "node:assert/strict";
import { buildProgram } from "../../../automation/cli";
import { SCENARIO_NAMES } from "../../../config/schema";

describe("automation/cli: the top-level help", () => {
  it("names every scenario of the catalog and counts none by hand", () => {
    const help = buildProgram().helpInformation();
    for (const name of SCENARIO_NAMES) assert.match(help, new RegExp(`\\b${name}\\b`), name);
    assert.doesNotMatch(help, /\b(three|four|five|six) (ways|scenarios)\b/i);
  });
});
