import { z } from "zod";
import { isCidr } from "./cidr";
import { type CatalogScenarioName, SCENARIO_CATALOG } from "../scenarios/catalog";

/** The scenario names, from the one list of scenario files (scenarios/catalog.ts). */
export const SCENARIO_NAMES = SCENARIO_CATALOG.map((d) => d.name) as readonly CatalogScenarioName[] as readonly [CatalogScenarioName, ...CatalogScenarioName[]];
export type ScenarioName = CatalogScenarioName;

/** Classic, v2 and Consumption tiers of API Management. */
export const APIM_SKUS = ["Consumption", "Developer", "Basic", "Standard", "Premium", "BasicV2", "StandardV2"] as const;
export type ApimSku = (typeof APIM_SKUS)[number];

export type VnetMode = "None" | "External" | "Internal";

/** What stands between the internet and APIM's gateway: nothing, or Application Gateway with its WAF. */
export const EDGE_CHOICES = ["none", "appgw-waf"] as const;
export type EdgeChoice = (typeof EDGE_CHOICES)[number];

const cidr = z.string().refine(isCidr, { message: "must be an IPv4 CIDR block such as 10.42.0.0/16 (no host bits set)" });
const email = z.email({ message: "must be an email address such as platform@contoso.com" });
const httpsUrl = z.url({ protocol: /^https$/, message: "must be an https:// URL" });
const origin = z
  .string()
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, { message: "must be an origin (scheme://host[:port], no path) and never *" });
const chartVersion = z.string().regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, { message: "must be an exact chart version such as 41.3.0 (no ranges)" });
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** `true`/`false` as booleans or as the strings `pulumi config` and `--config` carry (z.coerce.boolean would read "false" as true). */
const bool = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

/**
 * Every setting of every scenario, flat, so that `--config key=value` and `pulumi config set key value`
 * address the same names. Stack files carry them as `apim-aks-ai-scenarios:<key>`.
 */
export const configSchema = z
  .object({
    scenario: z.enum(SCENARIO_NAMES),
    location: z.string().regex(/^[a-z][a-z0-9]+$/, { message: "must be an Azure region name such as swedencentral" }),
    namePrefix: z.string().regex(/^[a-z][a-z0-9]{2,9}$/, { message: "must be 3-10 lowercase letters or digits, starting with a letter" }),
    tags: z.record(z.string().min(1).max(512), z.string().max(256)),
    expiresAt: z.iso.datetime({ offset: true, message: "must be an ISO 8601 time such as 2026-01-31T18:00:00Z" }).optional(),

    apimSku: z.enum(APIM_SKUS),
    apimCapacity: int(0, 31),
    publisherName: z.string().min(1).max(100),
    publisherEmail: email,

    vnetAddressSpace: cidr,
    apimSubnetPrefix: cidr,
    aksSubnetPrefix: cidr,
    ingressSubnetPrefix: cidr,
    /** Subnet of the private endpoints to Azure OpenAI (VNet scenarios). */
    privateEndpointSubnetPrefix: cidr,
    aksPodCidr: cidr,
    aksServiceCidr: cidr,
    aksDnsServiceIp: z.ipv4({ message: "must be an IPv4 address inside aksServiceCidr" }),

    aksNodeSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { message: "must be a VM size such as Standard_D2s_v5" }),
    aksNodeCount: int(1, 20),
    aksKubernetesVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { message: "must be a version such as 1.33" }).optional(),
    /**
     * Addresses that may call the AKS API server (the deployer's, the CI runner's), as CIDR blocks; unset, the
     * API server answers the whole internet (Entra ID still required). At most 200 ranges.
     * https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges
     */
    aksApiAuthorizedRanges: z.array(cidr).min(1).max(200).optional(),
    /** What kind of principal runs `pulumi up`; unset, inferred from azure-native's sign-in (components/deployer.ts). */
    deployerPrincipalType: z.enum(["User", "ServicePrincipal"]).optional(),

    openAiLocation: z.string().regex(/^[a-z][a-z0-9]+$/, { message: "must be an Azure region name" }).optional(),
    /**
     * VNet scenarios: keep Azure OpenAI's public endpoint (behind its firewall) next to the private endpoint, for
     * debugging from outside the VNet. Off by default; the policy pack says so (advisory) when on.
     */
    openAiPublicNetworkAccess: bool,
    /** A second Azure OpenAI account with the same deployment in this region, behind APIM's backend pool; unset, none. */
    openAiSecondaryLocation: z.string().regex(/^[a-z][a-z0-9]+$/, { message: "must be an Azure region name" }).optional(),
    openAiModelName: z.string().min(1),
    openAiModelVersion: z.string().min(1),
    openAiDeploymentSku: z.enum(["GlobalStandard", "DataZoneStandard", "Standard"]),
    openAiModelCapacity: int(1, 1000),
    /** Name of the output-token limit the AI API sends; unset, the model's family decides (config/models.ts). */
    openAiTokenParameter: z.enum(["max_completion_tokens", "max_tokens"]).optional(),
    /** Data-plane api-version the AI API uses; unset, the model's family decides. */
    openAiApiVersion: z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, { message: "must be an api-version such as 2024-10-21 or 2025-04-01-preview" }).optional(),

    jwtIssuer: httpsUrl.optional(),
    jwtAudience: z.string().min(1).optional(),
    corsAllowedOrigins: z.array(origin).min(1),
    rateLimitCalls: int(1, 100000),
    rateLimitPeriodSeconds: int(1, 300),
    quotaCalls: int(1, 100000000),
    quotaPeriodSeconds: int(3600, 31536000),
    tokenLimitPerMinute: int(100, 10000000),

    /** The developer portal (classic tiers and v2); off unless asked for. The legacy portal is always off. */
    apimDeveloperPortal: bool,
    /** Share of requests APIM sends to Application Insights, in percent. */
    appInsightsSamplingPercentage: z.coerce.number().min(0).max(100),
    /** Whether APIM's Application Insights records carry the caller's IP address. */
    appInsightsLogClientIp: bool,
    /** Log Analytics ingestion cap per day in GB; -1 removes the cap. */
    logAnalyticsDailyQuotaGb: z.coerce.number().refine((n) => n === -1 || (n >= 0.1 && n <= 10000), { message: "must be -1 (no cap) or between 0.1 and 10000 GB" }),

    /** AKS audit log: `admin` (kube-audit-admin: no get/list events) or `all` (kube-audit as well). */
    aksAuditLog: z.enum(["admin", "all"]),
    /** Where the ingress certificate comes from: auto (a private CA where APIM can trust one), privateCa or letsencrypt (config/certificates.ts). */
    ingressCertificate: z.enum(["auto", "privateCa", "letsencrypt"]),
    /** An Azure DNS zone you own: the public ingress's host becomes `<label>.<zone>` (a CNAME the program writes there), so Let's Encrypt counts against your domain's limit. */
    ingressDomain: z
      .string()
      .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "must be a DNS zone name such as labs.contoso.com (lowercase, no trailing dot)" })
      .optional(),
    /** Resource group of the ingressDomain zone. */
    ingressDomainResourceGroup: z.string().regex(/^[-\w.()]{1,89}[-\w()]$/, { message: "must be a resource group name" }).optional(),
    acmeEmail: email.optional(),
    acmeServer: z.enum(["staging", "production"]),

    traefikChartRepo: httpsUrl,
    traefikChartVersion: chartVersion,
    certManagerChartRepo: httpsUrl,
    certManagerChartVersion: chartVersion,
    /**
     * Who may call APIM's gateway, as CIDR blocks: the product's inbound policy admits only these (ip-filter,
     * components/gateway-policies.ts) and refuses everyone else with 403. Unset, any caller with a key.
     */
    apimAllowedCallerRanges: z.array(cidr).min(1).max(1000).optional(),
    /**
     * `integrated` only: an inbound private endpoint for the gateway (sub-resource Gateway) in the private
     * endpoints' subnet, with the privatelink.azure-api.net zone that names it inside the VNet. Unset, false.
     */
    integratedPrivateGateway: bool.optional(),
    /**
     * Callers must present a client certificate from a CA the stack creates (components/ClientCertificates.ts):
     * the product's inbound policy runs validate-client-certificate and refuses others with 401. Unset or false,
     * none is asked for. `verify` presents the certificate the stack issues (stack outputs clientCertificatePem
     * and clientCertificateKeyPem, the key secret).
     */
    apimClientCertificates: bool.optional(),
    /**
     * A web application firewall between the internet and an APIM gateway that has only a private address:
     * `appgw-waf` is Application Gateway WAF_v2 with Microsoft's managed rules in Prevention mode
     * (components/AppGateway.ts); `none`, no edge (config/rules.ts says where it is allowed).
     */
    edge: z.enum(EDGE_CHOICES),
    /** Application Gateway's own subnet (edge appgw-waf): Microsoft recommends a /24 for WAF_v2. */
    edgeSubnetPrefix: cidr,
    /**
     * Address ranges an APIM tier without dedicated outbound addresses (Consumption, the v2 tiers) calls from,
     * where a public ingress admits APIM only; config/rules.ts says when they are required.
     */
    apimSharedSourceRanges: z.array(cidr).min(1).optional(),
    /** Container image of the AI API; unset, the program builds app/ in its own container registry. */
    appImage: z
      .string()
      .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\.[a-z0-9-]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/, {
        message: "must be a full image reference with registry and tag or digest, such as myregistry.azurecr.io/ai-api:1.0.0",
      })
      .optional(),
    appReplicas: int(1, 10),

    /**
     * Workshop mode (docs/workshop.md): `shared` builds the host's slow, shareable parts once per topology;
     * `attendee` builds one attendee's parts on a shared stack read through a StackReference. Unset, the whole scenario.
     */
    workshopRole: z.enum(["shared", "attendee"]).optional(),
    /** The attendee's name: namespace ai-<attendee>, APIM path <attendee>/ai, ingress host <attendee>.<backendDomain>. */
    attendee: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, { message: "must be 1-12 lowercase letters or digits, starting with a letter, such as a01" }).optional(),
    /** The shared stack's fully qualified name (automation/plan/workshop-contract.ts sharedStackReference). */
    sharedStack: z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/, {
        message: "must be the shared stack's fully qualified name <organization>/<project>/<stack>, such as organization/apim-aks-ai-scenarios/public-shared",
      })
      .optional(),
    /** Entra group of the attendee: Kubernetes roles on its namespace only (scenarios/workshop.ts). */
    attendeeGroupObjectId: z.guid({ message: "must be an Entra group object id (a GUID)" }).optional(),
  })
  .strict();

export type ScenarioConfig = z.infer<typeof configSchema>;
export type ConfigKey = keyof ScenarioConfig;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];
