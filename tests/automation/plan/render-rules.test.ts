import assert from "node:assert/strict";
import { comparisonRows, overSlowest, type PlanResult, slowestStart, SPIN_UP_TOLERANCE, TRAITS_FOOTNOTE } from "../../../automation/plan/model";
import { renderHtml } from "../../../automation/plan/render-html";
import { renderMarkdown } from "../../../automation/plan/render-markdown";
import { renderText, terminalWidth, wrap } from "../../../automation/plan/render-text";
import { SCENARIO_NAMES } from "../../../config/schema";
import { planned } from "./helpers";

const ANSI = /\x1b\[[0-9;]*m/g;
const words = (s: string) => s.split(/\s+/).filter(Boolean);

describe("automation/plan rendering: width, marks, policy lines, footnotes", function () {
  let results: PlanResult[];
  before(async function () {
    results = [];
    for (const s of SCENARIO_NAMES) results.push(await planned(s));
  });

  describe("terminal width", () => {
    for (const width of [80, 100, 120]) {
      it(`fits ${width} columns with nothing cut: every label and every word of every cell is there`, () => {
        for (const color of [false, true]) {
          const out = renderText(results, { color, width }).replace(ANSI, "");
          for (const line of out.split("\n")) assert.ok([...line].length <= width, `${[...line].length} > ${width}: ${line}`);
          assert.ok(!out.includes("…"), "nothing is cut with an ellipsis");
          const flat = out.replace(/\s+/g, " ");
          for (const row of comparisonRows(results)) {
            assert.ok(flat.includes(row.label.trim()) || words(row.label).every((w) => flat.includes(w)), `label ${row.label}`);
            for (const cell of row.cells) for (const w of words(cell.text)) assert.ok(flat.includes(w), `${row.label}: "${w}" of "${cell.text}"`);
          }
        }
      });
    }

    it("labels stay whole at 80 columns (the old layout cut 'client address k…' and 'local auth disab…')", () => {
      const out = renderText(results, { color: false, width: 80 });
      assert.match(out, /^ {2}client address kept /m);
      assert.match(out, /^ {2}local auth disabled /m);
    });

    it("reads the width from a terminal's columns, else COLUMNS, else 80", () => {
      assert.equal(terminalWidth({ isTTY: true, columns: 132 }, { COLUMNS: "90" }), 132);
      assert.equal(terminalWidth({ isTTY: false, columns: 132 }, { COLUMNS: "90" }), 90);
      assert.equal(terminalWidth({ isTTY: false }, {}), 80);
      assert.equal(terminalWidth({ isTTY: false }, { COLUMNS: "wide" }), 80);
      assert.equal(terminalWidth({ isTTY: true, columns: 20 }, {}), 40, "narrower than the table supports: its minimum");
    });

    it("breaks a word longer than the line instead of overflowing", () => {
      const lines = wrap(`see ${"x".repeat(25)} here`, 10, "  ");
      for (const l of lines) assert.ok(l.length <= 10, l);
      assert.equal(lines.join("").replace(/\s/g, ""), `see${"x".repeat(25)}here`);
    });
  });

  describe("marks follow the rule stated on their row", () => {
    const cells = (label: string) => comparisonRows(results).find((r) => r.label.trim() === label)!;

    it("over slowest: good only within the tolerance of the slowest resource (consumption's +69% is not)", () => {
      const row = cells("over slowest");
      assert.match(row.rule!, new RegExp(`within ${SPIN_UP_TOLERANCE * 100}%`));
      results.forEach((r, i) => assert.equal(row.cells[i].tone, overSlowest(r.estimate) <= SPIN_UP_TOLERANCE ? "good" : "warn", r.scenario));
      const consumption = results.findIndex((r) => r.scenario === "consumption");
      assert.ok(overSlowest(results[consumption].estimate) > SPIN_UP_TOLERANCE, "the case the issue reported");
      assert.notEqual(row.cells[consumption].tone, "good");
    });

    it("slowest starts: good when the slowest resource starts within the tolerance of its own duration", () => {
      const row = cells("slowest starts");
      assert.ok(row.rule);
      results.forEach((r, i) => assert.equal(row.cells[i].tone, slowestStart(r.estimate) <= SPIN_UP_TOLERANCE * r.estimate.slowest.minutes ? "good" : "warn", r.scenario));
    });

    it("policy pack: good exactly when no mandatory rule fails", () => {
      const row = cells("Policy pack");
      assert.ok(row.rule);
      results.forEach((r, i) => assert.equal(row.cells[i].tone, r.policy!.findings!.some((f) => f.level === "mandatory") ? "bad" : "good", r.scenario));
    });

    it("states each row's rule in the text, Markdown and HTML", () => {
      const text = renderText(results, { color: false, width: 100 }).replace(/\s+/g, " ");
      const md = renderMarkdown(results);
      const html = renderHtml(results);
      for (const row of comparisonRows(results).filter((r) => r.rule)) {
        assert.ok(text.includes(row.rule!), row.rule);
        assert.ok(md.includes(row.rule!), row.rule);
        assert.ok(html.includes(row.rule!), row.rule);
      }
    });
  });

  describe("policy pack lines", () => {
    it("every rule that did not pass is listed by name, level and reason, in text and Markdown", () => {
      const text = renderText(results, { color: false, width: 80 }).replace(/\s+/g, " ");
      const md = renderMarkdown(results);
      let listed = 0;
      for (const r of results) {
        for (const f of r.policy!.findings!) {
          listed++;
          assert.ok(text.includes(`${f.level} ${f.policy}: ${f.reason.replace(/\s+/g, " ")}`), `text: ${f.policy}`);
          assert.ok(md.includes(`**${f.level}** \`${f.policy}\`: `), `Markdown: ${f.policy}`);
        }
      }
      assert.ok(listed > 0, "the scenarios as written have advisories (JWT validation is optional)");
      assert.match(text, /Policy pack: rules that did not pass/);
    });

    it("the table cell counts the advisories it lists", () => {
      const row = comparisonRows(results).find((r) => r.label === "Policy pack")!;
      results.forEach((r, i) => {
        const advisories = r.policy!.findings!.filter((f) => f.level === "advisory").length;
        assert.match(row.cells[i].text, advisories ? new RegExp(`; ${advisories} advisory$`) : /^pass \d+\/\d+$/);
      });
    });
  });

  describe("footnotes and sources", () => {
    it("shows the traits footnote only when a cell carries the star", () => {
      assert.ok(!comparisonRows(results).some((r) => r.cells.some((c) => c.text.endsWith("*"))), "the scenarios as written read everything from the graph");
      assert.ok(!renderText(results, { color: false, width: 100 }).includes(TRAITS_FOOTNOTE));
      assert.ok(!renderMarkdown(results).includes("`*`"));
      const starred = results.map((r) => ({ ...r, analysis: { ...r.analysis, endpoints: { ...r.analysis.endpoints, ingress: { ...r.analysis.endpoints.ingress, summary: "internet*", from: "traits" as const } } } }));
      assert.ok(renderText(starred, { color: false, width: 100 }).replace(/\s+/g, " ").includes(TRAITS_FOOTNOTE));
      assert.ok(renderMarkdown(starred).includes("`*`"));
    });

    it("hides 'hover' hints in print", () => {
      const html = renderHtml(results);
      assert.match(html, /@media print \{ \.screen-only \{ display: none; \} \}/);
      for (const m of html.matchAll(/[^>]*Hover[^<]*/g)) assert.ok(html.slice(Math.max(0, m.index! - 30), m.index).includes('class="screen-only"'), m[0]);
    });

    it("quotes each source with the date read, without authoring notes, and says 'price not read' in the table", () => {
      const md = renderMarkdown(results);
      const sources = md.slice(md.indexOf("## Sources"));
      const lines = sources.split("\n").filter((l) => l.startsWith("- "));
      assert.ok(lines.length > 3);
      for (const l of lines) assert.match(l, /^- `[\w-]+` \(read \d{4}-\d\d-\d\d\): /, l);
      assert.ok(!/stored copy|client-side|retailPricesFilter/.test(sources));
      assert.ok(!md.includes("48.04"), "no figure the quoted source does not contain");
      assert.match(md, /\| API Management Developer units \| 1 \| price not read \|/);
    });
  });
});
