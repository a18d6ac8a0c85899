import assert from "node:assert/strict";
import { jsonOutput, reportBaseName, validateSelection } from "../../../automation/plan/run";
import { ConfigError, formatProblems } from "../../../config/validate";
import { SCENARIO_NAMES } from "../../../config/schema";
import { planned } from "./helpers";

describe("automation/plan/run", () => {
  it("checks every selected scenario before evaluating any, and says once a problem all of them share", () => {
    assert.throws(
      () => validateSelection(SCENARIO_NAMES, { apimSku: "Gold" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(formatProblems(e.problems).length, 1);
        assert.match(formatProblems(e.problems)[0], /^apimSku = "Gold": allowed: .*Developer/);
        return true;
      },
    );
  });

  it("names the scenarios a problem applies to when only some have it", () => {
    assert.throws(
      () => validateSelection(["public", "consumption"], { apimSku: "Basic" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const lines = formatProblems(e.problems);
        assert.ok(lines.every((l) => /\(scenario consumption\)$/.test(l)), lines.join("\n"));
        return true;
      },
    );
    assert.doesNotThrow(() => validateSelection(SCENARIO_NAMES, {}));
  });

  it("prints one document for one scenario and an object keyed by scenario for several", async () => {
    const one = jsonOutput([await planned("public")]);
    assert.ok("steps" in one);
    const two = jsonOutput([await planned("public"), await planned("internal")]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(two), ["public", "internal"]);
  });

  it("names reports after the selection", () => {
    assert.equal(reportBaseName([...SCENARIO_NAMES]), "plan-all");
    assert.equal(reportBaseName(["internal"]), "plan-internal");
  });
});
