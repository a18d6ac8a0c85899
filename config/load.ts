import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ScenarioName } from "./schema";

/** Namespace of this project's settings in stack files and `pulumi config`. */
export const CONFIG_NAMESPACE = "apim-aks-ai-scenarios";
export const PROJECT_DIR = path.resolve(__dirname, "..");
export const STACKS_DIR = path.join(PROJECT_DIR, "stacks");

export function stackFilePath(scenario: ScenarioName, dir = STACKS_DIR): string {
  return path.join(dir, `Pulumi.${scenario}.yaml`);
}

/**
 * Picks this project's settings out of a `namespace:key -> value` map (a stack file's `config:` block or
 * `pulumi.runtime.allConfig()`), dropping the namespace. Other namespaces (azure-native:*) are left alone.
 */
export function projectSettings(all: Record<string, unknown>): Record<string, unknown> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  }
  return out;
}

/** The settings of a scenario's stack file, without namespace; empty when the file has no config. */
export function readStackSettings(scenario: ScenarioName, dir = STACKS_DIR): Record<string, unknown> {
  const doc = parseYaml(fs.readFileSync(stackFilePath(scenario, dir), "utf8")) as { config?: Record<string, unknown> } | null;
  return projectSettings(doc?.config ?? {});
}

/**
 * Parses `key=value` overrides the way `pulumi -c` takes them. A key may carry the namespace.
 * Throws on an argument without `=`.
 */
export function parseOverrides(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new Error(`--config ${JSON.stringify(arg)}: expected key=value`);
    const key = arg.slice(0, eq).replace(`${CONFIG_NAMESPACE}:`, "");
    out[key] = arg.slice(eq + 1);
  }
  return out;
}
