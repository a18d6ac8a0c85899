/**
 * What the live tests share (ephemeral.test.ts, variants.test.ts, workshop.test.ts): when they skip, the
 * settings only a deployment can know, one ephemeral stack's run (up, outputs contract, verify, destroy, purge,
 * remove), and the check that nothing is left in Azure. The heavy modules load only once a test runs.
 */
import assert from "node:assert/strict";
import { findOnPath } from "../../automation/driver/preflight/preflight";
import type { Driver } from "../../automation/driver/lifecycle/session";
import type { StackHandle, StackOutputs, StateResource } from "../../automation/driver/stack/types";
import type { ScenarioName } from "../../config/schema";

/** Why the live tests cannot run here, or undefined when they can. */
export function liveSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.AZURE_SUBSCRIPTION_ID) return "AZURE_SUBSCRIPTION_ID is not set";
  if (!findOnPath("pulumi", env)) return "the pulumi CLI is not on PATH";
  if (env.SCENARIOS_LIVE !== "1") return "they deploy to Azure for an hour; run them with npm run test:live";
  return undefined;
}

/** Skips the suite with one printed line when `reason` is set. */
export function skipWith(context: Mocha.Context, suite: string, reason: string | undefined): void {
  if (!reason) return;
  console.log(`    ${suite} skipped: ${reason}`);
  context.skip();
}

/**
 * `extra` over the scenario's stack file, plus what only a deployment can know: a Consumption-tier APIM's
 * shared ranges, from Azure's service tags.
 */
export async function liveOverrides(scenario: ScenarioName, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const { readStackSettings } = await import("../../config/load");
  const { requireConfig } = await import("../../config/validate");
  const { needsSharedSourceRanges } = await import("../../config/rules");
  const { defaultsFor } = await import("../../config/defaults");
  const settings = { ...defaultsFor(scenario), ...readStackSettings(scenario), ...extra } as Record<string, any>;
  if (settings.apimSharedSourceRanges !== undefined || !needsSharedSourceRanges({ scenario, apimSku: settings.apimSku })) {
    requireConfig(scenario, { ...readStackSettings(scenario), ...extra });
    return extra;
  }
  const { regionSharedRanges } = await import("../../automation/driver/preflight/service-tags");
  const overrides = { ...extra, apimSharedSourceRanges: await regionSharedRanges(settings.location) };
  requireConfig(scenario, { ...readStackSettings(scenario), ...overrides });
  return overrides;
}

/** Preflight for deploying `stacks` (the rows of the progress display), as `up` runs it. */
export async function openLiveDriver(stacks: string[]): Promise<Driver> {
  const { openDriver } = await import("../../automation/driver/lifecycle/session");
  // Plain progress lines on stderr, reports under reports/runs/ as for `scenarios compare`.
  return openDriver({ needs: ["pulumi", "secrets", "azure", "kubelogin"], stacks, json: true });
}

export interface Purgeables {
  apim: { name: string; location: string }[];
  openAi: { name: string; location: string; resourceGroupName: string }[];
}

/** What one stack's deployment left to check once it is gone. */
export interface LiveOutcome extends Purgeables {
  ok: boolean;
  error?: string;
  stack?: string;
  resourceGroups: string[];
  verifyTable?: string[];
  probeNames: string[];
  resources: StateResource[];
}

export const newOutcome = (): LiveOutcome => ({ ok: false, resourceGroups: [], apim: [], openAi: [], probeNames: [], resources: [] });

const RESOURCE_GROUP_TYPE = "azure-native:resources:ResourceGroup";

/** Notes a stack's resource groups and what purge must have removed, from its state. */
export async function noteResources(outcome: LiveOutcome, stack: StackHandle): Promise<void> {
  const { purgeTargets } = await import("../../automation/driver/cleanup/purge");
  const resources = await stack.resources();
  outcome.resources.push(...resources);
  for (const r of resources) {
    const name = r.type === RESOURCE_GROUP_TYPE ? (r.outputs.name ?? r.inputs.resourceGroupName) : undefined;
    if (typeof name === "string" && !outcome.resourceGroups.includes(name)) outcome.resourceGroups.push(name);
  }
  for (const t of purgeTargets(resources)) {
    if (t.kind === "apim") outcome.apim.push({ name: t.name, location: t.location });
    else outcome.openAi.push({ name: t.name, location: t.location, resourceGroupName: t.resourceGroupName });
  }
}

/** Runs every probe the stack exports; the outcome keeps the table and the probe names. Throws unless all passed. */
export async function verifyAll(driver: Driver, ctx: Driver["ctx"], stack: StackHandle, scenario: string, outcome: LiveOutcome): Promise<void> {
  const { verifyStack, vnetOpener } = await import("../../automation/driver/verify/verify-stack");
  const { formatVerifyTable } = await import("../../automation/driver/verify/verify");
  const report = await verifyStack(stack, ctx, { scenario, openVnet: vnetOpener(driver, ctx) });
  outcome.verifyTable = formatVerifyTable(report);
  outcome.probeNames = report.results.map((r) => r.name);
  assert.ok(report.results.length > 0, "the stack exports probes");
  assert.equal(report.failed + report.notRun, 0, outcome.verifyTable.join("\n"));
}

/** The stack outputs every scenario exports (DESIGN.md, Contracts). */
export function assertScenarioOutputs(outputs: StackOutputs, scenario: string): void {
  for (const key of ["scenario", "gatewayUrl", "apiBasePath", "subscriptionKey", "openAiEndpoint", "backendHost", "resourceGroupName", "probes"]) {
    assert.ok(key in outputs, `stack output ${key} (DESIGN.md, Contracts)`);
  }
  assert.equal(outputs.subscriptionKey.secret, true, "the subscription key is a secret output");
  assert.equal(outputs.scenario.value, scenario);
}

/**
 * `scenario` with `overrides` on a new ephemeral stack: up, the outputs contract, every probe passed, `check`,
 * then destroy, purge and stack removal whatever happened (withEphemeral). Never throws: the outcome says.
 */
export async function runEphemeral(
  driver: Driver,
  label: string,
  scenario: ScenarioName,
  overrides: Record<string, unknown>,
  check: (stack: StackHandle, outputs: StackOutputs, outcome: LiveOutcome) => Promise<void> = async () => {},
): Promise<LiveOutcome> {
  const { withEphemeral, EphemeralError } = await import("../../automation/driver/lifecycle/ephemeral");
  const outcome = newOutcome();
  const ctx = { ...driver.ctx, progress: (e: Parameters<Driver["ctx"]["progress"]>[0]) => driver.ctx.progress({ ...e, stack: label }) };
  try {
    const settings = await liveOverrides(scenario, overrides);
    await withEphemeral(scenario, { workspace: driver.workspace, ctx, expiresInHours: 4, overrides: settings }, async (stack, outputs) => {
      outcome.stack = stack.name;
      assertScenarioOutputs(outputs, scenario);
      outcome.resourceGroups.push(String(outputs.resourceGroupName.value));
      await noteResources(outcome, stack);
      await verifyAll(driver, ctx, stack, scenario, outcome);
      await check(stack, outputs, outcome);
    });
    outcome.ok = true;
  } catch (e) {
    outcome.error = e instanceof EphemeralError ? e.message : String((e as Error).message ?? e);
  }
  return outcome;
}

export function printVerifyTable(outcome: Pick<LiveOutcome, "verifyTable">): void {
  if (outcome.verifyTable) console.log(outcome.verifyTable.map((l) => `      ${l}`).join("\n"));
}

/** Each resource group gone; each APIM service and Azure OpenAI account not left soft-deleted (purged). */
export async function assertNothingLeftInAzure(subscriptionId: string, left: Pick<LiveOutcome, "resourceGroups" | "apim" | "openAi">): Promise<void> {
  const { azureCredential } = await import("../../automation/driver/preflight/azure");
  const { ResourceManagementClient } = await import("@azure/arm-resources");
  const { ApiManagementClient } = await import("@azure/arm-apimanagement");
  const { CognitiveServicesManagementClient } = await import("@azure/arm-cognitiveservices");
  const credential = azureCredential();
  const notFound = async (what: string, call: () => Promise<unknown>) => {
    await assert.rejects(call(), (e: { statusCode?: number }) => e.statusCode === 404, `${what} should be gone`);
  };
  assert.ok(left.resourceGroups.length > 0, "the deployment's resource groups were noted");
  const groups = new ResourceManagementClient(credential, subscriptionId).resourceGroups;
  for (const rg of new Set(left.resourceGroups)) await notFound(`resource group ${rg}`, () => groups.get(rg));
  const apim = new ApiManagementClient(credential, subscriptionId);
  for (const a of left.apim) await notFound(`soft-deleted APIM ${a.name}`, () => apim.deletedServices.getByName(a.name, a.location));
  const cognitive = new CognitiveServicesManagementClient(credential, subscriptionId);
  for (const o of left.openAi) await notFound(`soft-deleted Azure OpenAI ${o.name}`, () => cognitive.deletedAccounts.get(o.location, o.resourceGroupName, o.name));
}
