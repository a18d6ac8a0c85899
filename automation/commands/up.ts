import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

export interface UpOptions extends SelectionOptions {
  stack?: string;
  policy?: boolean;
  record?: string;
  secretsProvider?: string;
}

export function registerUp(program: Command): void {
  withSelection(program.command("up"))
    .description("deploy scenarios to their stacks (in parallel, live progress); saves a timeline report per stack under reports/runs/")
    .option("--stack <name>", "use this stack instead of the one named after the scenario (one scenario only)")
    .option("--policy", "run the policy pack in policy/ during the update")
    .option("--record <file>", "save the engine-event stream (a test fixture); {stack} in the name is replaced")
    .option("--secrets-provider <url>", "secrets provider for new stacks (default: the backend's; a passphrase for file backends)")
    .addHelpText(
      "after",
      `
Needs the Pulumi CLI, an Azure login (az login or AZURE_* variables) and kubelogin. State goes to
PULUMI_BACKEND_URL, or to .pulumi-state/ in this project; secrets use PULUMI_CONFIG_PASSPHRASE(_FILE).
--config key=value is written to the stack's config (stacks/Pulumi.<stack>.yaml) as pulumi up -c does.
Ctrl-C cancels the updates gracefully; press it again to stop them at once.`,
    )
    .action(async (names: string[], options: UpOptions) => {
      const selection = resolveSelection(names, options);
      const { runUp } = require("../driver/commands") as typeof import("../driver/commands");
      await runUp(selection, options);
    });
}
