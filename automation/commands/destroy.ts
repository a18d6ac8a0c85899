import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

export interface DestroyOptions extends SelectionOptions {
  stack?: string;
  purge: boolean;
  remove?: boolean;
  record?: string;
  secretsProvider?: string;
}

export function registerDestroy(program: Command): void {
  withSelection(program.command("destroy"), { config: false })
    .description("destroy stacks, then purge their soft-deleted APIM services and Azure OpenAI accounts so the names can be reused")
    .option("--stack <name>", "destroy this stack instead of the one named after the scenario (one scenario only)")
    .option("--no-purge", "leave soft-deleted APIM services and Azure OpenAI accounts (recoverable for 48 hours / their retention)")
    .option("--remove", "also remove the stack from the backend (its stack file in stacks/ is kept)")
    .option("--record <file>", "save the engine-event stream; {stack} in the name is replaced")
    .option("--secrets-provider <url>", "secrets provider (only for stacks that do not name one)")
    .action(async (names: string[], options: DestroyOptions) => {
      const selection = resolveSelection(names, options);
      const { runDestroy } = require("../driver/commands") as typeof import("../driver/commands");
      await runDestroy(selection, options);
    });
}
