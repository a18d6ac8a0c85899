/**
 * Command lines as documentation and workflows write them, checked with the CLI's own parser: a small shell
 * word splitter (quotes, `$(…)`, pipes, comments, redirections), the ways `scenarios` is invoked, and
 * automation/cli.ts's commander program with every action replaced. Shared by the labs test
 * (tests/docs/labs.test.ts) and the workflow test (tests/ci/workflows.test.ts).
 */
import { type Command, CommanderError } from "commander";
import { buildProgram } from "../../automation/cli";
import { resolveSelection, type SelectionOptions } from "../../automation/cli-common";
import { CONFIG_KEYS, SCENARIO_NAMES, type ScenarioName } from "../../config/schema";

// ------------------------------------------------------------------ shell

/** One simple command: its words after quote removal (a substitution leaves the word `$(…)`). */
export type SimpleCommand = string[];
/** Commands joined by `|`. */
export type Pipeline = SimpleCommand[];

/** Index of the `)` closing a `$(` whose content starts at `i`. */
function substitutionEnd(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") i += 2;
    else if (c === "'") i = s.indexOf("'", i + 1) + 1 || s.length;
    else if (c === '"') i = doubleQuoteEnd(s, i + 1);
    else if (c === "$" && s[i + 1] === "(") i = substitutionEnd(s, i + 2) + 1;
    else if (c === "(") (depth++, i++);
    else if (c === ")") {
      if (depth === 0) return i;
      depth--;
      i++;
    } else i++;
  }
  throw new Error(`unbalanced $( in: ${s}`);
}

/** Index just after the `"` closing a double-quoted string whose content starts at `i`. */
function doubleQuoteEnd(s: string, i: number): number {
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else if (c === "$" && s[i + 1] === "(") i = substitutionEnd(s, i + 2) + 1;
    else i++;
  }
  throw new Error(`unterminated " in: ${s}`);
}

/**
 * Splits a shell script into pipelines of simple commands. Quotes are removed; `$(…)` is split as a script
 * of its own (its pipelines are returned too); comments, redirections and their targets are dropped.
 * Enough shell for documentation, not a shell.
 */
export function shellPipelines(script: string): Pipeline[] {
  const s = script.replace(/\\\r?\n/g, " ");
  const pipelines: Pipeline[] = [];
  let pipeline: Pipeline = [];
  let words: string[] = [];
  let word: string | undefined;
  let dropNextWord = false;
  const endWord = () => {
    if (word !== undefined) {
      if (dropNextWord) dropNextWord = false;
      else words.push(word);
    }
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length) pipeline.push(words);
    words = [];
  };
  const endPipeline = () => {
    endCommand();
    if (pipeline.length) pipelines.push(pipeline);
    pipeline = [];
  };
  const substitution = (start: number): number => {
    const end = substitutionEnd(s, start);
    pipelines.push(...shellPipelines(s.slice(start, end)));
    word = `${word ?? ""}$(…)`;
    return end + 1;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === " " || c === "\t") (endWord(), i++);
    else if (c === "\n" || c === ";") (endPipeline(), i++);
    else if (c === "#" && word === undefined) i = s.indexOf("\n", i) < 0 ? s.length : s.indexOf("\n", i);
    else if (c === "\\") ((word = (word ?? "") + (s[i + 1] ?? "")), (i += 2));
    else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${script}`);
      word = (word ?? "") + s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      word = word ?? "";
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && '"\\$`'.includes(s[i + 1])) ((word += s[i + 1]), (i += 2));
        else if (s[i] === "$" && s[i + 1] === "(") i = substitution(i + 2);
        else ((word += s[i]), i++);
      }
      if (s[i] !== '"') throw new Error(`unterminated " in: ${script}`);
      i++;
    } else if (c === "$" && s[i + 1] === "(") i = substitution(i + 2);
    else if (c === "|") {
      if (s[i + 1] === "|") (endPipeline(), (i += 2));
      else (endCommand(), i++);
    } else if (c === "&") {
      endPipeline();
      i += s[i + 1] === "&" ? 2 : 1;
    } else if (c === "(" || c === ")") (endCommand(), i++);
    else if (c === ">" || c === "<") {
      if (word !== undefined && /^\d+$/.test(word)) word = undefined;
      endWord();
      i++;
      while (s[i] === ">") i++;
      const dup = /^&\d+/.exec(s.slice(i));
      if (dup) i += dup[0].length;
      else dropNextWord = true;
    } else ((word = (word ?? "") + c), i++);
  }
  endPipeline();
  return pipelines;
}

const SHELL_KEYWORDS = new Set(["do", "then", "else", "elif", "if", "while", "until", "time", "!", "{"]);

/** The command a simple command runs: shell keywords and variable assignments in front dropped. */
export function commandWords(cmd: SimpleCommand): string[] {
  let k = 0;
  while (k < cmd.length && (SHELL_KEYWORDS.has(cmd[k]) || /^[A-Za-z_]\w*=/.test(cmd[k]))) k++;
  return cmd.slice(k);
}

/** Arguments of a `scenarios` invocation, however it is spelled; undefined when the command is not one. */
export function scenariosArgs(cmd: SimpleCommand): { args: string[] } | { error: string } | undefined {
  const w = commandWords(cmd);
  if (w[0] === "scenarios") return { args: w.slice(1) };
  if (w[0] === "npx" && w[1] === "scenarios") return { args: w.slice(2) };
  if (w[0] === "node" && w[1] === "bin/scenarios.js") return { args: w.slice(2) };
  if (w[0] === "npm" && (w[1] === "run" || w[1] === "run-script") && w[2] === "scenarios") {
    if (w.length === 3) return { args: [] };
    if (w[3] !== "--") return { error: `npm run scenarios needs -- before the CLI's arguments (npm keeps the options): ${w.join(" ")}` };
    return { args: w.slice(4) };
  }
  if (w[0] === "npm" && w[1] === "start") return w.length === 2 ? { args: ["plan", "--all"] } : { error: `npm start takes no arguments: ${w.join(" ")}` };
  return undefined;
}

// ------------------------------------------------------------------ the CLI's parser

export interface CliParse {
  ok: boolean;
  error?: string;
  command?: string;
  scenarios: ScenarioName[];
  options: Record<string, unknown>;
}

/**
 * Parses a command line with the CLI's own program (automation/cli.ts), every action replaced so that
 * nothing runs, then applies what the actions check first: scenario selection and `--config` keys.
 * `partial`: an inline mention such as `scenarios verify --attempts 2` need not name a scenario.
 */
export function parseCli(args: readonly string[], partial = false): CliParse {
  const program = buildProgram();
  const silent = { writeOut: () => {}, writeErr: () => {} };
  program.configureOutput(silent).exitOverride();
  let seen: { command: Command; names: string[] } | undefined;
  // Subcommands too (`workshop prepare`): every action is replaced, none runs. Their `<scenario>` is one name.
  const commands = (c: Command): Command[] => c.commands.flatMap((sub) => [sub, ...commands(sub)]);
  for (const cmd of commands(program)) {
    const takesScenarios = cmd.registeredArguments.length > 0;
    cmd
      .configureOutput(silent)
      .exitOverride()
      .action((...a: unknown[]) => {
        seen = { command: a[a.length - 1] as Command, names: takesScenarios ? [a[0] as string[] | string].flat() : [] };
      });
  }
  const fail = (error: string): CliParse => ({ ok: false, error, scenarios: [], options: {} });
  try {
    program.parse([...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed") return { ok: true, command: "--help", scenarios: [], options: {} };
      return fail(e.message);
    }
    throw e;
  }
  if (!seen) return fail("no command ran");
  const options = seen.command.opts() as Record<string, unknown>;
  const takesScenarios = seen.command.registeredArguments.length > 0;
  let scenarios: ScenarioName[] = [];
  if (takesScenarios && (!partial || seen.names.length || options.all)) {
    try {
      scenarios = resolveSelection(seen.names, options as unknown as SelectionOptions).scenarios;
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  for (const kv of (options.config as string[] | undefined) ?? []) {
    const key = kv.slice(0, kv.indexOf("=")).replace(/^apim-aks-ai-scenarios:/, "");
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) return fail(`--config ${kv}: unknown setting ${JSON.stringify(key)}`);
  }
  return { ok: true, command: seen.command.name(), scenarios, options };
}

/**
 * A bare shell variable in an argument list (`"$s"`, `"${names[@]}"`, or `<scenario>` rewritten) stands for
 * any scenario name.
 */
export function expandPlaceholders(args: string[]): string[][] {
  const isPlaceholder = (a: string) => /^\$\{?[A-Za-z_]\w*\}?$|^\$\{[A-Za-z_]\w*\[@\]\}$/.test(a);
  if (!args.some(isPlaceholder)) return [args];
  return SCENARIO_NAMES.map((name) => args.map((a) => (isPlaceholder(a) ? name : a)));
}
