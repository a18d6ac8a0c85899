/**
 * Typed builders for API Management policy XML. Each builder validates its options against the policy's
 * reference page and returns one fragment; `composePolicy` places fragments in the sections of one scope's
 * `<policies>` document and refuses any fragment that the service's tier cannot run (see ./policy-support).
 * Pure functions.
 */
import { isIP } from "node:net";
import { XMLValidator } from "fast-xml-parser";
import { lastAddress, parseCidr } from "../config/cidr";
import type { ApimSku } from "../config/schema";
import {
  POLICY_SECTIONS,
  POLICY_SUPPORT,
  type PolicyName,
  type PolicyScope,
  type PolicySection,
  type PolicySupport,
} from "./policy-support";

export { ALL_TIERS, CLASSIC_TIERS, POLICY_NAMES, POLICY_SECTIONS, POLICY_SUPPORT, V2_TIERS } from "./policy-support";
export type { PolicyName, PolicyScope, PolicySection, PolicySupport } from "./policy-support";

export interface PolicyFragment {
  readonly policy: PolicyName;
  /** The section the fragment was built for; `composePolicy` refuses it anywhere else. */
  readonly section: PolicySection;
  readonly xml: string;
  /** The fragment sends the request to the backend itself (a retry around forward-request). */
  readonly forwards?: boolean;
}

export class PolicyTierError extends Error {
  readonly source: string;
  constructor(
    readonly policy: PolicyName,
    readonly tier: ApimSku,
    readonly supportedTiers: readonly ApimSku[],
  ) {
    super(`policy "${policy}" is not available in the ${tier} tier (supported: ${supportedTiers.join(", ")})`);
    this.name = "PolicyTierError";
    this.source = POLICY_SUPPORT[policy].source;
  }
}

/** A fragment in a section, scope or position where API Management does not accept it. */
export class PolicyPlacementError extends Error {
  constructor(
    readonly policy: PolicyName,
    message: string,
  ) {
    super(`policy "${policy}" ${message} (see ${POLICY_SUPPORT[policy].source})`);
    this.name = "PolicyPlacementError";
  }
}

/** A builder option outside what the policy accepts. */
export class PolicyOptionError extends Error {
  constructor(
    readonly policy: PolicyName,
    readonly option: string,
    message: string,
  ) {
    super(`${policy}: ${option} ${message}`);
    this.name = "PolicyOptionError";
  }
}

export function supportsPolicy(tier: ApimSku, policy: PolicyName): boolean {
  return (POLICY_SUPPORT[policy].tiers as readonly ApimSku[]).includes(tier);
}

// ---------------------------------------------------------------------------------------------------------
// XML

const INDENT = "    ";
type AttrValue = string | number | boolean | undefined;
interface Element {
  name: string;
  attrs?: Record<string, AttrValue>;
  children?: Element[];
  text?: string;
}

const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** Raw line breaks and tabs are encoded so that they survive attribute normalization and re-indentation. */
function escapeAttr(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}

function render(el: Element, indent = ""): string {
  const attrs = Object.entries(el.attrs ?? {})
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join("");
  if (el.text !== undefined) return `${indent}<${el.name}${attrs}>${escapeText(el.text)}</${el.name}>`;
  if (!el.children?.length) return `${indent}<${el.name}${attrs} />`;
  return [`${indent}<${el.name}${attrs}>`, ...el.children.map((c) => render(c, indent + INDENT)), `${indent}</${el.name}>`].join("\n");
}

function fragment(policy: PolicyName, section: PolicySection, ...elements: Element[]): PolicyFragment {
  return Object.freeze({ policy, section, xml: elements.map((el) => render(el)).join("\n") });
}

// ---------------------------------------------------------------------------------------------------------
// Option checks

const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;
const NAMED_VALUE = /^\{\{[A-Za-z0-9._-]+\}\}$/;

/** `@(...)` or `@{...}`, evaluated by the gateway at run time. */
export function isPolicyExpression(value: string): boolean {
  return /^@[({]/.test(value.trim());
}

function text(policy: PolicyName, option: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw new PolicyOptionError(policy, option, "must be a non-empty string");
  if (!XML_CHAR.test(value)) throw new PolicyOptionError(policy, option, "contains a character XML 1.0 cannot carry");
  return value;
}

function noExpression(policy: PolicyName, option: string, value: unknown): string {
  const v = text(policy, option, value);
  if (isPolicyExpression(v)) throw new PolicyOptionError(policy, option, "does not take a policy expression");
  return v;
}

function list(policy: PolicyName, option: string, values: unknown, max = Infinity): string[] {
  if (!Array.isArray(values) || values.length === 0) throw new PolicyOptionError(policy, option, "must list at least one value");
  if (values.length > max) throw new PolicyOptionError(policy, option, `takes at most ${max} values, got ${values.length}`);
  const checked = values.map((v, i) => text(policy, `${option}[${i}]`, v));
  const dup = checked.find((v, i) => checked.findIndex((w) => w.toLowerCase() === v.toLowerCase()) !== i);
  if (dup !== undefined) throw new PolicyOptionError(policy, option, `lists "${dup}" twice`);
  return checked;
}

function integer(policy: PolicyName, option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new PolicyOptionError(policy, option, `must be an integer ${range}, got ${String(value)}`);
  }
  return value;
}

function httpsUrl(policy: PolicyName, option: string, value: unknown, protocols = ["https:"]): string {
  const v = text(policy, option, value);
  if (isPolicyExpression(v) || NAMED_VALUE.test(v)) return v;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new PolicyOptionError(policy, option, `must be an absolute URL, got "${v}"`);
  }
  if (!protocols.includes(url.protocol)) throw new PolicyOptionError(policy, option, `must use ${protocols.join(" or ")}, got "${v}"`);
  return v;
}

function headerName(policy: PolicyName, option: string, value: unknown): string {
  const v = text(policy, option, value);
  if (!isPolicyExpression(v) && !HEADER_TOKEN.test(v)) throw new PolicyOptionError(policy, option, `is not an HTTP header name: "${v}"`);
  return v;
}

function statusCode(policy: PolicyName, option: string, value: unknown): number {
  return integer(policy, option, value, 400, 599);
}

// ---------------------------------------------------------------------------------------------------------
// Authentication and access

export interface ValidateJwtOptions {
  /** OpenID Connect discovery document, e.g. `https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration`. */
  openIdConfigUrl: string;
  issuer: string | readonly string[];
  audiences: readonly string[];
  failedStatusCode?: number;
  failedMessage?: string;
}

/** Bearer token in the Authorization header, keys from the OpenID configuration. */
export function validateJwt(o: ValidateJwtOptions): PolicyFragment {
  const p = "validate-jwt";
  const issuers = list(p, "issuer", typeof o.issuer === "string" ? [o.issuer] : o.issuer);
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      "header-name": "Authorization",
      "failed-validation-httpcode": statusCode(p, "failedStatusCode", o.failedStatusCode ?? 401),
      "failed-validation-error-message": text(p, "failedMessage", o.failedMessage ?? "Unauthorized. Access token is missing or invalid."),
      "require-scheme": "Bearer",
    },
    // Child order is the order of the policy statement on the reference page.
    children: [
      { name: "openid-config", attrs: { url: httpsUrl(p, "openIdConfigUrl", o.openIdConfigUrl) } },
      { name: "audiences", children: list(p, "audiences", o.audiences).map((a) => ({ name: "audience", text: a })) },
      { name: "issuers", children: issuers.map((i) => ({ name: "issuer", text: i })) },
    ],
  });
}

export interface CorsOptions {
  /** `scheme://host[:port]` each, or the single value `*`. */
  allowedOrigins: readonly string[];
  allowedMethods: readonly string[];
  allowedHeaders: readonly string[];
  exposeHeaders?: readonly string[];
  allowCredentials?: boolean;
  preflightMaxAgeSeconds?: number;
}

export function cors(o: CorsOptions): PolicyFragment {
  const p = "cors";
  const origins = list(p, "allowedOrigins", o.allowedOrigins);
  const allowCredentials = o.allowCredentials ?? false;
  if (origins.includes("*")) {
    if (origins.length > 1) throw new PolicyOptionError(p, "allowedOrigins", "can hold * only on its own");
    if (allowCredentials) throw new PolicyOptionError(p, "allowedOrigins", "cannot be * when allowCredentials is true: name the origins");
  }
  for (const origin of origins) {
    if (origin !== "*" && !ORIGIN.test(origin)) throw new PolicyOptionError(p, "allowedOrigins", `must be scheme://host[:port] without a path, got "${origin}"`);
  }
  const methods = list(p, "allowedMethods", o.allowedMethods);
  for (const m of methods) {
    if (m !== "*" && !/^[A-Z]+$/.test(m)) throw new PolicyOptionError(p, "allowedMethods", `must be upper-case HTTP methods or *, got "${m}"`);
  }
  const headers = list(p, "allowedHeaders", o.allowedHeaders).map((h, i) => (h === "*" ? h : headerName(p, `allowedHeaders[${i}]`, h)));
  const expose = o.exposeHeaders === undefined ? undefined : list(p, "exposeHeaders", o.exposeHeaders).map((h, i) => headerName(p, `exposeHeaders[${i}]`, h));
  const maxAge = o.preflightMaxAgeSeconds === undefined ? undefined : integer(p, "preflightMaxAgeSeconds", o.preflightMaxAgeSeconds, 0);
  return fragment(p, "inbound", {
    name: p,
    attrs: { "allow-credentials": allowCredentials },
    children: [
      { name: "allowed-origins", children: origins.map((v) => ({ name: "origin", text: v })) },
      { name: "allowed-methods", attrs: { "preflight-result-max-age": maxAge }, children: methods.map((v) => ({ name: "method", text: v })) },
      { name: "allowed-headers", children: headers.map((v) => ({ name: "header", text: v })) },
      ...(expose ? [{ name: "expose-headers", children: expose.map((v) => ({ name: "header", text: v })) }] : []),
    ],
  });
}

export interface CheckHeaderOptions {
  name: string;
  failedStatusCode: number;
  failedMessage: string;
  ignoreCase: boolean;
  /** Accepted values; without them only the header's presence is checked. */
  values?: readonly string[];
}

export function checkHeader(o: CheckHeaderOptions): PolicyFragment {
  const p = "check-header";
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      name: headerName(p, "name", o.name),
      "failed-check-httpcode": statusCode(p, "failedStatusCode", o.failedStatusCode),
      "failed-check-error-message": text(p, "failedMessage", o.failedMessage),
      "ignore-case": o.ignoreCase,
    },
    children: o.values === undefined ? [] : list(p, "values", o.values).map((v) => ({ name: "value", text: v })),
  });
}

export interface IpFilterOptions {
  action: "allow" | "forbid";
  addresses?: readonly string[];
  ranges?: readonly { from: string; to: string }[];
}

export function ipFilter(o: IpFilterOptions): PolicyFragment {
  const p = "ip-filter";
  if (o.action !== "allow" && o.action !== "forbid") throw new PolicyOptionError(p, "action", `must be allow or forbid, got "${String(o.action)}"`);
  const address = (option: string, v: unknown): string => {
    const s = text(p, option, v);
    if (!isPolicyExpression(s) && isIP(s) === 0) throw new PolicyOptionError(p, option, `is not an IP address: "${s}"`);
    return s;
  };
  const addresses = (o.addresses ?? []).map((a, i) => ({ name: "address", text: address(`addresses[${i}]`, a) }));
  const ranges = (o.ranges ?? []).map((r, i) => {
    const from = address(`ranges[${i}].from`, r.from);
    const to = address(`ranges[${i}].to`, r.to);
    if (isIP(from) !== isIP(to)) throw new PolicyOptionError(p, `ranges[${i}]`, "mixes IPv4 and IPv6");
    return { name: "address-range", attrs: { from, to } };
  });
  if (addresses.length + ranges.length === 0) throw new PolicyOptionError(p, "addresses", "and ranges together must name at least one address");
  return fragment(p, "inbound", { name: p, attrs: { action: o.action }, children: [...addresses, ...ranges] });
}

/** Claims one client certificate identity must match, all of them (attribute names as on the reference page). */
export interface ForwardedCallerFilterOptions {
  /** CIDR blocks the proxy in front of APIM connects from (its subnet): only their calls are judged by the header. */
  proxyRanges: readonly string[];
  /** CIDR blocks the caller named by the header must lie in. */
  allowedRanges: readonly string[];
  /** The header the proxy appends the caller's address to; default X-Forwarded-For. */
  header?: string;
}

/**
 * `first <= <expr> <= last` for each IPv4 block, as C# over the address's number, written without `<`, `>` or
 * `&` (see `forwardedCallerFilter`): `Math.Sign(x - first) != -1` is `x >= first`.
 */
function withinAny(variable: string, cidrs: readonly string[], option: string): string {
  return cidrs
    .map((text, i) => {
      const c = parseCidr(text);
      if (!c) throw new PolicyOptionError("choose", `${option}[${i}]`, `is not an IPv4 CIDR block: "${text}"`);
      return `(System.Math.Sign(${variable} - ${c.network}L) != -1 ? System.Math.Sign(${lastAddress(c)}L - ${variable}) != -1 : false)`;
    })
    .join(" || ");
}

/** C# statements that leave in `target` the IPv4 address in `source` as a number, or -1 (System.Net.IPAddress is allowed in expressions). */
function ipv4Number(target: string, source: string): string {
  return (
    `long ${target} = -1; System.Net.IPAddress ${target}Ip; ` +
    `if (System.Net.IPAddress.TryParse(${source}, out ${target}Ip) ? ${target}Ip.GetAddressBytes().Length == 4 : false) ` +
    `{ byte[] b = ${target}Ip.GetAddressBytes(); ${target} = b[0] * 16777216L + b[1] * 65536L + b[2] * 256L + b[3]; }`
  );
}

/** A C# string built from char literals: `new string(new char[] { 'X', '-', ... })`, so that no double quote is needed. */
function charString(value: string): string {
  return `new string(new char[] { ${[...value].map((c) => `'${c}'`).join(", ")} })`;
}

/** Characters XML escapes in an attribute: an expression free of them is the same text in `xml` and `rawxml` documents. */
const XML_ESCAPED = /[&<>"\n\r\t]/;

/**
 * The caller check for calls that arrive through a proxy (Application Gateway): ip-filter sees only the
 * connection's address, which is then the proxy's, so a call from `proxyRanges` is judged by the last entry of
 * the forwarded header instead, and refused with 403 unless that address lies in `allowedRanges`. The last
 * entry, because the proxy appends the address it accepted the connection from to whatever the client sent:
 * earlier entries are the client's to invent. Application Gateway writes each entry as `IP:port`, so a port
 * after a single colon is dropped. A missing or unreadable header is refused.
 * https://learn.microsoft.com/azure/application-gateway/how-application-gateway-works#modifications-to-the-request
 * https://learn.microsoft.com/azure/api-management/api-management-policy-expressions (System.Net.IPAddress, System.Math)
 *
 * The expression holds no character XML would escape (`&`, `<`, `>`, `"`): the policies go to APIM as `rawxml`
 * (components/ApiGateway.ts), where APIM encodes expressions itself and an expression sent encoded is invalid
 * (hashicorp/terraform-provider-azurerm#5426), while the builders here encode attributes; an expression without
 * those characters reads the same either way. Hence the ternaries for `&&`, `Math.Sign` for comparisons and the
 * header name in char literals.
 */
export function forwardedCallerFilter(o: ForwardedCallerFilterOptions): PolicyFragment {
  const p = "choose";
  const header = o.header ?? "X-Forwarded-For";
  if (!/^[A-Za-z0-9-]+$/.test(header)) throw new PolicyOptionError(p, "header", `must be letters, digits and hyphens, got "${header}"`);
  if (!o.proxyRanges.length) throw new PolicyOptionError(p, "proxyRanges", "must name the proxy's addresses");
  if (!o.allowedRanges.length) throw new PolicyOptionError(p, "allowedRanges", "must name at least one block");
  const condition = [
    "@{",
    `string[] hops = context.Request.Headers.GetValueOrDefault(${charString(header)}, string.Empty).Split(',');`,
    "string caller = hops[hops.Length - 1].Trim();",
    "int colon = caller.LastIndexOf(':');",
    "if (colon != -1 ? caller.IndexOf(':') == colon : false) { caller = caller.Substring(0, colon); }",
    ipv4Number("peer", "context.Request.IpAddress"),
    ipv4Number("forwarded", "caller"),
    `bool viaProxy = ${withinAny("peer", o.proxyRanges, "proxyRanges")};`,
    `bool admitted = forwarded != -1 ? (${withinAny("forwarded", o.allowedRanges, "allowedRanges")}) : false;`,
    "return viaProxy ? !admitted : false;",
    "}",
  ].join(" ");
  if (XML_ESCAPED.test(condition)) throw new Error(`forwardedCallerFilter: the condition would be XML-encoded: ${condition}`);
  return fragment(p, "inbound", {
    name: p,
    children: [
      {
        name: "when",
        attrs: { condition },
        children: [{ name: "return-response", children: [{ name: "set-status", attrs: { code: 403, reason: "Forbidden" } }] }],
      },
    ],
  });
}

export interface ClientCertificateIdentity {
  thumbprint?: string;
  serialNumber?: string;
  commonName?: string;
  subject?: string;
  dnsName?: string;
  issuerSubject?: string;
  issuerThumbprint?: string;
  /** Id of a certificate entity holding the issuer's public key; excludes the other issuer attributes. */
  issuerCertificateId?: string;
}

export interface ValidateClientCertificateOptions {
  /** Checks the chain up to a CA the gateway trusts (for a private CA: one uploaded to the service). Default true. */
  validateTrust?: boolean;
  /** Checks the online revocation list; a private CA without a CRL endpoint needs false. Default true. */
  validateRevocation?: boolean;
  validateNotBefore?: boolean;
  validateNotAfter?: boolean;
  /** The certificate must match every claim of at least one identity. */
  identities?: readonly ClientCertificateIdentity[];
}

const IDENTITY_ATTRS: Record<keyof ClientCertificateIdentity, string> = {
  thumbprint: "thumbprint",
  serialNumber: "serial-number",
  commonName: "common-name",
  subject: "subject",
  dnsName: "dns-name",
  issuerSubject: "issuer-subject",
  issuerThumbprint: "issuer-thumbprint",
  issuerCertificateId: "issuer-certificate-id",
};
/** The reference page's limit on `identity` elements (stated in its localized versions; the English omits it). */
export const MAX_CLIENT_CERTIFICATE_IDENTITIES = 10;

/**
 * The client's certificate must pass the validation rules and match one identity; a failed validation ends
 * the request with an error (ignore-error stays false). No attribute takes a policy expression.
 * https://learn.microsoft.com/azure/api-management/validate-client-certificate-policy
 */
export function validateClientCertificate(o: ValidateClientCertificateOptions): PolicyFragment {
  const p = "validate-client-certificate";
  const flag = (option: string, v: unknown): boolean | undefined => {
    if (v !== undefined && typeof v !== "boolean") throw new PolicyOptionError(p, option, "must be true or false");
    return v as boolean | undefined;
  };
  const identities = o.identities ?? [];
  if (identities.length > MAX_CLIENT_CERTIFICATE_IDENTITIES) {
    throw new PolicyOptionError(p, "identities", `takes at most ${MAX_CLIENT_CERTIFICATE_IDENTITIES} identities, got ${identities.length}`);
  }
  const children = identities.map((identity, i) => {
    const unknown = Object.keys(identity).find((key) => !(key in IDENTITY_ATTRS));
    if (unknown !== undefined) throw new PolicyOptionError(p, `identities[${i}].${unknown}`, "is not an identity attribute");
    // In the reference page's order.
    const attrs: Record<string, string> = {};
    for (const [key, attr] of Object.entries(IDENTITY_ATTRS) as [keyof ClientCertificateIdentity, string][]) {
      if (identity[key] !== undefined) attrs[attr] = noExpression(p, `identities[${i}].${key}`, identity[key]);
    }
    if (Object.keys(attrs).length === 0) throw new PolicyOptionError(p, `identities[${i}]`, "must name at least one claim");
    if (attrs["issuer-certificate-id"] !== undefined && (attrs["issuer-subject"] !== undefined || attrs["issuer-thumbprint"] !== undefined)) {
      throw new PolicyOptionError(p, `identities[${i}].issuerCertificateId`, "excludes issuerSubject and issuerThumbprint");
    }
    return { name: "identity", attrs };
  });
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      "validate-revocation": flag("validateRevocation", o.validateRevocation),
      "validate-trust": flag("validateTrust", o.validateTrust),
      "validate-not-before": flag("validateNotBefore", o.validateNotBefore),
      "validate-not-after": flag("validateNotAfter", o.validateNotAfter),
      "ignore-error": false,
    },
    children: children.length ? [{ name: "identities", children }] : [],
  });
}

export interface AuthenticationManagedIdentityOptions {
  /** Audience of the token, e.g. `https://cognitiveservices.azure.com` for Azure OpenAI. */
  resource: string;
  /** Client ID of a user-assigned identity; the system-assigned identity when omitted. */
  clientId?: string;
  outputTokenVariableName?: string;
  ignoreError?: boolean;
}

export function authenticationManagedIdentity(o: AuthenticationManagedIdentityOptions): PolicyFragment {
  const p = "authentication-managed-identity";
  if (o.clientId !== undefined && !GUID.test(o.clientId)) throw new PolicyOptionError(p, "clientId", `must be a GUID, got "${o.clientId}"`);
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      resource: text(p, "resource", o.resource),
      "client-id": o.clientId,
      "output-token-variable-name": o.outputTokenVariableName === undefined ? undefined : noExpression(p, "outputTokenVariableName", o.outputTokenVariableName),
      "ignore-error": o.ignoreError,
    },
  });
}

export interface AuthenticationBasicOptions {
  username: string;
  /** Use a named value reference (`{{name}}`) for a secret one, never the password itself. */
  password: string;
}

/** Sets the `Authorization: Basic` header on the call to the backend. */
export function authenticationBasic(o: AuthenticationBasicOptions): PolicyFragment {
  const p = "authentication-basic";
  if (!/^\{\{[A-Za-z0-9._-]+\}\}$/.test(o.password)) {
    throw new PolicyOptionError(p, "password", "must be a named value reference such as {{backend-password}}, so that the secret stays out of the policy");
  }
  return fragment(p, "inbound", { name: p, attrs: { username: text(p, "username", o.username), password: o.password } });
}

// ---------------------------------------------------------------------------------------------------------
// Rate limits and quotas

export interface RateLimitOptions {
  calls: number;
  /** Sliding window, 1-300 seconds. */
  renewalPeriodSeconds: number;
}

/** Per subscription; the gateway applies it only to calls made with a subscription key. */
export function rateLimit(o: RateLimitOptions): PolicyFragment {
  const p = "rate-limit";
  return fragment(p, "inbound", {
    name: p,
    attrs: { calls: integer(p, "calls", o.calls, 1), "renewal-period": integer(p, "renewalPeriodSeconds", o.renewalPeriodSeconds, 1, 300) },
  });
}

export interface RateLimitByKeyOptions extends RateLimitOptions {
  /** Usually an expression such as `@(context.Subscription.Id)`. */
  counterKey: string;
  incrementCondition?: string;
}

export function rateLimitByKey(o: RateLimitByKeyOptions): PolicyFragment {
  const p = "rate-limit-by-key";
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      calls: integer(p, "calls", o.calls, 1),
      "renewal-period": integer(p, "renewalPeriodSeconds", o.renewalPeriodSeconds, 1, 300),
      "counter-key": text(p, "counterKey", o.counterKey),
      "increment-condition": o.incrementCondition === undefined ? undefined : text(p, "incrementCondition", o.incrementCondition),
    },
  });
}

export interface QuotaOptions {
  calls?: number;
  bandwidthKilobytes?: number;
  /** Fixed window in seconds; 0 means the quota never renews. */
  renewalPeriodSeconds: number;
}

function quotaAttrs(p: PolicyName, o: QuotaOptions, minPeriod: number): Record<string, AttrValue> {
  if (o.calls === undefined && o.bandwidthKilobytes === undefined) throw new PolicyOptionError(p, "calls", "or bandwidthKilobytes must be given");
  const period = integer(p, "renewalPeriodSeconds", o.renewalPeriodSeconds, 0);
  if (period !== 0 && period < minPeriod) throw new PolicyOptionError(p, "renewalPeriodSeconds", `must be 0 (never renews) or at least ${minPeriod}, got ${period}`);
  return {
    calls: o.calls === undefined ? undefined : integer(p, "calls", o.calls, 1),
    bandwidth: o.bandwidthKilobytes === undefined ? undefined : integer(p, "bandwidthKilobytes", o.bandwidthKilobytes, 1),
    "renewal-period": period,
  };
}

/** Per subscription; only at product scope. */
export function quota(o: QuotaOptions): PolicyFragment {
  return fragment("quota", "inbound", { name: "quota", attrs: quotaAttrs("quota", o, 1) });
}

export interface QuotaByKeyOptions extends QuotaOptions {
  counterKey: string;
  incrementCondition?: string;
}

export function quotaByKey(o: QuotaByKeyOptions): PolicyFragment {
  const p = "quota-by-key";
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      ...quotaAttrs(p, o, 300),
      "counter-key": text(p, "counterKey", o.counterKey),
      "increment-condition": o.incrementCondition === undefined ? undefined : text(p, "incrementCondition", o.incrementCondition),
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Language model APIs

/** `azure-openai-*` for APIs imported from Azure OpenAI; `llm-*` for other OpenAI-compatible model APIs. */
export type TokenPolicyFlavor = "azure-openai" | "llm";

function flavorOf(policy: string, flavor: unknown): TokenPolicyFlavor {
  if (flavor !== "azure-openai" && flavor !== "llm") throw new Error(`${policy}: flavor must be "azure-openai" or "llm", got ${String(flavor)}`);
  return flavor;
}

export interface TokenLimitOptions {
  tokensPerMinute: number;
  counterKey: string;
  /** Count prompt tokens before calling the model, so over-limit calls never reach it. */
  estimatePromptTokens?: boolean;
  flavor: TokenPolicyFlavor;
  remainingTokensHeaderName?: string;
}

export function tokenLimit(o: TokenLimitOptions): PolicyFragment {
  const p = `${flavorOf("token-limit", o.flavor)}-token-limit` as const;
  return fragment(p, "inbound", {
    name: p,
    attrs: {
      "counter-key": text(p, "counterKey", o.counterKey),
      "tokens-per-minute": integer(p, "tokensPerMinute", o.tokensPerMinute, 1),
      "estimate-prompt-tokens": o.estimatePromptTokens ?? true,
      "remaining-tokens-header-name":
        o.remainingTokensHeaderName === undefined ? undefined : noExpression(p, "remainingTokensHeaderName", headerName(p, "remainingTokensHeaderName", o.remainingTokensHeaderName)),
    },
  });
}

/** Dimensions the gateway fills in itself; any other dimension needs a value. */
export const DEFAULT_METRIC_DIMENSIONS: Readonly<Record<TokenPolicyFlavor, readonly string[]>> = {
  "azure-openai": ["API ID", "Operation ID", "Product ID", "User ID", "Subscription ID", "Location", "Gateway ID"],
  llm: ["API ID", "Operation ID", "Product ID", "User ID", "Subscription ID", "Location", "Gateway ID", "Backend ID"],
};
/** Azure Monitor allows 10 dimension keys per metric and API Management uses 5 of them itself. */
export const MAX_METRIC_DIMENSIONS = 5;

export interface MetricDimension {
  name: string;
  value?: string;
}

export interface EmitTokenMetricOptions {
  /** Custom metric namespace in Application Insights; "API Management" when omitted. */
  namespace?: string;
  dimensions: readonly MetricDimension[];
  flavor: TokenPolicyFlavor;
}

export function emitTokenMetric(o: EmitTokenMetricOptions): PolicyFragment {
  const flavor = flavorOf("emit-token-metric", o.flavor);
  const p = `${flavor}-emit-token-metric` as const;
  if (!Array.isArray(o.dimensions)) throw new PolicyOptionError(p, "dimensions", "must be a list");
  list(p, "dimensions", o.dimensions.map((d) => d?.name), MAX_METRIC_DIMENSIONS);
  const dimensions = o.dimensions.map((d, i): Element => {
    if (d.value === undefined && !DEFAULT_METRIC_DIMENSIONS[flavor].includes(d.name)) {
      throw new PolicyOptionError(
        p,
        `dimensions[${i}]`,
        `"${d.name}" needs a value (such as "@(context.Request.IpAddress)"): only ${DEFAULT_METRIC_DIMENSIONS[flavor].join(", ")} are filled in by the gateway`,
      );
    }
    return { name: "dimension", attrs: { name: d.name, value: d.value === undefined ? undefined : text(p, `dimensions[${i}].value`, d.value) } };
  });
  return fragment(p, "inbound", {
    name: p,
    attrs: { namespace: o.namespace === undefined ? undefined : noExpression(p, "namespace", o.namespace) },
    children: dimensions,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Routing and headers

export type SetBackendServiceOptions = ({ backendId: string; baseUrl?: never } | { baseUrl: string; backendId?: never }) & {
  section?: "inbound" | "backend";
};

export function setBackendService(o: SetBackendServiceOptions): PolicyFragment {
  const p = "set-backend-service";
  if ((o.backendId === undefined) === (o.baseUrl === undefined)) throw new PolicyOptionError(p, "backendId", "or baseUrl must be given, not both");
  const attrs = o.backendId !== undefined ? { "backend-id": text(p, "backendId", o.backendId) } : { "base-url": httpsUrl(p, "baseUrl", o.baseUrl, ["https:", "http:"]) };
  return fragment(p, o.section ?? "inbound", { name: p, attrs });
}

export type HeaderExistsAction = "override" | "skip" | "append" | "delete";

export interface SetHeaderOptions {
  name: string;
  /** One value, or several for a multi-valued header; none when deleting. */
  value?: string | readonly string[];
  existsAction?: HeaderExistsAction;
  /** inbound sets request headers, outbound response headers. */
  section?: PolicySection;
}

/** The set-header reference page: the gateway cannot remove `Server` or touch these at all. */
const UNREMOVABLE_HEADERS = ["server"];
const UNMODIFIABLE_HEADERS = ["connection", "content-length", "keep-alive", "transfer-encoding"];

function setHeaderElement(o: SetHeaderOptions): Element {
  const p = "set-header";
  const name = headerName(p, "name", o.name);
  const action = o.existsAction ?? "override";
  if (!["override", "skip", "append", "delete"].includes(action)) throw new PolicyOptionError(p, "existsAction", `must be override, skip, append or delete, got "${action}"`);
  const lower = name.toLowerCase();
  if (UNMODIFIABLE_HEADERS.includes(lower)) throw new PolicyOptionError(p, "name", `"${name}" cannot be modified or deleted by API Management`);
  if (action === "delete" && UNREMOVABLE_HEADERS.includes(lower)) throw new PolicyOptionError(p, "name", `"${name}" cannot be removed by API Management`);
  const values = o.value === undefined ? [] : typeof o.value === "string" ? [o.value] : [...o.value];
  if (action === "delete" && values.length > 0) throw new PolicyOptionError(p, "value", "must be omitted when existsAction is delete");
  if (action !== "delete" && values.length === 0) throw new PolicyOptionError(p, "value", `is required when existsAction is ${action}`);
  return {
    name: p,
    attrs: { name, "exists-action": action },
    children: values.map((v, i) => ({ name: "value", text: text(p, `value[${i}]`, v) })),
  };
}

export function setHeader(o: SetHeaderOptions): PolicyFragment {
  const section = o.section ?? "inbound";
  if (!(POLICY_SECTIONS as readonly string[]).includes(section)) throw new PolicyOptionError("set-header", "section", `must be one of ${POLICY_SECTIONS.join(", ")}`);
  return fragment("set-header", section, setHeaderElement(o));
}

/**
 * Response headers that name the backend's software, region or internal request IDs. `Server` is not here:
 * API Management cannot remove it.
 */
export const BACKEND_REVEALING_RESPONSE_HEADERS = [
  "X-Powered-By",
  "X-AspNet-Version",
  "X-AspNetMvc-Version",
  "x-ms-region",
  "apim-request-id",
  "azureml-model-session",
] as const;

/** One outbound fragment deleting each named response header. */
export function removeResponseHeaders(names: readonly string[] = BACKEND_REVEALING_RESPONSE_HEADERS): PolicyFragment {
  const checked = list("set-header", "names", names);
  return fragment("set-header", "outbound", ...checked.map((name) => setHeaderElement({ name, existsAction: "delete" })));
}

export interface ForwardRequestOptions {
  /** Seconds to wait for the backend's response headers; the gateway's default is 300. */
  timeoutSeconds?: number;
  /**
   * `false` relays each chunk of the backend's answer as it arrives instead of buffering it (8 KB), as
   * server-sent events need. https://learn.microsoft.com/azure/api-management/how-to-server-sent-events
   */
  bufferResponse?: boolean;
  /** Keeps the request body so that a surrounding retry can send it again. */
  bufferRequestBody?: boolean;
}

function forwardRequestElement(o: ForwardRequestOptions): Element {
  const p = "forward-request";
  return {
    name: p,
    attrs: {
      timeout: o.timeoutSeconds === undefined ? undefined : integer(p, "timeoutSeconds", o.timeoutSeconds, 0, 240),
      "buffer-response": o.bufferResponse === undefined ? undefined : String(o.bufferResponse),
      "buffer-request-body": o.bufferRequestBody === undefined ? undefined : String(o.bufferRequestBody),
    },
  };
}

export function forwardRequest(o: ForwardRequestOptions = {}): PolicyFragment {
  return fragment("forward-request", "backend", forwardRequestElement(o));
}

export interface RetryForwardOptions {
  /** Retry while this holds, e.g. `@(context.Response.StatusCode == 429)`. */
  condition: string;
  /** Retries after the first attempt, 1-50. */
  count: number;
  intervalSeconds: number;
  firstFastRetry?: boolean;
  forward?: Omit<ForwardRequestOptions, "bufferRequestBody">;
}

/**
 * forward-request inside a retry, in the backend section: each retry sends the (buffered) request again, and
 * with a backend pool the pool picks again, skipping a backend whose circuit breaker has tripped.
 * https://learn.microsoft.com/azure/api-management/retry-policy
 * https://learn.microsoft.com/azure/api-management/forward-request-policy (buffer-request-body)
 */
export function retryForward(o: RetryForwardOptions): PolicyFragment {
  const p = "retry";
  const condition = text(p, "condition", o.condition);
  if (!isPolicyExpression(condition) && condition !== "true" && condition !== "false") {
    throw new PolicyOptionError(p, "condition", `must be a policy expression or a boolean literal, got "${condition}"`);
  }
  const el: Element = {
    name: p,
    attrs: {
      condition,
      count: integer(p, "count", o.count, 1, 50),
      interval: integer(p, "intervalSeconds", o.intervalSeconds, 1),
      "first-fast-retry": o.firstFastRetry,
    },
    children: [forwardRequestElement({ ...o.forward, bufferRequestBody: true })],
  };
  return Object.freeze({ ...fragment(p, "backend", el), forwards: true });
}

// ---------------------------------------------------------------------------------------------------------
// Composition

export interface PolicySections {
  inbound?: readonly PolicyFragment[];
  backend?: readonly PolicyFragment[];
  outbound?: readonly PolicyFragment[];
  onError?: readonly PolicyFragment[];
}

export interface ComposeOptions {
  /** `<base />` first in each section, inheriting the parent scope. Default: true, except at global scope. */
  base?: boolean;
  /** When given, fragments are also checked against the scopes their reference pages allow. */
  scope?: PolicyScope;
  /**
   * Renders the inbound section's first fragment before `<base />`, so that it runs before everything the
   * parent scopes add: for a policy that must come first in the effective policy (cors).
   */
  firstBeforeBase?: boolean;
}

const SECTION_KEYS = { inbound: "inbound", backend: "backend", outbound: "outbound", "on-error": "onError" } as const satisfies Record<PolicySection, keyof PolicySections>;

/**
 * The whole `<policies>` document of one scope. Throws PolicyTierError for a fragment the tier cannot run and
 * PolicyPlacementError for one in a section, scope or position the service refuses. Without `<base />` the
 * backend section gets a `<forward-request />` unless it already has one, so requests still reach the backend.
 */
export function composePolicy(tier: ApimSku, sections: PolicySections, options: ComposeOptions = {}): string {
  const known = Object.values(SECTION_KEYS) as string[];
  const unknown = Object.keys(sections).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`composePolicy: unknown section ${unknown.join(", ")} (use ${known.join(", ")})`);
  const base = options.base ?? options.scope !== "global";
  const perDocument = new Set<PolicyName>();

  const rendered = POLICY_SECTIONS.map((section) => {
    const fragments = [...(sections[SECTION_KEYS[section]] ?? [])];
    const perSection = new Set<PolicyName>();
    fragments.forEach((f, index) => {
      const support: PolicySupport | undefined = POLICY_SUPPORT[f?.policy];
      if (support === undefined) throw new Error(`composePolicy: unknown policy "${String(f?.policy)}" in ${section}`);
      if (!(support.tiers as readonly string[]).includes(tier)) throw new PolicyTierError(f.policy, tier, support.tiers);
      if (!support.sections.includes(section)) throw new PolicyPlacementError(f.policy, `cannot be placed in the ${section} section (allowed: ${support.sections.join(", ")})`);
      if (f.section !== section) throw new PolicyPlacementError(f.policy, `was built for the ${f.section} section but placed in ${section}`);
      if (options.scope !== undefined && !support.scopes.includes(options.scope)) {
        throw new PolicyPlacementError(f.policy, `cannot be used at ${options.scope} scope (allowed: ${support.scopes.join(", ")})`);
      }
      if (support.first && index !== 0) throw new PolicyPlacementError(f.policy, `must be the first policy in the ${section} section`);
      if (support.limit === "once-per-document" && perDocument.has(f.policy)) throw new PolicyPlacementError(f.policy, "can be used only once per policy document");
      if (support.limit === "once-per-section" && perSection.has(f.policy)) throw new PolicyPlacementError(f.policy, `can be used only once in the ${section} section`);
      perDocument.add(f.policy);
      perSection.add(f.policy);
    });
    const forwarding = (f: PolicyFragment) => f.policy === "forward-request" || f.forwards === true;
    if (section === "backend" && !base && !fragments.some(forwarding)) fragments.push(forwardRequest());

    // A scope that forwards the request itself leaves <base /> out of backend, as the API-level example of
    // https://learn.microsoft.com/azure/api-management/forward-request-policy does; else the inherited one runs too.
    const inherits = base && !(section === "backend" && fragments.some(forwarding));
    const lead = options.firstBeforeBase && section === "inbound" && inherits && fragments.length > 0 ? [fragments.shift()!.xml] : [];
    const body = [...lead, ...(inherits ? ["<base />"] : []), ...fragments.map((f) => f.xml)];
    if (body.length === 0) return `${INDENT}<${section} />`;
    const inner = body.flatMap((xml) => xml.split("\n")).map((line) => INDENT + INDENT + line);
    return [`${INDENT}<${section}>`, ...inner, `${INDENT}</${section}>`].join("\n");
  });

  const document = ["<policies>", ...rendered, "</policies>"].join("\n");
  const valid = XMLValidator.validate(document);
  if (valid !== true) throw new Error(`composePolicy: the fragments do not form well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  return document;
}
