/**
 * Simulated provider outputs for the offline mock engine. Host names Azure derives from a resource's name are
 * formed exactly as Azure forms them (`<service>.azure-api.net`, `<label>.<region>.cloudapp.azure.com`, ...);
 * only what Azure assigns is simulated: addresses (RFC 5737 documentation ranges), IDs, keys, and the random
 * parts of generated names (AKS's API server host, the OIDC issuer path), all derived from a digest.
 */
import { createHash } from "node:crypto";
import { publicIpFqdn } from "../config/naming";

export const SIMULATED_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";
export const SIMULATED_TENANT_ID = "11111111-1111-1111-1111-111111111111";
/** RFC 5737 documentation ranges: private stand-ins, public inbound, public outbound. */
export const SIMULATED_RANGES = { private: "192.0.2", public: "203.0.113", outbound: "198.51.100" } as const;

function digest(seed: string): Buffer {
  return createHash("sha256").update(seed).digest();
}

export function simulatedGuid(seed: string): string {
  const h = digest(seed).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable address in one of the documentation ranges, host part 10-250. */
export function simulatedAddress(range: keyof typeof SIMULATED_RANGES, seed: string): string {
  return `${SIMULATED_RANGES[range]}.${10 + (digest(seed).readUInt16BE(0) % 241)}`;
}

/** AKS's API server host: the DNS prefix, a random 8-hex-digit part (simulated from `seed`), the region. */
export function aksFqdn(dnsPrefix: string, location: string, seed: string): string {
  return `${dnsPrefix}-${digest(seed).toString("hex").slice(0, 8)}.hcp.${location}.azmk8s.io`;
}

export function isSimulatedAddress(ip: string): boolean {
  return Object.values(SIMULATED_RANGES).some((prefix) => ip.startsWith(`${prefix}.`));
}

type Inputs = Record<string, any>;

function providerPath(inputs: Inputs, provider: string, ...segments: [string, string | undefined][]): string {
  const rg = inputs.resourceGroupName ?? "rg";
  const path = segments.map(([kind, name]) => `${kind}/${name}`).join("/");
  return `/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/${provider}/${path}`;
}

function apimChild(kind: string, key: string) {
  return (i: Inputs, n: string) => providerPath(i, "Microsoft.ApiManagement", ["service", i.serviceName], [kind, i[key] ?? n]);
}

/** ARM IDs by type token, so that references between resources look like Azure's. */
const ARM_IDS: Record<string, (inputs: Inputs, name: string) => string> = {
  "azure-native:resources:ResourceGroup": (i, n) => `/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/resourceGroups/${i.resourceGroupName ?? n}`,
  "azure-native:network:VirtualNetwork": (i, n) => providerPath(i, "Microsoft.Network", ["virtualNetworks", i.virtualNetworkName ?? n]),
  "azure-native:network:Subnet": (i, n) =>
    providerPath(i, "Microsoft.Network", ["virtualNetworks", i.virtualNetworkName], ["subnets", i.subnetName ?? n]),
  "azure-native:network:NetworkSecurityGroup": (i, n) =>
    providerPath(i, "Microsoft.Network", ["networkSecurityGroups", i.networkSecurityGroupName ?? n]),
  "azure-native:network:PublicIPAddress": (i, n) => providerPath(i, "Microsoft.Network", ["publicIPAddresses", i.publicIpAddressName ?? n]),
  "azure-native:network:ApplicationGateway": (i, n) => providerPath(i, "Microsoft.Network", ["applicationGateways", i.applicationGatewayName ?? n]),
  "azure-native:network:WebApplicationFirewallPolicy": (i, n) =>
    providerPath(i, "Microsoft.Network", ["ApplicationGatewayWebApplicationFirewallPolicies", i.policyName ?? n]),
  "azure-native:operationalinsights:Workspace": (i, n) =>
    providerPath(i, "Microsoft.OperationalInsights", ["workspaces", i.workspaceName ?? n]),
  "azure-native:applicationinsights:Component": (i, n) => providerPath(i, "Microsoft.Insights", ["components", i.resourceName ?? n]),
  "azure-native:cognitiveservices:Account": (i, n) => providerPath(i, "Microsoft.CognitiveServices", ["accounts", i.accountName ?? n]),
  "azure-native:cognitiveservices:Deployment": (i, n) =>
    providerPath(i, "Microsoft.CognitiveServices", ["accounts", i.accountName], ["deployments", i.deploymentName ?? n]),
  "azure-native:apimanagement:ApiManagementService": (i, n) => providerPath(i, "Microsoft.ApiManagement", ["service", i.serviceName ?? n]),
  "azure-native:apimanagement:Api": apimChild("apis", "apiId"),
  "azure-native:apimanagement:Product": apimChild("products", "productId"),
  "azure-native:apimanagement:Subscription": apimChild("subscriptions", "sid"),
  "azure-native:apimanagement:Logger": apimChild("loggers", "loggerId"),
  "azure-native:apimanagement:Backend": apimChild("backends", "backendId"),
  "azure-native:apimanagement:NamedValue": apimChild("namedValues", "namedValueId"),
  "azure-native:containerservice:ManagedCluster": (i, n) =>
    providerPath(i, "Microsoft.ContainerService", ["managedClusters", i.resourceName ?? n]),
  "azure-native:managedidentity:UserAssignedIdentity": (i, n) =>
    providerPath(i, "Microsoft.ManagedIdentity", ["userAssignedIdentities", i.resourceName ?? n]),
  "azure-native:containerregistry:Registry": (i, n) => providerPath(i, "Microsoft.ContainerRegistry", ["registries", i.registryName ?? n]),
  "azure-native:privatedns:PrivateZone": (i, n) => providerPath(i, "Microsoft.Network", ["privateDnsZones", i.privateZoneName ?? n]),
  "azure-native:authorization:RoleAssignment": (i, n) =>
    `${i.scope}/providers/Microsoft.Authorization/roleAssignments/${i.roleAssignmentName ?? simulatedGuid(n)}`,
};

export function simulatedId(type: string, name: string, inputs: Inputs): string {
  const make = ARM_IDS[type];
  if (make) return make(inputs, name);
  if (type.startsWith("azure-native:")) {
    const [, module, kind] = type.split(":");
    return providerPath(inputs, `Simulated.${module}`, [kind, name]);
  }
  return `${name}-id`;
}

const kubeconfig = (server: string) =>
  Buffer.from(
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: simulated, cluster: {server: "${server}", certificate-authority-data: c2ltdWxhdGVk}}]`,
      "contexts: [{name: simulated, context: {cluster: simulated, user: simulated}}]",
      "current-context: simulated",
      "users: [{name: simulated, user: {token: simulated-token}}]",
    ].join("\n"),
  ).toString("base64");

/** API server host names of the clusters simulated so far, for the credentials a program lists afterwards. */
const clusterFqdns = new Map<string, string>();
const clusterKey = (i: Inputs) => `${i.resourceGroupName}/${i.resourceName}`;
function rememberCluster(i: Inputs, fqdn: string): string {
  clusterFqdns.set(clusterKey(i), fqdn);
  return fqdn;
}

const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A real bcrypt hash of a simulated password, as random.RandomPassword's `bcryptHash` holds one: salt from a
 * digest (stable plans), bcrypt's minimum cost 4 for speed where the provider uses Go's default cost 10.
 */
function simulatedBcrypt(password: string, seed: string): string {
  const { hashSync } = require("bcryptjs") as typeof import("bcryptjs");
  const salt = [...digest(`${seed}/salt`).subarray(0, 22)].map((b) => BCRYPT_ALPHABET[b % 64]).join("");
  return hashSync(password, `$2a$04$${salt}`);
}

/** A PEM block whose body is a digest: the right shape for code that parses PEM, not a usable key or certificate. */
export function simulatedPem(label: string, seed: string): string {
  return `-----BEGIN ${label}-----\n${digest(seed).toString("base64")}\n-----END ${label}-----\n`;
}

/** Outputs Azure (or another provider) computes, by type token. Inputs are echoed back by the engine. */
const OUTPUTS: Record<string, (inputs: Inputs, name: string) => Inputs> = {
  "azure-native:apimanagement:ApiManagementService": (i, n) => {
    // Default host names: https://learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet#dns-configuration
    // (gateway `<service>.azure-api.net`, then portal, developer, management and scm under it).
    const service = i.serviceName ?? n;
    const host = `${service}.azure-api.net`;
    const sku = i.sku?.name;
    const internal = i.virtualNetworkType === "Internal";
    const dedicated = sku !== "Consumption" && sku !== "BasicV2" && sku !== "StandardV2";
    return {
      gatewayUrl: `https://${host}`,
      developerPortalUrl: sku === "Consumption" ? undefined : `https://${service}.developer.azure-api.net`,
      managementApiUrl: `https://${service}.management.azure-api.net`,
      portalUrl: sku === "Consumption" ? undefined : `https://${service}.portal.azure-api.net`,
      scmUrl: sku === "Consumption" ? undefined : `https://${service}.scm.azure-api.net`,
      // Dedicated tiers have stable addresses on the resource; Consumption and v2 have none.
      // https://learn.microsoft.com/azure/api-management/api-management-howto-ip-addresses
      publicIPAddresses: dedicated ? [simulatedAddress("public", `${n}/public`)] : [],
      privateIPAddresses: internal ? [simulatedAddress("private", `${n}/private`)] : [],
      outboundPublicIPAddresses: dedicated ? [simulatedAddress("outbound", `${n}/outbound`)] : [],
      identity: { ...i.identity, principalId: simulatedGuid(`${n}/principal`), tenantId: SIMULATED_TENANT_ID },
      provisioningState: "Succeeded",
    };
  },
  "azure-native:cognitiveservices:Account": (i, n) => ({
    // https://learn.microsoft.com/azure/ai-services/cognitive-services-custom-subdomains: `https://<subdomain>.openai.azure.com/`
    properties: { ...i.properties, endpoint: `https://${i.properties?.customSubDomainName ?? n}.openai.azure.com/` },
    identity: { ...i.identity, principalId: simulatedGuid(`${n}/principal`), tenantId: SIMULATED_TENANT_ID },
  }),
  "azure-native:containerservice:ManagedCluster": (i, n) => ({
    // `<dnsPrefix>-<8 random hex>.hcp.<region>.azmk8s.io` (azure-rest-api-specs, Microsoft.ContainerService
    // managedClusters examples: "dnsprefix1-abcd1234.hcp.eastus.azmk8s.io"); the hex part is simulated.
    fqdn: rememberCluster(i, aksFqdn(i.dnsPrefix ?? n, i.location, n)),
    // https://learn.microsoft.com/azure/aks/use-oidc-issuer: `https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/`
    oidcIssuerProfile: { ...i.oidcIssuerProfile, issuerURL: `https://${i.location}.oic.prod-aks.azure.com/${SIMULATED_TENANT_ID}/${simulatedGuid(n)}/` },
    identity: { ...i.identity, principalId: simulatedGuid(`${n}/principal`), tenantId: SIMULATED_TENANT_ID },
    identityProfile: { kubeletidentity: { objectId: simulatedGuid(`${n}/kubelet`), clientId: simulatedGuid(`${n}/kubelet-client`) } },
    nodeResourceGroup: i.nodeResourceGroup ?? `MC_${i.resourceGroupName}_${i.resourceName ?? n}_${i.location}`,
  }),
  "azure-native:managedidentity:UserAssignedIdentity": (_i, n) => ({
    principalId: simulatedGuid(`${n}/principal`),
    clientId: simulatedGuid(`${n}/client`),
    tenantId: SIMULATED_TENANT_ID,
  }),
  "azure-native:operationalinsights:Workspace": (_i, n) => ({ customerId: simulatedGuid(`${n}/customer`) }),
  "azure-native:applicationinsights:Component": (i, n) => {
    const key = simulatedGuid(`${n}/ikey`);
    return {
      instrumentationKey: key,
      // https://learn.microsoft.com/azure/azure-monitor/app/connection-strings: the regional ingestion host is
      // `<region>-<n>.in.applicationinsights.azure.com`; the number Azure assigns is simulated as 0.
      connectionString: `InstrumentationKey=${key};IngestionEndpoint=https://${i.location}-0.in.applicationinsights.azure.com/`,
    };
  },
  "azure-native:network:PublicIPAddress": (i, n) => ({
    ipAddress: simulatedAddress("public", `${n}/pip`),
    dnsSettings: i.dnsSettings ? { ...i.dnsSettings, fqdn: publicIpFqdn(i.dnsSettings.domainNameLabel, i.location) } : undefined,
  }),
  "azure-native:privatedns:PrivateRecordSet": (i, n) => {
    const rel = i.relativeRecordSetName ?? n;
    // Azure returns the record set's FQDN with a trailing dot; the apex `@` is the zone name itself.
    return { name: rel, fqdn: `${rel === "@" ? "" : `${rel}.`}${i.privateZoneName}.` };
  },
  // https://learn.microsoft.com/azure/container-registry/container-registry-get-started-portal: `<registry>.azurecr.io`, lower case.
  "azure-native:containerregistry:Registry": (i, n) => ({ loginServer: `${String(i.registryName ?? n).toLowerCase()}.azurecr.io` }),
  "command:local:Command": (i) => ({ stdout: `simulated: ${i.create}`, stderr: "" }),
  "tls:index/privateKey:PrivateKey": (_i, n) => ({
    privateKeyPem: simulatedPem("PRIVATE KEY", n),
    privateKeyPemPkcs8: simulatedPem("PRIVATE KEY", `${n}/pkcs8`),
    publicKeyPem: simulatedPem("PUBLIC KEY", n),
  }),
  "tls:index/selfSignedCert:SelfSignedCert": (_i, n) => ({ certPem: simulatedPem("CERTIFICATE", n) }),
  "tls:index/certRequest:CertRequest": (_i, n) => ({ certRequestPem: simulatedPem("CERTIFICATE REQUEST", n) }),
  "tls:index/locallySignedCert:LocallySignedCert": (_i, n) => ({ certPem: simulatedPem("CERTIFICATE", n) }),
  "random:index/randomString:RandomString": (i, n) => ({ result: digest(n).toString("hex").replace(/\d/g, (d) => "abcdefghij"[+d]).slice(0, i.length ?? 8) }),
  "random:index/randomPassword:RandomPassword": (i, n) => {
    const result = `simulated-${digest(n).toString("hex")}`.slice(0, i.length ?? 32);
    return { result, bcryptHash: simulatedBcrypt(result, n) };
  },
  "random:index/randomUuid:RandomUuid": (_i, n) => ({ result: simulatedGuid(n) }),
};

/**
 * The name Azure gives a resource: azure-native takes it from an input named after the type
 * (`resourceGroupName` for ResourceGroup, `serviceName` for an APIM service...) or `resourceName`, and
 * the resource's `name` output echoes it. Without one, azure-native auto-names from the logical name.
 */
const NAME_INPUT_EXCEPTIONS: Record<string, string> = {
  "azure-native:apimanagement:ApiManagementService": "serviceName",
  "azure-native:apimanagement:Api": "apiId",
  "azure-native:apimanagement:Product": "productId",
  "azure-native:apimanagement:Subscription": "sid",
  "azure-native:apimanagement:Logger": "loggerId",
  "azure-native:apimanagement:Diagnostic": "diagnosticId",
  "azure-native:apimanagement:ApiOperation": "operationId",
  "azure-native:cognitiveservices:Account": "accountName",
  "azure-native:privatedns:PrivateRecordSet": "relativeRecordSetName",
};

export function azureNameInput(type: string, inputs: Inputs): string | undefined {
  if (!type.startsWith("azure-native:")) return undefined;
  const typeName = type.slice(type.lastIndexOf(":") + 1);
  const candidates = [NAME_INPUT_EXCEPTIONS[type], `${typeName[0]!.toLowerCase()}${typeName.slice(1)}Name`, "resourceName"];
  for (const key of candidates) if (key && typeof inputs[key] === "string") return inputs[key];
  return undefined;
}

/** State the mock engine returns for a new resource: its inputs, a name, and the simulated outputs. */
export function simulateResource(type: string, name: string, inputs: Inputs): { id: string; state: Inputs } {
  const extra = OUTPUTS[type]?.(inputs, name) ?? {};
  const state: Inputs = { name: inputs.name ?? azureNameInput(type, inputs) ?? name, ...inputs, ...extra };
  return { id: simulatedId(type, name, inputs), state };
}

/** Results of provider functions (invokes) the program calls. */
export function simulateCall(token: string, inputs: Inputs): Inputs {
  switch (token) {
    case "azure-native:authorization:getClientConfig":
      return { clientId: simulatedGuid("client"), objectId: simulatedGuid("deployer"), subscriptionId: SIMULATED_SUBSCRIPTION_ID, tenantId: SIMULATED_TENANT_ID };
    case "azure-native:containerservice:listManagedClusterUserCredentials":
    case "azure-native:containerservice:listManagedClusterAdminCredentials":
      return { kubeconfigs: [{ name: "clusterUser", value: kubeconfig(`https://${clusterFqdns.get(clusterKey(inputs)) ?? aksFqdn(String(inputs.resourceName), "unknown-region", String(inputs.resourceName))}:443`) }] };
    default:
      return {};
  }
}
