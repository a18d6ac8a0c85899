import assert from "node:assert/strict";
import { planEstimates } from "../../../automation/driver/estimates/estimates";

describe("driver/estimates: the plan's estimates beside a real run", () => {
  it("loads the plan's estimates in its worker and returns them for a scenario (compare's report depends on it)", async () => {
    const result = await planEstimates("consumption", {});
    assert.ok(result.ok, `estimates unavailable: ${result.ok ? "" : result.reason}`);
    assert.ok((result.estimates.spinUpMinutes ?? 0) > 0, "a spin-up estimate in minutes");
    assert.ok(Array.isArray(result.estimates.criticalPath) && result.estimates.criticalPath.length > 0, "a critical path");
  });
});
