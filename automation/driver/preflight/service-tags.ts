/**
 * The shared ranges a Consumption-tier APIM calls from, read from Azure's service tags with the Azure CLI
 * (a prerequisite of deploying anyway). Used where a deployment needs `apimSharedSourceRanges` and the
 * person running it did not set them: the live tests, and anyone who calls this before `up`.
 * https://learn.microsoft.com/azure/virtual-network/service-tags-overview#discover-service-tags-by-using-downloadable-json-files
 */
import { execFile } from "node:child_process";

interface ServiceTagList {
  values?: { name?: string; properties?: { addressPrefixes?: string[] } }[];
}

/** The IPv4 prefixes of one tag (`AzureCloud.<region>`) in `az network list-service-tags` output. */
export function ipv4PrefixesOf(list: ServiceTagList, tag: string): string[] {
  const entry = list.values?.find((v) => v.name === tag);
  if (!entry) throw new Error(`service tag ${tag} not found: is the region name right?`);
  const prefixes = (entry.properties?.addressPrefixes ?? []).filter((p) => !p.includes(":"));
  if (prefixes.length === 0) throw new Error(`service tag ${tag} has no IPv4 prefix`);
  return prefixes;
}

export function regionTag(location: string): string {
  return `AzureCloud.${location}`;
}

/** Runs `az network list-service-tags --location <location>` and returns the region's IPv4 ranges. */
export function regionSharedRanges(location: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile("az", ["network", "list-service-tags", "--location", location, "-o", "json"], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`az network list-service-tags failed: ${(stderr || error.message).trim().split("\n")[0]}`));
      try {
        resolve(ipv4PrefixesOf(JSON.parse(stdout) as ServiceTagList, regionTag(location)));
      } catch (e) {
        reject(e);
      }
    });
  });
}
