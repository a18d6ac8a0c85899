/**
 * Destroy-time step of Network in the VNet scenarios (the `delete` of a Pulumi local command that sits between
 * APIM and its subnet): purges the soft-deleted APIM and waits until its subnet is free. See
 * components/subnet-release.ts. Signs in like the CLI's purge: DefaultAzureCredential (ARM/AZURE variables,
 * managed identity, then `az login`).
 */
import { azureCredential } from "../automation/driver/preflight/azure";
import { azurePurger } from "../automation/driver/cleanup/purge";
import { releaseApimSubnet, type SubnetBody, subnetHolders } from "../components/subnet-release";
import { realClock, requiredEnv as required, runStep } from "./deploy-step";

/** Subnets - Get. https://learn.microsoft.com/rest/api/virtualnetwork/subnets/get */
const NETWORK_API_VERSION = "2024-05-01";

async function main(): Promise<void> {
  const subscriptionId = required("SUBSCRIPTION_ID");
  const resourceGroup = required("RESOURCE_GROUP");
  const vnet = required("VIRTUAL_NETWORK");
  const subnet = required("SUBNET");
  const apimName = required("APIM_NAME");
  const location = required("APIM_LOCATION");
  const credential = azureCredential();
  const { ApiManagementClient } = await import("@azure/arm-apimanagement");
  const apim = new ApiManagementClient(credential, subscriptionId);
  const purger = await azurePurger(subscriptionId);
  const subnetUrl = `https://management.azure.com/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}?api-version=${NETWORK_API_VERSION}`;
  await releaseApimSubnet({
    apimName,
    subnetName: subnet,
    apimExists: async () => {
      try {
        await apim.apiManagementService.get(resourceGroup, apimName);
        return true;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return false;
        throw e;
      }
    },
    purge: () => purger.purge({ kind: "apim", name: apimName, location }),
    holders: async () => {
      const token = await credential.getToken("https://management.azure.com/.default");
      const res = await fetch(subnetUrl, { headers: { authorization: `Bearer ${token?.token}` } });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`GET subnet ${subnet}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      return subnetHolders((await res.json()) as SubnetBody);
    },
    ...realClock,
  });
}

runStep(main);
