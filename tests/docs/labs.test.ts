/**
 * The workshop labs (docs/labs/*.md) cannot rot: every `scenarios` command line they show (also as
 * `npx scenarios`, `npm run scenarios --`, `node bin/scenarios.js`) must be accepted by the CLI's own
 * commander program, with the scenario names and `--config` keys it would accept; every stack output and
 * probe they name must exist in that scenario's offline evaluation; every relative link, image and project
 * file they point at must exist. A self-test feeds the checker broken labs, so it cannot pass vacuously.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import { resolveConfig } from "../../config/validate";
import { evaluated } from "../scenarios/helpers";
import { commandWords, expandPlaceholders, parseCli, type Pipeline, scenariosArgs, shellPipelines } from "./command-lines";
import { DEFAULT_VERIFY_OPTIONS } from "../../automation/driver/verify";
import { FIGURE, FIGURE_FILES, type Figures, figureProblems, labFigures, verifyRetryWindow, writeFigures } from "../../scripts/lab-figures";

const ROOT = path.resolve(__dirname, "../..");
const LABS_DIR = path.join(ROOT, "docs", "labs");
const SHELL_LANGUAGES = new Set(["", "bash", "sh", "shell", "console", "zsh"]);

// ------------------------------------------------------------------ markdown

interface CodeBlock {
  lang: string;
  text: string;
  line: number;
}

interface Markdown {
  blocks: CodeBlock[];
  /** Lines outside fenced blocks, with their 1-based numbers. */
  prose: { text: string; line: number }[];
}

function parseMarkdown(md: string): Markdown {
  const blocks: CodeBlock[] = [];
  const prose: Markdown["prose"] = [];
  const lines = md.split("\n");
  let open: { fence: string; lang: string; line: number; body: string[] } | undefined;
  lines.forEach((line, i) => {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (open) {
      if (fence && fence[1][0] === open.fence[0] && fence[1].length >= open.fence.length && !fence[2]) {
        blocks.push({ lang: open.lang, text: open.body.join("\n"), line: open.line });
        open = undefined;
      } else open.body.push(line);
    } else if (fence) open = { fence: fence[1], lang: fence[2].toLowerCase(), line: i + 1, body: [] };
    else prose.push({ text: line, line: i + 1 });
  });
  if (open) blocks.push({ lang: open.lang, text: open.body.join("\n"), line: open.line });
  return { blocks, prose };
}

const codeSpans = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function headingAnchors(md: Markdown): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const { text } of md.prose) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!h) continue;
    const slug = h[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = counts.get(slug) ?? 0;
    counts.set(slug, n + 1);
    anchors.add(n ? `${slug}-${n}` : slug);
  }
  return anchors;
}

/** Link and image targets outside code: inline, reference definitions, and HTML src/href. */
function linkTargets(md: Markdown): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  for (const { text, line } of md.prose) {
    const plain = text.replace(/`[^`\n]*`/g, "");
    for (const m of plain.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^"']*["'])?\s*\)/g)) out.push({ target: m[1], line });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(plain);
    if (def) out.push({ target: def[1], line });
    for (const m of plain.matchAll(/<(?:img|a|source)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) out.push({ target: m[1], line });
  }
  return out;
}

// ------------------------------------------------------------------ the checker

export interface ScenarioFacts {
  outputs: Set<string>;
  probes: Set<string>;
}

export interface LabReport {
  /** Command lines checked, as shown. */
  commands: { line: number; args: string[]; command?: string; scenarios: ScenarioName[] }[];
  /** Stack outputs and probes the lab names, each with the scenarios it was checked against. */
  outputs: { name: string; scenarios: ScenarioName[] }[];
  probes: { name: string; scenarios: ScenarioName[] }[];
  links: string[];
  files: string[];
  problems: string[];
}

const PROBE_NAME = /^(apim|backend|openai)-[a-z0-9]+(-[a-z0-9]+)+$/;
/** Names shaped like probes that are Kubernetes objects of the consumption scenario (middlewares, secret). */
const NOT_PROBES = new Set(["apim-only", "apim-basic-auth", "apim-credential"]);
const PROJECT_FILE = /^(app|automation|bin|components|config|data|docs|policy|scenarios|scripts|stacks|tests)\/[\w.\/-]*\.[a-z]+$/;
const JQ_VALUE_OPTIONS = new Set(["--arg", "--argjson", "--slurpfile", "--rawfile"]);

/** The filter argument of a jq command line. */
function jqFilter(words: string[]): string | undefined {
  for (let k = 1; k < words.length; k++) {
    if (JQ_VALUE_OPTIONS.has(words[k])) k += 2;
    else if (words[k].startsWith("-")) continue;
    else return words[k];
  }
  return undefined;
}

/** Top-level keys a jq filter reads from its input (`.a`, `.b` in `.a, {x: .b} | .c` but not `.c`). */
function jqTopLevelKeys(filter: string): string[] {
  let depth = 0;
  let end = filter.length;
  for (let k = 0; k < filter.length; k++) {
    const c = filter[k];
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "|" && depth === 0) {
      end = k;
      break;
    }
  }
  return [...filter.slice(0, end).matchAll(/(?<![\w\])}.])\.([A-Za-z_]\w*)/g)].map((m) => m[1]);
}

export function checkLab(file: string, md: string, facts: Record<ScenarioName, ScenarioFacts>): LabReport {
  const report: LabReport = { commands: [], outputs: [], probes: [], links: [], files: [], problems: [] };
  const problem = (line: number, text: string) => report.problems.push(`${path.basename(file)}:${line}: ${text}`);
  const labScenario = /^\d\d-(public|external|internal|consumption)\.md$/.exec(path.basename(file))?.[1] as ScenarioName | undefined;
  const labScenarios: ScenarioName[] = labScenario ? [labScenario] : [...SCENARIO_NAMES];
  const doc = parseMarkdown(md);

  const checkOutput = (line: number, name: string, scenarios: ScenarioName[], where: string) => {
    report.outputs.push({ name, scenarios });
    const missing = scenarios.filter((s) => !facts[s].outputs.has(name));
    if (missing.length) problem(line, `${where} names stack output "${name}", which scenario ${missing.join(", ")} does not export`);
  };
  const checkProbe = (line: number, name: string) => {
    report.probes.push({ name, scenarios: labScenarios });
    // A scenario lab must name its own probes; the setup and comparison labs any scenario's.
    const known = labScenario ? facts[labScenario].probes.has(name) : labScenarios.some((s) => facts[s].probes.has(name));
    if (!known) problem(line, `probe "${name}" is not among the probes of ${labScenarios.join(", ")}`);
  };
  const checkProjectFile = (line: number, rel: string) => {
    report.files.push(rel);
    if (!fs.existsSync(path.join(ROOT, rel))) problem(line, `file ${rel} does not exist`);
  };

  /** Checks one piece of shell; returns nothing. `inline` for code spans in prose. */
  const checkShell = (text: string, line: number, inline: boolean) => {
    let pipelines: Pipeline[];
    try {
      // Placeholders: `<scenario>` stands for any scenario, other `<name>`s for some value.
      pipelines = shellPipelines(text.replace(/<scenario>/g, "$SCENARIO").replace(/<([A-Za-z][\w.:-]*)>/g, "__$1__"));
    } catch (e) {
      problem(line, (e as Error).message);
      return;
    }
    for (const pipeline of pipelines) {
      let source: { command: string; scenarios: ScenarioName[] } | undefined;
      for (const cmd of pipeline) {
        const words = commandWords(cmd);
        const invocation = scenariosArgs(cmd);
        if (invocation && "error" in invocation) {
          problem(line, invocation.error);
          continue;
        }
        if (invocation && inline && invocation.args.length === 0) continue; // the CLI's name in prose
        if (invocation) {
          const variants = expandPlaceholders(invocation.args);
          const parsed = variants.map((args) => parseCli(args, inline));
          const failed = parsed.find((p) => !p.ok);
          if (failed) problem(line, `\`scenarios ${invocation.args.join(" ")}\` is refused by the CLI: ${failed.error}`);
          const scenarios = [...new Set(parsed.flatMap((p) => p.scenarios))];
          report.commands.push({ line, args: invocation.args, command: parsed[0].command, scenarios });
          const json = parsed.every((p) => p.options.json === true);
          source = !failed && json && (parsed[0].command === "outputs" || parsed[0].command === "plan") ? { command: parsed[0].command, scenarios } : undefined;
          continue;
        }
        if (words[0] === "jq" && source) {
          const filter = jqFilter(words) ?? "";
          if (source.command === "outputs") for (const key of jqTopLevelKeys(filter)) checkOutput(line, key, source.scenarios, "jq over `scenarios outputs --json`");
          else for (const m of filter.matchAll(/\.outputs\.([A-Za-z_]\w*)/g)) checkOutput(line, m[1], source.scenarios, "jq over `scenarios plan --json`");
          continue;
        }
        source = undefined;
        if (words[0] === "pulumi" && words[1] === "stack" && words[2] === "output") {
          let stack: string | undefined;
          let name: string | undefined;
          for (let k = 3; k < words.length; k++) {
            if (words[k] === "-s" || words[k] === "--stack") stack = words[++k];
            else if (words[k].startsWith("--stack=")) stack = words[k].slice("--stack=".length);
            else if (!words[k].startsWith("-") && name === undefined) name = words[k];
          }
          const scenarios = stack && (SCENARIO_NAMES as readonly string[]).includes(stack) ? [stack as ScenarioName] : labScenarios;
          if (name) checkOutput(line, name, scenarios, "`pulumi stack output`");
        }
        if (words[0] === "npx" && words[1] === "tsx" && words[2]) checkProjectFile(line, words[2]);
        for (const w of words.slice(1)) if (PROJECT_FILE.test(w) && !(words[0] === "npx" && w === words[2])) checkProjectFile(line, w);
      }
    }
  };

  // Line by line (continuations joined), so that problems point at the line that has them.
  for (const block of doc.blocks) {
    if (!SHELL_LANGUAGES.has(block.lang)) continue;
    const lines = block.text.split("\n");
    for (let k = 0; k < lines.length; k++) {
      const start = k;
      let logical = lines[k];
      while (/\\$/.test(logical) && k + 1 < lines.length) logical = `${logical.slice(0, -1)} ${lines[++k]}`;
      checkShell(logical, block.line + 1 + start, false);
    }
  }

  let outputTable = false;
  for (const { text, line } of doc.prose) {
    // Tables whose first column is headed "output" list stack outputs.
    const cells = text.trim().startsWith("|") ? text.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()) : undefined;
    if (!cells) outputTable = false;
    else if (/^output$/i.test(cells[0])) outputTable = true;
    else if (outputTable && !/^:?-+:?$/.test(cells[0])) for (const name of codeSpans(cells[0])) checkOutput(line, name, labScenarios, "the outputs table");

    for (const span of codeSpans(text)) {
      if (PROBE_NAME.test(span) && !NOT_PROBES.has(span)) checkProbe(line, span);
      if (PROJECT_FILE.test(span)) checkProjectFile(line, span);
      if (/^(npx |npm run |node bin\/)?scenarios\b|^npm start$/.test(span)) checkShell(span, line, true);
    }
  }

  const anchors = headingAnchors(doc);
  for (const { target, line } of linkTargets(doc)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    report.links.push(target);
    const [rel, fragment] = target.split("#", 2) as [string, string | undefined];
    const resolved = rel ? path.resolve(path.dirname(file), decodeURIComponent(rel)) : file;
    if (!fs.existsSync(resolved)) {
      problem(line, `link target ${target} does not exist`);
      continue;
    }
    if (fragment && resolved.endsWith(".md")) {
      const there = resolved === file ? anchors : headingAnchors(parseMarkdown(fs.readFileSync(resolved, "utf8")));
      if (!there.has(fragment)) problem(line, `link ${target}: no heading with anchor #${fragment}`);
    }
  }
  return report;
}

// ------------------------------------------------------------------ the tests

const LAB_FILES = ["00-setup.md", "01-public.md", "02-external.md", "03-internal.md", "04-consumption.md", "05-compare.md"];

describe("workshop labs (docs/labs)", function () {
  this.timeout(180_000);
  const facts = {} as Record<ScenarioName, ScenarioFacts>;
  const reports = new Map<string, LabReport>();

  before(async () => {
    for (const scenario of SCENARIO_NAMES) {
      const e = await evaluated(scenario);
      const probes = (e.outputs.probes?.value ?? []) as { name: string }[];
      facts[scenario] = { outputs: new Set(Object.keys(e.outputs)), probes: new Set(probes.map((p) => p.name)) };
    }
    for (const name of [...LAB_FILES, "README.md"]) {
      const file = path.join(LABS_DIR, name);
      reports.set(name, checkLab(file, fs.readFileSync(file, "utf8"), facts));
    }
  });

  it("has the setup lab, one lab per scenario, the comparison lab and an index linking them all", () => {
    const present = fs.readdirSync(LABS_DIR).filter((f) => /^\d\d-.*\.md$/.test(f)).sort();
    assert.deepEqual(present, LAB_FILES);
    const index = reports.get("README.md")!;
    for (const lab of LAB_FILES) assert.ok(index.links.includes(lab), `README.md links ${lab}`);
  });

  for (const name of [...LAB_FILES, "README.md"]) {
    it(`${name}: commands, stack outputs, probes, links and files all check out`, () => {
      const report = reports.get(name)!;
      assert.deepEqual(report.problems, []);
    });
  }

  for (const scenario of SCENARIO_NAMES) {
    it(`the ${scenario} lab starts offline, brings it up with one command, verifies, reads outputs and tears down`, () => {
      const file = LAB_FILES.find((f) => f.endsWith(`-${scenario}.md`))!;
      const report = reports.get(file)!;
      const ran = (command: string) => report.commands.filter((c) => c.command === command && c.scenarios.includes(scenario));
      assert.ok(report.commands.some((c) => c.command === "plan" && c.args.includes("--all")), "npm start (the offline plan of all scenarios)");
      for (const command of ["plan", "up", "verify", "outputs", "destroy"]) assert.ok(ran(command).length, `scenarios ${command} ${scenario}`);
      assert.ok(ran("outputs").some((c) => c.args.includes("--show-secrets")), "reads the subscription key with --show-secrets");
      const upLines = new Set(ran("up").map((c) => c.line));
      assert.ok(upLines.size >= 1, "an up command");
      assert.ok(report.outputs.length >= 4, `names its stack outputs (${report.outputs.map((o) => o.name).join(", ")})`);
      const probes = new Set(report.probes.map((p) => p.name));
      for (const probe of facts[scenario].probes) assert.ok(probes.has(probe), `explains probe ${probe}`);
      assert.ok(report.links.some((l) => l === `img/${scenario}-path.svg`), "shows the plan's request-path diagram");
      assert.ok(report.links.some((l) => l.startsWith("00-setup.md#")), "links the shared troubleshooting");
    });
  }

  it("the setup lab covers sweep and destroy, and the comparison lab runs compare", () => {
    const setup = reports.get("00-setup.md")!;
    for (const command of ["destroy", "sweep", "plan"]) assert.ok(setup.commands.some((c) => c.command === command), `setup shows scenarios ${command}`);
    assert.ok(reports.get("05-compare.md")!.commands.some((c) => c.command === "compare"), "compare shows scenarios compare");
  });

  describe("the checker itself", () => {
    const lab = (name: string, md: string) => checkLab(path.join(LABS_DIR, name), md, facts);

    it("parses shell as the labs write it: continuations, quotes, substitutions, pipes, comments, redirections", () => {
      const pipelines = shellPipelines(
        [
          `eval "$(npx scenarios outputs public --json --show-secrets | jq -r '@sh "GW=\\(.gatewayUrl)"')"  # a comment`,
          `RG=$(az group list --query "[?starts_with(name, 'rg-x')].name | [0]" -o tsv); echo "$RG" > /dev/null 2>&1`,
          `npx scenarios up consumption \\`,
          `  --config "apimSharedSourceRanges=$RANGES" && echo done`,
        ].join("\n"),
      );
      const flat = pipelines.map((p) => p.map((c) => c.join(" ")));
      assert.deepEqual(flat, [
        ["npx scenarios outputs public --json --show-secrets", 'jq -r @sh "GW=\\(.gatewayUrl)"'],
        ["eval $(…)"],
        ["az group list --query [?starts_with(name, 'rg-x')].name | [0] -o tsv"],
        ["RG=$(…)"],
        ["echo $RG"],
        ["npx scenarios up consumption --config apimSharedSourceRanges=$RANGES"],
        ["echo done"],
      ]);
    });

    it("accepts what the CLI accepts, in every spelling", () => {
      for (const line of ["npx scenarios verify internal --attempts 2", "npm run scenarios -- plan --all --json", "node bin/scenarios.js sweep --dry-run", "scenarios up --help", "npm start"]) {
        const report = lab("01-public.md", `\`\`\`bash\n${line}\n\`\`\`\n`);
        assert.deepEqual(report.problems, [], line);
        assert.equal(report.commands.length, 1, line);
      }
    });

    it("catches an unknown flag, an unknown command, a bad scenario, an unknown --config key and npm run without --", () => {
      const report = lab(
        "00-setup.md",
        [
          "```bash",
          "npx scenarios verify public --no-such-flag",
          "npx scenarios frobnicate public",
          "npx scenarios up staging",
          "npx scenarios plan public --config openAiModelCapacty=5",
          "npm run scenarios plan public --json",
          "npx scenarios verify",
          "```",
          "Inline too: `scenarios destroy --purge-everything`.",
        ].join("\n"),
      );
      const expected = [/--no-such-flag/, /frobnicate/, /unknown scenario "staging"/, /openAiModelCapacty/, /needs --/, /name a scenario/, /--purge-everything/];
      assert.equal(report.problems.length, expected.length, report.problems.join("\n"));
      expected.forEach((re, k) => assert.match(report.problems[k], re));
    });

    it("catches stack outputs and probes the scenario does not have", () => {
      const report = lab(
        "02-external.md",
        [
          "```bash",
          "npx scenarios outputs external --json | jq -r .gatewayUrl",
          "npx scenarios outputs external --json | jq -r .kubeconfig",
          "npx scenarios plan external --json --no-report | jq .outputs.clusterName",
          "pulumi stack output apimPrincipalId -s external",
          "```",
          "| output | meaning |",
          "|---|---|",
          "| `backendHost` | fine |",
          "| `ingressIp` | not an output |",
          "",
          "The probe `backend-answers-direct-call` belongs to `public`, not to this lab.",
        ].join("\n"),
      );
      const expected = [/"kubeconfig"/, /"clusterName"/, /"apimPrincipalId"/, /"ingressIp"/, /backend-answers-direct-call/];
      assert.equal(report.problems.length, expected.length, report.problems.join("\n"));
      expected.forEach((re, k) => assert.match(report.problems[k], re));
      assert.deepEqual(
        report.outputs.map((o) => o.name),
        ["gatewayUrl", "kubeconfig", "clusterName", "apimPrincipalId", "backendHost", "ingressIp"],
      );
    });

    it("catches a missing link target, image, anchor and project file", () => {
      const report = lab(
        "01-public.md",
        [
          "# Title",
          "[ok](00-setup.md#troubleshooting) [ok too](#title) [web](https://example.com/nowhere)",
          "[gone](06-kubernetes.md)",
          "![diagram](img/no-such-diagram.svg)",
          "[bad anchor](00-setup.md#no-such-heading)",
          "Data lives in `data/no-such-file.json`.",
          "```bash",
          "npx tsx scripts/no-such-script.ts",
          "```",
        ].join("\n"),
      );
      const expected = [/data\/no-such-file\.json/, /06-kubernetes\.md/, /img\/no-such-diagram\.svg/, /#no-such-heading/, /scripts\/no-such-script\.ts/];
      assert.equal(report.problems.length, expected.length, report.problems.join("\n"));
      for (const re of expected) assert.ok(report.problems.some((p) => re.test(p)), `${re} in ${report.problems.join("; ")}`);
    });
  });
});

// ------------------------------------------------------------------ figures (issue 19, item 10)

/**
 * Times, prices and counts in prose that are not marked as figures (scripts/lab-figures.ts writes and checks
 * the marked ones). Code spans and fenced blocks are skipped: they hold commands, not claims.
 */
export function unmarkedFigures(md: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const doc = parseMarkdown(md.replace(FIGURE, (whole) => whole.replace(/[^\n]/g, " ")));
  for (const { text, line } of doc.prose) {
    const plain = text.replace(/`[^`\n]*`/g, " ").replace(/<!--[\s\S]*?-->/g, " ");
    for (const m of plain.matchAll(/\$\s?\d[\d,.]*|\b\d+(?:[.,]\d+)?(?:\s*[–-]\s*\d+)?\s*(?:minutes?|seconds?|hours?|min\b)/g)) {
      const context = plain.slice(Math.max(0, m.index - 40), m.index + m[0].length + 40);
      if (!ALLOWED_UNMARKED.some((a) => a.pattern.test(context))) found.push({ line, text: m[0] });
    }
  }
  return found;
}

/** Durations in the labs that no code owns, each with the reason it stays hand-written. */
const ALLOWED_UNMARKED: { pattern: RegExp; why: string }[] = [
  { pattern: /about \d+ minutes( of)? hands-on|about \d+ minutes of hands-on work each/, why: "hands-on time is the instructor's estimate of the exercises, not something the program does" },
  { pattern: /\*\*Time:\*\* about \d+ minutes, most of it installing tools/, why: "the setup lab's time is installing tools, outside the program" },
  { pattern: /offline part about \d+ minutes/, why: "reading the offline comparison is the attendee's time, not the program's" },
  { pattern: /idle TCP flows after 4 minutes by default/, why: "Azure Load Balancer's documented default idle timeout, cited where it is quoted" },
];

const FIGURE_FILE_PATHS = FIGURE_FILES.map((rel) => path.join(ROOT, rel));

describe("figures in the labs come from the code (scripts/lab-figures.ts)", function () {
  this.timeout(180_000);
  let figures: Figures;
  before(async () => {
    figures = await labFigures();
  });

  for (const rel of FIGURE_FILES) {
    it(`${rel}: every marked figure is the code's (else: npx tsx scripts/lab-figures.ts)`, () => {
      const problems = figureProblems(fs.readFileSync(path.join(ROOT, rel), "utf8"), figures);
      assert.deepEqual(
        problems.map((p) => `${p.key}: says ${JSON.stringify(p.found)}, the code ${p.expected === undefined ? "has no such figure" : JSON.stringify(p.expected)}`),
        [],
      );
    });
    it(`${rel}: no time, price or count in prose that is not a marked figure`, () => {
      assert.deepEqual(unmarkedFigures(fs.readFileSync(path.join(ROOT, rel), "utf8")), []);
    });
  }

  it("the labs quote the plan's spin-up and cost for every scenario, verify's retry window and a sample table per scenario lab", () => {
    const all = FIGURE_FILE_PATHS.map((f) => fs.readFileSync(f, "utf8")).join("\n");
    const used = new Set([...all.matchAll(FIGURE)].map((m) => m[1]));
    for (const s of SCENARIO_NAMES) for (const k of [`spinUp:${s}`, `cost:${s}`, `hourly:${s}`]) assert.ok(used.has(k), k);
    for (const k of ["spinUp:all", "cost:all", "verifyAttempts", "verifyPauses", "verifyBackoff", "subnetRelease", "dnsTtl:internal"]) assert.ok(used.has(k), k);
    for (const s of SCENARIO_NAMES) {
      const lab = fs.readFileSync(path.join(LABS_DIR, LAB_FILES.find((f) => f.endsWith(`-${s}.md`))!), "utf8");
      const at = lab.indexOf(`<!--fig verifySample:${s}-->`);
      assert.ok(at > 0, `${s}: a sample verify table`);
      assert.match(lab.slice(Math.max(0, at - 400), at), /SAMPLE, not a live run/, `${s}: the sample says it is one`);
    }
  });

  it("verify's retry window is measured by running verify's own retry loop, not copied", async () => {
    const window = await verifyRetryWindow();
    const o = DEFAULT_VERIFY_OPTIONS;
    const expected: number[] = [];
    for (let k = 0, b = o.backoffMs, t = 0; k < o.attempts - 1 && t + b <= o.probeDeadlineMs; k++, t += b, b = Math.min(o.maxBackoffMs, b * 2)) expected.push(b);
    assert.equal(window.attempts, o.attempts);
    assert.deepEqual(window.backoffs, expected);
    assert.equal(figures.get("verifyPauses"), `${Math.floor(window.pausesMs / 60_000)} minutes ${Math.round(window.pausesMs / 1000) % 60} seconds`);
  });

  it("the sample verify tables are verify's renderer over each scenario's offline probes", async () => {
    for (const scenario of SCENARIO_NAMES) {
      const sample = figures.get(`verifySample:${scenario}`)!;
      const probes = ((await evaluated(scenario)).outputs.probes?.value ?? []) as { name: string }[];
      for (const p of probes) assert.match(sample, new RegExp(`^${p.name}\\s`, "m"), `${scenario}: ${p.name}`);
      assert.match(sample, new RegExp(`^${scenario} \\(SAMPLE\\): ${probes.length} passed, 0 failed`, "m"));
      assert.match(sample, /^PROBE\s+FROM\s+EXPECTED\s+OBSERVED\s+RESULT\s+TIME\s+TRIES$/m);
    }
  });

  describe("the figure check itself", () => {
    it("catches a wrong figure, an unknown key and an unmarked price, and the writer repairs the figure", () => {
      const md = [
        "Spin-up <!--fig spinUp:public-->about 1 minutes<!--/fig--> and <!--fig cost:public-->" + figures.get("cost:public") + "<!--/fig-->.",
        "Retries: <!--fig verifyPauses-->5 minutes<!--/fig--> (lab 03 once said so).",
        "<!--fig spinUp:staging-->about 9 minutes<!--/fig-->",
        "It costs $258 per month and verify retries for 5 minutes.",
        "In code `sleep 300 # 5 minutes` is not a claim.",
      ].join("\n");
      const problems = figureProblems(md, figures);
      assert.deepEqual(
        problems.map((p) => p.key),
        ["spinUp:public", "verifyPauses", "spinUp:staging"],
      );
      assert.equal(problems[2].expected, undefined);
      assert.deepEqual(
        unmarkedFigures(md).map((u) => u.text),
        ["$258", "5 minutes"],
      );
      const repaired = writeFigures(md, figures);
      assert.deepEqual(figureProblems(repaired, figures).map((p) => p.key), ["spinUp:staging"]);
      assert.ok(repaired.includes(`<!--fig verifyPauses-->${figures.get("verifyPauses")}<!--/fig-->`));
    });

    it("a figure follows the code: another backoff gives another retry window", async () => {
      const saved = { ...DEFAULT_VERIFY_OPTIONS };
      try {
        DEFAULT_VERIFY_OPTIONS.backoffMs = 1_000;
        const window = await verifyRetryWindow();
        assert.notEqual(window.pausesMs, (await verifyRetryWindowWith(saved)).pausesMs);
      } finally {
        Object.assign(DEFAULT_VERIFY_OPTIONS, saved);
      }
    });
  });
});

/** The retry window with the given options put in place for the duration of the measurement. */
async function verifyRetryWindowWith(options: typeof DEFAULT_VERIFY_OPTIONS) {
  const saved = { ...DEFAULT_VERIFY_OPTIONS };
  Object.assign(DEFAULT_VERIFY_OPTIONS, options);
  try {
    return await verifyRetryWindow();
  } finally {
    Object.assign(DEFAULT_VERIFY_OPTIONS, saved);
  }
}

// ------------------------------------------------------------------ issue 19, items 5-9

const SCENARIO_LAB: Record<ScenarioName, string> = { public: "01-public.md", external: "02-external.md", internal: "03-internal.md", consumption: "04-consumption.md" };
const readLab = (name: string) => fs.readFileSync(path.join(LABS_DIR, name), "utf8");

/** The text of a section from its heading (`## 5.`) to the next heading of that level or higher. */
function section(md: string, heading: RegExp): string {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0) return "";
  const level = /^#+/.exec(lines[start])![0].length;
  // Headings outside fenced blocks only: a shell comment is not one.
  let fenced = false;
  const end = lines.findIndex((l, k) => {
    if (/^\s*(`{3,}|~{3,})/.test(l)) fenced = !fenced;
    return k > start && !fenced && new RegExp(`^#{1,${level}}\\s`).test(l);
  });
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** Shell command lines of the fenced blocks in a piece of Markdown, continuations joined. */
function shellLines(md: string): string[] {
  return parseMarkdown(md)
    .blocks.filter((b) => SHELL_LANGUAGES.has(b.lang))
    .flatMap((b) => b.text.replace(/\\\n/g, " ").split("\n"))
    .map((l) => l.trim())
    .filter(Boolean);
}

describe("workshop labs: what issue 19 asked of them", function () {
  this.timeout(180_000);

  it("kubectl access works while up runs: the resource group is found by tags the program sets, not by stack outputs (item 5)", async () => {
    const access = section(readLab("00-setup.md"), /^### Getting `kubectl` access/);
    const lines = shellLines(access);
    assert.ok(lines.some((l) => /^SCENARIO=\w+/.test(l)), "the scenario is a variable");
    assert.ok(!lines.some((l) => /scenarios outputs/.test(l)), "no stack outputs: they are empty until up finishes");
    const lookup = lines.find((l) => l.startsWith("RG=$(az group list"));
    assert.ok(lookup, "RG from az group list");
    assert.match(lookup!, /--tag stack="\$SCENARIO"/);
    assert.match(lookup!, /starts_with\(name, 'rg-\$PREFIX-'\)/);
    assert.match(lookup!, /tags\.\\?"pulumi-project\\?" == 'apim-aks-ai-scenarios'/);
    for (const scenario of SCENARIO_NAMES) {
      // The lookup's tags and name prefix, on the evaluated resource group of a stack named after its scenario.
      const group = (await evaluated(scenario)).resources.find((r) => r.type === "azure-native:resources:ResourceGroup")!;
      const tags = group.inputs.tags as Record<string, string>;
      assert.equal(tags.stack, scenario);
      assert.equal(tags["pulumi-project"], "apim-aks-ai-scenarios");
      assert.match(String(group.inputs.resourceGroupName), /^rg-aiapim-/);
      const provisioning = section(readLab(SCENARIO_LAB[scenario]), /^## 3\. While/);
      const rg = shellLines(provisioning).find((l) => l.startsWith("RG="));
      assert.ok(rg && rg.includes('--tag stack="$SCENARIO"'), `${scenario}: finds its group by tags while up runs`);
      assert.ok(shellLines(provisioning).includes(`SCENARIO=${scenario}`.padEnd(21) + shellLines(provisioning).find((l) => l.startsWith("SCENARIO="))!.slice(21)), `${scenario}: SCENARIO=${scenario}`);
      assert.ok(!/scenarios outputs/.test(provisioning), `${scenario}: no outputs while APIM provisions`);
    }
  });

  it("expiresAt is computed hours ahead by the command (GNU and macOS forms), never a fixed date (item 6)", () => {
    const all = [...LAB_FILES, "README.md"].map(readLab).join("\n");
    assert.doesNotMatch(all, /expiresAt=["']?\d{4}-/, "no literal expiresAt");
    for (const m of all.matchAll(/expiresAt=("?)([^\s"]+)\1/g)) assert.equal(m[2], "$EXPIRES", `expiresAt=${m[2]}`);
    const lines = shellLines(section(readLab("00-setup.md"), /^## 5\. /));
    const line = lines.find((l) => l.startsWith("EXPIRES=$(date -u "));
    assert.ok(line, "EXPIRES computed by date");
    const gnu = /date -u -d '\+(\d+) hours'/.exec(line!);
    const bsd = /\|\| date -u -v\+(\d+)H /.exec(line!);
    assert.ok(gnu && bsd, "the GNU form, and the BSD (macOS) form where GNU's is refused");
    assert.equal(bsd![1], gnu![1], "both forms ask for the same offset");
    // Run the line as the lab writes it (GNU date here), and check what it gives.
    const out = execFileSync("bash", ["-c", `${line}; echo "$EXPIRES"`], { encoding: "utf8" }).trim();
    const hours = (Date.parse(out) - Date.now()) / 3_600_000;
    assert.ok(hours > 2 && hours < 24, `${out}: a few hours ahead (${hours.toFixed(1)} h)`);
    const resolved = resolveConfig("public", { expiresAt: out });
    assert.ok(resolved.ok, `${out} is accepted by the config schema: ${resolved.ok ? "" : JSON.stringify(resolved.problems)}`);
  });

  it("every restore refreshes, previews, then runs up: up alone does not see a change made outside Pulumi (items 7 and 8)", () => {
    for (const scenario of SCENARIO_NAMES) {
      const exercise = section(readLab(SCENARIO_LAB[scenario]), /^## 5\. Exercise/);
      const lines = shellLines(exercise);
      const at = (re: RegExp, from = 0) => lines.findIndex((l, k) => k >= from && re.test(l));
      const refresh = at(new RegExp(`^pulumi refresh -s ${scenario} --yes`));
      assert.ok(refresh > 0, `${scenario}: pulumi refresh in the restore`);
      const previewBefore = at(new RegExp(`^npx scenarios preview ${scenario}\\b`));
      assert.ok(previewBefore >= 0 && previewBefore < refresh, `${scenario}: a preview before refresh (shows no change)`);
      const previewAfter = at(new RegExp(`^npx scenarios preview ${scenario}\\b`), refresh);
      const up = at(new RegExp(`^npx scenarios up ${scenario}\\b`));
      assert.ok(previewAfter > refresh && up > previewAfter, `${scenario}: refresh, preview, then up (${refresh}, ${previewAfter}, ${up})`);
      assert.ok(!lines.slice(0, refresh).some((l) => new RegExp(`^npx scenarios up ${scenario}\\b`).test(l)), `${scenario}: no up before the refresh`);
    }
    // And the engine does not refresh on its own: the driver's up is the Automation API's up, without refresh.
    const workspace = fs.readFileSync(path.join(ROOT, "automation", "driver", "workspace.ts"), "utf8");
    const up = /this\.stack\.up\(\{([^}]*)\}/.exec(workspace);
    assert.ok(up, "the driver calls stack.up");
    assert.doesNotMatch(up![1], /refresh/);
  });

  it("each lab states learning goals and asks 3-4 check-your-understanding questions; the index links the primer (item 8)", () => {
    for (const name of LAB_FILES) {
      const md = readLab(name);
      assert.match(md, /\*\*You will learn:\*\*\n\n(- .+\n(  .+\n)*){3,}/, `${name}: learning goals at the top`);
      assert.ok(md.indexOf("**You will learn:**") < md.indexOf("\n## "), `${name}: before the first section`);
      const questions = section(md, /^## Check your understanding/).split("\n").filter((l) => /^\d+\. /.test(l));
      assert.ok(questions.length >= 3 && questions.length <= 4, `${name}: ${questions.length} questions`);
    }
    assert.ok(reportLinks(readLab("README.md")).includes("../primer.md"));
  });

  it("the primer explains its eight terms on one page, and its links and commands check out (item 8)", () => {
    const primer = fs.readFileSync(path.join(ROOT, "docs", "primer.md"), "utf8");
    for (const term of ["Three things called \"subscription\"", "Policy scopes", "Named values", "Service tags", "Internal load balancer", "HTTP-01", "Critical path", "CrossGuard"]) {
      assert.ok(primer.includes(`**${term}.**`), term);
    }
    assert.ok(primer.split("\n").length <= 80, "one page");
    const facts = {} as Record<ScenarioName, ScenarioFacts>;
    for (const s of SCENARIO_NAMES) facts[s] = { outputs: new Set(), probes: new Set(["apim-rejects-missing-key"]) };
    assert.deepEqual(checkLab(path.join(ROOT, "docs", "primer.md"), primer, facts).problems, []);
  });

  it("the agenda pre-provisions in parallel, gives teardown its time and says what to do when a VNet APIM's destroy fails; setup has a room-of-twenty section (item 8)", () => {
    const agenda = section(readLab("README.md"), /^## The day's agenda/);
    assert.match(agenda, /npx scenarios up public external internal /, "pre-provisioning the classic tiers in one parallel up");
    assert.match(agenda, /\*\*Teardown time\.\*\*/);
    assert.match(agenda, /\*\*When `destroy` of a VNet-injected APIM fails\.\*\*/);
    assert.match(agenda, /InUseSubnetCannotBeDeleted/);
    const room = section(readLab("00-setup.md"), /^### A room of twenty/);
    for (const topic of ["**Own or shared subscription.**", "**Roles.**", "**Who runs `sweep`.**", "**Passphrases.**"]) assert.ok(room.includes(topic), topic);
  });

  it("the devcontainer has Node 22, the Azure CLI and Pulumi CLI features, and installs kubelogin (item 8)", () => {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, ".devcontainer", "devcontainer.json"), "utf8")) as {
      features: Record<string, { version?: string }>;
      postCreateCommand: string;
    };
    assert.equal(config.features["ghcr.io/devcontainers/features/node:1"]?.version, "22");
    assert.ok(config.features["ghcr.io/devcontainers/features/azure-cli:1"]);
    assert.ok(config.features["ghcr.io/devcontainers-extra/features/pulumi:1"]);
    assert.match(config.postCreateCommand, /az aks install-cli/, "kubectl and kubelogin, as the setup lab installs them");
    assert.match(config.postCreateCommand, /npm ci/);
    assert.match(readLab("00-setup.md"), /### No bash: the devcontainer/);
  });

  it("lab 01 shows the account refusing to list keys, and the program does disable them (item 9)", async () => {
    const lab = readLab("01-public.md");
    const lines = shellLines(lab);
    assert.ok(lines.some((l) => /^az cognitiveservices account keys list .*#.*disableLocalAuth/.test(l)), "keys list, refused because of disableLocalAuth");
    assert.ok(!lines.some((l) => /api-key: not-a-key/.test(l)), "no wrong-key call posing as proof");
    const account = (await evaluated("public")).resources.find((r) => r.type === "azure-native:cognitiveservices:Account")!;
    assert.equal((account.inputs as { properties: { disableLocalAuth: boolean } }).properties.disableLocalAuth, true);
  });

  it("lab 02 breaks VNet isolation (the NSG rule that admits APIM's subnet), and says what open connections do (item 9)", async () => {
    const exercise = section(readLab("02-external.md"), /^## 5\. Exercise/);
    const lines = shellLines(exercise);
    const deleted = lines.map((l) => /^az network nsg rule delete .* -n (\S+)/.exec(l)?.[1]).find(Boolean);
    assert.ok(deleted, "deletes an NSG rule");
    assert.ok(!lines.some((l) => /networkpolicy/.test(l) && /delete/.test(l)), "not a NetworkPolicy");
    const finder = lines.find((l) => l.startsWith("NSG=$(az network nsg list"))!;
    const marker = /securityRules\[\?name=='(\w+)'\]/.exec(finder)![1];
    const e = await evaluated("external");
    const nsgs = e.resources.filter((r) => r.type === "azure-native:network:NetworkSecurityGroup");
    const chosen = nsgs.filter((n) => (n.inputs.securityRules as { name: string }[]).some((r) => r.name === marker));
    assert.equal(chosen.length, 1, `exactly one NSG has ${marker}`);
    const rule = (chosen[0].inputs.securityRules as { name: string; sourceAddressPrefix: string; access: string }[]).find((r) => r.name === deleted);
    const apimSubnet = e.resources.find((r) => r.type === "azure-native:network:Subnet" && /apim/i.test(String(r.inputs.subnetName ?? r.name)));
    assert.ok(rule && rule.access === "Allow", `${deleted} is an allow rule of that NSG`);
    assert.equal(rule!.sourceAddressPrefix, apimSubnet?.inputs.addressPrefix, "its source is APIM's subnet");
    assert.match(exercise, /stateful/);
    assert.match(exercise, /may\s+stay green/);
  });

  it("lab 04 shows the second factor on its own: an allowed address without the password gets 401 (item 9)", async () => {
    const factor = section(readLab("04-consumption.md"), /^### The second factor on its own/);
    const create = shellLines(factor).find((l) => l.startsWith("az container create"));
    assert.ok(create, "a caller from inside the region's ranges");
    assert.match(create!, /--location "\$LOCATION"/);
    assert.match(create!, /no password: %\{http_code\}/);
    assert.ok(shellLines(factor).some((l) => /az container logs .*#\s*no password: 401/.test(l)));
    const middlewares = (await evaluated("consumption")).resources.filter((r) => r.type === "kubernetes:traefik.io/v1alpha1:Middleware").map((r) => JSON.stringify(r.inputs.spec));
    assert.ok(middlewares.some((m) => m.includes('"basicAuth"')) && middlewares.some((m) => m.includes('"ipAllowList"')), "both factors exist in the program");
  });
});

function reportLinks(md: string): string[] {
  return linkTargets(parseMarkdown(md)).map((l) => l.target);
}
