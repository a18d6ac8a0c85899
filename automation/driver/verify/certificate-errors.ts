/**
 * Explanations for the ingress certificate's failures, added to the engine's error text (issue 19 item 1).
 *
 * Let's Encrypt reports its limits as ACME `rateLimited` problems; the one that stops a room of attendees is
 * "too many certificates already issued" for the registered domain, which for `<label>.<region>.cloudapp.azure.com`
 * is `<region>.cloudapp.azure.com` (a Public Suffix List entry), one bucket of 50 a week for every Azure
 * customer in the region (https://letsencrypt.org/docs/rate-limits/, letsencrypt/boulder#7447). cert-manager
 * puts the message on the Order and the Certificate's conditions; pulumi-kubernetes does not surface a
 * condition's message and reports only that the Certificate never became Ready
 * (pulumi/pulumi-kubernetes#4428), so a Certificate that timed out is explained too. Pure functions.
 */

const RATE_LIMITS = "https://letsencrypt.org/docs/rate-limits/";
const CERTIFICATE_TYPE = "kubernetes:cert-manager.io/v1:Certificate";

const FIX =
  "Use a classic APIM tier (Developer, Basic, Standard, Premium) with ingressCertificate=auto (the default) or privateCa: " +
  "the ingress then gets its certificate from the program's private CA, which APIM trusts, and no Let's Encrypt limit applies.";

/** What a certificate failure means and what to do, or undefined when the text is not one. */
export function explainCertificateError(text: string, urn?: string): string | undefined {
  const retry = /retry after ([0-9TZ:. -]+?(?:UTC|Z))/i.exec(text)?.[1];
  const when = retry ? ` Let's Encrypt names the earliest retry: ${retry}.` : " The bucket refills gradually over the week.";
  if (/too many certificates[^:]*already issued for (this )?exact set/i.test(text) || /too many certificates with the same set of identifiers/i.test(text)) {
    return (
      `Let's Encrypt's duplicate limit: 5 certificates a week for the same host name, which repeated up/destroy of one stack uses up (${RATE_LIMITS}).` +
      `${when} A new namePrefix gives a new host name; ${FIX}`
    );
  }
  const bucket = /too many certificates(?: \(\d+\))? already issued for:? ["']?([a-z0-9.-]+)/i.exec(text);
  if (bucket) {
    const domain = bucket[1].replace(/["'.]+$/, "");
    const shared = /cloudapp\.azure\.com$/i.test(domain);
    return (
      `Let's Encrypt's limit of 50 new certificates a week per registered domain is used up for ${domain}` +
      (shared ? ", a bucket every Azure customer in the region shares (the Public Suffix List makes <region>.cloudapp.azure.com the registered domain)" : "") +
      ` (${RATE_LIMITS}).${when} ${FIX}`
    );
  }
  if (/urn:ietf:params:acme:error:rateLimited/i.test(text)) return `Let's Encrypt refused the order under one of its rate limits (${RATE_LIMITS}).${when} ${FIX}`;
  if (urn?.includes(`$${CERTIFICATE_TYPE}::`) || urn?.includes(`::${CERTIFICATE_TYPE}::`)) {
    return (
      "The ingress certificate never became Ready. With Let's Encrypt, see why: kubectl -n ai-api describe certificate,order,challenge; " +
      `"too many certificates already issued" there is the shared rate limit (${RATE_LIMITS}), a pending challenge is port 80 or DNS. ${FIX}`
    );
  }
  return undefined;
}

/** The text with its explanation appended, when there is one. */
export function withCertificateExplanation(text: string, urn?: string): string {
  const explanation = explainCertificateError(text, urn);
  return explanation ? `${text}\n${explanation}` : text;
}

/**
 * For `verify`: a probe that accepted any certificate and got a self-signed leaf (Node's
 * DEPTH_ZERO_SELF_SIGNED_CERT) met Traefik's default certificate, which Traefik serves until the ingress's
 * certificate Secret exists; the program's CA signs its leaves, so they fail differently. When probes fail
 * too, that is why APIM refuses the backend. verify cannot read cert-manager's objects, so it says where to look.
 */
export function verifyCertificateHints(results: readonly { name: string; verdict: string; tlsNote?: string }[]): string[] {
  const selfSigned = results.find((r) => /DEPTH_ZERO_SELF_SIGNED_CERT/.test(r.tlsNote ?? ""));
  if (!selfSigned || !results.some((r) => r.verdict === "fail")) return [];
  return [
    `  certificate: ${selfSigned.name} met a self-signed certificate, Traefik's default: cert-manager has not issued the ingress certificate, so APIM refuses the backend. ` +
      `See why: kubectl -n ai-api describe certificate,order,challenge; "too many certificates already issued" is Let's Encrypt's shared limit (${RATE_LIMITS}). ${FIX}`,
  ];
}
