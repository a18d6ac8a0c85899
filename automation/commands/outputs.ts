import type { Command } from "commander";
import { loadDriver, rejectOverrides, resolveSelection, type Selection, type SelectionOptions, withSelection } from "../cli-common";

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
      await runOutputs(selection, options);
    });
}

async function runOutputs(selection: Selection, options: OutputsOptions): Promise<void> {
  rejectOverrides(selection, "outputs");
  const d = loadDriver();
  const targets = d.targetsFor(selection, options.stack);
  await d.withDriver({ needs: ["pulumi", "secrets"], stacks: targets.map((t) => t.stack), json: true, saveRuns: false }, async (driver) => {
    const workspace = driver.workspace;
    if (!workspace) throw new Error("internal: no Pulumi workspace");
    const all: Record<string, Record<string, unknown>> = {};
    const errors: { stack: string; error: string }[] = [];
    await Promise.all(
      targets.map(async (t) => {
        try {
          const handle = await workspace.select(t.stack, t.scenario);
          const outputs = await handle.outputs();
          all[t.stack] = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret && !options.showSecrets ? "[secret]" : v.value]));
        } catch (e) {
          errors.push({ stack: t.stack, error: d.errorText(e) });
        }
      }),
    );
    if (selection.json) d.printJson(targets.length === 1 && !errors.length ? all[targets[0].stack] : { outputs: all, errors });
    else {
      for (const t of targets) {
        if (!all[t.stack]) continue;
        console.log(`${t.stack}:`);
        for (const [k, v] of Object.entries(all[t.stack])) {
          if (k === "probes" && Array.isArray(v)) console.log(`  ${k}: ${v.length} checks (${v.map((p: { name?: string }) => p.name).join(", ")})`);
          else console.log(`  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
        }
      }
      for (const e of errors) console.error(`${e.stack}: ${d.firstLine(e.error)}`);
      if (!options.showSecrets && Object.values(all).some((o) => Object.values(o).includes("[secret]"))) console.log("(secrets hidden; --show-secrets to print them)");
    }
    if (errors.length) throw new d.CommandFailed(`outputs failed for ${errors.map((e) => e.stack).join(", ")}`);
  });
}
