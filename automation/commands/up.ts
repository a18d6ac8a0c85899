import * as path from "node:path";
import type { Command } from "commander";
import { loadDriver, loadRoom, resolveSelection, type Selection, type SelectionOptions, withSelection } from "../cli-common";
import type { DriverOptions, Target } from "../driver/lifecycle/session";
import type { AzureTarget } from "../driver/preflight/preflight-azure";

export interface UpOptions extends SelectionOptions {
  stack?: string;
  policy?: boolean;
  record?: string;
  secretsProvider?: string;
  /** `--shared <stack>`: deploy an attendee stack of workshop mode that reads this shared stack (docs/workshop.md). */
  shared?: string;
  attendee?: string;
  expiresIn?: string;
}

export function registerUp(program: Command): void {
  withSelection(program.command("up"))
    .description("deploy scenarios to their stacks (in parallel, live progress); saves a timeline report per stack under reports/runs/")
    .option("--stack <name>", "use this stack instead of the one named after the scenario (one scenario only)")
    .option("--policy", "run the policy pack in policy/ during the update")
    .option("--record <file>", "save the engine-event stream (a test fixture); {stack} in the name is replaced")
    .option("--secrets-provider <url>", "secrets provider for new stacks (default: the backend's; a passphrase for file backends)")
    .option("--shared <stack>", "workshop mode: deploy --stack <scenario>-<attendee> as an attendee stack that reads this shared stack (e.g. public-shared)")
    .option("--attendee <name>", "with --shared: the attendee's name (default: from --stack <scenario>-<name>)")
    .option("--expires-in <hours>", "with --shared: expires-at of the attendee stack, for `scenarios sweep` (default 24, as workshop prepare)")
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
      await deployStacks("update", selection, options);
    });
}

interface OperationSummary {
  ok: boolean;
  stack: string;
  scenario: string;
  status: string;
  durationMs?: number;
  changes: Record<string, number>;
  error?: string;
  reports: string[];
}

/**
 * The driver of the commands that deploy or destroy (up, preview, destroy, compare): the Pulumi CLI, a secrets
 * passphrase, Azure and kubelogin, one display row per stack, and the state backend printed once preflight passed.
 */
export function deployDriverOptions(stacks: string[], selection: Selection, options: { secretsProvider?: string; record?: string; azure?: AzureTarget[] }): DriverOptions {
  return { needs: ["pulumi", "secrets", "azure", "kubelogin"], stacks, json: selection.json, secretsProvider: options.secretsProvider, record: options.record, azure: options.azure, showBackend: true };
}

/** `up` and `preview`: one operation per stack, in parallel, then one table. */
export async function deployStacks(operation: "update" | "preview", selection: Selection, options: UpOptions): Promise<void> {
  const workshop = options.shared !== undefined || options.attendee !== undefined || options.expiresIn !== undefined ? attendeeOf(selection, options) : undefined;
  const d = loadDriver();
  const targets = d.targetsFor(selection, options.stack);
  const settings = (t: Target) => d.effectiveSettings(t.scenario, t.stack, selection.overrides, workshop?.settings);
  d.validateTargets(targets, settings);
  const azure = operation === "update" ? d.azureTargets(targets, settings, { mayExist: true }).map((t) => (workshop ? loadRoom().attendeeTarget(t) : t)) : undefined;
  await d.withDriver(deployDriverOptions(targets.map((t) => t.stack), selection, { ...options, azure }), async (driver) => {
    const results = await d.forEachStack(
      driver,
      targets,
      async (t, workspace): Promise<{ result: OperationSummary; summary: string }> => {
        const before = driver.files.length;
        if (driver.interrupt.interrupted) throw new Error("interrupted before it started");
        if (workshop) await d.checkSharedStack(workspace, t.scenario, workshop.sharedStack, t.stack);
        const handle = await workspace.prepare(t.stack, t.scenario, selection.overrides, workshop?.settings);
        const policyPacks = options.policy ? [d.POLICY_DIR] : undefined;
        // An attendee stack's update is run again when the shared Azure OpenAI account was busy (workshop/retry.ts).
        const retried = workshop && operation === "update" ? await d.updateRetrying(handle, driver, { scenario: t.scenario, policyPacks }) : undefined;
        const run = retried?.run ?? (await d.runOperation(handle, operation, driver.ctx, { scenario: t.scenario, policyPacks, signal: driver.interrupt.operationSignal }));
        const status = retried?.status ?? run.result.status;
        const error = retried ? retried.error : run.result.error;
        const ok = status === "succeeded";
        const summary = ok ? changesLine(run.result.changes) : `${status}: ${d.firstLine(error ?? "")}`;
        return { result: { ok, stack: t.stack, scenario: t.scenario, status, durationMs: run.durationMs, changes: run.result.changes, error, reports: driver.files.slice(before) }, summary };
      },
      (t, error) => ({ ok: false, stack: t.stack, scenario: t.scenario, status: "failed", changes: {}, error, reports: [] }),
    );
    d.finish(driver, results, operation === "update" ? "up" : "preview", {
      json: selection.json,
      document: () => ({ operation, results }),
      lines: () => {
        const reports = results.flatMap((r) => r.reports).filter((f) => f.endsWith(".md") || f.endsWith(".json"));
        return [
          "",
          ...d.table(
            ["STACK", "SCENARIO", "RESULT", "TIME", "CHANGES"],
            results.map((r) => [r.stack, r.scenario, r.status, d.formatDuration(r.durationMs), r.ok ? changesLine(r.changes) : d.firstLine(r.error ?? "")]),
          ),
          ...(reports.length ? [`\nreports: ${reports.map((f) => path.relative(process.cwd(), f)).join(", ")}`] : []),
        ];
      },
    });
  });
}

/** `--shared` / `--attendee`: the attendee stack's settings, or a one-line refusal (exit 2). */
function attendeeOf(selection: Selection, options: UpOptions) {
  const r = loadRoom();
  const { chooseBackend } = require("../driver/stack/env") as typeof import("../driver/stack/env");
  return r.attendeeUp({ scenarios: selection.scenarios, stack: options.stack, shared: options.shared, attendee: options.attendee, expiresIn: options.expiresIn, overrides: selection.overrides, backendUrl: chooseBackend(process.env).url, project: r.projectName() });
}

function changesLine(changes: Record<string, number>): string {
  const parts = Object.entries(changes).filter(([op, n]) => n > 0 && op !== "same").map(([op, n]) => `${op} ${n}`);
  const same = changes.same ? `${changes.same} unchanged` : "";
  return [...parts, same].filter(Boolean).join(", ") || "no changes";
}
