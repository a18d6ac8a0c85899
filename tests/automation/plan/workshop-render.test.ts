/** The workshop estimate as Markdown, HTML and JSON (automation/plan/workshop.ts), and in the plan's reports. */
import assert from "node:assert/strict";
import { evaluateWorkshopHalves } from "../../../automation/plan/run";
import { estimateWorkshop, type WorkshopEstimate, workshopHtml, workshopJson, workshopMarkdown } from "../../../automation/plan/workshop";
import { renderHtml } from "../../../automation/plan/render-html";
import { renderMarkdown } from "../../../automation/plan/render-markdown";
import { planned } from "./helpers";

/** An estimate made by hand: 7 attendees, 3 at a time; the attendee part's price unknown. */
const estimate: WorkshopEstimate = {
  attendees: 7,
  concurrency: 3,
  hours: 2,
  model: "per-attendee",
  shared: { resources: 40, minutes: 42.5, monthlyUsd: 730, unknownPrice: false },
  attendee: { resources: 12, minutes: 1.5, monthlyUsd: 7.3, unknownPrice: true },
  separate: { prepareMinutes: 130.5, rounds: 3, usdPerHour: 7.07, usd: 29.52 },
  sharedHost: { prepareMinutes: 47, rounds: 3, usdPerHour: 1.07, usd: 2.98 },
};

describe("automation/plan/workshop: the estimate's renderers", () => {
  it("Markdown: both modes side by side, the parts, the + on totals without a price", () => {
    const md = workshopMarkdown("consumption", estimate).join("\n");
    assert.match(md, /^## Workshop of 7: consumption \(estimated\)$/m);
    assert.match(md, /^3 attendee stacks at a time; model deployment one per attendee \(no per-subscription token limit in this tier\); 2 h of workshop/m);
    assert.match(md, /^\| {2}\| 7 separate stacks \| shared host \+ 7 attendees \|$/m);
    assert.match(md, /^\| ready in \| 130\.5 min \(3 rounds of 3\) \| 47\.0 min \(shared part once, then 3 rounds of 3\) \|$/m);
    assert.match(md, /^\| fixed cost per hour \| \$7\.07\+ \| \$1\.07\+ \|$/m);
    assert.match(md, /^\| fixed cost, prepare \+ 2 h \| \$29\.52\+ \| \$2\.98\+ \|$/m);
    assert.match(md, /^\| shared part \| 40 \| 42\.5 min, once \| \$730\.00 \|$/m);
    assert.match(md, /^\| attendee part \| 12 \| 1\.5 min, per round \| \$7\.30\+ each \|$/m);
    assert.match(md, /A \+ marks a total without a price/);
  });

  it("HTML: the same cells, escaped, in a section of its own", () => {
    const html = workshopHtml("a<b>", estimate);
    assert.match(html, /^<section class="workshop"><h2>Workshop of 7: a&lt;b&gt; \(estimated\)<\/h2>/);
    assert.ok(!html.includes("<b>"), "the scenario name is escaped");
    assert.match(html, /<tr><th>ready in<\/th><td class="num">130\.5 min \(3 rounds of 3\)<\/td><td class="num">47\.0 min \(shared part once, then 3 rounds of 3\)<\/td><\/tr>/);
    assert.match(html, /<tr><th>attendee part<\/th><td class="num">12<\/td><td class="num">1\.5 min, per round<\/td><td class="num">\$7\.30\+ each<\/td><\/tr>/);
    assert.match(html, /<\/section>$/);
  });

  it("JSON: plain data, and whether a price is missing", () => {
    const json = JSON.parse(JSON.stringify(workshopJson("consumption", estimate)));
    assert.deepEqual(Object.keys(json), ["scenario", "attendees", "concurrency", "hours", "model", "shared", "attendee", "separate", "sharedHost", "priceUnknown"]);
    assert.equal(json.sharedHost.prepareMinutes, 47);
    assert.equal(json.priceUnknown, true);
  });

  it("on the public plan: the report's sections carry the estimate before the sources, and the JSON the same figures", async () => {
    const r = await planned("public");
    const w = estimateWorkshop(r.estimate, await evaluateWorkshopHalves("public"), { attendees: 20, concurrency: 4, hours: 6 });
    const md = renderMarkdown([r], new Date(0), workshopMarkdown("public", w));
    assert.ok(md.indexOf("## Workshop of 20: public (estimated)") > 0);
    assert.ok(md.indexOf("## Workshop of 20: public (estimated)") < md.indexOf("## Sources"), "before the sources");
    assert.match(md, /\| ready in \| [\d.]+ min \(5 rounds of 4\) \|/);
    const html = renderHtml([r], new Date(0), workshopHtml("public", w));
    assert.ok(html.indexOf('<section class="workshop">') > 0 && html.indexOf('<section class="workshop">') < html.indexOf("<footer>"));
    const json = workshopJson("public", w);
    assert.equal(json.sharedHost.prepareMinutes, w.sharedHost.prepareMinutes);
    assert.ok(json.sharedHost.prepareMinutes < json.separate.prepareMinutes, "the shared parts' time counted once");
    assert.equal(json.sharedHost.rounds, 5);
    assert.ok(!renderMarkdown([r], new Date(0)).includes("## Workshop"), "no section without --workshop");
  });
});
