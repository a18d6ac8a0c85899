/**
 * Which certificate the AI API's ingress presents to APIM, decided from the scenario, the APIM tier and the
 * `ingressCertificate` setting. APIM validates the backend's chain, so the certificate must come from a CA
 * APIM trusts: either a private CA the program creates and uploads to APIM's Root store, or Let's Encrypt.
 *
 * Let's Encrypt certificates for `<label>.<region>.cloudapp.azure.com` count against one "certificates per
 * registered domain" bucket (50 a week) shared by every Azure customer in the region, since the Public Suffix
 * List lists `<region>.cloudapp.azure.com` (https://letsencrypt.org/docs/rate-limits/,
 * letsencrypt/boulder#7447, microsoft/AzureTRE#3908): a first deploy can fail for reasons nobody in the room
 * controls. So the private CA is the default wherever APIM can trust it; where it cannot (Consumption, v2),
 * `ingressDomain` moves the host into an Azure DNS zone the user owns, whose limit nobody else draws on.
 * Pure functions.
 */
import { CLASSIC_TIERS } from "../components/policy-support";
import type { ScenarioTraits } from "../scenarios/traits";
import { SCENARIO_TRAITS } from "./defaults";
import type { Problem } from "./rules";
import type { ApimSku, ScenarioConfig } from "./schema";

export const INGRESS_CERTIFICATE_CHOICES = ["auto", "privateCa", "letsencrypt"] as const;
export type IngressCertificateChoice = (typeof INGRESS_CERTIFICATE_CHOICES)[number];
export type CertificatePath = Exclude<IngressCertificateChoice, "auto">;

export const CA_CERTIFICATES_DOC = "https://learn.microsoft.com/azure/api-management/api-management-howto-ca-certificates";
export const LETSENCRYPT_RATE_LIMITS_DOC = "https://letsencrypt.org/docs/rate-limits/";

/**
 * Whether the tier can trust a private CA for backend calls. CA certificates (the service's `certificates`,
 * store Root or CertificateAuthority) apply to Developer, Basic, Standard and Premium only; Consumption and the
 * v2 tiers have no such store. https://learn.microsoft.com/azure/api-management/api-management-howto-ca-certificates
 * ("APPLIES TO: Developer | Basic | Standard | Premium"). The same store holds the CA of callers' client
 * certificates (components/ClientCertificates.ts).
 */
export function apimTrustsPrivateCa(sku: ApimSku): boolean {
  return (CLASSIC_TIERS as readonly ApimSku[]).includes(sku);
}

export interface CertificateDecision {
  path: CertificatePath;
  /** Why, in a sentence for the plan and the README. */
  reason: string;
  /** Whether the certificate comes out of the region's shared Let's Encrypt bucket. */
  sharedRateLimit: boolean;
}

type Inputs = Pick<ScenarioConfig, "scenario" | "apimSku"> &
  Partial<Pick<ScenarioConfig, "ingressDomain" | "ingressDomainResourceGroup">> & { ingressCertificate?: IngressCertificateChoice };

type IngressTraits = Pick<ScenarioTraits, "publicIngress">;

/**
 * Where the ingress is internal and the tier has no CA store (v2), APIM cannot chain the private CA's
 * certificate: it calls through a backend entity that checks the name only (components/ApiGateway.ts
 * `aiApiBackendTls`), which Microsoft documents for certificates APIM cannot chain.
 * https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates
 */
export function apimChecksNameOnly(c: Pick<ScenarioConfig, "apimSku">, traits: IngressTraits): boolean {
  return !traits.publicIngress && !apimTrustsPrivateCa(c.apimSku);
}

/**
 * The certificate path of a configuration (see the module comment), for the traits of its scenario (a
 * registered scenario's by default). Invalid combinations: `certificateProblems`.
 */
export function certificatePath(c: Inputs, traits: IngressTraits = SCENARIO_TRAITS[c.scenario]): CertificateDecision {
  const choice = c.ingressCertificate ?? "auto";
  if (!traits.publicIngress) {
    const trust = apimChecksNameOnly(c, traits)
      ? `the ${c.apimSku} tier has no CA store, so APIM checks the certificate's name, not its chain (${CA_CERTIFICATES_DOC})`
      : "APIM trusts the program's private CA";
    return { path: "privateCa", reason: `the host resolves only inside the VNet, so Let's Encrypt cannot validate it; ${trust}`, sharedRateLimit: false };
  }
  const acmeHost = c.ingressDomain
    ? `Let's Encrypt (HTTP-01) for a host in ${c.ingressDomain}, from that domain's own rate limit`
    : "Let's Encrypt (HTTP-01) for the Azure DNS label host, from the rate limit every Azure customer in the region shares";
  if (choice === "letsencrypt") return { path: "letsencrypt", reason: `ingressCertificate=letsencrypt: ${acmeHost}`, sharedRateLimit: !c.ingressDomain };
  if (apimTrustsPrivateCa(c.apimSku)) {
    return { path: "privateCa", reason: `the ${c.apimSku} tier trusts a CA uploaded to its Root store: the program's private CA, no Let's Encrypt rate limit`, sharedRateLimit: false };
  }
  return { path: "letsencrypt", reason: `the ${c.apimSku} tier cannot trust a private CA: ${acmeHost}`, sharedRateLimit: !c.ingressDomain };
}

/** Settings that ask for a path the scenario or the tier cannot serve. */
export function certificateProblems(c: Inputs, traits: IngressTraits = SCENARIO_TRAITS[c.scenario]): Problem[] {
  const choice = c.ingressCertificate ?? "auto";
  const { publicIngress } = traits;
  if (c.ingressDomain && !publicIngress) {
    return [{ key: "ingressDomain", value: c.ingressDomain, message: `scenario "${c.scenario}" has no public ingress: its host lives in the private DNS zone; remove ingressDomain` }];
  }
  if (c.ingressDomain && !c.ingressDomainResourceGroup) {
    return [{ key: "ingressDomainResourceGroup", value: undefined, message: `required with ingressDomain: the resource group of the Azure DNS zone ${c.ingressDomain}` }];
  }
  if (c.ingressDomainResourceGroup && !c.ingressDomain) {
    return [{ key: "ingressDomainResourceGroup", value: c.ingressDomainResourceGroup, message: "only used with ingressDomain; remove it" }];
  }
  if (choice === "letsencrypt" && !publicIngress) {
    return [{ key: "ingressCertificate", value: choice, message: `scenario "${c.scenario}" has no public ingress: its host resolves only inside the VNet, which Let's Encrypt cannot validate; use auto or privateCa` }];
  }
  if (choice === "privateCa" && !apimTrustsPrivateCa(c.apimSku) && publicIngress) {
    return [{ key: "ingressCertificate", value: choice, message: `the ${c.apimSku} tier cannot trust a private CA (CA certificates: Developer, Basic, Standard and Premium only, ${CA_CERTIFICATES_DOC}); use auto or letsencrypt` }];
  }
  return [];
}
