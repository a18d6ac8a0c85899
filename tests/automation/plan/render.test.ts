import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { comparisonRows, type PlanResult, SIMULATED_NOTICE } from "../../../automation/plan/model";
import { renderHtml } from "../../../automation/plan/render-html";
import { renderMarkdown } from "../../../automation/plan/render-markdown";
import { renderText, wrap } from "../../../automation/plan/render-text";
import { writeReports } from "../../../automation/plan/run";
import { findChromium, pngSize, screenshot } from "../../../automation/plan/screenshot";
import { SCENARIO_NAMES } from "../../../config/schema";
import { planned } from "./helpers";

const ANSI = /\x1b\[[0-9;]*m/g;
const HAS_ANSI = /\x1b\[/;
const VOID = new Set(["meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"]);

interface Tag {
  name: string;
  attrs: string;
}

/** The HTML's elements (opening tags), after checking that every non-void element is closed in order. */
function elements(html: string): Tag[] {
  const stack: string[] = [];
  const opened: Tag[] = [];
  for (const m of html.replace(/<!--[\s\S]*?-->/g, "").matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, rawName, attrs, selfClosing] = m;
    const name = rawName.toLowerCase();
    if (closing) {
      assert.equal(stack.pop(), name, `</${name}> closes something else`);
    } else {
      opened.push({ name, attrs });
      if (!selfClosing && !VOID.has(name)) stack.push(name);
    }
  }
  assert.deepEqual(stack, [], "every element is closed");
  return opened;
}

const hasClass = (t: Tag, c: string) => new RegExp(`class="[^"]*\\b${c}\\b`).test(t.attrs);

describe("automation/plan rendering", function () {
  let results: PlanResult[];
  before(async function () {
    results = [];
    for (const s of SCENARIO_NAMES) results.push(await planned(s));
  });

  describe("terminal", () => {
    it("says plainly that the values are simulated, names every scenario, and fits 100 columns", () => {
      const out = renderText(results, { color: false });
      assert.match(out, /^SIMULATED: /);
      assert.ok(out.replace(/\s+/g, " ").includes(SIMULATED_NOTICE), "the whole notice");
      for (const s of SCENARIO_NAMES) assert.match(out, new RegExp(`^${s} — `, "m"), s);
      const header = out.split("\n").find((l) => l.trim().startsWith("public"))!;
      for (const s of SCENARIO_NAMES) assert.ok(header.includes(s), `column ${s}`);
      for (const line of out.split("\n")) assert.ok([...line].length <= 100, `too wide (${[...line].length}): ${line}`);
      assert.ok(!HAS_ANSI.test(out), "no colour unless asked");
      for (const label of ["APIM gateway", "AI API ingress", "AKS API server", "Azure OpenAI", "subscription key", "rate limit", "CORS", "critical path", "serial sum", "slowest resource", "fixed, USD"]) {
        assert.ok(out.includes(label), label);
      }
    });

    it("colours only when asked, and the text is the same without the colour codes", () => {
      const coloured = renderText(results, { color: true });
      assert.ok(HAS_ANSI.test(coloured));
      assert.equal(coloured.replace(ANSI, ""), renderText(results, { color: false }));
    });

    it("wraps words to a width with an indent", () => {
      assert.deepEqual(wrap("aaa bbb ccc ddd", 8, "  "), ["aaa bbb", "  ccc", "  ddd"]);
    });
  });

  describe("comparison rows", () => {
    it("has one cell per scenario in every row", () => {
      for (const row of comparisonRows(results)) if (!row.section) assert.equal(row.cells.length, results.length, row.label);
    });
  });

  describe("Markdown", () => {
    it("has the notice, the comparison table and a section per scenario", () => {
      const md = renderMarkdown(results);
      assert.ok(md.includes(SIMULATED_NOTICE.replace(/</g, "&lt;").replace(/>/g, "&gt;")), "the notice, with <service> and <label> kept from being read as HTML tags");
      assert.match(md, /^\| \| `public` \| `external` \| `internal` \| `consumption` \| `integrated` \|$/m);
      for (const s of SCENARIO_NAMES) assert.match(md, new RegExp(`^## \`${s}\` — `, "m"));
      assert.match(md, /^## Sources$/m);
    });
  });

  describe("HTML", () => {
    it("is self-contained: no scripts, no external styles, images or fonts", () => {
      const html = renderHtml(results);
      const tags = elements(html);
      assert.ok(!tags.some((t) => t.name === "script"), "no <script>");
      assert.ok(!tags.some((t) => t.name === "link" || t.name === "img" || t.name === "iframe"), "no external resources");
      assert.ok(!/src=|@import|url\(http/i.test(html));
    });

    it("has the notice, a comparison row per table row, and one topology diagram, timeline and resource graph per scenario", () => {
      const html = renderHtml(results);
      const tags = elements(html);
      const notice = tags.find((t) => t.name === "p" && hasClass(t, "simulated"));
      assert.ok(notice, "the simulated notice");
      assert.ok(html.includes("SIMULATED: evaluated offline"));
      const svgs = tags.filter((t) => t.name === "svg");
      assert.equal(svgs.filter((t) => hasClass(t, "topology")).length, results.length);
      assert.equal(svgs.filter((t) => hasClass(t, "timeline")).length, results.length);
      assert.equal(svgs.filter((t) => hasClass(t, "resource-graph")).length, results.length);
      const comparison = html.slice(html.indexOf('<table class="comparison">'), html.indexOf("</table>", html.indexOf('<table class="comparison">')));
      assert.equal((comparison.match(/<tr/g) ?? []).length, comparisonRows(results).length + 1, "header plus one row per comparison row");
      for (const s of SCENARIO_NAMES) assert.ok(tags.some((t) => t.name === "section" && t.attrs.includes(`id="scenario-${s}"`)), s);
    });

    it("draws well-formed SVG", () => {
      const html = renderHtml(results);
      const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
      assert.equal(svgs.length, 3 * results.length);
      for (const svg of svgs) assert.equal(XMLValidator.validate(svg), true);
    });
  });

  describe("reports", () => {
    it("writes Markdown and HTML named after the selection", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-reports-"));
      try {
        const all = writeReports(results, dir);
        assert.equal(path.basename(all.html), "plan-all.html");
        assert.equal(path.basename(all.markdown), "plan-all.md");
        const one = writeReports(results.slice(1, 3), dir);
        assert.equal(path.basename(one.html), "plan-external-internal.html");
        assert.ok(fs.statSync(one.markdown).size > 1000);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("in a browser", () => {
    const chromium = findChromium();
    const title = chromium ? `renders in headless Chromium (${chromium})` : "renders in headless Chromium — skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium)";
    it(title, async function () {
      if (!chromium) this.skip();
      this.timeout(120000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-render-"));
      try {
        const { html } = writeReports(results, dir);
        const png = path.join(dir, "plan.png");
        await screenshot(html, png, { chromium: chromium!, width: 1400, height: 2000 });
        assert.deepEqual(pngSize(png), { width: 1400, height: 2000 });
        // A blank page compresses to a few kilobytes; the rendered plan is tables, text and diagrams.
        assert.ok(fs.statSync(png).size > 60000, `PNG only ${fs.statSync(png).size} bytes`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
