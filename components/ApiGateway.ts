import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import * as monitor from "@pulumi/azure-native/monitor";
import * as random from "@pulumi/random";
import type * as types from "@pulumi/azure-native/types";
import { CHAT_PATH } from "../app/src/image";
import { CAPACITY_RANGE } from "../config/rules";
import type { ApimSku } from "../config/schema";
import { apimTrustsPrivateCa } from "../config/certificates";
import { clientCertificateTrust, type ClientCertificateTrust, pemToBase64Der } from "./ClientCertificates";
import { addDiagnostics, type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";
import { composeGatewayPolicies, type GatewayPolicySettings } from "./gateway-policies";
import { MODEL_POOL_BACKEND_ID, ModelPool, modelBackendUrl } from "./ModelPool";
import { supportsBackendFeature } from "./policy-support";
import { VNET_INJECTION_TIERS, VNET_INTEGRATION_TIERS } from "../scenarios/traits";

export interface ApiGatewayArgs extends AzureScopeArgs {
  serviceName: pulumi.Input<string>;
  sku: ApimSku;
  capacity: number;
  publisherName: string;
  publisherEmail: string;
  /**
   * VNet injection (`publicIpAddressId`: a Standard static public IP with a DNS label, components/Network.ts
   * makes it) or outbound integration into a delegated subnet (Standard v2); omitted for a service outside any VNet.
   */
  vnet?:
    | { mode: "External" | "Internal"; subnetId: pulumi.Input<string>; publicIpAddressId: pulumi.Input<string> }
    | { mode: "Integration"; subnetId: pulumi.Input<string> };
  appInsights?: {
    id: pulumi.Input<string>;
    connectionString: pulumi.Input<string>;
    /** Share of requests logged, 0-100. */
    samplingPercentage: number;
    /** Whether records carry the caller's IP address. */
    logClientIp: boolean;
  };
  /** The developer portal; the legacy portal is always off. */
  developerPortal: boolean;
  diagnostics?: DiagnosticsArgs;
  policies: GatewayPolicySettings;
  /** Base URL of the AI API on AKS (the Kubernetes layer's ingress). */
  aiApiBackendUrl: pulumi.Input<string>;
  /** Azure OpenAI endpoint, `https://<subdomain>.openai.azure.com/`. */
  openAiEndpoint: pulumi.Input<string>;
  /**
   * More accounts with the same deployment (config `openAiSecondaryLocation`): the Azure OpenAI API then calls
   * a priority pool of backends with circuit breakers, primary first, where the tier has them (ModelPool).
   */
  openAiSecondaryEndpoints?: pulumi.Input<string>[];
  /** Password for `policies.backendBasicAuth`, kept in a secret named value. */
  backendPassword?: pulumi.Input<string>;
  /**
   * PEM certificates of private CAs APIM must trust to call the backend over TLS (classic tiers only).
   * https://learn.microsoft.com/azure/api-management/api-management-howto-ca-certificates
   */
  trustedRootCertificates?: pulumi.Input<string>[];
  /**
   * TLS checks on the call to the AI API where the tier cannot trust the private CA that issued its certificate
   * (v2 tiers: no CA store): a backend entity that checks the certificate's name but not its chain, the setting
   * Microsoft documents for backends with certificates APIM cannot chain ("skipCertificateChainValidation").
   * https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates
   * https://learn.microsoft.com/azure/api-management/api-management-howto-ca-certificates (classic tiers only)
   * v2's replacement for the CA store, "CA certificates referenced in backend entity" (v2-service-tiers-overview),
   * is the backend's `tls.serverCertificateThumbprints`/`serverX509Names`, first in REST API 2025-09-01-preview
   * (azure-rest-api-specs ApiManagamentCreateBackendWithCustomAssignedCertificate_Thumbprints.json); azure-native
   * 3.28.0 sends Backend at 2024-05-01, whose BackendTlsProperties has the two flags only.
   */
  aiApiBackendTls?: { validateCertificateChain: boolean; validateCertificateName: boolean };
  /**
   * Callers must present a client certificate from this CA (config apimClientCertificates, ClientCertificates):
   * classic tiers trust the CA and negotiate certificates on the gateway host; Consumption and v2 request
   * certificates and admit the issued ones by thumbprint (see ClientCertificateTrust).
   */
  clientCertificates?: { caCertificatePem: pulumi.Input<string>; caThumbprint: pulumi.Input<string>; clientThumbprints: pulumi.Input<string>[] };
  /**
   * `false`: the service alone, without the product, APIs and subscription (`GatewayApis`), which workshop
   * attendees' stacks publish on it (scenarios/workshop.ts). Default true.
   */
  publishApis?: boolean;
}

export { pemToBase64Der };

/** ID of the AI API's backend entity, where one carries its TLS settings (`aiApiBackendTls`). */
export const AI_API_BACKEND_ID = "ai-api-backend";

/** Path of each published API under the gateway URL. */
export const API_PATHS = { ai: "ai", openAi: "openai" } as const;

/**
 * Paths and ids of one publication on a service: the scenario's own, or a workshop attendee's, whose product,
 * APIs, paths and subscription carry its name so that attendees on one service never collide (docs/workshop.md).
 */
export function publicationIds(attendee?: string) {
  const id = (base: string) => (attendee ? `${attendee}-${base}` : base);
  return {
    paths: { ai: attendee ? `${attendee}/${API_PATHS.ai}` : API_PATHS.ai, openAi: attendee ? `${attendee}/${API_PATHS.openAi}` : API_PATHS.openAi },
    productId: id("ai"),
    aiApiId: id("ai-api"),
    openAiApiId: id("azure-openai"),
    subscriptionId: attendee ? `${attendee}-ai` : "ai-default",
    displaySuffix: attendee ? ` (${attendee})` : "",
  };
}

/**
 * TLS hardening through the service's custom properties: SSL 3.0, TLS 1.0/1.1 and 3DES off on both the
 * client and the backend side, plus the CBC cipher suites. Consumption, Basic v2 and Standard v2 do not
 * allow changes to the default protocol and cipher configuration (which is already TLS 1.2 only there).
 * https://learn.microsoft.com/azure/api-management/api-management-howto-manage-protocols-ciphers
 */
export function tlsHardening(sku: ApimSku): Record<string, string> | undefined {
  if (sku === "Consumption" || sku === "BasicV2" || sku === "StandardV2") return undefined;
  const security = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";
  const off = [
    "Protocols.Tls10",
    "Protocols.Tls11",
    "Protocols.Ssl30",
    "Backend.Protocols.Tls10",
    "Backend.Protocols.Tls11",
    "Backend.Protocols.Ssl30",
    "Ciphers.TripleDes168",
    "Ciphers.TLS_RSA_WITH_AES_128_CBC_SHA",
    "Ciphers.TLS_RSA_WITH_AES_256_CBC_SHA",
    "Ciphers.TLS_RSA_WITH_AES_128_CBC_SHA256",
    "Ciphers.TLS_RSA_WITH_AES_256_CBC_SHA256",
    "Ciphers.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "Ciphers.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "Ciphers.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "Ciphers.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "Ciphers.TLS_RSA_WITH_AES_128_GCM_SHA256",
    "Ciphers.TLS_RSA_WITH_AES_256_GCM_SHA384",
  ];
  return {
    ...Object.fromEntries(off.map((k) => [`${security}.${k}`, "False"])),
    [`${security}.Protocols.Server.Http2`]: "True",
  };
}

/**
 * Portal settings: the legacy portal off, the developer portal only when asked for. Consumption has no
 * portal at all and v2 tiers never had the legacy one, so those tiers are not sent the flags they lack.
 * https://learn.microsoft.com/azure/api-management/api-management-features (Developer portal row)
 */
export function portalSettings(sku: ApimSku, developerPortal: boolean): { developerPortalStatus?: "Enabled" | "Disabled"; legacyPortalStatus?: "Disabled" } {
  if (sku === "Consumption") return {};
  const developerPortalStatus = developerPortal ? "Enabled" : "Disabled";
  return sku === "BasicV2" || sku === "StandardV2" ? { developerPortalStatus } : { developerPortalStatus, legacyPortalStatus: "Disabled" };
}

/**
 * Properties that azure-native's SDK fills with a default on every ApiManagementService
 * (node_modules/@pulumi/azure-native/apimanagement/apiManagementService.js: `enableClientCertificate ?? false`,
 * `developerPortalStatus ?? "Enabled"`, `legacyPortalStatus ?? "Enabled"`) but that the tier does not take.
 * `enableClientCertificate` is "only meant to be used for Consumption" (REST spec description), and Azure
 * refuses `false` on Developer: "Setting EnableClientCertificate flag to false is not supported for Developer
 * SKU" (pulumi/pulumi-azure-native#1741, #1865). Omitting it is what works; setting it to true there would
 * change behaviour.
 */
export function propertiesTheTierLacks(sku: ApimSku, requestsClientCertificates = false): string[] {
  const lacks = sku === "Consumption" || (requestsClientCertificates && requestsClientCertificatesByFlag(sku)) ? [] : ["enableClientCertificate"];
  const portals = portalSettings(sku, false);
  if (portals.developerPortalStatus === undefined) lacks.push("developerPortalStatus");
  if (portals.legacyPortalStatus === undefined) lacks.push("legacyPortalStatus");
  // The SDK's `natGatewayState ?? "Disabled"`: a v2 service reports "natGatewayState": "Unsupported" (the REST
  // spec's recorded StandardV2 create, ApiManagement.Management/examples/2024-10-01-preview/
  // ApiManagementCreateServiceSkuv2Service.json), so the v2 tiers are not sent a NAT gateway setting at all.
  if (sku === "BasicV2" || sku === "StandardV2") lacks.push("natGatewayState");
  return lacks;
}

/**
 * Tiers whose gateway requests client certificates through the service's "Request client certificate" switch
 * (`enableClientCertificate`): "To receive and verify client certificates in the Consumption, Basic v2,
 * Standard v2, or Premium v2 tier, you must enable Request client certificate". Classic tiers negotiate per
 * host name instead (`negotiateClientCertificate`, see `clientCertificateHostnames`). A Basic v2 service is
 * deployed with `enableClientCertificate: true` (and no CA certificates) in ronaldbosma/mtls-with-apim
 * (infra/main.bicep, infra/modules/services/api-management.bicep), whose tests pass a client certificate through.
 * https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates-for-clients (ms.date 2026-01-29)
 */
export function requestsClientCertificatesByFlag(sku: ApimSku): boolean {
  return !apimTrustsPrivateCa(sku);
}

/**
 * Classic tiers: the gateway's default host (`<service>.azure-api.net`, certificate built in) with "Negotiate
 * client certificate" on, the switch the portal shows on the gateway host name under Custom domains. Without
 * it the gateway asks for a certificate only by renegotiation, which HTTP/2 and TLS 1.3 clients cannot answer
 * ("Starting May 2021, the context.Request.Certificate property only requests the certificate when ...
 * negotiateClientCertificate ... True"). Every connection to the host is then asked for a certificate; callers
 * without one still connect and are refused by the policy.
 * https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates-for-clients,
 * https://learn.microsoft.com/rest/api/apimanagement/api-management-service/create-or-update#hostnameconfiguration
 */
export function clientCertificateHostnames(serviceName: pulumi.Input<string>): types.input.apimanagement.HostnameConfigurationArgs[] {
  return [{ type: "Proxy", hostName: pulumi.interpolate`${serviceName}.azure-api.net`, certificateSource: "BuiltIn", negotiateClientCertificate: true }];
}

/**
 * Removes the SDK's defaults the tier lacks from the registered inputs, which are what the provider sends
 * (and what the plan shows). An in-process `transformations` entry, not a `transforms` one: it runs in the
 * SDK before registration, so the mock engine and the policy pack see the same inputs as Azure does.
 */
export function withoutPropertiesTheTierLacks(sku: ApimSku, requestsClientCertificates = false): pulumi.ResourceTransformation {
  const lacks = propertiesTheTierLacks(sku, requestsClientCertificates);
  return ({ props, opts }) => ({ props: Object.fromEntries(Object.entries(props).filter(([k]) => !lacks.includes(k))), opts });
}

/**
 * Resource logs to Log Analytics: every category where the tier writes them; Consumption writes none there
 * ("Azure Monitor and Log Analytics request logs: No" for Consumption in the feature table), so it sends its
 * metrics only and its request logs go to Application Insights. Other tiers: the allLogs group.
 * https://learn.microsoft.com/azure/api-management/api-management-features
 */
export function apimResourceLogs(sku: ApimSku): { categoryGroup: string; enabled: boolean }[] {
  return sku === "Consumption" ? [] : [{ categoryGroup: "allLogs", enabled: true }];
}

/**
 * Classic tiers take 30-45 minutes to create (users report up to 90) and VNet changes 15-45 more.
 * https://learn.microsoft.com/azure/api-management/get-started-create-service-instance
 */
export const APIM_TIMEOUTS: pulumi.CustomTimeouts = { create: "2h", update: "2h", delete: "1h" };

/**
 * The service's VNet properties. Outbound integration is sent as `virtualNetworkType: External` with the
 * delegated subnet and no public IP: the REST API has no separate value for it, and Azure answers Internal on
 * Standard v2 with "Setting up 'Internal' Internal Virtual Network Type is not supported for Sku Type
 * 'StandardV2'" and an undelegated subnet with "API Management service V2 outbound Virtual Network integration
 * with SubnetId ... requires subnet to be delegated to Microsoft.Web/serverFarms" (Azure's errors as recorded in
 * coolgalsandiego/ai-course 361_apim_genai_openai_frontdoor/Readme.md). Azure Verified Modules' v2 test deploys
 * integration the same way: `virtualNetworkType: 'External'` with a subnet delegated to Microsoft.Web/serverFarms
 * (Azure/bicep-registry-modules avm/res/api-management/service/tests/e2e/v2max). `publicIpAddressId` belongs to
 * stv2 injection only. https://learn.microsoft.com/azure/api-management/integrate-vnet-outbound
 */
export function vnetProperties(vnet: ApiGatewayArgs["vnet"]): {
  virtualNetworkType: "None" | "External" | "Internal";
  virtualNetworkConfiguration?: { subnetResourceId: pulumi.Input<string> };
  publicIpAddressId?: pulumi.Input<string>;
} {
  if (!vnet) return { virtualNetworkType: "None" };
  const virtualNetworkConfiguration = { subnetResourceId: vnet.subnetId };
  if (vnet.mode === "Integration") return { virtualNetworkType: "External", virtualNetworkConfiguration };
  return { virtualNetworkType: vnet.mode, virtualNetworkConfiguration, publicIpAddressId: vnet.publicIpAddressId };
}

/**
 * What is wrong with the arguments, in words, before anything is created: input Azure would refuse after a
 * 30-minute create, or a policy that would reference a named value nobody creates.
 */
export function apiGatewayArgsProblems(args: ApiGatewayArgs): string[] {
  const problems: string[] = [];
  const [min, max] = CAPACITY_RANGE[args.sku];
  if (!Number.isInteger(args.capacity) || args.capacity < min || args.capacity > max) {
    problems.push(`capacity ${args.capacity} is outside ${min}-${max}, the range of the ${args.sku} tier`);
  }
  const vnetTiers: readonly ApimSku[] = args.vnet?.mode === "Integration" ? VNET_INTEGRATION_TIERS : VNET_INJECTION_TIERS;
  if (args.vnet && !vnetTiers.includes(args.sku)) {
    problems.push(`vnet (${args.vnet.mode} mode) needs one of ${vnetTiers.join(", ")}, not ${args.sku}`);
  }
  problems.push(...gatewayApisArgsProblems(args));
  const sampling = args.appInsights?.samplingPercentage;
  // SamplingSettings.percentage, "Rate of sampling for fixed-rate sampling": a percentage, 0 to 100 as Azure Verified
  // Modules bound it (Azure/bicep-registry-modules avm/res/api-management/service: @minValue(0) @maxValue(100)).
  if (sampling !== undefined && !(sampling >= 0 && sampling <= 100)) problems.push(`appInsights.samplingPercentage ${sampling} is outside 0-100`);
  return problems;
}

/**
 * The API Management service with what belongs to the service itself: its public IP in a VNet, its platform
 * logs, the Application Insights logger and diagnostic. What it publishes (product, APIs, named values,
 * subscription) is the child `GatewayApis`.
 */
export class ApiGateway extends pulumi.ComponentResource {
  /** Name of the API Management service. */
  readonly resourceName: pulumi.Output<string>;
  /** Resource ID of the API Management service. */
  readonly resourceId: pulumi.Output<string>;
  /** Object ID of the service's system-assigned identity. */
  readonly principalId: pulumi.Output<string>;
  readonly gatewayUrl: pulumi.Output<string>;
  /** Addresses APIM calls backends from: dedicated outbound addresses, empty on Consumption and v2. */
  readonly outboundAddresses: pulumi.Output<string[]>;
  readonly privateIpAddresses: pulumi.Output<string[]>;
  readonly publicIpAddresses: pulumi.Output<string[]>;
  /** Primary key of the AI product's subscription, secret; undefined without `publishApis`. */
  readonly subscriptionKey: pulumi.Output<string | undefined>;
  /** Protections the tier could not run. */
  readonly omittedPolicies: string[];
  /** Resource ID of the Application Insights logger, where there is one. */
  readonly loggerId: pulumi.Output<string | undefined>;

  constructor(name: string, args: ApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:gateway:ApiGateway`, name, {}, opts);
    const problems = apiGatewayArgsProblems(args);
    if (problems.length > 0) throw new pulumi.ResourceError(`ApiGateway "${name}": ${problems.join("; ")}`, this);
    const { service, logger } = this.service(name, args);

    const apis =
      args.publishApis === false
        ? undefined
        : new GatewayApis(
          `${name}-apis`,
          {
            resourceGroupName: args.resourceGroupName,
            serviceName: service.name,
            sku: args.sku,
            policies: args.policies,
            aiApiBackendUrl: args.aiApiBackendUrl,
            openAiEndpoint: args.openAiEndpoint,
            openAiSecondaryEndpoints: args.openAiSecondaryEndpoints,
            backendPassword: args.backendPassword,
            aiApiBackendTls: args.aiApiBackendTls,
            clientCertificateTrust: args.clientCertificates
              ? pulumi
                  .all([args.clientCertificates.caThumbprint, pulumi.all(args.clientCertificates.clientThumbprints)])
                  .apply(([ca, clients]) => clientCertificateTrust(args.sku, ca, clients))
              : undefined,
            // Until these moved into GatewayApis they were the gateway's own children: the alias keeps a deployed
            // stack's product, APIs, named values and subscription in place instead of replacing them.
            childNamePrefix: name,
            childAliases: [{ parent: this }],
          },
          { parent: this },
        );

    this.resourceName = service.name;
    this.resourceId = service.id;
    this.gatewayUrl = service.gatewayUrl;
    this.principalId = service.identity.apply((i) => i?.principalId ?? "");
    this.outboundAddresses = service.outboundPublicIPAddresses.apply((a) => a ?? []);
    this.privateIpAddresses = service.privateIPAddresses.apply((a) => a ?? []);
    this.publicIpAddresses = service.publicIPAddresses.apply((a) => a ?? []);
    this.subscriptionKey = apis ? apis.subscriptionKey : pulumi.output(undefined);
    this.omittedPolicies = apis?.omittedPolicies ?? [];
    this.loggerId = logger ? logger.id : pulumi.output(undefined);
    this.registerOutputs({
      resourceName: this.resourceName,
      resourceId: this.resourceId,
      principalId: this.principalId,
      gatewayUrl: this.gatewayUrl,
      outboundAddresses: this.outboundAddresses,
      privateIpAddresses: this.privateIpAddresses,
      publicIpAddresses: this.publicIpAddresses,
      subscriptionKey: this.subscriptionKey,
      omittedPolicies: this.omittedPolicies,
      loggerId: this.loggerId,
    });
  }

  /** The service, its platform logs, and its Application Insights logger. */
  private service(name: string, args: ApiGatewayArgs): { service: apimanagement.ApiManagementService; logger?: apimanagement.Logger } {
    const scope = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };
    const parent = { parent: this };
    const trustedRoots = [...(args.trustedRootCertificates ?? []), ...(args.clientCertificates && apimTrustsPrivateCa(args.sku) ? [args.clientCertificates.caCertificatePem] : [])];

    const service = new apimanagement.ApiManagementService(
      `${name}-service`,
      {
        ...scope,
        serviceName: args.serviceName,
        sku: { name: args.sku, capacity: args.capacity },
        publisherName: args.publisherName,
        publisherEmail: args.publisherEmail,
        identity: { type: "SystemAssigned" },
        customProperties: tlsHardening(args.sku),
        // Refuse control-plane calls from API versions older than this (older ones expose secrets in reads).
        // https://learn.microsoft.com/azure/api-management/breaking-changes/api-version-retirement-sep-2023
        apiVersionConstraint: args.sku === "Consumption" ? undefined : { minApiVersion: "2021-08-01" },
        // The CA store (Root, base64 DER without markers): the ingress's private CA, which APIM calls over TLS,
        // and on classic tiers the callers' CA, which client certificate chains are built to.
        // https://learn.microsoft.com/azure/api-management/api-management-howto-ca-certificates
        certificates: trustedRoots.length
          ? trustedRoots.map((pem) => ({
              encodedCertificate: pulumi.output(pem).apply(pemToBase64Der),
              storeName: "Root",
            }))
          : undefined,
        hostnameConfigurations: args.clientCertificates && apimTrustsPrivateCa(args.sku) ? clientCertificateHostnames(args.serviceName) : undefined,
        enableClientCertificate: args.clientCertificates && requestsClientCertificatesByFlag(args.sku) ? true : undefined,
        ...vnetProperties(args.vnet),
        ...portalSettings(args.sku, args.developerPortal),
      },
      { ...parent, customTimeouts: APIM_TIMEOUTS, transformations: [withoutPropertiesTheTierLacks(args.sku, args.clientCertificates !== undefined)] },
    );
    const svc = { resourceGroupName: args.resourceGroupName, serviceName: service.name };

    if (args.diagnostics && args.sku !== "Consumption") addDiagnostics(name, service.id, args.diagnostics, parent);
    if (args.diagnostics && args.sku === "Consumption") {
      new monitor.DiagnosticSetting(
        `${name}-diag`,
        {
          name: "to-log-analytics",
          resourceUri: service.id,
          workspaceId: args.diagnostics.workspaceId,
          logAnalyticsDestinationType: "Dedicated",
          logs: apimResourceLogs(args.sku),
          metrics: [{ category: "AllMetrics", enabled: true }],
        },
        parent,
      );
    }

    let logger: apimanagement.Logger | undefined;
    if (args.appInsights) {
      logger = new apimanagement.Logger(
        `${name}-logger`,
        {
          ...svc,
          loggerId: "appinsights",
          loggerType: "applicationInsights",
          resourceId: args.appInsights.id,
          credentials: { connectionString: args.appInsights.connectionString },
        },
        parent,
      );
      // `metrics: true` lets emit-token-metric policies publish to Application Insights.
      // https://learn.microsoft.com/azure/api-management/api-management-howto-app-insights#emit-custom-metrics
      // Sampling and client IP logging are settings (appInsightsSamplingPercentage, appInsightsLogClientIp).
      new apimanagement.Diagnostic(
        `${name}-appinsights`,
        {
          ...svc,
          diagnosticId: "applicationinsights",
          loggerId: logger.id,
          alwaysLog: "allErrors",
          logClientIp: args.appInsights.logClientIp,
          httpCorrelationProtocol: "W3C",
          verbosity: "information",
          metrics: true,
          sampling: { samplingType: "fixed", percentage: args.appInsights.samplingPercentage },
        },
        parent,
      );
    }
    return { service, logger };
  }
}

export interface GatewayApisArgs extends Pick<
  ApiGatewayArgs,
  "resourceGroupName" | "sku" | "policies" | "aiApiBackendUrl" | "openAiEndpoint" | "openAiSecondaryEndpoints" | "backendPassword" | "aiApiBackendTls"
> {
  /** Name of the API Management service the APIs are published on. */
  serviceName: pulumi.Input<string>;
  /**
   * Prefix of the children's names; the gateway passes its own (`gateway-product`, not `gateway-apis-product`)
   * so that, with `childAliases`, the URNs of a deployed stack resolve to the same resources.
   */
  childNamePrefix?: string;
  /** Aliases every child gets (where the children were registered before they had this component as parent). */
  childAliases?: pulumi.Input<pulumi.Alias>[];
  /** Which client certificates the product admits (validate-client-certificate); unset, none is asked for. */
  clientCertificateTrust?: pulumi.Input<ClientCertificateTrust>;
  /** A workshop attendee's name: ids and paths carry it (`publicationIds`). */
  attendee?: string;
}

/** What is wrong with the arguments of the published part, before anything is created. */
export function gatewayApisArgsProblems(args: Pick<GatewayApisArgs, "policies" | "backendPassword">): string[] {
  return args.policies.backendBasicAuth && args.backendPassword === undefined ? ["policies.backendBasicAuth needs backendPassword"] : [];
}

/**
 * What the gateway publishes: the AI product with its policy, the AI API and the Azure OpenAI API with their
 * operations and policies, the named values those policies read, the model pool, and the product's subscription.
 */
export class GatewayApis extends pulumi.ComponentResource {
  /** Primary key of the AI product's subscription, secret. */
  readonly subscriptionKey: pulumi.Output<string>;
  /** Protections the tier could not run. */
  readonly omittedPolicies: string[];

  constructor(name: string, args: GatewayApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:gateway:GatewayApis`, name, {}, opts);
    const problems = gatewayApisArgsProblems(args);
    if (problems.length > 0) throw new pulumi.ResourceError(`GatewayApis "${name}": ${problems.join("; ")}`, this);
    const prefix = args.childNamePrefix ?? name;
    // A fresh aliases array per child: the SDK's mergeOptions appends each resource's own type aliases to it.
    const parent = () => ({ parent: this, aliases: args.childAliases?.slice() });
    const svc = { resourceGroupName: args.resourceGroupName, serviceName: args.serviceName };
    const ids = publicationIds(args.attendee);

    const secondaries = args.openAiSecondaryEndpoints ?? [];
    const pool =
      secondaries.length > 0 && supportsBackendFeature(args.sku, "circuit-breaker") && supportsBackendFeature(args.sku, "backend-pool")
        ? new ModelPool(`${prefix}-model-pool`, { ...svc, endpoints: [args.openAiEndpoint, ...secondaries] }, parent())
        : undefined;
    const aiBackendId = args.attendee ? `${args.attendee}-${AI_API_BACKEND_ID}` : AI_API_BACKEND_ID;
    const aiBackend = args.aiApiBackendTls
      ? new apimanagement.Backend(
          `${prefix}-ai-backend`,
          { ...svc, backendId: aiBackendId, url: args.aiApiBackendUrl, protocol: "http", tls: args.aiApiBackendTls, description: "The AI API on AKS" },
          parent(),
        )
      : undefined;
    const policySettings = {
      ...args.policies,
      aiApiBackendId: aiBackend ? aiBackendId : undefined,
      openAiPool: secondaries.length > 0 ? { backendId: MODEL_POOL_BACKEND_ID, backends: 1 + secondaries.length } : undefined,
    };
    const policies = composeGatewayPolicies(args.sku, policySettings);
    // The thumbprints are known once the certificates exist: the product's policy waits for them.
    const productPolicy = args.clientCertificateTrust
      ? pulumi.output(args.clientCertificateTrust).apply((trust) => composeGatewayPolicies(args.sku, { ...policySettings, clientCertificate: trust }).product)
      : policies.product;
    this.omittedPolicies = policies.omitted;
    const basicAuth = args.policies.backendBasicAuth;
    // Named values are created before the policies that reference them, or the policy is rejected.
    const namedValues = basicAuth
      ? [
          new apimanagement.NamedValue(
            `${prefix}-backend-password`,
            { ...svc, namedValueId: basicAuth.passwordNamedValue, displayName: basicAuth.passwordNamedValue, value: pulumi.secret(args.backendPassword!), secret: true },
            parent(),
          ),
        ]
      : [];

    const product = new apimanagement.Product(
      `${prefix}-product`,
      {
        ...svc,
        productId: ids.productId,
        displayName: `AI${ids.displaySuffix}`,
        description: "The AI API on AKS and Azure OpenAI, behind a subscription key",
        subscriptionRequired: true,
        approvalRequired: false,
        state: "published",
      },
      parent(),
    );
    const productPolicyResource = new apimanagement.ProductPolicy(`${prefix}-product-policy`, { ...svc, productId: product.name, policyId: "policy", format: "rawxml", value: productPolicy }, parent());

    const aiApi = new apimanagement.Api(
      `${prefix}-ai-api`,
      {
        ...svc,
        apiId: ids.aiApiId,
        displayName: `AI API${ids.displaySuffix}`,
        path: ids.paths.ai,
        protocols: ["https"],
        serviceUrl: args.aiApiBackendUrl,
        subscriptionRequired: true,
      },
      parent(),
    );
    const operation = (api: apimanagement.Api, id: string, method: string, urlTemplate: string, displayName: string, templateParameters?: apimanagement.ApiOperationArgs["templateParameters"]) =>
      new apimanagement.ApiOperation(
        `${prefix}-${api === aiApi ? "ai" : "openai"}-${id}`,
        { ...svc, apiId: api.name, operationId: id, method, urlTemplate, displayName, templateParameters },
        parent(),
      );
    // The service's OpenAI-compatible route: OpenAI clients take `<gateway>/ai/v1` as their base URL.
    const aiApiChildren: pulumi.Resource[] = [
      operation(aiApi, "chat-completions", "POST", CHAT_PATH, "Chat completions"),
      operation(aiApi, "healthz", "GET", "/healthz", "Health"),
    ];
    const aiApiPolicy = new apimanagement.ApiPolicy(
      `${prefix}-ai-api-policy`,
      { ...svc, apiId: aiApi.name, policyId: "policy", format: "rawxml", value: policies.aiApi },
      { ...parent(), dependsOn: aiBackend ? [...namedValues, aiBackend] : namedValues },
    );

    const openAiApi = new apimanagement.Api(
      `${prefix}-openai-api`,
      {
        ...svc,
        apiId: ids.openAiApiId,
        displayName: `Azure OpenAI${ids.displaySuffix}`,
        path: ids.paths.openAi,
        protocols: ["https"],
        serviceUrl: pulumi.output(args.openAiEndpoint).apply(modelBackendUrl),
        subscriptionRequired: true,
        // The Azure OpenAI SDKs send their key as `api-key`: clients pass the APIM subscription key there.
        subscriptionKeyParameterNames: { header: "api-key", query: "api-key" },
      },
      parent(),
    );
    const openAiApiChildren: pulumi.Resource[] = [
      operation(openAiApi, "chat-completions", "POST", "/deployments/{deployment-id}/chat/completions", "Chat completions", [
        { name: "deployment-id", type: "string", required: true },
      ]),
    ];
    // The pool and its members exist before a policy names them.
    const openAiApiPolicy = new apimanagement.ApiPolicy(
      `${prefix}-openai-api-policy`,
      { ...svc, apiId: openAiApi.name, policyId: "policy", format: "rawxml", value: policies.openAiApi },
      { ...parent(), dependsOn: pool?.backends ?? [] },
    );

    // A product-API link locks both the product and the API: links made at once on one product, or while the API
    // is being written, fail with 409 PessimisticConcurrencyConflict (Azure/azure-api-management-devops-resource-kit#432),
    // which azure-native does not retry (only AnotherOperationInProgress: provider/pkg/azure/client_azcore.go).
    // The first waits for the product's policy, another write on the product.
    let previousLink: pulumi.Resource[] = [productPolicyResource];
    for (const [key, api, children] of [
      ["ai", aiApi, [...aiApiChildren, aiApiPolicy]],
      ["openai", openAiApi, [...openAiApiChildren, openAiApiPolicy]],
    ] as const) {
      const link = new apimanagement.ProductApiLink(
        `${prefix}-product-${key}`,
        { ...svc, productId: product.name, apiId: api.id, apiLinkId: key },
        { ...parent(), dependsOn: [...children, ...previousLink] },
      );
      previousLink = [link];
    }

    // The key is generated here and kept as a Pulumi secret end to end; Azure stores it as given.
    const keys = ["primary", "secondary"].map((k) => new random.RandomPassword(`${prefix}-${k}-key`, { length: 32, special: false }, parent()));
    new apimanagement.Subscription(
      `${prefix}-subscription`,
      {
        ...svc,
        sid: ids.subscriptionId,
        displayName: `AI ${args.attendee ? `subscription of ${args.attendee}` : "default subscription"}`,
        scope: pulumi.interpolate`/products/${product.name}`,
        state: "active",
        allowTracing: false,
        primaryKey: keys[0].result,
        secondaryKey: keys[1].result,
      },
      // APIM locks the entities an operation touches, and concurrent operations on one (a user, product, API)
      // answer 412 (terraform-provider-azurerm#8571, quoting the service team): after the product's last write.
      { ...parent(), dependsOn: previousLink },
    );

    this.subscriptionKey = pulumi.secret(keys[0].result);
    this.registerOutputs({ subscriptionKey: this.subscriptionKey, omittedPolicies: this.omittedPolicies });
  }
}
