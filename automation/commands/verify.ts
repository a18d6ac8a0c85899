import type { Command } from "commander";
import { resolveSelection, type SelectionOptions, withSelection } from "../cli-common";

export interface VerifyOptions extends SelectionOptions {
  stack?: string;
  timeout?: string;
  attempts?: string;
}

export function registerVerify(program: Command): void {
  withSelection(program.command("verify"), { config: false })
    .description("run each stack's probes (its `probes` output) and print a pass/fail table")
    .option("--stack <name>", "verify this stack instead of the one named after the scenario (one scenario only)")
    .option("--timeout <seconds>", "per request (default 10)")
    .option("--attempts <n>", "tries per probe while DNS, certificates and backends settle (default 8)")
    .addHelpText(
      "after",
      `
Probes "from internet" run on this machine. Probes "from vnet" (the internal scenario's gateway) run in a
temporary pod in the stack's AKS cluster, reached through the Kubernetes API with your Azure sign-in; your
identity needs a Kubernetes role that may create namespaces and pods (e.g. AKS RBAC Cluster Admin).
Exit code 1 when any probe fails or cannot run.`,
    )
    .action(async (names: string[], options: VerifyOptions) => {
      const selection = resolveSelection(names, options);
      const { runVerify } = require("../driver/commands") as typeof import("../driver/commands");
      await runVerify(selection, options);
    });
}
