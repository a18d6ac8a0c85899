import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

export interface OutputsOptions extends SelectionOptions {
  stack?: string;
  showSecrets?: boolean;
}

export function registerOutputs(program: Command): void {
  withSelection(program.command("outputs"), { config: false })
    .description("print stack outputs (gateway URL, probes, ...); secrets stay hidden unless --show-secrets")
    .option("--stack <name>", "read this stack instead of the one named after the scenario (one scenario only)")
    .option("--show-secrets", "print secret outputs (the subscription key) in clear text")
    .action(async (names: string[], options: OutputsOptions) => {
      const selection = resolveSelection(names, options);
      const { runOutputs } = require("../driver/commands") as typeof import("../driver/commands");
      await runOutputs(selection, options);
    });
}
