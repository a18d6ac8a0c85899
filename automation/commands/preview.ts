import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";
import { deployStacks } from "./up";

export interface PreviewOptions extends SelectionOptions {
  stack?: string;
  policy?: boolean;
  secretsProvider?: string;
}

export function registerPreview(program: Command): void {
  withSelection(program.command("preview"))
    .description("show what up would change in each stack (needs the Pulumi CLI and Azure; `plan` is the offline version)")
    .option("--stack <name>", "use this stack instead of the one named after the scenario (one scenario only)")
    .option("--policy", "run the policy pack in policy/ during the preview")
    .option("--secrets-provider <url>", "secrets provider for new stacks (default: the backend's)")
    .action(async (names: string[], options: PreviewOptions) => {
      const selection = resolveSelection(names, options);
      await deployStacks("preview", selection, options);
    });
}
