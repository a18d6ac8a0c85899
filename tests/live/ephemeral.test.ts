/**
 * LIVE: every scenario on its own ephemeral stack, in parallel: up, verify (all probes pass), then
 * destroy + purge + stack removal, and a check that nothing is left (resource group gone, APIM and Azure
 * OpenAI not soft-deleted). Costs money and takes about an hour (classic APIM tiers).
 *
 *   npm run test:live                       (every scenario in SCENARIO_NAMES)
 *   LIVE_SCENARIOS=consumption npm run test:live
 *
 * Needs AZURE_SUBSCRIPTION_ID, the Pulumi CLI on PATH, an Azure login, kubelogin and a passphrase
 * (PULUMI_CONFIG_PASSPHRASE); state goes to PULUMI_BACKEND_URL or .pulumi-state/. Skipped, with the reason
 * printed once, when any is missing, and when run as part of the default suite rather than test:live.
 */
import assert from "node:assert/strict";
import { findOnPath } from "../../automation/driver/preflight/preflight";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";

function skipReason(): string | undefined {
  if (!process.env.AZURE_SUBSCRIPTION_ID) return "AZURE_SUBSCRIPTION_ID is not set";
  if (!findOnPath("pulumi", process.env)) return "the pulumi CLI is not on PATH";
  if (process.env.SCENARIOS_LIVE !== "1") return "they deploy to Azure for an hour; run them with npm run test:live";
  return undefined;
}

/** Settings only a deployment can know: a Consumption-tier APIM's shared ranges, from Azure's service tags. */
async function liveOverrides(scenario: ScenarioName): Promise<Record<string, unknown>> {
  const { readStackSettings } = await import("../../config/load");
  const { requireConfig } = await import("../../config/validate");
  const { needsSharedSourceRanges } = await import("../../config/rules");
  const { defaultsFor } = await import("../../config/defaults");
  const settings = { ...defaultsFor(scenario), ...readStackSettings(scenario) } as Record<string, any>;
  if (settings.apimSharedSourceRanges !== undefined || !needsSharedSourceRanges({ scenario, apimSku: settings.apimSku })) return {};
  const { regionSharedRanges } = await import("../../automation/driver/preflight/service-tags");
  const overrides = { apimSharedSourceRanges: await regionSharedRanges(settings.location) };
  requireConfig(scenario, { ...readStackSettings(scenario), ...overrides });
  return overrides;
}

const selected = (process.env.LIVE_SCENARIOS?.split(",").map((s) => s.trim()).filter(Boolean) ?? [...SCENARIO_NAMES]) as ScenarioName[];

interface Outcome {
  ok: boolean;
  error?: string;
  stack?: string;
  resourceGroup?: string;
  apim?: { name: string; location: string };
  openAi?: { name: string; location: string; resourceGroupName: string };
  verifyTable?: string[];
}

describe("live: ephemeral stacks (up, verify, destroy, purge, remove)", function () {
  const outcomes = new Map<ScenarioName, Outcome>();
  let subscriptionId = "";

  before(async function () {
    const reason = skipReason();
    if (reason) {
      console.log(`    live tests skipped: ${reason}`);
      this.skip();
    }
    const { openDriver } = await import("../../automation/driver/lifecycle/session");
    const { withEphemeral, EphemeralError } = await import("../../automation/driver/lifecycle/ephemeral");
    const { verifyStack, vnetOpener } = await import("../../automation/driver/verify/verify-stack");
    const { formatVerifyTable } = await import("../../automation/driver/verify/verify");
    const { purgeTargets } = await import("../../automation/driver/cleanup/purge");
    // Plain progress lines on stderr, reports under reports/runs/ as for `scenarios compare`.
    const driver = await openDriver({ needs: ["pulumi", "secrets", "azure", "kubelogin"], stacks: selected, json: true });
    subscriptionId = driver.subscriptionId!;
    try {
      await driver.run(selected, async (scenario) => {
        const outcome: Outcome = { ok: false };
        outcomes.set(scenario as ScenarioName, outcome);
        const ctx = { ...driver.ctx, progress: (e: Parameters<typeof driver.ctx.progress>[0]) => driver.ctx.progress({ ...e, stack: scenario }) };
        try {
          const overrides = await liveOverrides(scenario as ScenarioName);
          await withEphemeral(scenario as ScenarioName, { workspace: driver.workspace, ctx, expiresInHours: 4, overrides }, async (stack, outputs) => {
            outcome.stack = stack.name;
            for (const key of ["scenario", "gatewayUrl", "apiBasePath", "subscriptionKey", "openAiEndpoint", "backendHost", "resourceGroupName", "probes"]) {
              assert.ok(key in outputs, `stack output ${key} (DESIGN.md, Contracts)`);
            }
            assert.equal(outputs.subscriptionKey.secret, true, "the subscription key is a secret output");
            assert.equal(outputs.scenario.value, scenario);
            outcome.resourceGroup = String(outputs.resourceGroupName.value);
            for (const t of purgeTargets(await stack.resources())) {
              if (t.kind === "apim") outcome.apim = { name: t.name, location: t.location };
              else outcome.openAi = { name: t.name, location: t.location, resourceGroupName: t.resourceGroupName };
            }
            const report = await verifyStack(stack, ctx, { scenario, openVnet: vnetOpener(driver, ctx) });
            outcome.verifyTable = formatVerifyTable(report);
            assert.equal(report.failed + report.notRun, 0, outcome.verifyTable.join("\n"));
          });
          outcome.ok = true;
        } catch (e) {
          outcome.error = e instanceof EphemeralError ? e.message : String((e as Error).message ?? e);
        }
        return outcome;
      });
    } finally {
      driver.close();
    }
  });

  for (const scenario of selected) {
    it(`${scenario}: deploys, passes every probe, and leaves nothing behind`, async function () {
      const outcome = outcomes.get(scenario);
      assert.ok(outcome, "the scenario ran");
      if (outcome.verifyTable) console.log(outcome.verifyTable.map((l) => `      ${l}`).join("\n"));
      assert.ok(outcome.ok, outcome.error);
      const { azureCredential } = await import("../../automation/driver/preflight/azure");
      const { ResourceManagementClient } = await import("@azure/arm-resources");
      const { ApiManagementClient } = await import("@azure/arm-apimanagement");
      const { CognitiveServicesManagementClient } = await import("@azure/arm-cognitiveservices");
      const credential = azureCredential();
      const notFound = async (what: string, call: () => Promise<unknown>) => {
        await assert.rejects(call(), (e: { statusCode?: number }) => e.statusCode === 404, `${what} should be gone`);
      };
      await notFound(`resource group ${outcome.resourceGroup}`, () => new ResourceManagementClient(credential, subscriptionId).resourceGroups.get(outcome.resourceGroup!));
      if (outcome.apim) {
        await notFound(`soft-deleted APIM ${outcome.apim.name}`, () => new ApiManagementClient(credential, subscriptionId).deletedServices.getByName(outcome.apim!.name, outcome.apim!.location));
      }
      if (outcome.openAi) {
        await notFound(`soft-deleted Azure OpenAI ${outcome.openAi.name}`, () =>
          new CognitiveServicesManagementClient(credential, subscriptionId).deletedAccounts.get(outcome.openAi!.location, outcome.openAi!.resourceGroupName, outcome.openAi!.name),
        );
      }
    });
  }
});
