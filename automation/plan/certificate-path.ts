/**
 * Which certificate the ingress presents to APIM, read from the graph (issue 19 item 1): the ClusterIssuer
 * cert-manager signs with and whether APIM's Root store holds a CA. config/certificates.ts decides the path;
 * this shows what the graph actually does. Pure.
 */
import type { RegisteredResource } from "../mock-engine";
import type { Protection } from "./analysis";

const ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const APIM = "azure-native:apimanagement:ApiManagementService";
const BACKEND = "azure-native:apimanagement:Backend";

export function backendCertificate(rs: readonly RegisteredResource[], backendUrl: string): Protection {
  const name = "certificate";
  const issuer = rs.find((r) => r.type === ISSUER);
  if (!issuer) return { name, present: null, summary: "not in graph", detail: "no cert-manager ClusterIssuer in the graph", from: "graph" };
  const spec = (issuer.inputs.spec ?? {}) as { ca?: unknown; acme?: { server?: string } };
  const apim = rs.find((r) => r.type === APIM);
  const roots = ((apim?.inputs.certificates ?? []) as { storeName?: string }[]).filter((c) => c.storeName === "Root");
  // A v2 tier has no CA store: a backend entity that checks the name and skips the chain is how it calls the
  // private CA's certificate (config/certificates.ts apimChecksNameOnly).
  const nameOnly = rs.some((r) => {
    const tls = r.type === BACKEND ? (r.inputs.tls as { validateCertificateChain?: boolean; validateCertificateName?: boolean } | undefined) : undefined;
    return tls?.validateCertificateChain === false && tls.validateCertificateName === true && String(r.inputs.url ?? "") === backendUrl.replace(/\/$/, "");
  });
  if (spec.ca && !roots.length && nameOnly) {
    return {
      name,
      present: true,
      tone: "warn",
      summary: "private CA, name only",
      detail: "cert-manager signs with a private CA the tier cannot store (no CA certificates on v2): APIM checks the certificate's name, not its chain; only APIM's subnet reaches the ingress",
      from: "graph",
    };
  }
  if (spec.ca) {
    return roots.length
      ? { name, present: true, summary: "private CA", detail: "cert-manager signs with the program's private CA, which APIM trusts (its Root store): no Let's Encrypt rate limit", from: "graph" }
      : { name, present: false, summary: "private CA, untrusted", detail: "cert-manager signs with a private CA that APIM's Root store does not hold: APIM refuses the backend", from: "graph" };
  }
  if (spec.acme) {
    const server = String(spec.acme.server ?? "");
    if (/staging/.test(server)) return { name, present: false, summary: "LE staging", detail: `Let's Encrypt staging (${server}), whose root APIM does not trust`, from: "graph" };
    const host = /^https:\/\/([^/:]+)/.exec(backendUrl)?.[1] ?? "";
    const region = /\.([a-z0-9]+)\.cloudapp\.azure\.com$/.exec(host)?.[1];
    return {
      name,
      present: null,
      summary: region ? "Let's Encrypt (shared limit)" : "Let's Encrypt",
      detail: region
        ? `Let's Encrypt (HTTP-01) for ${host}: 50 certificates a week for ${region}.cloudapp.azure.com, shared by every Azure customer in the region; the tier cannot trust a private CA, or ingressCertificate=letsencrypt asked`
        : `Let's Encrypt (HTTP-01)${host ? ` for ${host}` : ""}`,
      from: "graph",
    };
  }
  return { name, present: null, summary: "other issuer", detail: "a ClusterIssuer that is neither a CA nor ACME", from: "graph" };
}
