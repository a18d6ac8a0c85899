/**
 * The actions behind `scenarios up|preview|destroy|outputs|verify|compare|sweep` (registered in
 * automation/commands/*.ts, which load this module only once the command line has been parsed).
 * Order in every command: command line -> configuration validated -> preflight -> stack operations.
 */
import * as path from "node:path";
import { UsageError, type Selection } from "../cli-common";
import { POLICY_DIR, REPORTS_DIR } from "./stack/env";
import { planEstimates, type EstimatesResult } from "./estimates/estimates";
import { type DriverContext, emitFinished, emitMessage, firstLine, type LifecycleResult, runEphemeralLifecycle, runOperation, teardown } from "./lifecycle/orchestrate";
import { azureTargets, type AzureTarget } from "./preflight/preflight-azure";
import { describePurgeable } from "./cleanup/purge";
import { type CompareEntry, type CompareReport, fileStamp, writeReportFiles } from "./report/report";
import { CommandFailed, type Driver, openDriver, printJson, table, type Target, targetsFor, validateTargets } from "./lifecycle/session";
import { formatDuration } from "./report/timeline";
import type { StackHandle } from "./stack/types";
import { formatVerifyTable, type VerifyOptions, type VerifyReport } from "./verify/verify";
import { verifyStack } from "./verify/verify-stack";
import { effectiveSettings, expiresAtFromNow } from "./stack/workspace";

interface StackCommandOptions {
  stack?: string;
  json?: boolean;
  secretsProvider?: string;
}

function requireWorkspace(driver: Driver) {
  if (!driver.workspace) throw new Error("internal: no Pulumi workspace");
  return driver.workspace;
}

/** Exit 1 when a stack failed; 130 when that happened after Ctrl-C. */
export function failIfAny<R extends { ok: boolean; stack: string }>(results: R[], verb: string, driver: Driver): void {
  const failed = results.filter((r) => !r.ok);
  const interrupted = driver.interrupt.interrupted;
  if (failed.length) throw new CommandFailed(`${verb} ${interrupted ? "interrupted" : "failed"} for ${failed.map((r) => r.stack).join(", ")} (${failed.length} of ${results.length})`, interrupted);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ------------------------------------------------------------------ up / preview

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

/** The driver of commands that change stacks: everything a deployment needs, one display row per stack. */
function openDeployDriver(targets: Target[], selection: Selection, options: { secretsProvider?: string; record?: string; azure?: AzureTarget[] }): Promise<Driver> {
  return openDriver({
    needs: ["pulumi", "secrets", "azure", "kubelogin"],
    stacks: targets.map((t) => t.stack),
    json: selection.json,
    secretsProvider: options.secretsProvider,
    record: options.record,
    azure: options.azure,
  });
}

async function runStackOperation(
  operation: "update" | "preview",
  selection: Selection,
  options: StackCommandOptions & { policy?: boolean; record?: string },
): Promise<void> {
  const targets = targetsFor(selection, options.stack);
  validateTargets(targets, (t) => effectiveSettings(t.scenario, t.stack, selection.overrides));
  const azure = operation === "update" ? azureTargets(targets, (t) => effectiveSettings(t.scenario, t.stack, selection.overrides), { mayExist: true }) : undefined;
  const driver = await openDeployDriver(targets, selection, { ...options, azure });
  try {
    const workspace = requireWorkspace(driver);
    const byStack = new Map(targets.map((t) => [t.stack, t]));
    const results = await driver.run(targets.map((t) => t.stack), async (stack): Promise<OperationSummary> => {
      const t = byStack.get(stack)!;
      const before = driver.files.length;
      try {
        if (driver.interrupt.interrupted) throw new Error("interrupted before it started");
        const handle = await workspace.prepare(t.stack, t.scenario, selection.overrides);
        const run = await runOperation(handle, operation, driver.ctx, {
          scenario: t.scenario,
          policyPacks: options.policy ? [POLICY_DIR] : undefined,
          signal: driver.interrupt.operationSignal,
        });
        const ok = run.result.status === "succeeded";
        const summary = ok ? changesLine(run.result.changes) : `${run.result.status}: ${firstLine(run.result.error ?? "")}`;
        emitFinished(driver.ctx, stack, ok, summary);
        return { ok, stack, scenario: t.scenario, status: run.result.status, durationMs: run.durationMs, changes: run.result.changes, error: run.result.error, reports: driver.files.slice(before) };
      } catch (e) {
        emitFinished(driver.ctx, stack, false, firstLine(errorText(e)));
        return { ok: false, stack, scenario: t.scenario, status: "failed", changes: {}, error: errorText(e), reports: [] };
      }
    });
    if (selection.json) printJson({ operation, results });
    else {
      console.log("");
      for (const line of table(
        ["STACK", "SCENARIO", "RESULT", "TIME", "CHANGES"],
        results.map((r) => [r.stack, r.scenario, r.status, formatDuration(r.durationMs), r.ok ? changesLine(r.changes) : firstLine(r.error ?? "")]),
      ))
        console.log(line);
      const reports = results.flatMap((r) => r.reports).filter((f) => f.endsWith(".md") || f.endsWith(".json"));
      if (reports.length) console.log(`\nreports: ${reports.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
    }
    failIfAny(results, operation === "update" ? "up" : "preview", driver);
  } finally {
    driver.close();
  }
}

function changesLine(changes: Record<string, number>): string {
  const parts = Object.entries(changes).filter(([op, n]) => n > 0 && op !== "same").map(([op, n]) => `${op} ${n}`);
  const same = changes.same ? `${changes.same} unchanged` : "";
  return [...parts, same].filter(Boolean).join(", ") || "no changes";
}

export function runUp(selection: Selection, options: StackCommandOptions & { policy?: boolean; record?: string }): Promise<void> {
  return runStackOperation("update", selection, options);
}

export function runPreview(selection: Selection, options: StackCommandOptions & { policy?: boolean }): Promise<void> {
  return runStackOperation("preview", selection, options);
}

// ------------------------------------------------------------------ destroy

export async function runDestroy(selection: Selection, options: StackCommandOptions & { purge?: boolean; remove?: boolean; record?: string }): Promise<void> {
  if (Object.keys(selection.overrides).length) throw new UsageError("--config applies to up, preview and compare, not destroy");
  const targets = targetsFor(selection, options.stack);
  const driver = await openDeployDriver(targets, selection, options);
  try {
    const workspace = requireWorkspace(driver);
    const byStack = new Map(targets.map((t) => [t.stack, t]));
    const results = await driver.run(targets.map((t) => t.stack), async (stack) => {
      const t = byStack.get(stack)!;
      try {
        const handle = await workspace.select(t.stack, t.scenario);
        const report = await teardown(handle, driver.ctx, { scenario: t.scenario, purge: options.purge !== false, remove: Boolean(options.remove) });
        emitFinished(driver.ctx, stack, report.ok, report.ok ? `destroyed${report.purge.length ? `, purged ${report.purge.filter((p) => p.status === "purged").length}` : ""}${report.removed ? ", stack removed" : ""}` : report.leftovers[0]);
        return { ok: report.ok, stack, scenario: t.scenario, report };
      } catch (e) {
        emitFinished(driver.ctx, stack, false, firstLine(errorText(e)));
        return { ok: false, stack, scenario: t.scenario, error: errorText(e) };
      }
    });
    if (selection.json) {
      printJson({
        operation: "destroy",
        results: results.map((r) =>
          "report" in r && r.report
            ? { ok: r.ok, stack: r.stack, scenario: r.scenario, status: r.report.destroy?.result.status, durationMs: r.report.durationMs, purge: r.report.purge, removed: r.report.removed, leftovers: r.report.leftovers }
            : r,
        ),
      });
    } else {
      console.log("");
      for (const r of results) {
        if (!("report" in r) || !r.report) {
          console.log(`${r.stack}: FAILED: ${firstLine(r.error ?? "")}`);
          continue;
        }
        console.log(`${r.stack}: destroy ${r.report.destroy?.result.status ?? "not run"} in ${formatDuration(r.report.durationMs)}`);
        for (const p of r.report.purge) console.log(`  purge ${describePurgeable(p.target)}: ${p.status}${p.error ? ` (${p.error})` : ""}`);
        if (r.report.removed) console.log("  stack removed (its stack file kept)");
        for (const l of r.report.leftovers) console.log(`  left behind: ${l}`);
      }
    }
    failIfAny(results, "destroy", driver);
  } finally {
    driver.close();
  }
}

// ------------------------------------------------------------------ outputs

export async function runOutputs(selection: Selection, options: StackCommandOptions & { showSecrets?: boolean }): Promise<void> {
  if (Object.keys(selection.overrides).length) throw new UsageError("--config applies to up, preview and compare, not outputs");
  const targets = targetsFor(selection, options.stack);
  const driver = await openDriver({ needs: ["pulumi", "secrets"], stacks: targets.map((t) => t.stack), json: true, saveRuns: false });
  try {
    const workspace = requireWorkspace(driver);
    const all: Record<string, Record<string, unknown>> = {};
    const errors: { stack: string; error: string }[] = [];
    await Promise.all(
      targets.map(async (t) => {
        try {
          const handle = await workspace.select(t.stack, t.scenario);
          const outputs = await handle.outputs();
          all[t.stack] = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret && !options.showSecrets ? "[secret]" : v.value]));
        } catch (e) {
          errors.push({ stack: t.stack, error: errorText(e) });
        }
      }),
    );
    if (selection.json) printJson(targets.length === 1 && !errors.length ? all[targets[0].stack] : { outputs: all, errors });
    else {
      for (const t of targets) {
        if (!all[t.stack]) continue;
        console.log(`${t.stack}:`);
        for (const [k, v] of Object.entries(all[t.stack])) {
          if (k === "probes" && Array.isArray(v)) console.log(`  ${k}: ${v.length} checks (${v.map((p: { name?: string }) => p.name).join(", ")})`);
          else console.log(`  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
        }
      }
      for (const e of errors) console.error(`${e.stack}: ${firstLine(e.error)}`);
      if (!options.showSecrets && Object.values(all).some((o) => Object.values(o).includes("[secret]"))) console.log("(secrets hidden; --show-secrets to print them)");
    }
    if (errors.length) throw new CommandFailed(`outputs failed for ${errors.map((e) => e.stack).join(", ")}`);
  } finally {
    driver.close();
  }
}

// ------------------------------------------------------------------ verify

export interface VerifyCommandOptions extends StackCommandOptions {
  timeout?: string;
  attempts?: string;
}

export function verifyOptionsFrom(options: VerifyCommandOptions): Partial<VerifyOptions> {
  const out: Partial<VerifyOptions> = {};
  if (options.timeout !== undefined) {
    const s = Number(options.timeout);
    if (!Number.isFinite(s) || s <= 0 || s > 300) throw new UsageError(`--timeout ${JSON.stringify(options.timeout)}: seconds per request, 1-300`);
    out.requestTimeoutMs = s * 1000;
  }
  if (options.attempts !== undefined) {
    const n = Number(options.attempts);
    if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError(`--attempts ${JSON.stringify(options.attempts)}: a whole number, 1-50`);
    out.attempts = n;
  }
  return out;
}

/** Opens the in-cluster transport for a stack's VNet probes (needs Azure sign-in; checked here, lazily). */
export function vnetOpener(driver: Driver, ctx: DriverContext = driver.ctx) {
  return async (handle: StackHandle) => {
    const { findCluster, InClusterTransport } = require("./verify/incluster") as typeof import("./verify/incluster");
    let subscriptionId = driver.subscriptionId;
    if (!subscriptionId) {
      const { preflight, realPreflightDeps } = require("./preflight/preflight") as typeof import("./preflight/preflight");
      const { chooseBackend } = require("./stack/env") as typeof import("./stack/env");
      subscriptionId = (await preflight(["azure"], { backend: chooseBackend(process.env), stacks: [] }, realPreflightDeps())).subscriptionId;
    }
    const cluster = findCluster(await handle.resources());
    if (!cluster) return { unavailable: "the stack has no AKS cluster in its state" };
    return InClusterTransport.start(cluster, subscriptionId!, { onProgress: (t) => emitMessage(ctx, handle.name, t) });
  };
}

export async function runVerify(selection: Selection, options: VerifyCommandOptions): Promise<void> {
  if (Object.keys(selection.overrides).length) throw new UsageError("--config applies to up, preview and compare, not verify");
  const verify = verifyOptionsFrom(options);
  const targets = targetsFor(selection, options.stack);
  const driver = await openDriver({ needs: ["pulumi", "secrets"], stacks: targets.map((t) => t.stack), json: selection.json, saveRuns: false });
  try {
    const workspace = requireWorkspace(driver);
    const byStack = new Map(targets.map((t) => [t.stack, t]));
    const results = await driver.run(targets.map((t) => t.stack), async (stack) => {
      const t = byStack.get(stack)!;
      try {
        const handle = await workspace.select(t.stack, t.scenario);
        const report = await verifyStack(handle, driver.ctx, { scenario: t.scenario, verify, openVnet: vnetOpener(driver) });
        const ok = report.failed === 0 && report.notRun === 0;
        emitFinished(driver.ctx, stack, ok, `${report.passed} of ${report.results.length} probes passed`);
        return { ok, stack, report };
      } catch (e) {
        emitFinished(driver.ctx, stack, false, firstLine(errorText(e)));
        return { ok: false, stack, error: errorText(e) };
      }
    });
    if (selection.json) printJson({ results: results.map((r) => ("report" in r ? { ok: r.ok, ...r.report } : r)) });
    else {
      for (const r of results) {
        console.log("");
        if ("report" in r && r.report) for (const line of formatVerifyTable(r.report as VerifyReport)) console.log(line);
        else console.log(`${r.stack}: could not verify: ${firstLine(("error" in r && r.error) || "")}`);
      }
    }
    failIfAny(results, "verify", driver);
  } finally {
    driver.close();
  }
}

// ------------------------------------------------------------------ compare

export interface CompareCommandOptions {
  policy?: boolean;
  expiresIn?: string;
  secretsProvider?: string;
  timeout?: string;
  attempts?: string;
  estimates?: boolean;
}

export function compareEntry(scenario: string, life: LifecycleResult<VerifyReport>, estimates: EstimatesResult): CompareEntry {
  return {
    scenario,
    stack: life.stack,
    ok: life.ok,
    ...(life.error ? { error: life.error } : {}),
    measured: {
      spinUpMs: life.up?.durationMs,
      verifyMs: life.body?.durationMs,
      teardownMs: life.teardown?.durationMs,
      resources: life.up ? life.up.timeline.entries.filter((e) => e.custom && e.op === "create" && e.status === "done").length : undefined,
    },
    up: life.up?.timeline,
    destroy: life.teardown?.destroy?.timeline,
    verify: life.body?.value,
    purge: life.teardown?.purge,
    leftovers: life.teardown?.leftovers,
    estimates,
  };
}

export async function runCompare(selection: Selection, options: CompareCommandOptions): Promise<void> {
  const hours = options.expiresIn === undefined ? 4 : Number(options.expiresIn);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 168) throw new UsageError(`--expires-in ${JSON.stringify(options.expiresIn)}: hours, more than 0 and at most 168`);
  const verify = verifyOptionsFrom(options);
  const expiresAt = expiresAtFromNow(hours);
  // The ephemeral stacks get their names when created; until then they are known by their scenario.
  const targets: Target[] = selection.scenarios.map((scenario) => ({ scenario, stack: scenario }));
  // The ephemeral stacks do not exist yet: validate the scenario's settings as they will be given.
  validateTargets(targets, (t) => effectiveSettings(t.scenario, t.scenario, selection.overrides, { expiresAt }));

  // Offline estimates first (the mock engine; one scenario at a time), before anything is deployed.
  // Each evaluation runs in a process of its own (estimates.ts), so they can run side by side.
  const estimates = new Map<string, EstimatesResult>(
    await Promise.all(
      targets.map(async (t): Promise<[string, EstimatesResult]> => [
        t.scenario,
        options.estimates === false ? { ok: false, reason: "not requested (--no-estimates)" } : await planEstimates(t.scenario, selection.overrides),
      ]),
    ),
  );

  const driver = await openDriver({
    needs: ["pulumi", "secrets", "azure", "kubelogin"],
    stacks: targets.map((t) => t.scenario),
    json: selection.json,
    secretsProvider: options.secretsProvider,
    // Ephemeral stacks are new: nothing to read from state.
    azure: azureTargets(targets, (t) => effectiveSettings(t.scenario, t.scenario, selection.overrides, { expiresAt }), { mayExist: false }),
  });
  try {
    const workspace = requireWorkspace(driver);
    const lives = await driver.run(
      targets.map((t) => t.scenario),
      async (scenario) => {
        const t = targets.find((x) => x.scenario === scenario)!;
        // Progress is keyed by scenario here: the stack name is only known once created.
        const ctx: DriverContext = { ...driver.ctx, progress: (e) => driver.ctx.progress({ ...e, stack: scenario }) };
        const life = await runEphemeralLifecycle(
          async () => {
            const handle = await workspace.createEphemeral(t.scenario, { overrides: selection.overrides, expiresAt });
            emitMessage(ctx, scenario, `ephemeral stack ${handle.name} (expires-at ${expiresAt})`);
            return handle;
          },
          ctx,
          {
            scenario: t.scenario,
            policyPacks: options.policy ? [POLICY_DIR] : undefined,
            check: (r: VerifyReport) => (r.failed || r.notRun ? `${r.failed + r.notRun} of ${r.results.length} probes did not pass` : undefined),
          },
          (handle) => verifyStack(handle, ctx, { scenario: t.scenario, verify, openVnet: vnetOpener(driver, ctx) }),
        );
        return life;
      },
    );
    const entries = targets.map((t, i) => compareEntry(t.scenario, lives[i], estimates.get(t.scenario)!));
    const report: CompareReport = { kind: "compare", generatedAt: new Date().toISOString(), synthetic: false, entries };
    const files = writeReportFiles(path.join(REPORTS_DIR, `compare-${fileStamp()}`), report);
    if (selection.json) printJson({ report: files.find((f) => f.endsWith(".json")), entries: entries.map(({ up, destroy, ...rest }) => ({ ...rest, upTotals: up?.totals, destroyTotals: destroy?.totals })) });
    else {
      console.log("");
      for (const line of table(
        ["SCENARIO", "RESULT", "SPIN-UP", "VERIFY", "TEARDOWN", "RESOURCES", "EST. $/MONTH"],
        entries.map((e) => [
          e.scenario,
          e.ok ? "ok" : `FAILED: ${firstLine(e.error ?? "")}`.slice(0, 60),
          formatDuration(e.measured.spinUpMs),
          formatDuration(e.measured.verifyMs),
          formatDuration(e.measured.teardownMs),
          e.measured.resources !== undefined ? String(e.measured.resources) : "-",
          e.estimates.ok && e.estimates.estimates.monthlyCostUsd !== undefined ? e.estimates.estimates.monthlyCostUsd.toFixed(0) : "-",
        ]),
      ))
        console.log(line);
      console.log(`\nreport: ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
    }
    failIfAny(entries.map((e) => ({ ok: e.ok, stack: e.stack ?? e.scenario })), "compare", driver);
  } finally {
    driver.close();
  }
}

// ------------------------------------------------------------------ sweep

export async function runSweepCommand(options: { dryRun?: boolean; json?: boolean }): Promise<void> {
  const driver = await openDriver({ needs: ["azure"], stacks: [], json: Boolean(options.json), workspace: false, saveRuns: false });
  try {
    const { azureSweepClient, formatSweep, runSweep } = require("./cleanup/sweep") as typeof import("./cleanup/sweep");
    const client = await azureSweepClient(driver.subscriptionId!);
    const result = await runSweep(client, {
      dryRun: Boolean(options.dryRun),
      signal: driver.interrupt.signal,
      onProgress: (t) => process.stderr.write(`${t}\n`),
    });
    if (options.json) printJson(result);
    else for (const line of formatSweep(result)) console.log(line);
    const failures = result.deleted.filter((d) => !d.ok).length + result.purged.filter((p) => p.status === "failed").length;
    if (failures) throw new CommandFailed(`sweep: ${failures} deletion(s) or purge(s) failed`);
  } finally {
    driver.close();
  }
}
