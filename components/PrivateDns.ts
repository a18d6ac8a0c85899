import * as pulumi from "@pulumi/pulumi";
import * as privatedns from "@pulumi/azure-native/privatedns";
import { TYPE_PREFIX } from "./common";

export interface PrivateDnsRecord {
  /** Relative name in the zone; `@` for the apex. */
  name: string;
  ipv4Addresses: pulumi.Input<pulumi.Input<string>[]>;
}

export interface PrivateDnsZoneSpec {
  /** Stable logical name, used in child resource names and as the key of the outputs. */
  key: string;
  zoneName: pulumi.Input<string>;
  records: PrivateDnsRecord[];
}

export interface PrivateDnsArgs {
  resourceGroupName: pulumi.Input<string>;
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The VNet every zone is linked to. */
  virtualNetworkId: pulumi.Input<string>;
  zones: PrivateDnsZoneSpec[];
  ttlSeconds?: number;
}

/**
 * APIM's default endpoints and the label each adds after the service name: `<svc>.<domain>` for the
 * gateway, `<svc>.<label>.<domain>` for the others.
 * https://learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet#dns-configuration
 */
export const APIM_ENDPOINTS = { gateway: undefined, portal: "portal", developer: "developer", management: "management", scm: "scm" } as const;
export type ApimEndpoint = keyof typeof APIM_ENDPOINTS;

/** The five host names of an APIM service, from its gateway host `<svc>.<domain>`. */
export function apimHostNames(gatewayHost: string): Record<ApimEndpoint, string> {
  const labels = gatewayHost.trim().toLowerCase().replace(/\.$/, "").split(".");
  if (labels.length < 2 || labels.some((l) => l === "")) {
    throw new Error(`gateway host ${JSON.stringify(gatewayHost)} is not of the form <service>.<domain>`);
  }
  const [service, ...domain] = labels;
  return Object.fromEntries(
    Object.entries(APIM_ENDPOINTS).map(([endpoint, label]) => [endpoint, [service, ...(label ? [label] : []), ...domain].join(".")]),
  ) as Record<ApimEndpoint, string>;
}

/**
 * Private zones that make an Internal-mode APIM reachable inside the VNet: one zone per host name, named
 * after the host, with an apex A record to the private VIP. A single zone for the whole service domain
 * (`azure-api.net`) would also shadow every other APIM service's names, and such a zone has been reported
 * refused; zones per host leave the rest of the domain to public DNS.
 * https://learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet#dns-configuration
 */
export function apimPrivateDnsZones(gatewayHost: pulumi.Input<string>, privateIp: pulumi.Input<string>): PrivateDnsZoneSpec[] {
  const hosts = pulumi.output(gatewayHost).apply(apimHostNames);
  return (Object.keys(APIM_ENDPOINTS) as ApimEndpoint[]).map((endpoint) => ({
    key: `apim-${endpoint}`,
    zoneName: hosts.apply((h) => h[endpoint]),
    records: [{ name: "@", ipv4Addresses: [privateIp] }],
  }));
}

export { OPENAI_PRIVATE_LINK_ZONE } from "./model-path";

/**
 * Short by default: APIM's private VIP is assigned dynamically and changes when the service moves subnet.
 * https://learn.microsoft.com/azure/api-management/virtual-network-injection-resources#subnet-size
 */
const DEFAULT_TTL_SECONDS = 300;

export class PrivateDns extends pulumi.ComponentResource {
  /** Zone key -> zone name. */
  readonly zoneNames: Record<string, pulumi.Output<string>>;
  /** Zone key -> zone resource ID (what a private endpoint's DNS zone group names). */
  readonly zoneIds: Record<string, pulumi.Output<string>>;
  /** Zone key -> fully qualified name of its first record, without the trailing dot. */
  readonly fqdns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: PrivateDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:dns:PrivateDns`, name, {}, opts);
    const keys = args.zones.map((z) => z.key);
    const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
    if (duplicate) throw new pulumi.ResourceError(`PrivateDns ${name}: zone key ${duplicate} is used twice`, this);

    const vnetName = pulumi.output(args.virtualNetworkId).apply((id) => id.split("/").pop() ?? "vnet");
    this.zoneNames = {};
    this.zoneIds = {};
    this.fqdns = {};

    for (const spec of args.zones) {
      // Private zones are global resources, whatever the region of the VNet.
      // https://learn.microsoft.com/azure/dns/private-dns-privatednszone
      const zone = new privatedns.PrivateZone(
        `${name}-${spec.key}-zone`,
        { resourceGroupName: args.resourceGroupName, privateZoneName: spec.zoneName, location: "global", tags: args.tags },
        { parent: this },
      );
      // Resolution only: nothing in the VNet registers its own records here.
      // https://learn.microsoft.com/azure/dns/private-dns-virtual-network-links
      new privatedns.VirtualNetworkLink(
        `${name}-${spec.key}-link`,
        {
          resourceGroupName: args.resourceGroupName,
          privateZoneName: zone.name,
          virtualNetworkLinkName: pulumi.interpolate`${vnetName}-link`,
          location: "global",
          virtualNetwork: { id: args.virtualNetworkId },
          registrationEnabled: false,
          tags: args.tags,
        },
        { parent: this },
      );
      const records = spec.records.map(
        (record) =>
          new privatedns.PrivateRecordSet(
            `${name}-${spec.key}-${record.name === "@" ? "apex" : record.name}-a`,
            {
              resourceGroupName: args.resourceGroupName,
              privateZoneName: zone.name,
              relativeRecordSetName: record.name,
              recordType: "A",
              ttl: args.ttlSeconds ?? DEFAULT_TTL_SECONDS,
              aRecords: pulumi.output(record.ipv4Addresses).apply((ips) => ips.map((ipv4Address) => ({ ipv4Address }))),
            },
            { parent: this },
          ),
      );
      this.zoneNames[spec.key] = zone.name;
      this.zoneIds[spec.key] = zone.id;
      if (records.length > 0) this.fqdns[spec.key] = records[0].fqdn.apply((f) => f.replace(/\.$/, ""));
    }

    this.registerOutputs({ zoneNames: this.zoneNames, zoneIds: this.zoneIds, fqdns: this.fqdns });
  }
}
