/**
 * The plan's workshop estimate names the APIM limit that bounds the room (config/apim-limits.ts), from the
 * shared half's evaluated apimSku: in the text, the JSON document and the reports.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { roomLimitLine, runPlan } from "../../../automation/plan/run";
import { roomLimit } from "../../../config/apim-limits";

describe("plan --workshop: the APIM limit that bounds the room", function () {
  this.timeout(120_000);
  const plan = async (attendees: number, json: boolean, reportDir: string | false = false) => {
    const out: string[] = [];
    const err: string[] = [];
    await runPlan(["internal"], { overrides: {}, json, reportDir, color: false, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), workshop: { attendees } });
    return { out: out.join(""), err: err.join("") };
  };

  it("says the limit, the tier and the largest room; and that a room over it does not fit", async () => {
    assert.equal(
      roomLimitLine(20, roomLimit("Developer")),
      "APIM limit: Products are limited to 100 per service in Developer (2 sample products and 1 per attendee), so the largest room is 98 (https://learn.microsoft.com/azure/api-management/service-limits)",
    );
    assert.match(roomLimitLine(99, roomLimit("Developer")), /so the largest room is 98: a room of 99 does not fit, workshop prepare refuses it \(https:/);
    const { out } = await plan(99, false);
    assert.match(out, /\n {2}APIM limit: Products are limited to 100 per service in Developer \(2 sample products and 1 per attendee\), so the largest room is 98: a room of 99 does not fit, workshop prepare refuses it \(/);
  });

  it("in the JSON document under workshop.roomLimit, and in the markdown and HTML reports", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-limit-"));
    try {
      const { out } = await plan(20, true, dir);
      const doc = JSON.parse(out) as { workshop: { roomLimit: Record<string, unknown> } };
      assert.deepEqual(doc.workshop.roomLimit, { tier: "Developer", entity: "Products", limit: 100, largestRoom: 98, fits: true, source: "https://learn.microsoft.com/azure/api-management/service-limits" });
      const md = fs.readFileSync(path.join(dir, "plan-internal.md"), "utf8");
      const html = fs.readFileSync(path.join(dir, "plan-internal.html"), "utf8");
      assert.match(md, /APIM limit: Products are limited to 100 per service in Developer .*largest room is 98 \(/);
      assert.match(html, /<p>APIM limit: Products are limited to 100 per service in Developer .*largest room is 98 \(/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
