import type { Command } from "commander";

export interface SweepOptions {
  dryRun?: boolean;
  json?: boolean;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description("delete expired environments: this project's resource groups (tagged pulumi-project=apim-aks-ai-scenarios, managed-by=pulumi) whose expires-at has passed, then purge their soft-deleted APIM / Azure OpenAI")
    .option("--dry-run", "list what would be deleted and purged, change nothing")
    .option("--json", "machine-readable output on stdout")
    .addHelpText("after", "\nScans the whole subscription (AZURE_SUBSCRIPTION_ID, or the Azure CLI's). Groups without expires-at, and groups of other programs (even with managed-by=pulumi), are never touched.")
    .action(async (options: SweepOptions) => {
      const { runSweepCommand } = require("../driver/commands") as typeof import("../driver/commands");
      await runSweepCommand(options);
    });
}
