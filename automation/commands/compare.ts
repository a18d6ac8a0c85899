import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

export interface CompareOptions extends SelectionOptions {
  policy?: boolean;
  expiresIn?: string;
  secretsProvider?: string;
  timeout?: string;
  attempts?: string;
  estimates: boolean;
}

export function registerCompare(program: Command): void {
  withSelection(program.command("compare"))
    .description("bring scenarios up on ephemeral stacks in parallel, verify them, tear them down, and write one report")
    .option("--policy", "run the policy pack in policy/ during the updates")
    .option("--expires-in <hours>", "expires-at tag of the ephemeral resources, for `sweep` (default 4)")
    .option("--timeout <seconds>", "per probe request (default 10)")
    .option("--attempts <n>", "tries per probe (default 8)")
    .option("--no-estimates", "skip the offline plan's estimates")
    .option("--secrets-provider <url>", "secrets provider for the ephemeral stacks (default: the backend's)")
    .addHelpText(
      "after",
      `
Each scenario gets a stack named <scenario>-eph-<random>; it is always destroyed, its soft-deleted APIM
service and Azure OpenAI account purged, and the stack removed, also after a failure or Ctrl-C. The report
(reports/compare-<time>.{json,md,html}) puts measured spin-up, verification and teardown times beside the
plan's estimates and estimated monthly cost.`,
    )
    .action(async (names: string[], options: CompareOptions) => {
      const selection = resolveSelection(names, options);
      const { runCompare } = require("../driver/commands") as typeof import("../driver/commands");
      await runCompare(selection, options);
    });
}
