/**
 * Soft-deleted APIM services and Cognitive Services (Azure OpenAI) accounts keep their names until purged:
 * re-creating them fails with `ServiceAlreadyExistsInSoftDeletedState` / `FlagMustBeSetForRestore`. The
 * names come from the stack's state, read before destroy; the purge runs after it.
 *  - APIM: https://learn.microsoft.com/azure/api-management/soft-delete
 *  - Cognitive Services: https://learn.microsoft.com/azure/ai-services/recover-purge-resources
 */
import { normalizeLocation, resourceGroupOf } from "../preflight/azure";
import type { Purgeable, Purger, PurgeResult, StateResource } from "../stack/types";

export const APIM_TYPE = "azure-native:apimanagement:ApiManagementService";
export const COGNITIVE_TYPE = "azure-native:cognitiveservices:Account";

function str(v: unknown): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}

/** What a stack's resources leave soft-deleted when destroyed. */
export function purgeTargets(resources: StateResource[]): Purgeable[] {
  const out: Purgeable[] = [];
  for (const r of resources) {
    if (r.type === APIM_TYPE) {
      const name = str(r.outputs.name) ?? str(r.inputs.serviceName);
      const location = str(r.inputs.location) ?? str(r.outputs.location);
      if (name && location) out.push({ kind: "apim", name, location: normalizeLocation(location) });
    } else if (r.type === COGNITIVE_TYPE) {
      const name = str(r.outputs.name) ?? str(r.inputs.accountName);
      const location = str(r.inputs.location) ?? str(r.outputs.location);
      const resourceGroupName = resourceGroupOf(r.id) ?? str(r.inputs.resourceGroupName);
      if (name && location && resourceGroupName) out.push({ kind: "cognitive", name, location: normalizeLocation(location), resourceGroupName });
    }
  }
  return out;
}

export function describePurgeable(t: Purgeable): string {
  return t.kind === "apim" ? `APIM service ${t.name} (${t.location})` : `Azure OpenAI account ${t.name} (${t.resourceGroupName}, ${t.location})`;
}

function isNotFound(e: unknown): boolean {
  const err = e as { statusCode?: number; code?: string };
  return err?.statusCode === 404 || err?.code === "ResourceNotFound" || err?.code === "NotFound";
}

/** Purges through the Azure SDKs with DefaultAzureCredential. */
export async function azurePurger(subscriptionId: string): Promise<Purger> {
  const { azureCredential } = require("../preflight/azure") as typeof import("../preflight/azure");
  const { ApiManagementClient } = require("@azure/arm-apimanagement") as typeof import("@azure/arm-apimanagement");
  const { CognitiveServicesManagementClient } = require("@azure/arm-cognitiveservices") as typeof import("@azure/arm-cognitiveservices");
  const credential = azureCredential();
  const apim = new ApiManagementClient(credential, subscriptionId);
  const cognitive = new CognitiveServicesManagementClient(credential, subscriptionId);
  return {
    async purge(target: Purgeable, signal?: AbortSignal): Promise<PurgeResult> {
      try {
        if (target.kind === "apim") await apim.deletedServices.beginPurgeAndWait(target.name, target.location, { abortSignal: signal });
        else await cognitive.deletedAccounts.beginPurgeAndWait(target.location, target.resourceGroupName, target.name, { abortSignal: signal });
        return { target, status: "purged" };
      } catch (e) {
        if (isNotFound(e)) return { target, status: "not-found" };
        return { target, status: "failed", error: (e as Error).message?.split("\n")[0] ?? String(e) };
      }
    },
  };
}

/** Purges every target (in parallel: each is an independent long-running operation). */
export async function purgeAll(purger: Purger, targets: Purgeable[], signal?: AbortSignal): Promise<PurgeResult[]> {
  return Promise.all(
    targets.map((t) =>
      purger.purge(t, signal).catch((e: unknown): PurgeResult => ({ target: t, status: "failed", error: (e as Error).message ?? String(e) })),
    ),
  );
}
