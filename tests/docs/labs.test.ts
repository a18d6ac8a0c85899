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
import { DEFAULT_VERIFY_OPTIONS } from "../../automation/driver/verify/verify";
import { FIGURE, FIGURE_FILES, type Figures, figureProblems, labFigures, verifyRetryWindow, writeFigures } from "../../scripts/lab-figures";
import { type CertificatePath, certificatePath as decideCertificate } from "../../config/certificates";
import { COMMON_DEFAULTS, SCENARIO_TRAITS } from "../../config/defaults";
import { apiVersionFor, findModel, modelFamily, tokenParameterFor } from "../../config/models";
import { OPENAI_PRIVATE_LINK_ZONE } from "../../components/PrivateDns";
import type { Probe } from "../../scenarios/probes";

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

const LAB_FILES = ["00-setup.md", "01-public.md", "02-external.md", "03-internal.md", "04-consumption.md", "05-compare.md", "06-integrated.md"];
/** Pages beside the labs whose commands, outputs, links and files are checked the same way. */
const GUIDES = ["README.md", "host.md"];

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
    for (const name of [...LAB_FILES, ...GUIDES]) {
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

  for (const name of [...LAB_FILES, ...GUIDES]) {
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

  it("the host guide pre-provisions one stack per attendee with --stack, runs sweep, keeps its passphrase, and links the workshop design and estimate (issue 17 part 3)", () => {
    const host = reports.get("host.md")!;
    const ups = host.commands.filter((c) => c.command === "up");
    assert.ok(ups.some((c) => c.args.includes("--stack") && c.args.some((a) => a.startsWith("expiresAt="))), "up --stack <attendee> with expiresAt");
    for (const command of ["verify", "outputs", "destroy", "sweep"]) assert.ok(host.commands.some((c) => c.command === command), `scenarios ${command}`);
    assert.ok(host.commands.some((c) => c.command === "plan" && c.args.includes("--workshop")), "the workshop estimate");
    assert.ok(host.links.includes("../workshop.md"), "links the workshop design");
    assert.match(readLab("host.md"), /PULUMI_CONFIG_PASSPHRASE/);
    assert.ok(reports.get("README.md")!.links.includes("host.md"), "the labs index links the host guide");
    // Workshop mode: the room's three commands, and an attendee stack by hand.
    for (const command of ["prepare", "status", "teardown"]) assert.ok(host.commands.some((c) => c.command === command && c.args[0] === "workshop"), `scenarios workshop ${command}`);
    assert.ok(host.commands.some((c) => c.command === "status" && c.args.includes("--verify")), "workshop status --verify");
    assert.ok(ups.some((c) => c.args.includes("--shared")), "up --stack <attendee> --shared <scenario>-shared");
  });

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

const SCENARIO_LAB: Record<ScenarioName, string> = {
  public: "01-public.md",
  external: "02-external.md",
  internal: "03-internal.md",
  consumption: "04-consumption.md",
  integrated: "06-integrated.md",
};
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
    const workspace = fs.readFileSync(path.join(ROOT, "automation", "driver", "stack", "workspace.ts"), "utf8");
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

// ------------------------------------------------------------------ the model, the certificate and the probes' answers

/** What the product deploys and how it calls the model: the staleness these checks catch is a lab left behind. */
export interface ModelFacts {
  /** The deployment's name, which calls through APIM's Azure OpenAI API put in the path. */
  deployment: string;
  name: string;
  version: string;
  tokenParameter: string;
  apiVersion: string;
}

const MODEL_NAME = /\bgpt-\d(?:[\w.-]*\w)?/g;
/** The token limit's name as a JSON or JavaScript key: `"max_tokens":`, `max_tokens:`. */
const TOKEN_PARAMETER_IN_JSON = /["']?\b(max_tokens|max_completion_tokens)\b["']?\s*:/g;

/**
 * Model names and versions anywhere in a lab, and in its shell lines the deployment in an Azure OpenAI path,
 * the api-version of a call to a deployment and the token limit's name in a request body: each must be the
 * product's. A lab that shows another model shows a call that fails.
 */
export function modelProblems(file: string, md: string, model: ModelFacts): string[] {
  const problems: string[] = [];
  const problem = (line: number, text: string) => problems.push(`${path.basename(file)}:${line}: ${text}`);
  md.split("\n").forEach((text, k) => {
    for (const m of text.matchAll(MODEL_NAME)) if (m[0] !== model.name) problem(k + 1, `names model ${m[0]}; the product deploys ${model.name}`);
    for (const m of text.matchAll(/\bversion `(\d{4}-\d{2}-\d{2})`/g)) if (m[1] !== model.version) problem(k + 1, `says model version ${m[1]}; the product deploys ${model.version}`);
  });
  const doc = parseMarkdown(md);
  for (const block of doc.blocks) {
    // Commands, and code in any language (an OpenAI client's request); not sample output.
    if (block.lang === "text") continue;
    const lines = block.text.split("\n");
    for (let k = 0; k < lines.length; k++) {
      const at = block.line + 1 + k;
      let logical = lines[k];
      while (/\\$/.test(logical) && k + 1 < lines.length) logical = `${logical.slice(0, -1)} ${lines[++k]}`;
      for (const m of logical.matchAll(/\/openai\/deployments\/([^/?"'\s]+)\/[^\s"']*/g)) {
        if (!/^[$<]/.test(m[1]) && m[1] !== model.deployment) problem(at, `calls deployment ${m[1]}; the product's deployment is ${model.deployment}`);
        const version = /[?&]api-version=([\w.-]+)/.exec(m[0])?.[1];
        if (version !== model.apiVersion) problem(at, `calls deployment ${m[1]} with api-version ${version ?? "(none)"}; ${model.name} needs ${model.apiVersion}`);
      }
      for (const m of logical.matchAll(TOKEN_PARAMETER_IN_JSON)) {
        if (m[1] !== model.tokenParameter) problem(at, `sends "${m[1]}"; ${model.name} takes "${model.tokenParameter}"`);
      }
    }
  }
  return problems;
}

/** The certificate sources a lab can claim, by the words that name them. */
const CERTIFICATE_SOURCES: { path: CertificatePath; words: RegExp }[] = [
  { path: "privateCa", words: /private CA/i },
  { path: "letsencrypt", words: /Let's Encrypt/i },
];

/** The first certificate source a piece of text names, if it speaks of certificates at all. */
function claimedCertificatePath(text: string): CertificatePath | undefined {
  if (!/certificate|cert-manager/i.test(text)) return undefined;
  const named = CERTIFICATE_SOURCES.map((s) => ({ path: s.path, at: text.search(s.words) })).filter((s) => s.at >= 0);
  return named.sort((a, b) => a.at - b.at)[0]?.path;
}

/**
 * Where a lab says the ingress certificate comes from. A scenario lab: every line (prose, table row, the
 * request-path drawing) that speaks of the certificate and names a source names its scenario's first, and at
 * least one does. The setup lab: its table of certificates per scenario, one row each.
 */
export function certificateProblems(file: string, md: string, decided: Record<ScenarioName, CertificatePath>): string[] {
  const problems: string[] = [];
  const base = path.basename(file);
  const scenario = /^\d\d-(public|external|internal|consumption)\.md$/.exec(base)?.[1] as ScenarioName | undefined;
  const lines = md.split("\n");
  if (scenario) {
    let claims = 0;
    let fenced: string | undefined;
    lines.forEach((text, k) => {
      const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(text);
      if (fence) fenced = fenced === undefined ? fence[2].toLowerCase() : undefined;
      if (fenced !== undefined && SHELL_LANGUAGES.has(fenced) && fenced !== "") return; // commands, not claims
      const claimed = claimedCertificatePath(text);
      if (!claimed) return;
      claims++;
      if (claimed !== decided[scenario]) problems.push(`${base}:${k + 1}: says the certificate comes from ${claimed}; for ${scenario} config/certificates.ts decides ${decided[scenario]}`);
    });
    if (!claims) problems.push(`${base}: never says where ${scenario}'s ingress certificate comes from`);
    return problems;
  }
  const table = section(md, /^### Certificates still pending/);
  if (!table) return problems;
  const rows = new Map<string, string>();
  for (const row of table.split("\n")) {
    const cells = row.trim().startsWith("|") ? row.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()) : undefined;
    const name = cells && /^`(\w+)`$/.exec(cells[0])?.[1];
    if (name && (SCENARIO_NAMES as readonly string[]).includes(name)) rows.set(name, cells!.slice(1).join(" | "));
  }
  for (const s of SCENARIO_NAMES) {
    const row = rows.get(s);
    const claimed = row && claimedCertificatePath(`certificate ${row}`);
    if (!row) problems.push(`${base}: the certificates table has no row for ${s}`);
    else if (claimed !== decided[s]) problems.push(`${base}: the certificates table says ${claimed ?? "nothing"} for ${s}; config/certificates.ts decides ${decided[s]}`);
  }
  return problems;
}

/**
 * Probe tables (a first cell naming a probe of the scenario, a last cell with the expectation): the status
 * the expectation names first must be the probe's, or "unreachable" for a probe that expects no connection.
 */
export function probeExpectationProblems(file: string, md: string, expects: Map<string, Probe["expect"]>): string[] {
  const problems: string[] = [];
  for (const { text, line } of parseMarkdown(md).prose) {
    const cells = text.trim().startsWith("|") ? text.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()) : undefined;
    const name = cells && /^`([a-z0-9-]+)`$/.exec(cells[0])?.[1];
    const expect = name ? expects.get(name) : undefined;
    if (!expect || cells!.length < 3) continue;
    const said = cells![cells!.length - 1].replace(FIGURE, "");
    const status = /\b[1-5]\d\d\b/.exec(said)?.[0];
    const wanted = "unreachable" in expect ? "unreachable" : String("status" in expect ? expect.status : expect.statusOnLast);
    const ok = wanted === "unreachable" ? /unreachable|no connection|no answer/.test(said) && !status : status === wanted;
    if (!ok) problems.push(`${path.basename(file)}:${line}: the table expects ${status ?? JSON.stringify(said.slice(0, 40))} of ${name}; the probe expects ${wanted}`);
  }
  return problems;
}

/**
 * The lab's own call to Azure OpenAI from this machine (`"${OAI}…"`, the stack output `openAiEndpoint`) is the
 * probe `openai-refuses-internet` by hand: the same path and query, and the status its comment promises is
 * the probe's.
 */
export function directOpenAiProblems(file: string, md: string, probe: Pick<Probe, "request" | "expect"> | undefined, endpoint: string): string[] {
  const problems: string[] = [];
  const wanted = probe ? probe.request.url.slice(endpoint.replace(/\/$/, "").length).replace(/^\//, "") : undefined;
  const status = probe && "status" in probe.expect ? String(probe.expect.status) : undefined;
  for (const line of shellLines(md)) {
    const call = /"\$\{?OAI\}?\/?([^"]*)"/.exec(line);
    if (!call || !/^curl\b/.test(line)) continue;
    const said = /#\s*(\d{3})\b/.exec(line)?.[1];
    if (!probe) problems.push(`${path.basename(file)}: calls Azure OpenAI directly, but the scenario has no openai-refuses-internet probe`);
    else if (call[1] !== wanted || said !== status) problems.push(`${path.basename(file)}: \`${line.slice(0, 90)}\` should be the probe's ${wanted} answered ${status}, not ${call[1]} answered ${said ?? "(no comment)"}`);
  }
  return problems;
}

/** The model as the product deploys it, and as config, data/openai-models.json and AiModel's derivation decide it. */
async function productModel(): Promise<{ graph: ModelFacts; config: ModelFacts }> {
  const e = await evaluated("public");
  const deployment = e.resources.find((r) => r.type === "azure-native:cognitiveservices:Deployment")!;
  const inputs = deployment.inputs as { deploymentName: string; properties: { model: { name: string; version: string } } };
  const app = e.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && (r.inputs as { metadata: { name: string } }).metadata.name === "ai-api")!;
  const env = (app.inputs as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }).spec.template.spec.containers[0].env ?? [];
  const envValue = (name: string) => env.find((v) => v.name === name)?.value ?? "";
  const graph: ModelFacts = {
    deployment: inputs.deploymentName,
    name: inputs.properties.model.name,
    version: inputs.properties.model.version,
    tokenParameter: envValue("AZURE_OPENAI_TOKEN_PARAMETER"),
    apiVersion: envValue("AZURE_OPENAI_API_VERSION"),
  };
  const { openAiModelName: name, openAiModelVersion: version } = COMMON_DEFAULTS;
  const family = modelFamily(name, version);
  const config: ModelFacts = { deployment: name, name, version, tokenParameter: tokenParameterFor(family), apiVersion: apiVersionFor(family) };
  return { graph, config };
}

/** The certificate path config/certificates.ts decides for each scenario's defaults. */
function decidedCertificates(): Record<ScenarioName, CertificatePath> {
  const decided = {} as Record<ScenarioName, CertificatePath>;
  for (const s of SCENARIO_NAMES) decided[s] = decideCertificate({ scenario: s, apimSku: SCENARIO_TRAITS[s].defaults.apimSku, ingressCertificate: COMMON_DEFAULTS.ingressCertificate }).path;
  return decided;
}

describe("workshop labs follow the product: model, certificate, probes' answers (issues 12, 14, 16, 19 item 1)", function () {
  this.timeout(180_000);
  const LAB_AND_PRIMER = [...LAB_FILES.map((f) => path.join(LABS_DIR, f)), path.join(LABS_DIR, "README.md"), path.join(ROOT, "docs", "primer.md")];
  let model: ModelFacts;
  const decided = decidedCertificates();
  const expects = {} as Record<ScenarioName, Map<string, Probe["expect"]>>;

  before(async () => {
    const { graph, config } = await productModel();
    assert.deepEqual(graph, config, "the deployed model and the pod's token parameter and api-version are what config, data/openai-models.json and AiModel decide");
    assert.ok(findModel(config.name, config.version), `${config.name} ${config.version} is in data/openai-models.json`);
    model = graph;
    for (const s of SCENARIO_NAMES) {
      const probes = ((await evaluated(s)).outputs.probes?.value ?? []) as Probe[];
      expects[s] = new Map(probes.map((p) => [p.name, p.expect]));
    }
  });

  it("the certificate each scenario gets is the one its ClusterIssuer issues in the graph", async () => {
    for (const s of SCENARIO_NAMES) {
      const issuers = (await evaluated(s)).resources
        .filter((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer")
        .map((r) => (r.inputs as { metadata: { name: string } }).metadata.name);
      assert.deepEqual(issuers.map((n) => (n.startsWith("letsencrypt") ? "letsencrypt" : n === "private-ca" ? "privateCa" : n)), [decided[s]], `${s}: ${issuers.join(", ")}`);
    }
  });

  for (const file of LAB_AND_PRIMER) {
    const rel = path.relative(ROOT, file);
    it(`${rel}: model name, version, deployment, api-version and token parameter are the product's`, () => {
      assert.deepEqual(modelProblems(file, fs.readFileSync(file, "utf8"), model), []);
    });
  }

  for (const name of ["00-setup.md", ...Object.values(SCENARIO_LAB)]) {
    it(`${name}: the ingress certificate it names is the one config/certificates.ts decides`, () => {
      assert.deepEqual(certificateProblems(path.join(LABS_DIR, name), readLab(name), decided), []);
    });
  }

  for (const s of SCENARIO_NAMES) {
    it(`${SCENARIO_LAB[s]}: each probe's expected answer in its tables is the probe's`, () => {
      assert.deepEqual(probeExpectationProblems(path.join(LABS_DIR, SCENARIO_LAB[s]), readLab(SCENARIO_LAB[s]), expects[s]), []);
    });
  }

  it("a lab's direct call to Azure OpenAI is the firewall probe by hand, and lab 01 shows it", async () => {
    let calls = 0;
    for (const s of SCENARIO_NAMES) {
      const e = await evaluated(s);
      const probe = ((e.outputs.probes?.value ?? []) as Probe[]).find((p) => p.name === "openai-refuses-internet");
      const md = readLab(SCENARIO_LAB[s]);
      calls += shellLines(md).filter((l) => /^curl\b.*"\$\{?OAI\}?/.test(l)).length;
      assert.deepEqual(directOpenAiProblems(SCENARIO_LAB[s], md, probe, String(e.outputs.openAiEndpoint.value)), []);
    }
    assert.ok(shellLines(readLab("01-public.md")).some((l) => /^curl\b.*"\$\{OAI\}openai\//.test(l)), "lab 01 calls the account from this machine");
    assert.ok(calls >= 1);
  });

  it("the labs show the model's private path where it exists, and lab 02 breaks it by the zone's VNet link (issue 16)", async () => {
    const privateScenarios = SCENARIO_NAMES.filter((s) => expects[s].has("openai-private-endpoint"));
    assert.deepEqual(privateScenarios, ["external", "internal", "integrated"], "the product's private model path");
    for (const s of privateScenarios) assert.match(readLab(SCENARIO_LAB[s]), /privatelink\.openai\.azure\.com/, `${s}: names the zone`);
    const exercise = section(readLab("02-external.md"), /^### A second break: the model's private name/);
    const lines = shellLines(exercise);
    const zone = /^ZONE=(\S+)$/.exec(lines.find((l) => l.startsWith("ZONE=")) ?? "")?.[1];
    assert.equal(zone, OPENAI_PRIVATE_LINK_ZONE);
    const del = lines.findIndex((l) => /^az network private-dns link vnet delete -g "\$RG" -z "\$ZONE" -n "\$LINK"/.test(l));
    assert.ok(del > 0, "deletes the zone's VNet link");
    const verify = lines.findIndex((l, k) => k > del && /^npx scenarios verify external\b/.test(l));
    const refresh = lines.findIndex((l, k) => k > verify && /^pulumi refresh -s external --yes/.test(l));
    const previewAfter = lines.findIndex((l, k) => k > refresh && /^npx scenarios preview external\b/.test(l));
    const up = lines.findIndex((l, k) => k > previewAfter && /^npx scenarios up external\b/.test(l));
    assert.ok(verify > del && refresh > verify && previewAfter > refresh && up > previewAfter, `verify, refresh, preview, up after the delete (${[del, verify, refresh, previewAfter, up]})`);
    // The graph: exactly one link for that zone, to the scenario's VNet, so "the link" is unambiguous; and
    // the probe the lab says fails is the in-VNet one, which expects the account's 401.
    const e = await evaluated("external");
    const links = e.resources.filter((r) => r.type === "azure-native:privatedns:VirtualNetworkLink" && (r.inputs as { privateZoneName: string }).privateZoneName === OPENAI_PRIVATE_LINK_ZONE);
    assert.equal(links.length, 1);
    const probe = ((e.outputs.probes?.value ?? []) as Probe[]).find((p) => p.name === "openai-private-endpoint")!;
    assert.equal(probe.from, "vnet");
    assert.deepEqual(probe.expect, { status: 401 });
    assert.match(exercise, /`openai-private-endpoint` now fails: expected 401, observed 403/);
    // The 403 it then observes is the public endpoint's refusal, the other probe's expectation.
    assert.deepEqual(expects.external.get("openai-refuses-internet"), { status: 403 });
  });

  describe("the checks themselves", () => {
    const stale = (name: string) => path.join(LABS_DIR, name);

    it("catch an old model name and version, another deployment, an old api-version and max_tokens", () => {
      const md = [
        "By default `gpt-4o-mini` version `2024-07-18`.",
        "```bash",
        `curl -s "$GW/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21" -H "api-key: $KEY" \\`,
        `  -d '{"messages":[],"max_tokens":30}'`,
        `curl -s "$GW/openai/deployments/${model.deployment}/chat/completions" -d '{"${model.tokenParameter}":5}'`,
        `curl -s "$GW/$API/v1/chat/completions" -d '{"messages":[],"${model.tokenParameter}":1000}'`,
        "```",
        "```js",
        "await client.chat.completions.create({ model: \"ignored\", messages, max_tokens: 30 });",
        "```",
      ].join("\n");
      const problems = modelProblems(stale("01-public.md"), md, model);
      const expected = [/model gpt-4o-mini/, /version 2024-07-18/, /model gpt-4o-mini/, /deployment gpt-4o-mini;/, /api-version 2024-10-21/, /"max_tokens"/, /api-version \(none\)/, /"max_tokens"/];
      assert.equal(problems.length, expected.length, problems.join("\n"));
      expected.forEach((re, k) => assert.match(problems[k], re));
      assert.ok(problems.every((p) => /^01-public\.md:([1-6]|9): /.test(p)), problems.join("\n"));
    });

    it("catch a lab naming the other certificate source, a lab naming none, and a wrong row in the setup table", () => {
      const lab01 = ["```text", "Traefik (public load balancer, Let's Encrypt certificate)", "```", "| cert-manager | a certificate from the private CA |"].join("\n");
      assert.deepEqual(
        certificateProblems(path.join(LABS_DIR, "01-public.md"), lab01, decidedWith("public", "privateCa")).map((p) => p.replace(/ config\/.*/, "")),
        ["01-public.md:2: says the certificate comes from letsencrypt; for public"],
      );
      assert.match(certificateProblems(path.join(LABS_DIR, "04-consumption.md"), "No word of it.", decided)[0], /never says/);
      const setup = [
        "### Certificates still pending",
        "| scenario | ingress certificate (default) |",
        "|---|---|",
        "| `public` | Let's Encrypt, HTTP-01 |",
        "| `external` | private CA |",
        "| `internal` | private CA |",
      ].join("\n");
      assert.deepEqual(
        certificateProblems(path.join(LABS_DIR, "00-setup.md"), setup, decidedWith("public", "privateCa")).map((p) => p.replace(/;.*/, "")),
        [
          "00-setup.md: the certificates table says letsencrypt for public",
          "00-setup.md: the certificates table has no row for consumption",
          "00-setup.md: the certificates table has no row for integrated",
        ],
      );
    });

    it("catch a direct call to Azure OpenAI that promises the old 401 or another request than the probe's", () => {
      const probe = { request: { method: "GET" as const, url: "https://oai-x.openai.azure.com/openai/deployments?api-version=2024-10-21", withSubscriptionKey: false }, expect: { status: 403 } };
      const md = [
        "```bash",
        `curl -s -o /dev/null -w '%{http_code}\\n' "\${OAI}openai/deployments?api-version=2024-10-21"   # 403`,
        `curl -s -o /dev/null -w '%{http_code}\\n' "\${OAI}openai/deployments?api-version=2024-10-21"   # 401, no token`,
        `curl -s "$OAI/openai/deployments/gpt-x/chat/completions"   # 403`,
        "```",
      ].join("\n");
      const problems = directOpenAiProblems("01-public.md", md, probe, "https://oai-x.openai.azure.com/");
      assert.equal(problems.length, 2, problems.join("\n"));
      assert.match(problems[0], /answered 401/);
      assert.match(problems[1], /not openai\/deployments\/gpt-x\/chat\/completions/);
      assert.match(directOpenAiProblems("01-public.md", md, undefined, "")[0], /no openai-refuses-internet probe/);
    });

    it("catch a probe table that expects another answer than the probe, and a probe of another scenario", () => {
      const md = [
        "| probe | request | expected |",
        "|---|---|---|",
        "| `openai-refuses-internet` | the endpoint, no token | 401: no token |",
        "| `backend-refuses-direct-call` | the host | 200 |",
        "| `apim-rate-limits-burst` | <!--fig burstCalls:external-->65 calls<!--/fig--> | the last one 429 |",
        "",
        "In lab 01, `openai-private-endpoint` is another scenario's probe.",
      ].join("\n");
      const problems = probeExpectationProblems(path.join(LABS_DIR, "02-external.md"), md, expects.external);
      assert.deepEqual(problems.map((p) => /of ([\w-]+)/.exec(p)![1]), ["openai-refuses-internet", "backend-refuses-direct-call"], problems.join("\n"));
      assert.match(problems[0], /expects 401 .*expects 403/);
      const report = checkLab(path.join(LABS_DIR, "01-public.md"), md, {
        ...Object.fromEntries(SCENARIO_NAMES.map((s) => [s, { outputs: new Set<string>(), probes: new Set(expects[s].keys()) }])),
      } as Record<ScenarioName, ScenarioFacts>);
      assert.ok(report.problems.some((p) => /"openai-private-endpoint" is not among the probes of public/.test(p)), report.problems.join("\n"));
    });

    function decidedWith(s: ScenarioName, p: CertificatePath): Record<ScenarioName, CertificatePath> {
      return { ...decided, [s]: p };
    }
  });
});
