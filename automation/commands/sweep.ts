import type { Command } from "commander";
import { loadDriver } from "../cli-common";

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
      await runSweepCommand(options);
    });
}

async function runSweepCommand(options: SweepOptions): Promise<void> {
  const d = loadDriver();
  await d.withDriver({ needs: ["azure"], stacks: [], json: Boolean(options.json), workspace: false, saveRuns: false }, async (driver) => {
    const { azureSweepClient, formatSweep, runSweep } = require("../driver/cleanup/sweep") as typeof import("../driver/cleanup/sweep");
    const client = await azureSweepClient(driver.subscriptionId!);
    const result = await runSweep(client, {
      dryRun: Boolean(options.dryRun),
      signal: driver.interrupt.signal,
      onProgress: (t) => process.stderr.write(`${t}\n`),
    });
    if (options.json) d.printJson(result);
    else for (const line of formatSweep(result)) console.log(line);
    const failures = result.deleted.filter((x) => !x.ok).length + result.purged.filter((p) => p.status === "failed").length;
    if (failures) throw new d.CommandFailed(`sweep: ${failures} deletion(s) or purge(s) failed`);
  });
}
