/**
 * Which APIM policies guard which scope, as plain data: product (every API a subscriber calls), the AI API
 * on AKS and the Azure OpenAI API. Pure functions; ApiGateway attaches the XML to the service.
 */
import { ipToString, lastAddress, parseCidr } from "../config/cidr";
import type { ApimSku } from "../config/schema";
import type { ClientCertificateTrust } from "./ClientCertificates";
import { poolRetry } from "./ModelPool";
import { BACKEND_FEATURE_SUPPORT, supportsBackendFeature } from "./policy-support";
import {
  authenticationManagedIdentity,
  composePolicy,
  authenticationBasic,
  cors,
  emitTokenMetric,
  forwardRequest,
  forwardedCallerFilter,
  ipFilter,
  type PolicyFragment,
  validateClientCertificate,
  quota,
  quotaByKey,
  rateLimit,
  rateLimitByKey,
  removeResponseHeaders,
  retryForward,
  setBackendService,
  setHeader,
  supportsPolicy,
  tokenLimit,
  validateJwt,
} from "./policies";

export interface GatewayPolicySettings {
  corsAllowedOrigins: string[];
  rateLimitCalls: number;
  rateLimitPeriodSeconds: number;
  quotaCalls: number;
  quotaPeriodSeconds: number;
  tokenLimitPerMinute: number;
  jwt?: { issuer: string; audience: string };
  /** Custom metric namespace in Application Insights for token counts. */
  metricNamespace: string;
  /**
   * A credential APIM presents to the AI API's ingress on every call: the second, instance-bound factor where
   * the ingress cannot tell this APIM from others by address. The password stays in a secret named value.
   */
  backendBasicAuth?: { username: string; passwordNamedValue: string };
  /**
   * A pool of model backends (components/ModelPool.ts) the Azure OpenAI API calls instead of its service URL,
   * with a retry that moves a throttled or refused call to the next backend. Where the tier has no circuit
   * breaker the API keeps calling the primary alone, and `omitted` says so.
   */
  openAiPool?: { backendId: string; backends: number };
  /** CIDR blocks that may call the gateway (config apimAllowedCallerRanges); unset, no address filter. */
  allowedCallerRanges?: readonly string[];
  /**
   * The subnet of a gateway in front of APIM (config edge): its calls carry the caller's address in
   * X-Forwarded-For, which the caller filter then judges instead of the connection's address.
   */
  edgeSubnet?: string;
  /** Client certificates the product admits (config apimClientCertificates); unset, none is asked for. */
  clientCertificate?: ClientCertificateTrust;
  /**
   * A backend entity the AI API calls instead of its service URL, where the entity carries TLS settings the
   * service URL cannot (GatewayApis `aiApiBackendTls`).
   */
  aiApiBackendId?: string;
}

export interface GatewayPolicies {
  product: string;
  aiApi: string;
  openAiApi: string;
  /** Protections that the tier could not run, with the reason, so that reports can say what is missing. */
  omitted: string[];
}

/**
 * An allow-list of CIDR blocks as ip-filter elements: a /32 is one `address`, a wider block the
 * `address-range` from its first to its last address. https://learn.microsoft.com/azure/api-management/ip-filter-policy
 */
export function callerAllowList(cidrs: readonly string[]): PolicyFragment {
  const addresses: string[] = [];
  const ranges: { from: string; to: string }[] = [];
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (!c) throw new RangeError(`${text} is not an IPv4 CIDR block`);
    if (c.prefix === 32) addresses.push(ipToString(c.network));
    else ranges.push({ from: ipToString(c.network), to: ipToString(lastAddress(c)) });
  }
  return ipFilter({ action: "allow", addresses, ranges });
}

/**
 * The client certificate check: on a tier with a CA store, a chain to a trusted root whose issuer is our CA
 * (the root store also holds the public CAs, so trust alone would admit any publicly issued certificate);
 * without one, the issued certificates by thumbprint, chain unchecked. Revocation is not checked: the private
 * CA publishes no revocation list, and an online check that cannot complete fails the certificate. Validity
 * dates are checked. A failed check ends the request with 401 ("Invalid client certificate"; a missing
 * certificate, ClientCertificateNotFound), as recorded against live gateways in ronaldbosma/blog-code-examples
 * apim-client-certificate-series. https://learn.microsoft.com/azure/api-management/validate-client-certificate-policy
 */
export function clientCertificateCheck(trust: ClientCertificateTrust): PolicyFragment {
  const common = { validateRevocation: false, validateNotBefore: true, validateNotAfter: true } as const;
  return trust.kind === "ca"
    ? validateClientCertificate({ ...common, validateTrust: true, identities: [{ issuerThumbprint: trust.caThumbprint }] })
    : validateClientCertificate({ ...common, validateTrust: false, identities: trust.thumbprints.map((thumbprint) => ({ thumbprint })) });
}

const SUBSCRIPTION_KEY = "@(context.Subscription.Id)";
/** Response header of the Azure OpenAI API naming the account that answered, where a model pool exists. */
export const MODEL_BACKEND_HEADER = "x-model-backend";
/** Audience of Microsoft Entra tokens for Azure OpenAI. https://learn.microsoft.com/azure/ai-services/openai/how-to/managed-identity */
export const COGNITIVE_SERVICES_AUDIENCE = "https://cognitiveservices.azure.com";

export function composeGatewayPolicies(tier: ApimSku, s: GatewayPolicySettings): GatewayPolicies {
  const omitted: string[] = [];
  const byKey = supportsPolicy(tier, "rate-limit-by-key");
  // CORS sits at API scope, ahead of <base />: at product scope it does not work when the subscription key
  // travels in a header, and a preflight (no key, no token) must be answered before any other policy runs.
  // https://learn.microsoft.com/azure/api-management/cors-policy#common-configuration-issues
  const corsFirst = cors({
    allowedOrigins: s.corsAllowedOrigins,
    allowedMethods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["Content-Type", "Authorization", "Ocp-Apim-Subscription-Key", "api-key", "x-request-id"],
  });
  const apiScope = { firstBeforeBase: true } as const;
  const productInbound: PolicyFragment[] = [];
  if (s.allowedCallerRanges?.length) {
    // First in the product's inbound: a caller outside the list is refused (403) before any token check or
    // counter. ip-filter matches the address of the connection APIM receives. With an edge in front, that
    // address is the edge's: the edge's subnet passes ip-filter, and its calls are then judged by the caller's
    // address in X-Forwarded-For (forwardedCallerFilter). https://learn.microsoft.com/azure/api-management/ip-filter-policy
    const connectionRanges = s.edgeSubnet ? [s.edgeSubnet, ...s.allowedCallerRanges] : s.allowedCallerRanges;
    if (supportsPolicy(tier, "ip-filter")) productInbound.push(callerAllowList(connectionRanges));
    else omitted.push(`ip-filter: not available in the ${tier} tier; apimAllowedCallerRanges is not enforced`);
    if (s.edgeSubnet && supportsPolicy(tier, "ip-filter") && supportsPolicy(tier, "choose")) {
      productInbound.push(forwardedCallerFilter({ proxyRanges: [s.edgeSubnet], allowedRanges: s.allowedCallerRanges }));
    }
  }
  if (s.clientCertificate) {
    // After the address filter, before any token check or counter: a caller without our certificate is
    // refused before it spends anything.
    if (supportsPolicy(tier, "validate-client-certificate")) productInbound.push(clientCertificateCheck(s.clientCertificate));
    else omitted.push(`validate-client-certificate: not available in the ${tier} tier; apimClientCertificates is not enforced`);
  }
  if (s.jwt) {
    productInbound.push(
      validateJwt({
        openIdConfigUrl: `${s.jwt.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
        issuer: s.jwt.issuer,
        audiences: [s.jwt.audience],
      }),
    );
  }
  productInbound.push(
    // rate-limit-by-key and quota-by-key are not offered on Consumption; the per-subscription forms are.
    byKey
      ? rateLimitByKey({ calls: s.rateLimitCalls, renewalPeriodSeconds: s.rateLimitPeriodSeconds, counterKey: SUBSCRIPTION_KEY })
      : rateLimit({ calls: s.rateLimitCalls, renewalPeriodSeconds: s.rateLimitPeriodSeconds }),
    supportsPolicy(tier, "quota-by-key")
      ? quotaByKey({ calls: s.quotaCalls, renewalPeriodSeconds: s.quotaPeriodSeconds, counterKey: SUBSCRIPTION_KEY })
      : quota({ calls: s.quotaCalls, renewalPeriodSeconds: s.quotaPeriodSeconds }),
  );
  const product = composePolicy(tier, { inbound: productInbound, outbound: [removeResponseHeaders()] });

  // APIM's own request id, whatever the caller sent: the AI API logs under it and sends it on to Azure OpenAI.
  const aiApiInbound: PolicyFragment[] = [corsFirst, setHeader({ name: "x-request-id", value: "@(context.RequestId.ToString())", existsAction: "override" })];
  if (s.aiApiBackendId) aiApiInbound.push(setBackendService({ backendId: s.aiApiBackendId }));
  if (s.backendBasicAuth) {
    aiApiInbound.push(authenticationBasic({ username: s.backendBasicAuth.username, password: `{{${s.backendBasicAuth.passwordNamedValue}}}` }));
  }
  // Streamed answers (server-sent events) reach the client as they are produced, not in 8 KB blocks.
  // https://learn.microsoft.com/azure/api-management/how-to-server-sent-events
  const aiApi = composePolicy(tier, { inbound: aiApiInbound, backend: [forwardRequest({ bufferResponse: false })] }, apiScope);

  const openAiInbound: PolicyFragment[] = [
    corsFirst,
    // The caller's APIM key must not travel on to Azure OpenAI; APIM authenticates with its own identity.
    setHeader({ name: "api-key", existsAction: "delete" }),
    authenticationManagedIdentity({ resource: COGNITIVE_SERVICES_AUDIENCE }),
  ];
  if (supportsPolicy(tier, "azure-openai-token-limit")) {
    openAiInbound.push(tokenLimit({ tokensPerMinute: s.tokenLimitPerMinute, counterKey: SUBSCRIPTION_KEY, estimatePromptTokens: true, flavor: "azure-openai" }));
  } else {
    omitted.push(`azure-openai-token-limit: not available in the ${tier} tier; only the call rate limit and quota apply`);
  }
  if (supportsPolicy(tier, "azure-openai-emit-token-metric")) {
    openAiInbound.push(
      emitTokenMetric({
        namespace: s.metricNamespace,
        dimensions: [{ name: "Subscription ID" }, { name: "API ID" }, { name: "Client IP", value: "@(context.Request.IpAddress)" }],
        flavor: "azure-openai",
      }),
    );
  } else {
    omitted.push(`azure-openai-emit-token-metric: not available in the ${tier} tier`);
  }
  const openAiBackend: PolicyFragment[] = [];
  const openAiOutbound: PolicyFragment[] = [];
  if (s.openAiPool) {
    if (supportsBackendFeature(tier, "circuit-breaker") && supportsBackendFeature(tier, "backend-pool")) {
      openAiInbound.push(setBackendService({ backendId: s.openAiPool.backendId }));
      openAiBackend.push(retryForward(poolRetry(s.openAiPool.backends)));
      // Which account answered: the host the call went to (context.Request.Url is the backend's URL once a
      // backend is chosen), its first label being the account name. Not verified against a live pool yet.
      // https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#ref-context-request
      openAiOutbound.push(setHeader({ name: MODEL_BACKEND_HEADER, value: "@(context.Request.Url.Host.Split('.')[0])", section: "outbound" }));
    } else {
      omitted.push(
        `model pool with circuit breakers: not available in the ${tier} tier (${BACKEND_FEATURE_SUPPORT["circuit-breaker"].source}); the Azure OpenAI API calls the primary account only`,
      );
    }
  }
  const openAiApi = composePolicy(tier, { inbound: openAiInbound, backend: openAiBackend, outbound: openAiOutbound }, apiScope);
  return { product, aiApi, openAiApi, omitted };
}
