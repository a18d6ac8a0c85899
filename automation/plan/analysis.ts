/**
 * What a scenario's resource graph says about exposure and protection: which endpoints face the internet
 * and what guards each hop of a request (client -> APIM -> ingress -> AI API -> model). Everything is read
 * from the registered resources (APIM's policy XML, VNet modes, load balancer annotations, NetworkPolicies,
 * role assignments); the scenario's declared traits are used only where the graph has nothing to say, and
 * such findings are marked `from: "traits"`. Pure functions.
 */
import { XMLParser } from "fast-xml-parser";
import { SCENARIO_TRAITS } from "../../config/defaults";
import type { ScenarioName } from "../../config/schema";
import type { RegisteredResource } from "../mock-engine";
import { serviceLoadBalancer, valueAt } from "./estimates";
import { backendCertificate } from "./certificate-path";
import { edgeEndpoint, internetEntry } from "./edge";
import type { Tone } from "./model";
import { MODEL_FAILOVER, MODEL_REACHED_PRIVATELY, modelFailover, modelReach } from "./model-path";

export const T = {
  apim: "azure-native:apimanagement:ApiManagementService",
  api: "azure-native:apimanagement:Api",
  product: "azure-native:apimanagement:Product",
  productPolicy: "azure-native:apimanagement:ProductPolicy",
  apiPolicy: "azure-native:apimanagement:ApiPolicy",
  namedValue: "azure-native:apimanagement:NamedValue",
  aks: "azure-native:containerservice:ManagedCluster",
  openAi: "azure-native:cognitiveservices:Account",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  federated: "azure-native:managedidentity:FederatedIdentityCredential",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  vnet: "azure-native:network:VirtualNetwork",
  nsg: "azure-native:network:NetworkSecurityGroup",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
} as const;

const OPENAI_USER_ROLE = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";

/** Who can open a connection to an endpoint. */
export type Reach = "internet" | "internet-restricted" | "vnet" | "none" | "unknown";

export interface Endpoint {
  name: string;
  reach: Reach;
  /** Short, for a table cell. */
  summary: string;
  detail: string;
  /** Read from the graph, or (where the graph cannot say) from the scenario's traits. */
  from: "graph" | "traits";
}

export interface Protection {
  name: string;
  /** `true` present, `false` absent, `null` not applicable / not in the graph. */
  present: boolean | null;
  /** Short value for a table cell. */
  summary: string;
  detail: string;
  from: "graph" | "traits";
  /** The table's mark where it is not the one `present` gives: "warn" for restricted rather than missing (not a gap). */
  tone?: Tone;
}

export interface Hop {
  id: "client-apim" | "apim-ingress" | "ingress-api" | "api-model";
  name: string;
  protections: Protection[];
}

/**
 * The shared stack an attendee stack reads (workshop mode, docs/workshop.md): its name and outputs, which the
 * offline plan simulates by evaluating the shared half.
 */
export interface SharedStackView {
  name: string;
  outputs: Record<string, { value: unknown }>;
}

export interface ScenarioAnalysis {
  /** An attendee stack's: the shared stack it reads, and the topology and tier that stack was built with. */
  sharedStack?: { name: string; topology: ScenarioName; apimSku?: string };
  customResources: number;
  components: number;
  /** Custom resources by provider package (`azure-native`, `kubernetes`, ...). */
  byPackage: Record<string, number>;
  apimSku?: string;
  apimVnetMode: string;
  /** Whether the graph has a Kubernetes layer (ingress, workload). */
  kubernetesLayer: boolean;
  /** `edge`: an Application Gateway in front of APIM, where the graph has one. */
  endpoints: { apim: Endpoint; ingress: Endpoint; aksApi: Endpoint; openAi: Endpoint; edge?: Endpoint };
  hops: Hop[];
  /** Protections the graph shows are missing on a hop where another scenario has them, in words. */
  gaps: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Policy XML

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true, trimValues: true, parseTagValue: false, parseAttributeValue: false });

/** Parses APIM policy XML into a plain element tree (one synthetic root). Invalid XML gives an empty tree. */
export function parsePolicy(xml: string): XmlElement {
  const convert = (nodes: any[]): XmlElement[] =>
    nodes
      .filter((n) => !("#text" in n))
      .map((n) => {
        const name = Object.keys(n).find((k) => k !== ":@")!;
        const kids = n[name] as any[];
        const text = kids
          .filter((k) => "#text" in k)
          .map((k) => String(k["#text"]))
          .join("");
        return { name, attrs: (n[":@"] ?? {}) as Record<string, string>, children: convert(kids), text };
      });
  try {
    return { name: "#root", attrs: {}, children: convert(parser.parse(xml) as any[]), text: "" };
  } catch {
    return { name: "#root", attrs: {}, children: [], text: "" };
  }
}

export function findElements(root: XmlElement, ...names: string[]): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (names.includes(e.name)) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Graph helpers

const ofType = (rs: readonly RegisteredResource[], type: string) => rs.filter((r) => r.type === type);

/** Every value under `key` anywhere in the inputs of the resources (deep). */
export function deepValues(rs: readonly RegisteredResource[], key: string): { resource: RegisteredResource; value: unknown }[] {
  const out: { resource: RegisteredResource; value: unknown }[] = [];
  const walk = (r: RegisteredResource, v: unknown) => {
    if (Array.isArray(v)) v.forEach((x) => walk(r, x));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === key) out.push({ resource: r, value: x });
        walk(r, x);
      }
    }
  };
  for (const r of rs) walk(r, r.inputs);
  return out;
}

const period = (seconds: number) =>
  seconds % 86400 === 0 ? `${seconds / 86400}d` : seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 && seconds >= 60 ? `${seconds / 60}min` : `${seconds}s`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

interface PolicyView {
  /** Policies that apply to the AI API: the product's and the AI API's own. */
  ai: XmlElement[];
  /** Policies that apply to the Azure OpenAI API. */
  openAi: XmlElement[];
  aiApi?: RegisteredResource;
  openAiApi?: RegisteredResource;
}

/** The APIs and the policy documents that apply to each, linked through property dependencies. */
function policyView(rs: readonly RegisteredResource[]): PolicyView {
  const apis = ofType(rs, T.api);
  const isOpenAi = (api: RegisteredResource) => /openai/i.test(String(api.inputs.path ?? "")) || /openai/i.test(String(api.inputs.apiId ?? ""));
  const aiApi = apis.find((a) => !isOpenAi(a));
  const openAiApi = apis.find(isOpenAi);
  const products = ofType(rs, T.productPolicy).map((p) => parsePolicy(String(p.inputs.value ?? "")));
  const apiPolicies = ofType(rs, T.apiPolicy);
  const forApi = (api?: RegisteredResource) =>
    api ? apiPolicies.filter((p) => (p.propertyDependencies.apiId ?? p.dependencies).includes(api.urn) || p.inputs.apiId === api.inputs.apiId).map((p) => parsePolicy(String(p.inputs.value ?? ""))) : [];
  return { ai: [...products, ...forApi(aiApi)], openAi: [...products, ...forApi(openAiApi)], aiApi, openAiApi };
}

const find = (docs: XmlElement[], ...names: string[]) => docs.flatMap((d) => findElements(d, ...names));

// ---------------------------------------------------------------------------------------------------------
// Endpoints

function apimEndpoint(rs: readonly RegisteredResource[]): Endpoint {
  const apim = ofType(rs, T.apim)[0];
  if (!apim) return { name: "APIM gateway", reach: "unknown", summary: "not in graph", detail: "no API Management service in the graph", from: "graph" };
  const mode = String(apim.inputs.virtualNetworkType ?? "None");
  if (apim.inputs.publicNetworkAccess === "Disabled" && mode !== "Internal") {
    return { name: "APIM gateway", reach: "none", summary: "private endpoint only", detail: "publicNetworkAccess Disabled", from: "graph" };
  }
  if (mode === "Internal") {
    return { name: "APIM gateway", reach: "vnet", summary: "VNet only", detail: "Internal VNet mode: private VIP, reached through private DNS inside the VNet", from: "graph" };
  }
  return {
    name: "APIM gateway",
    reach: "internet",
    summary: "internet",
    detail: mode === "External" ? "External VNet mode: public gateway, backends reached inside the VNet" : "no VNet: public gateway",
    from: "graph",
  };
}

function ingressEndpoint(rs: readonly RegisteredResource[], scenario: ScenarioName, allowList: string[]): Endpoint {
  const lbs = rs.map((r) => ({ r, lb: serviceLoadBalancer(r) })).filter((x) => x.lb);
  if (lbs.length) {
    const pub = lbs.find((x) => x.lb === "public");
    if (pub) {
      return allowList.length
        ? { name: "AI API ingress", reach: "internet-restricted", summary: "internet, allow-list", detail: `public load balancer admitting ${allowList.join(", ")}`, from: "graph" }
        : { name: "AI API ingress", reach: "internet", summary: "internet", detail: "public load balancer, open to any address", from: "graph" };
    }
    return { name: "AI API ingress", reach: "vnet", summary: "VNet only", detail: "internal load balancer (azure-load-balancer-internal)", from: "graph" };
  }
  const traits = SCENARIO_TRAITS[scenario];
  return {
    name: "AI API ingress",
    reach: traits.publicIngress ? "internet" : "vnet",
    summary: traits.publicIngress ? "internet*" : "VNet only*",
    detail: `no load balancer service in the graph yet: ${traits.publicIngress ? "public" : "internal"} load balancer per the scenario's traits`,
    from: "traits",
  };
}

function aksEndpoint(rs: readonly RegisteredResource[]): Endpoint {
  const aks = ofType(rs, T.aks)[0];
  if (!aks) return { name: "AKS API server", reach: "unknown", summary: "not in graph", detail: "no AKS cluster in the graph", from: "graph" };
  const access = (aks.inputs.apiServerAccessProfile ?? {}) as Record<string, unknown>;
  const auth: string[] = [];
  if (valueAt(aks.inputs, "aadProfile.managed") === true || valueAt(aks.inputs, "aadProfile.enableAzureRBAC") === true) auth.push("Entra ID");
  if (aks.inputs.disableLocalAccounts === true) auth.push("no local accounts");
  const authText = auth.length ? ` (${auth.join(", ")})` : "";
  if (access.enablePrivateCluster === true) return { name: "AKS API server", reach: "vnet", summary: "VNet only", detail: `private cluster${authText}`, from: "graph" };
  const ranges = (access.authorizedIPRanges ?? []) as string[];
  if (ranges.length) {
    return { name: "AKS API server", reach: "internet-restricted", summary: "internet, IP ranges", detail: `authorized IP ranges ${ranges.join(", ")}${authText}`, from: "graph" };
  }
  return { name: "AKS API server", reach: "internet", summary: auth.length ? "internet, Entra ID" : "internet", detail: `public API server${authText}`, from: "graph" };
}

function openAiEndpoint(rs: readonly RegisteredResource[]): Endpoint {
  const account = ofType(rs, T.openAi)[0];
  if (!account) return { name: "Azure OpenAI", reach: "unknown", summary: "not in graph", detail: "no Azure OpenAI account in the graph", from: "graph" };
  const props = (account.inputs.properties ?? {}) as Record<string, unknown>;
  const keyless = props.disableLocalAuth === true;
  const auth = keyless ? "Entra ID only, no keys" : "keys enabled";
  if (props.publicNetworkAccess === "Disabled") return { name: "Azure OpenAI", reach: "none", summary: "private endpoint", detail: `public network access disabled; ${auth}`, from: "graph" };
  if (valueAt(props, "networkAcls.defaultAction") === "Deny") {
    return { name: "Azure OpenAI", reach: "internet-restricted", summary: "internet, network ACL", detail: `network rules deny by default; ${auth}`, from: "graph" };
  }
  return { name: "Azure OpenAI", reach: "internet", summary: keyless ? "internet, Entra ID" : "internet, keys", detail: `public endpoint; ${auth}`, from: "graph" };
}

// ---------------------------------------------------------------------------------------------------------
// Hops

/**
 * APIM's VNet mode as the plan names it: outbound integration is sent as `External` with a subnet on a v2 tier
 * (components/ApiGateway.ts vnetProperties), which the plan calls "Integration" rather than injection.
 */
export function apimVnetModeOf(inputs: Record<string, unknown> | undefined): string {
  const type = String(inputs?.virtualNetworkType ?? "None");
  const sku = String(valueAt(inputs ?? {}, "sku.name") ?? "");
  return type === "External" && /V2$/.test(sku) ? "Integration" : type;
}

const yes = (name: string, summary: string, detail = summary): Protection => ({ name, present: true, summary, detail, from: "graph" });
const no = (name: string, detail: string, summary = "—"): Protection => ({ name, present: false, summary, detail, from: "graph" });
const na = (name: string, detail: string, summary = "n/a"): Protection => ({ name, present: null, summary, detail, from: "graph" });

function clientToApim(rs: readonly RegisteredResource[], view: PolicyView): Protection[] {
  const out: Protection[] = [];
  if (!view.aiApi) return [na("subscription key", "no API in the graph", "not in graph")];
  const product = ofType(rs, T.product)[0];
  const keyRequired = view.aiApi.inputs.subscriptionRequired !== false && (product?.inputs.subscriptionRequired ?? true) !== false;
  out.push(keyRequired ? yes("subscription key", "required") : no("subscription key", "the API does not require a subscription key", "not required"));

  const jwt = find(view.ai, "validate-jwt", "validate-azure-ad-token");
  out.push(jwt.length ? yes("JWT validation", jwt[0].name, `${jwt[0].name} (${find(jwt, "issuer").map((i) => i.text).join(", ") || "issuer from OpenID config"})`) : na("JWT validation", "no validate-jwt policy: optional, set jwtIssuer and jwtAudience to require a token", "not configured"));

  const rate = find(view.ai, "rate-limit", "rate-limit-by-key");
  out.push(
    rate.length
      ? yes("rate limit", `${rate[0].attrs.calls}/${period(Number(rate[0].attrs["renewal-period"]))}`, `${rate[0].name}: ${rate[0].attrs.calls} calls per ${rate[0].attrs["renewal-period"]} s`)
      : no("rate limit", "no rate-limit policy"),
  );
  const quota = find(view.ai, "quota", "quota-by-key");
  out.push(
    quota.length
      ? yes("quota", `${quota[0].attrs.calls}/${period(Number(quota[0].attrs["renewal-period"]))}`, `${quota[0].name}: ${quota[0].attrs.calls} calls per ${quota[0].attrs["renewal-period"]} s`)
      : no("quota", "no quota policy"),
  );
  const tokens = find(view.openAi, "azure-openai-token-limit", "llm-token-limit");
  out.push(
    tokens.length
      ? yes("token limit", `${tokens[0].attrs["tokens-per-minute"] ?? "?"} tok/min`, `${tokens[0].name} on the Azure OpenAI API: ${tokens[0].attrs["tokens-per-minute"]} tokens per minute`)
      : no("token limit", "no token limit policy on the Azure OpenAI API (not available in this tier, or not configured)", "— (tier)"),
  );
  const cors = find(view.ai, "cors");
  const origins = find(cors, "origin").map((o) => o.text);
  out.push(
    cors.length
      ? origins.includes("*")
        ? no("CORS", "CORS allows any origin (*)", "any origin")
        : yes("CORS", plural(origins.length, "origin"), `allowed origins: ${origins.join(", ")}`)
      : no("CORS", "no cors policy: browsers on other origins are refused", "none"),
  );
  const httpsOnly = (view.aiApi.inputs.protocols as string[] | undefined)?.every((p) => p === "https");
  const apim = ofType(rs, T.apim)[0];
  const props = (apim?.inputs.customProperties ?? {}) as Record<string, string>;
  const oldTlsOff = Object.entries(props).some(([k, v]) => /Protocols\.Tls11$/.test(k) && !/Backend/.test(k) && v === "False");
  out.push(
    httpsOnly
      ? yes("TLS", oldTlsOff ? "HTTPS, TLS 1.2+" : "HTTPS", `API protocols: https only${oldTlsOff ? "; TLS 1.0/1.1 and SSL 3.0 disabled on the gateway" : "; tier keeps platform TLS defaults"}`)
      : no("TLS", "the API also accepts plain HTTP", "HTTP allowed"),
  );
  // apimAllowedCallerRanges: an ip-filter at product or API scope.
  const ipFilter = find(view.ai, "ip-filter");
  const admitted = find(ipFilter, "address", "address-range").map((a) => (a.name === "address" ? a.text : `${a.attrs.from}-${a.attrs.to}`));
  out.push(
    ipFilter.length === 0
      ? na("caller filter", "no ip-filter: any address with a key reaches the APIs; set apimAllowedCallerRanges to admit only listed callers", "any address")
      : ipFilter[0].attrs.action === "allow"
        ? yes("caller filter", plural(admitted.length, "range"), `ip-filter admits only ${admitted.join(", ")}`)
        : yes("caller filter", `${ipFilter[0].attrs.action ?? "ip-filter"}`, `ip-filter ${ipFilter[0].attrs.action}: ${admitted.join(", ")}`),
  );
  const clientCert = find(view.ai, "validate-client-certificate");
  out.push(clientCertificateRow(clientCert[0], ofType(rs, T.apim)[0]));
  return out;
}

/**
 * The "client certificate" row: what validate-client-certificate admits (a chain to a CA in the service's store,
 * certificates pinned by thumbprint, or other claims), and whether the gateway asks for a certificate at all
 * (negotiateClientCertificate on a host name on classic tiers, enableClientCertificate on Consumption and v2):
 * a policy on a gateway that never asks refuses every caller.
 */
function clientCertificateRow(check: XmlElement | undefined, apim: RegisteredResource | undefined): Protection {
  if (!check) return na("client certificate", "no validate-client-certificate: callers present no certificate", "not required");
  const identities = check.children.find((c) => c.name === "identities")?.children ?? [];
  const trusted = check.attrs["validate-trust"] !== "false";
  const pinned = identities.filter((i) => i.attrs.thumbprint).length;
  const issuer = identities.map((i) => i.attrs["issuer-thumbprint"]).find(Boolean);
  const hosts = (apim?.inputs.hostnameConfigurations as { hostName?: string; negotiateClientCertificate?: boolean }[] | undefined) ?? [];
  const negotiated = hosts.filter((h) => h.negotiateClientCertificate === true).map((h) => h.hostName);
  const asks = negotiated.length ? `negotiated on ${negotiated.join(", ")}` : apim?.inputs.enableClientCertificate === true ? "requested by the gateway (enableClientCertificate)" : undefined;
  if (!asks) return no("client certificate", "validate-client-certificate, but the gateway never asks for a certificate (no negotiateClientCertificate, no enableClientCertificate): every call is refused", "not asked for");
  const [summary, what] = trusted
    ? ["CA-checked", `chain to a trusted CA${issuer ? `, issuer ${issuer.slice(0, 8)}…` : ""}`]
    : pinned
      ? ["pinned", `${plural(pinned, "certificate")} by thumbprint, no CA store to check the chain against`]
      : ["claims only", "claims only, the chain is not checked"];
  return yes("client certificate", summary, `validate-client-certificate: ${what}; ${asks}`);
}

function apimToIngress(rs: readonly RegisteredResource[], view: PolicyView, endpoints: ScenarioAnalysis["endpoints"], allowList: string[], shared?: SharedContext): Protection[] {
  const out: Protection[] = [];
  const url = String(view.aiApi?.inputs.serviceUrl ?? "");
  out.push(
    url.startsWith("https://")
      ? yes("TLS", "HTTPS", `backend ${url}`)
      : url
        ? no("TLS", `backend ${url} is plain HTTP`, "plain HTTP")
        : na("TLS", "no backend URL in the graph", "not in graph"),
  );
  out.push(backendCertificate(rs, url));
  const apim = ofType(rs, T.apim)[0];
  // An attendee stack's APIM is the shared stack's: its VNet mode is the topology's (Integration is sent as External).
  const apimMode = apim || !shared ? String(apim?.inputs.virtualNetworkType ?? "None") : shared.traits.vnetMode === "Integration" ? "External" : shared.traits.vnetMode;
  const privatePath = apimMode !== "None" && endpoints.ingress.reach === "vnet";
  const whose = !apim && shared ? ` (APIM is the shared stack ${shared.name}'s)` : "";
  out.push(
    privatePath
      ? { ...yes("private network", "VNet", `APIM (${apimMode} mode) reaches an internal load balancer inside the VNet${whose}`), from: endpoints.ingress.from }
      : { ...no("private network", `${apimMode === "None" ? "APIM is outside any VNet: the call crosses the internet" : "the ingress is public"}${whose}`, "internet"), from: endpoints.ingress.from },
  );
  // On a private path the VNet is the boundary; an allow-list or a secret header would be defence in depth.
  const missing = (name: string, detail: string) => (privatePath ? { ...na(name, `${detail} (the path is private)`, "n/a (VNet)"), from: endpoints.ingress.from } : no(name, detail));
  out.push(allowList.length ? yes("allow-list", plural(allowList.length, "range"), `ingress admits only ${allowList.join(", ")}`) : missing("allow-list", "no IP allow-list at the ingress"));

  // An instance-bound secret APIM presents: a header set from a named value, or basic credentials.
  const headers = find(view.ai, "set-header").filter((h) => h.attrs["exists-action"] !== "delete" && /\{\{.+\}\}/.test(find([h], "value").map((v) => v.text).join("")));
  const basic = find(view.ai, "authentication-basic").filter((b) => /^\{\{.+\}\}$/.test(String(b.attrs.password ?? "")));
  const namedSecrets = ofType(rs, T.namedValue).filter((n) => n.inputs.secret === true);
  const from = namedSecrets.length ? "a secret named value" : "a named value";
  out.push(
    headers.length
      ? yes("instance secret", headers[0].attrs.name, `APIM adds ${headers.map((h) => h.attrs.name).join(", ")} from ${from}`)
      : basic.length
        ? yes("instance secret", "basic auth", `APIM presents basic credentials (user ${basic[0].attrs.username}) from ${from}; the ingress checks them`)
        : missing("instance secret", "APIM adds no instance-bound secret for the ingress to check"),
  );
  const cert = find(view.ai, "authentication-certificate");
  if (cert.length) out.push(yes("client certificate", "mTLS"));
  const local = deepValues(rs, "externalTrafficPolicy").find((v) => v.value === "Local");
  if (local) out.push(yes("client address kept", "Local", "externalTrafficPolicy: Local keeps APIM's address for the allow-list"));
  return out;
}

function ingressToApi(rs: readonly RegisteredResource[], kubernetesLayer: boolean): Protection[] {
  const policies = ofType(rs, T.networkPolicy);
  const aks = ofType(rs, T.aks)[0];
  const engine = aks ? valueAt(aks.inputs, "networkProfile.networkPolicy") : undefined;
  const out: Protection[] = [];
  if (!kubernetesLayer) {
    out.push(na("NetworkPolicy", "no Kubernetes layer in the graph yet", "no k8s layer"));
  } else if (policies.length) {
    const names = policies.map((p) => String(valueAt(p.inputs, "metadata.name") ?? p.name));
    out.push(yes("NetworkPolicy", plural(policies.length, "policy").replace("policys", "policies"), `NetworkPolicies: ${names.join(", ")}`));
  } else {
    out.push(no("NetworkPolicy", "no NetworkPolicy: any pod can call the AI API"));
  }
  out.push(
    engine && engine !== "none"
      ? yes("policy engine", String(engine), `cluster enforces NetworkPolicy with ${engine}`)
      : aks
        ? no("policy engine", "the cluster enforces no NetworkPolicy", "none")
        : na("policy engine", "no cluster in the graph"),
  );
  return out;
}

function apiToModel(rs: readonly RegisteredResource[], view: PolicyView): Protection[] {
  const out: Protection[] = [];
  const account = ofType(rs, T.openAi)[0];
  const roleGrants = ofType(rs, T.roleAssignment).filter((r) => String(r.inputs.roleDefinitionId ?? "").endsWith(OPENAI_USER_ROLE));
  const federated = ofType(rs, T.federated);
  const saAnnotated = ofType(rs, T.serviceAccount).filter((s) => valueAt(s.inputs, "metadata.annotations") && "azure.workload.identity/client-id" in ((valueAt(s.inputs, "metadata.annotations") as object) ?? {}));
  const aks = ofType(rs, T.aks)[0];
  const wiEnabled = aks ? valueAt(aks.inputs, "securityProfile.workloadIdentity.enabled") === true : false;
  if (federated.length || saAnnotated.length) {
    out.push(yes("workload identity", "yes", `federated credential${federated.length > 1 ? "s" : ""} for ${federated.map((f) => String(f.inputs.subject ?? f.name)).join(", ") || "the service account"}`));
  } else {
    out.push(
      wiEnabled
        ? no("workload identity", "the cluster has workload identity enabled, but no federated credential for the AI API is in the graph yet", "cluster only")
        : no("workload identity", "no workload identity for the AI API"),
    );
  }
  const apimMi = find(view.openAi, "authentication-managed-identity");
  out.push(apimMi.length ? yes("APIM identity", "managed id.", `APIM calls Azure OpenAI with its managed identity (audience ${apimMi[0].attrs.resource})`) : no("APIM identity", "APIM does not authenticate to Azure OpenAI with its identity"));
  out.push(
    roleGrants.length
      ? yes("OpenAI User role", plural(roleGrants.length, "grant"), `Cognitive Services OpenAI User on the account for ${plural(roleGrants.length, "principal")}`)
      : no("OpenAI User role", "no Cognitive Services OpenAI User grant"),
  );
  const props = (account?.inputs.properties ?? {}) as Record<string, unknown>;
  out.push(
    !account
      ? na("local auth disabled", "no Azure OpenAI account in the graph")
      : props.disableLocalAuth === true
        ? yes("local auth disabled", "keys off", "disableLocalAuth: only Entra ID tokens are accepted")
        : no("local auth disabled", "API keys are accepted", "keys on"),
  );
  out.push(modelReach(rs), modelFailover(rs, view.openAi));
  return out;
}

/** Allow-list ranges at the ingress: Traefik ipAllowList middleware, or loadBalancerSourceRanges. */
export function ingressAllowList(rs: readonly RegisteredResource[]): string[] {
  const ranges = new Set<string>();
  for (const { value } of deepValues(rs, "ipAllowList")) {
    for (const r of ((value as Record<string, unknown>)?.sourceRange ?? []) as string[]) ranges.add(String(r));
  }
  for (const { value } of deepValues(rs, "loadBalancerSourceRanges")) for (const r of (value ?? []) as string[]) ranges.add(String(r));
  return [...ranges];
}

interface SharedContext {
  name: string;
  topology: ScenarioName;
  apimSku?: string;
  traits: (typeof SCENARIO_TRAITS)[ScenarioName];
}

function sharedContext(scenario: ScenarioName, shared: SharedStackView | undefined): SharedContext | undefined {
  if (!shared) return undefined;
  const topology = shared.outputs.topology?.value;
  const known = typeof topology === "string" && topology in SCENARIO_TRAITS ? (topology as ScenarioName) : scenario;
  const sku = shared.outputs.apimSku?.value;
  return { name: shared.name, topology: known, apimSku: typeof sku === "string" ? sku : undefined, traits: SCENARIO_TRAITS[known] };
}

/**
 * In an attendee stack's graph, what the shared stack holds (APIM, the cluster, the account, the issuer) is
 * absent: the rows read from it say so instead of "not in graph" or n/a, and name the shared stack.
 */
function markShared(hops: Hop[], endpoints: ScenarioAnalysis["endpoints"], rs: readonly RegisteredResource[], shared: SharedContext): void {
  const absent = (type: string) => !rs.some((r) => r.type === type);
  const where = `the shared stack ${shared.name}'s; its plan shows it: scenarios plan ${shared.topology} --config workshopRole=shared`;
  const endpointOwners: [keyof ScenarioAnalysis["endpoints"], string][] = [
    ["apim", T.apim],
    ["aksApi", T.aks],
    ["openAi", T.openAi],
  ];
  for (const [key, type] of endpointOwners) {
    const e = endpoints[key];
    if (e && absent(type)) endpoints[key] = { ...e, reach: "unknown", summary: "shared stack", detail: `${e.name}: ${where}`, from: "graph" };
  }
  const rows: [Hop["id"], string, string][] = [
    ["apim-ingress", "certificate", "kubernetes:cert-manager.io/v1:ClusterIssuer"],
    ["ingress-api", "policy engine", T.aks],
    ["api-model", "local auth disabled", T.openAi],
    ["api-model", MODEL_REACHED_PRIVATELY, T.openAi],
    ["api-model", MODEL_FAILOVER, T.openAi],
  ];
  for (const [id, name, type] of rows) {
    const hop = hops.find((h) => h.id === id);
    const at = hop?.protections.findIndex((p) => p.name === name) ?? -1;
    if (hop && at >= 0 && absent(type)) hop.protections[at] = { name, present: null, summary: "shared stack", detail: `${name}: ${where}`, from: "graph" };
  }
}

/** `shared`: for an attendee stack (workshop mode), the shared stack it reads, whose resources its graph lacks. */
export function analyzeScenario(scenario: ScenarioName, resources: readonly RegisteredResource[], sharedStack?: SharedStackView): ScenarioAnalysis {
  const shared = sharedContext(scenario, sharedStack);
  const custom = resources.filter((r) => r.custom);
  const byPackage: Record<string, number> = {};
  for (const r of custom) {
    const pkg = r.type.startsWith("pulumi:providers:") ? "providers" : r.type.split(":")[0];
    byPackage[pkg] = (byPackage[pkg] ?? 0) + 1;
  }
  const kubernetesLayer = custom.some((r) => r.type.startsWith("kubernetes:"));
  const allowList = ingressAllowList(resources);
  const endpoints: ScenarioAnalysis["endpoints"] = {
    apim: apimEndpoint(resources),
    ingress: ingressEndpoint(resources, scenario, allowList),
    aksApi: aksEndpoint(resources),
    openAi: openAiEndpoint(resources),
  };
  const edge = edgeEndpoint(resources);
  if (edge) endpoints.edge = edge;
  const view = policyView(resources);
  const hops: Hop[] = [
    { id: "client-apim", name: "client → APIM", protections: [internetEntry(resources, endpoints.apim), ...clientToApim(resources, view)] },
    { id: "apim-ingress", name: "APIM → ingress", protections: apimToIngress(resources, view, endpoints, allowList, shared) },
    { id: "ingress-api", name: "ingress → AI API", protections: ingressToApi(resources, kubernetesLayer) },
    { id: "api-model", name: "AI API → model", protections: apiToModel(resources, view) },
  ];
  if (shared) markShared(hops, endpoints, resources, shared);
  const gaps: string[] = [];
  if (endpoints.ingress.reach === "internet") gaps.push("the AI API's ingress answers anyone on the internet: APIM's protections can be bypassed");
  if (endpoints.aksApi.reach === "internet") gaps.push("the AKS API server answers the whole internet (no authorized IP ranges): set aksApiAuthorizedRanges");
  for (const hop of hops) for (const p of hop.protections) if (p.present === false && p.tone !== "warn" && p.name !== "JWT validation") gaps.push(`${hop.name}: ${p.detail}`);
  const apim = ofType(resources, T.apim)[0];
  return {
    ...(shared ? { sharedStack: { name: shared.name, topology: shared.topology, ...(shared.apimSku ? { apimSku: shared.apimSku } : {}) } } : {}),
    customResources: custom.length,
    components: resources.length - custom.length,
    byPackage,
    apimSku: apim ? String(valueAt(apim.inputs, "sku.name")) : shared?.apimSku,
    apimVnetMode: apim || !shared ? apimVnetModeOf(apim?.inputs) : shared.traits.vnetMode,
    kubernetesLayer,
    endpoints,
    hops,
    gaps,
  };
}
