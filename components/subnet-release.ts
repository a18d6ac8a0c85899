/**
 * Destroy-time step between a VNet-injected APIM and its subnet (Network creates it as a local command whose
 * `delete` runs scripts/release-apim-subnet.ts). Deleting APIM only soft-deletes it, and the subnet stays in
 * use for up to about an hour: deleting it then fails with InUseSubnetCannotBeDeleted ("Subnet ... is in use by
 * .../Microsoft.ApiManagement/service?vnetResourceGuid=..."; Azure/azure-sdk-for-go#2199). Pulumi deletes this
 * step after APIM and before the subnet, so here the soft-deleted service is purged and the subnet watched
 * until nothing holds it, with a progress line per check.
 *  - soft delete and purge: https://learn.microsoft.com/azure/api-management/soft-delete
 *  - what holds a subnet (ipConfigurations, resource navigation and service association links):
 *    https://learn.microsoft.com/rest/api/virtualnetwork/subnets/get
 */
import type { PurgeResult } from "../automation/driver/stack/types";

interface LinkList {
  id?: string;
}

/** The subnet as ARM returns it (Subnets - Get), reduced to what can hold it. */
export interface SubnetBody {
  properties?: { ipConfigurations?: LinkList[]; resourceNavigationLinks?: LinkList[]; serviceAssociationLinks?: LinkList[] };
}

/** IDs of what still uses the subnet; empty when it can be deleted. */
export function subnetHolders(subnet: SubnetBody): string[] {
  const p = subnet.properties ?? {};
  return [...(p.ipConfigurations ?? []), ...(p.resourceNavigationLinks ?? []), ...(p.serviceAssociationLinks ?? [])].map((l) => l.id ?? "(unnamed link)");
}

export interface ReleaseDeps {
  /** APIM's name, its subnet's name: for the progress lines. */
  apimName: string;
  subnetName: string;
  /** Whether the (live, not soft-deleted) APIM service exists. */
  apimExists(): Promise<boolean>;
  /** Purges the soft-deleted service (automation/driver/cleanup/purge.ts). */
  purge(): Promise<PurgeResult>;
  /** What holds the subnet; undefined when the subnet is gone. */
  holders(): Promise<string[] | undefined>;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

export type ReleaseOutcome = "released" | "skipped";

/**
 * Purges the soft-deleted APIM, then waits until the subnet is free. Skips when APIM still exists: then this
 * step is being replaced in an update, not destroyed with the service, and the subnet is meant to stay in use.
 */
export async function releaseApimSubnet(deps: ReleaseDeps, timeoutMs = 60 * 60_000, intervalMs = 30_000): Promise<ReleaseOutcome> {
  if (await deps.apimExists()) {
    deps.log(`APIM service ${deps.apimName} still exists: nothing to release in subnet ${deps.subnetName}`);
    return "skipped";
  }
  const purged = await deps.purge();
  if (purged.status === "failed") {
    throw new Error(`could not purge the soft-deleted APIM service ${deps.apimName}: ${purged.error}; the subnet stays in use until it is purged (az apim deletedservice purge)`);
  }
  deps.log(purged.status === "purged" ? `purged the soft-deleted APIM service ${deps.apimName}` : `APIM service ${deps.apimName} is not soft-deleted (already purged)`);
  const started = deps.now();
  for (let check = 1; ; check++) {
    const holders = await deps.holders();
    const seconds = Math.round((deps.now() - started) / 1000);
    if (holders === undefined || holders.length === 0) {
      deps.log(`subnet ${deps.subnetName} released after ${seconds} s`);
      return "released";
    }
    if (deps.now() - started + intervalMs > timeoutMs) {
      throw new Error(
        `subnet ${deps.subnetName} still in use after ${Math.round(timeoutMs / 60_000)} min (${holders.join(", ")}): run destroy again later; Azure releases it once APIM's deployment is gone`,
      );
    }
    deps.log(`waiting for APIM to release subnet ${deps.subnetName} (check ${check}, ${seconds} s; held by ${holders.length} link${holders.length === 1 ? "" : "s"})`);
    await deps.sleep(intervalMs);
  }
}
