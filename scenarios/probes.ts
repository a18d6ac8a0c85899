import { CHAT_PATH } from "../app/src/image";
import { contains, parseCidr } from "../config/cidr";
import { SCENARIO_TRAITS } from "../config/defaults";
import type { TokenParameter } from "../config/models";
import type { ApimSku, ScenarioName } from "../config/schema";
import { backendPrivateFromInternet, gatewayReach, type ScenarioTraits } from "./traits";

/** Where a probe runs from: any machine on the internet, or a pod inside the scenario's VNet. */
export type ProbeOrigin = "internet" | "vnet";

/**
 * One check `scenarios verify` runs against a deployed scenario. Expectations are about the security
 * property, so "unreachable" means the connection must fail (refused, timed out, or no DNS answer).
 */
export interface Probe {
  name: string;
  from: ProbeOrigin;
  /** `keyHeader`: the header that carries the subscription key, where an API names its own (default Ocp-Apim-Subscription-Key). */
  /**
   * `clientCertificate`: the TLS client certificate the call presents: `issued`, the one the stack issued
   * (config apimClientCertificates; outputs clientCertificatePem/clientCertificateKeyPem), or `foreign`, one
   * from a CA `verify` makes up at run time, which the gateway has never seen. Absent, none.
   */
  /**
   * `trust`: the CA the server's certificate must chain to, instead of the public roots: `edge`, the private CA
   * the stack makes for the edge's listener (output edgeCaCertificatePem). Such a call always checks the
   * certificate, key or not.
   */
  request: {
    method: "GET" | "POST";
    url: string;
    withSubscriptionKey: boolean;
    keyHeader?: string;
    body?: unknown;
    repeat?: number;
    clientCertificate?: ClientCertificateChoice;
    trust?: TrustedCa;
  };
  /**
   * `eventReadsAtLeast`: the answer is an event stream whose events arrived in at least that many reads.
   * `header`: the answer carries that response header with one of these values (compared without case).
   */
  expect: { status: number; eventReadsAtLeast?: number; header?: { name: string; oneOf: string[] } } | { statusOnLast: number } | { unreachable: true };
  why: string;
}

export type ClientCertificateChoice = "issued" | "foreign";

export type TrustedCa = "edge";

/** The probes follow the scenario's traits: given, or a registered scenario's by name. */
export type ProbeInputs = ProbeSettings & ({ traits: ProbeTraits; scenario?: undefined } | { scenario: ScenarioName; traits?: undefined });

export type ProbeTraits = Pick<ScenarioTraits, "vnetMode" | "backendAdmission" | "secondFactor" | "defaults">;

interface ProbeSettings {
  /** The tier, which decides what the gateway relays; by default the scenario's default tier. */
  apimSku?: ApimSku;
  gatewayUrl: string;
  apiBasePath: string;
  backendHost: string;
  rateLimitCalls: number;
  /** `https://<account>.openai.azure.com/`; with it, a probe checks that the account refuses the internet. */
  openAiEndpoint?: string;
  /** The account answers only through a private endpoint in the VNet (public access disabled). */
  openAiPrivate?: boolean;
  /** With a private endpoint, the public endpoint kept for debugging (config openAiPublicNetworkAccess). */
  openAiPublicKept?: boolean;
  /** The failover account (config openAiSecondaryLocation), probed like the primary. */
  openAiSecondaryEndpoint?: string;
  /** APIM's Azure OpenAI API, whose model pool exists with the failover account: where `model-failover` calls. */
  openAiApi?: OpenAiApiProbeSettings;
  /**
   * The gateway's caller allow-list (config apimAllowedCallerRanges), and the subnet the in-VNet probes call
   * from (the AKS nodes': under Azure CNI Overlay a pod's traffic leaving the cluster carries its node's
   * address, https://learn.microsoft.com/azure/aks/azure-cni-overlay). The machine running `verify` is taken
   * to be outside the list: the list names the callers, not the operator's workstation or CI runner.
   */
  callerFilter?: { allowedRanges: readonly string[]; vnetProbeSubnet: string };
  /**
   * A WAF in front of the gateway (config edge): its public URL, the internet's one way in, and APIM's private
   * address behind it.
   */
  edge?: { url: string; apimPrivateAddress?: string };
  /** The product requires a client certificate from the stack's CA (config apimClientCertificates). */
  clientCertificates?: boolean;
}

export interface OpenAiApiProbeSettings {
  /** The API's path under the gateway (`openai`). */
  basePath: string;
  deployment: string;
  apiVersion: string;
  tokenParameter: TokenParameter;
  /** The response header the API's policy sets to the answering account's name (components/gateway-policies.ts). */
  backendHeader: string;
}

/**
 * The header the Azure OpenAI API takes the subscription key in, as the Azure OpenAI SDKs send their key
 * (subscriptionKeyParameterNames in components/ApiGateway.ts; a test compares the two on the graph).
 */
export const OPENAI_API_KEY_HEADER = "api-key";

/** The account name an endpoint `https://<account>.openai.azure.com/` belongs to: its host's first label. */
export const accountOfEndpoint = (endpoint: string) => new URL(endpoint).hostname.split(".")[0];

/**
 * `model-failover` can only observe: one chat call through APIM's Azure OpenAI API, whose policy names the
 * account that answered in a response header (the host the pool chose, by its first label); the answer must
 * come from one of the two accounts. Which one it was is in the report; a failover itself cannot be caused
 * from outside, so the offline tests of the pool and the AI API's failover show that part.
 */
function modelFailoverProbe(from: ProbeOrigin, gatewayUrl: string, api: OpenAiApiProbeSettings, endpoints: string[]): Probe {
  const base = `${gatewayUrl.replace(/\/$/, "")}/${api.basePath}`;
  return {
    name: "model-failover",
    from,
    request: {
      method: "POST",
      url: `${base}/deployments/${api.deployment}/chat/completions?api-version=${api.apiVersion}`,
      withSubscriptionKey: true,
      keyHeader: OPENAI_API_KEY_HEADER,
      body: { messages: [{ role: "user", content: "Reply with the word ok." }], [api.tokenParameter]: 200 },
    },
    expect: { status: 200, header: { name: api.backendHeader, oneOf: endpoints.map(accountOfEndpoint) } },
    why: `APIM's Azure OpenAI API sends the call to its model pool, which answers from the primary account or, while the primary's circuit breaker is open, from the secondary; ${api.backendHeader} names which`,
  };
}

/**
 * An account's probes. Default action Deny: a caller outside the admitted addresses and subnets gets 403 from the
 * account's firewall, before authentication (an open account would answer 401 to a call without a token); with
 * public network access disabled the public endpoint refuses everyone with 403 as well. Inside the VNet the same
 * name resolves through the privatelink zone to the private endpoint; public access being off, only that path
 * reaches the account's authentication, which answers 401 without a token.
 * https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks
 * The public endpoint's refusal with access disabled, as users report it: "(403) Public access is disabled.
 * Please configure private endpoint" (Azure-Samples/azure-search-openai-demo#1157, TabularEditor/TabularEditor3#1557).
 */
function modelProbes(prefix: string, endpoint: string, p: Pick<ProbeInputs, "openAiPrivate" | "openAiPublicKept">): Probe[] {
  const deployments = `${endpoint.replace(/\/$/, "")}/openai/deployments?api-version=2024-10-21`;
  const probes: Probe[] = [
    {
      name: `${prefix}-refuses-internet`,
      from: "internet",
      request: { method: "GET", url: deployments, withSubscriptionKey: false },
      expect: { status: 403 },
      why:
        p.openAiPrivate && !p.openAiPublicKept
          ? "Azure OpenAI's public endpoint is off: the account answers only through its private endpoint in the VNet"
          : "Azure OpenAI admits only APIM's addresses and the AKS subnet; nobody else reaches it, token or not",
    },
  ];
  if (p.openAiPrivate) {
    probes.push({
      name: `${prefix}-private-endpoint`,
      from: "vnet",
      request: { method: "GET", url: deployments, withSubscriptionKey: false },
      expect: { status: 401 },
      why: "inside the VNet the account's name resolves to its private endpoint, which reaches the account (401: a token is still required)",
    });
  }
  return probes;
}

/** A short streamed chat request: enough tokens for several events, few enough to cost next to nothing. */
export const STREAMED_CHAT = {
  messages: [{ role: "user", content: "Count from 1 to 10, one number per line." }],
  stream: true,
  max_completion_tokens: 1000,
} as const;

/** Scenarios whose AI API must not answer a direct call from the internet. */
export const BACKEND_PRIVATE_FROM_INTERNET = Object.fromEntries(
  Object.entries(SCENARIO_TRAITS).map(([name, traits]) => [name, backendPrivateFromInternet(traits)]),
) as Record<ScenarioName, boolean>;

/** Whether the caller allow-list admits the probes' origin; true without a list. */
export function callerAdmitted(from: ProbeOrigin, filter: ProbeSettings["callerFilter"]): boolean {
  if (!filter) return true;
  if (from === "internet") return false;
  const subnet = parseCidr(filter.vnetProbeSubnet);
  return subnet !== undefined && filter.allowedRanges.some((r) => {
    const range = parseCidr(r);
    return range !== undefined && contains(range, subnet);
  });
}

/**
 * An SQL injection in the query string: `' OR '1'='1`, which the Default Rule Set's SQL injection rules (group
 * REQUEST-942-APPLICATION-ATTACK-SQLI) score as critical, over the anomaly threshold of 5 that blocks in
 * Prevention mode. https://learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-crs-rulegroups-rules
 */
export const SQL_INJECTION_QUERY = "id=1%27%20OR%20%271%27%3D%271";

/** What the edge's probes need besides its URL. */
export interface EdgeProbeSettings {
  /** The caller allow-list: behind the edge it judges the forwarded caller, here the machine running verify. */
  callerFilter?: ProbeSettings["callerFilter"];
  /** APIM's private address, which no caller on the internet may reach past the edge. */
  apimPrivateAddress?: string;
  /** The tier; the Consumption tier relays no event stream (never Internal, but judged like the direct probe). */
  apimSku?: ApimSku;
}

/**
 * Through the edge from the internet. Every call trusts the edge's own CA (the listener's certificate is issued
 * by a CA the stack makes), so the certificate is checked on each, key or not. Keyed calls first, in this order,
 * so that probesFor can place them before the rate-limit burst uses up the key's calls:
 * - with the key, the WAF passes the call to APIM, which answers 200, or 403 from the caller filter, which
 *   behind the edge judges the forwarded caller (this machine, outside the list);
 * - a streamed chat call arrives as several reads of events: the App Gateway's response buffering is off
 *   (components/AppGateway.ts EDGE_BUFFERING; https://learn.microsoft.com/azure/application-gateway/proxy-buffers);
 * then keyless ones, so that the answer tells which hop spoke:
 * - APIM's 401 (the WAF let the call through to the gateway);
 * - the WAF's own 403 for the injection, before APIM sees it. A WAF in Prevention mode answers a blocked request
 *   with 403. https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview#waf-modes
 * - APIM's private address, called directly, answers nothing: no key is sent to whatever might answer there.
 */
export function edgeProbes(edgeUrl: string, apiBasePath: string, s: EdgeProbeSettings = {}): Probe[] {
  const api = `${edgeUrl.replace(/\/$/, "")}/${apiBasePath}`;
  const admitted = callerAdmitted("internet", s.callerFilter);
  const keyed: Probe[] = admitted
    ? [
        {
          name: "edge-accepts-key",
          from: "internet",
          request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true, trust: "edge" },
          expect: { status: 200 },
          why: "a subscriber on the internet reaches the AI API through the WAF and APIM's private gateway",
        },
        {
          name: "edge-streams-chat-events",
          from: "internet",
          request: { method: "POST", url: `${api}${CHAT_PATH}`, withSubscriptionKey: true, body: STREAMED_CHAT, trust: "edge" },
          expect: s.apimSku === "Consumption" ? { status: 200 } : { status: 200, eventReadsAtLeast: 2 },
          why: "the App Gateway passes the streamed answer on as it comes (response buffering off), event by event",
        },
      ]
    : [
        {
          name: "edge-refuses-caller-outside-ranges",
          from: "internet",
          request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true, trust: "edge" },
          expect: { status: 403 },
          why: `behind the edge the gateway judges the forwarded caller, and admits only ${s.callerFilter!.allowedRanges.join(", ")} (apimAllowedCallerRanges); this probe calls from outside them`,
        },
      ];
  const probes: Probe[] = [
    ...keyed,
    {
      name: "edge-passes-normal-call",
      from: "internet",
      request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: false, trust: "edge" },
      expect: { status: 401 },
      why: "the WAF passes an ordinary call to APIM's private gateway, which asks for its subscription key",
    },
    {
      name: "edge-waf-blocks-sql-injection",
      from: "internet",
      request: { method: "GET", url: `${api}/healthz?${SQL_INJECTION_QUERY}`, withSubscriptionKey: false, trust: "edge" },
      expect: { status: 403 },
      why: "the WAF (Default Rule Set, Prevention mode) refuses an SQL injection before it reaches APIM",
    },
  ];
  if (s.apimPrivateAddress) {
    probes.push({
      name: "apim-private-address-unreachable-from-internet",
      from: "internet",
      request: { method: "GET", url: `https://${s.apimPrivateAddress}/${apiBasePath}/healthz`, withSubscriptionKey: false },
      expect: { unreachable: true },
      why: `APIM's private address ${s.apimPrivateAddress} lies in the VNet: from the internet nothing answers there, only the edge leads in`,
    });
  }
  return probes;
}

export function probesFor(p: ProbeInputs): Probe[] {
  const traits: ProbeTraits = p.traits ?? SCENARIO_TRAITS[p.scenario];
  const sku = p.apimSku ?? traits.defaults.apimSku;
  // In Internal mode the gateway has only a private address: every call through APIM starts in the VNet.
  const from: ProbeOrigin = gatewayReach(traits);
  const api = `${p.gatewayUrl.replace(/\/$/, "")}/${p.apiBasePath}`;
  const missingKey: Probe = {
    name: "apim-rejects-missing-key",
    from,
    request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: false },
    expect: { status: 401 },
    why: "the product requires a subscription key",
  };
  // The allow-list is the product's policy, and a call without a key never reaches a product's scope: it
  // still gets 401. With a key, ip-filter refuses an address outside the list with 403 Forbidden, so from
  // outside the list nothing else through APIM can be observed.
  // https://learn.microsoft.com/azure/api-management/ip-filter-policy
  const refusedCaller: Probe | undefined = callerAdmitted(from, p.callerFilter)
    ? undefined
    : {
        name: "apim-refuses-caller-outside-ranges",
        from,
        request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true },
        expect: { status: 403 },
        why: `the gateway admits only ${p.callerFilter!.allowedRanges.join(", ")} (apimAllowedCallerRanges); this probe calls from outside them, key or not`,
      };
  // validate-client-certificate refuses a call without a certificate, or with one the gateway does not admit,
  // with 401 ("Client certificate missing" / "Invalid client certificate"; ErrorReason ClientCertificateNotFound,
  // ClientCertificateNotTrusted or ClientCertificateIdentityNotMatched), as recorded against live gateways in
  // ronaldbosma/blog-code-examples apim-client-certificate-series. Like the allow-list it is the product's policy:
  // it runs after the key check. https://learn.microsoft.com/azure/api-management/validate-client-certificate-policy
  const certificateRefusals: Probe[] =
    p.clientCertificates && !refusedCaller
      ? [
          {
            name: "apim-refuses-missing-client-certificate",
            from,
            request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true },
            expect: { status: 401 },
            why: "the product requires a client certificate from the stack's CA (apimClientCertificates); this call presents none, key or not",
          },
          {
            name: "apim-refuses-foreign-client-certificate",
            from,
            request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true, clientCertificate: "foreign" },
            expect: { status: 401 },
            why: "a certificate from another CA (made up by verify at run time) is not one the gateway admits",
          },
        ]
      : [];
  const probes: Probe[] = refusedCaller
    ? [missingKey, refusedCaller]
    : [
        missingKey,
        ...certificateRefusals,
        {
          name: "apim-accepts-key",
          from,
          request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true },
          expect: { status: 200 },
          why: p.clientCertificates
            ? "a subscriber presenting the client certificate the stack issued reaches the AI API through APIM"
            : "a subscriber reaches the AI API through APIM",
        },
        {
          // Before the burst below, which uses up the rate limit. A streamed answer relayed as it is produced
          // arrives in several reads; APIM's default response buffering (8 KB) would deliver it in one.
          // https://learn.microsoft.com/azure/api-management/how-to-server-sent-events
          name: "apim-streams-chat-events",
          from,
          request: { method: "POST", url: `${api}${CHAT_PATH}`, withSubscriptionKey: true, body: STREAMED_CHAT },
          // The Consumption tier does not support the long-running connections SSE relies on (same page): status only.
          expect: sku === "Consumption" ? { status: 200 } : { status: 200, eventReadsAtLeast: 2 },
          why: "the AI API's OpenAI-compatible route streams answers through APIM as server-sent events",
        },
        // Before the burst below too: the product's rate limit covers the Azure OpenAI API as well.
        ...(p.openAiApi && p.openAiEndpoint && p.openAiSecondaryEndpoint ? [modelFailoverProbe(from, p.gatewayUrl, p.openAiApi, [p.openAiEndpoint, p.openAiSecondaryEndpoint])] : []),
        {
          name: "apim-rate-limits-burst",
          from,
          request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true, repeat: p.rateLimitCalls + 5 },
          expect: { statusOnLast: 429 },
          why: `more than ${p.rateLimitCalls} calls in the renewal period are refused`,
        },
      ];
  // Every other keyed call through the gateway presents the issued certificate, or the product refuses it.
  if (p.clientCertificates) {
    const gateway = p.gatewayUrl.replace(/\/$/, "");
    for (const probe of probes) {
      if (probe.request.withSubscriptionKey && probe.request.url.startsWith(gateway) && !probe.name.startsWith("apim-refuses-")) probe.request.clientCertificate = "issued";
    }
    if (refusedCaller) refusedCaller.request.clientCertificate = "issued";
    // The keyless call too, so that it is judged on the key alone: the Consumption tier's switch "enforces a
    // client certificate to be presented on each request" (enableClientCertificate, REST API description).
    missingKey.request.clientCertificate = "issued";
  }
  if (from === "vnet") {
    probes.push({
      name: "apim-unreachable-from-internet",
      from: "internet",
      request: { method: "GET", url: `${api}/healthz`, withSubscriptionKey: true },
      expect: { unreachable: true },
      why: p.edge ? "Internal mode gives the gateway no public endpoint: the edge is the only way in" : "Internal mode gives the gateway no public endpoint",
    });
  }
  if (p.edge) {
    const through = edgeProbes(p.edge.url, p.apiBasePath, { callerFilter: p.callerFilter, apimPrivateAddress: p.edge.apimPrivateAddress, apimSku: sku });
    // The keyed calls through the edge count against the key's rate limit: before the burst that uses it up.
    const burst = probes.findIndex((probe) => probe.name === "apim-rate-limits-burst");
    const keyed = through.filter((probe) => probe.request.withSubscriptionKey);
    probes.splice(burst < 0 ? probes.length : burst, 0, ...keyed);
    probes.push(...through.filter((probe) => !probe.request.withSubscriptionKey));
  }
  probes.push(
    backendPrivateFromInternet(traits)
      ? {
          name: "backend-refuses-direct-call",
          from: "internet",
          request: { method: "GET", url: `https://${p.backendHost}/healthz`, withSubscriptionKey: false },
          // Admitting APIM only: HTTPS to the ingress passes the AKS subnet's NSG only from the region's Azure
          // ranges and Traefik's NetworkPolicy only from APIM's, so a caller elsewhere gets no connection at all.
          expect: { unreachable: true },
          why:
            traits.backendAdmission === "apim-only"
              ? `HTTPS reaches the ingress only from the ranges APIM calls from (NSG, NetworkPolicy, allow-list)${traits.secondFactor === "none" ? "" : ", and then only with APIM's secret"}`
              : "the AI API listens only on an internal load balancer",
        }
      : {
          name: "backend-answers-direct-call",
          from: "internet",
          request: { method: "GET", url: `https://${p.backendHost}/healthz`, withSubscriptionKey: false },
          expect: { status: 200 },
          why: "the public baseline leaves the backend open: the gap the other scenarios close",
        },
  );
  if (p.openAiEndpoint) probes.push(...modelProbes("openai", p.openAiEndpoint, p));
  // The failover account must be as closed as the primary: probed the same way, under its own names.
  if (p.openAiSecondaryEndpoint) probes.push(...modelProbes("openai-secondary", p.openAiSecondaryEndpoint, p));
  return probes;
}
