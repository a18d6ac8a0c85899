/**
 * Errors as JSON for `--json` runs, so that `scenarios ... --json | jq` always has a document to read:
 * `{ "errors": [ { "key", "value", "message" } ] }` on stdout. Configuration problems keep their key and
 * value; command-line mistakes name the arguments; anything else has null key and value.
 */
import { CommanderError } from "commander";
import { ConfigError } from "../../config/validate";
import { UsageError } from "../cli-common";

export interface JsonError {
  key: string | null;
  value: unknown;
  message: string;
}

/** The errors document for `e`, or undefined when `e` is not an error (help and version end this way too). */
export function errorsDocument(e: unknown, args: readonly string[]): { errors: JsonError[] } | undefined {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return undefined;
    return { errors: [{ key: "arguments", value: [...args], message: e.message.replace(/^error: /, "") }] };
  }
  if (e instanceof ConfigError) return { errors: e.problems.map((p) => ({ key: p.key, value: p.value ?? null, message: p.message })) };
  if (e instanceof UsageError) return { errors: [{ key: "arguments", value: [...args], message: e.message }] };
  return { errors: [{ key: null, value: null, message: e instanceof Error ? e.message : String(e) }] };
}

/** Whether the command line asks for JSON (`--json` before any `--`). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}
