/**
 * Azure credentials for the driver's own calls (purge, sweep, cluster access for in-VNet probes).
 * DefaultAzureCredential takes, in order, environment variables (service principal or federated token),
 * workload identity, managed identity, then the Azure CLI's login: the same sign-in `az login` gives the
 * Pulumi azure-native provider.
 */
import type { TokenCredential } from "@azure/identity";

let cached: TokenCredential | undefined;

export function azureCredential(): TokenCredential {
  if (!cached) {
    // Loaded here, not at the top: @azure/identity takes a moment and most commands fail fast without it.
    const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
    cached = new DefaultAzureCredential();
  }
  return cached;
}

/** Environment the Pulumi CLI and its azure-native provider need, derived from what preflight found. */
export function providerEnv(env: Record<string, string | undefined>, subscriptionId: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  // azure-native reads ARM_*; DefaultAzureCredential reads AZURE_*. Bridge one to the other when only one is set.
  if (subscriptionId && !env.ARM_SUBSCRIPTION_ID) out.ARM_SUBSCRIPTION_ID = subscriptionId;
  const pairs: [string, string][] = [
    ["AZURE_TENANT_ID", "ARM_TENANT_ID"],
    ["AZURE_CLIENT_ID", "ARM_CLIENT_ID"],
    ["AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET"],
  ];
  for (const [azure, arm] of pairs) {
    const value = env[azure];
    if (value && !env[arm]) out[arm] = value;
  }
  return out;
}

/** Resource group name from an ARM resource id. */
export function resourceGroupOf(id: string | undefined): string | undefined {
  const m = /\/resourceGroups\/([^/]+)/i.exec(id ?? "");
  return m?.[1];
}

/** Azure's display names ("Sweden Central") and programmatic names ("swedencentral") to the latter. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}
