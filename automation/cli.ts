/** The `scenarios` command line: offline plans, and Automation API commands that drive real stacks. */
import { Command, CommanderError } from "commander";
import { SCENARIO_NAMES } from "../config/schema";
import { ConfigError, formatProblems } from "../config/validate";
import { EXIT, UsageError } from "./cli-common";
import { errorsDocument, wantsJson } from "./plan/errors";
import { registerPlan } from "./commands/plan";
import { registerCompare } from "./commands/compare";
import { registerDestroy } from "./commands/destroy";
import { registerOutputs } from "./commands/outputs";
import { registerPreview } from "./commands/preview";
import { registerSweep } from "./commands/sweep";
import { registerUp } from "./commands/up";
import { registerVerify } from "./commands/verify";
import { registerWorkshop } from "./commands/workshop";

export function buildProgram(): Command {
  const program = new Command("scenarios")
    .description(`Deploy, verify, compare and tear down ways of fronting an AI API on AKS with Azure API Management: ${SCENARIO_NAMES.join(", ")}`)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerPlan(program);
  registerUp(program);
  registerPreview(program);
  registerVerify(program);
  registerOutputs(program);
  registerCompare(program);
  registerDestroy(program);
  registerSweep(program);
  registerWorkshop(program);
  return program;
}

/** Runs the CLI and returns the exit code; prints problems, never stack traces (set DEBUG=1 for those). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (wantsJson(argv)) {
      const doc = errorsDocument(e, argv.slice(2));
      if (doc) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof ConfigError) {
      for (const line of formatProblems(e.problems)) console.error(line);
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      console.error(e.message);
      return EXIT.usage;
    }
    console.error(process.env.DEBUG ? e : `error: ${(e as Error).message ?? String(e)}`);
    const code = (e as { exitCode?: unknown }).exitCode;
    return (e as Error).name === "CommandFailed" && code === EXIT.interrupted ? EXIT.interrupted : EXIT.failure;
  }
}
