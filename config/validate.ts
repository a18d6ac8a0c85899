import { z } from "zod";
import { defaultsFor } from "./defaults";
import { configWarnings, crossFieldProblems, type Problem } from "./rules";
import { CONFIG_KEYS, configSchema, SCENARIO_NAMES, type ScenarioConfig, type ScenarioName } from "./schema";

export type { Problem } from "./rules";

/** Raised when configuration is invalid; carries every problem, not just the first. */
export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(formatProblems(problems).join("\n"));
    this.name = "ConfigError";
  }
}

export function formatProblem(p: Problem): string {
  const value = p.value === undefined ? "(not set)" : JSON.stringify(p.value);
  return `${p.key} = ${value}: ${p.message}`;
}

export function formatProblems(problems: Problem[]): string[] {
  return problems.map(formatProblem);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length];
}

function unknownKeyProblem(key: string, value: unknown): Problem {
  const closest = [...CONFIG_KEYS].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
  const hint = editDistance(key, closest) <= 3 ? `did you mean "${closest}"? ` : "";
  return { key, value, message: `unknown setting; ${hint}known settings: ${CONFIG_KEYS.join(", ")}` };
}

/** Settings whose values are lists or maps accept JSON, and lists also accept comma-separated text. */
function coerce(key: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const field = configSchema.shape[key as keyof typeof configSchema.shape];
  const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
  if (inner instanceof z.ZodArray) {
    if (value.trim().startsWith("[")) return tryJson(value);
    return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  }
  if (inner instanceof z.ZodRecord) return tryJson(value);
  return value;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Zod's type names as a person would say them (zod says "record", "array", "int"). */
const EXPECTED: Record<string, string> = {
  record: 'a JSON object such as {"owner":"me"}',
  object: 'a JSON object such as {"owner":"me"}',
  array: 'a list such as ["a","b"]',
  int: "a whole number",
  number: "a number",
  string: "text",
  boolean: "true or false",
};

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_value":
      return `allowed: ${issue.values.map(String).join(", ")}`;
    case "too_small":
      return issue.origin === "array" ? `needs at least ${issue.minimum} item(s)` : `must be at least ${issue.minimum}`;
    case "too_big":
      return `must be at most ${issue.maximum}`;
    case "invalid_type":
      return `must be ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}`;
    default:
      return issue.message;
  }
}

function valueAt(input: Record<string, unknown>, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
}

/** `warnings`: one line each for settings that deploy but deserve attention (a deprecated model). */
export type ResolveResult = { ok: true; config: ScenarioConfig; warnings: string[] } | { ok: false; problems: Problem[] };

/**
 * Merges the scenario's defaults with raw settings (from a stack file, `pulumi config` or `--config`),
 * then checks types and cross-field rules. Returns every problem found.
 */
export function resolveConfig(scenario: ScenarioName, raw: Record<string, unknown>): ResolveResult {
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    return { ok: false, problems: [{ key: "scenario", value: scenario, message: `allowed: ${SCENARIO_NAMES.join(", ")}` }] };
  }
  const problems: Problem[] = [];
  const merged: Record<string, unknown> = { ...defaultsFor(scenario) };
  for (const [key, value] of Object.entries(raw)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) problems.push(unknownKeyProblem(key, value));
    else merged[key] = coerce(key, value);
  }
  if (merged.scenario !== scenario) {
    problems.push({ key: "scenario", value: merged.scenario, message: `this stack builds scenario "${scenario}"; remove the setting or make it match` });
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [key, ...rest] = issue.path;
      const label = rest.length ? `${String(key)}[${rest.map(String).join("][")}]` : String(key);
      problems.push({ key: label, value: valueAt(merged, issue.path), message: describeIssue(issue) });
    }
    return { ok: false, problems };
  }
  problems.push(...crossFieldProblems(parsed.data));
  return problems.length ? { ok: false, problems } : { ok: true, config: parsed.data, warnings: configWarnings(parsed.data) };
}

/** Like resolveConfig, but throws a ConfigError listing every problem. */
export function requireConfig(scenario: ScenarioName, raw: Record<string, unknown>): ScenarioConfig {
  const result = resolveConfig(scenario, raw);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}
