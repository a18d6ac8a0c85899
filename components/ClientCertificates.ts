import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ApimSku } from "../config/schema";
import { TYPE_PREFIX } from "./common";
import { apimTrustsPrivateCa } from "../config/certificates";
import { CERTIFICATE_ORGANIZATION, privateCa, signedCertificate } from "./private-ca";

/** The base64 DER body of a PEM certificate, the form APIM's `encodedCertificate` takes. */
export function pemToBase64Der(pem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) throw new Error("not a PEM certificate");
  return body.replace(/\s+/g, "");
}

/**
 * A certificate's thumbprint as APIM compares it (validate-client-certificate `thumbprint`, `issuer-thumbprint`):
 * the SHA-1 hash of its DER encoding in upper-case hex, which is what .NET's X509Certificate2.Thumbprint returns
 * ("DESIRED-THUMBPRINT-IN-UPPER-CASE" in the reference examples).
 * https://learn.microsoft.com/azure/api-management/api-management-howto-mutual-certificates-for-clients
 */
export function certificateThumbprint(pem: string): string {
  return createHash("sha1").update(Buffer.from(pemToBase64Der(pem), "base64")).digest("hex").toUpperCase();
}

/**
 * How the gateway decides that a client certificate is one of ours, by tier.
 * - `ca` (classic tiers): the CA sits in the service's Root store, so the policy builds the chain to it
 *   (validate-trust) and requires it as the issuer. Any certificate the CA signs is admitted.
 * - `pinned` (Consumption and the v2 tiers): there is no CA store to build a chain to ("CA certificates for
 *   certificate validation aren't supported in the Consumption tier", api-management-howto-mutual-certificates-for-clients;
 *   "CA Certificates" in the v2 tiers' limitations, v2-service-tiers-overview), and with validate-trust on
 *   a private CA's certificate fails there. The policy admits the certificates the stack issued by thumbprint,
 *   which needs no chain; a new client certificate means a new thumbprint in the policy.
 */
export type ClientCertificateTrust = { kind: "ca"; caThumbprint: string } | { kind: "pinned"; thumbprints: string[] };

export function clientCertificateTrust(tier: ApimSku, caThumbprint: string, clientThumbprints: string[]): ClientCertificateTrust {
  return apimTrustsPrivateCa(tier) ? { kind: "ca", caThumbprint } : { kind: "pinned", thumbprints: clientThumbprints };
}

export interface ClientCertificatesArgs {
  /** Common name of the CA, e.g. `<prefix> <scenario> client CA`. */
  caCommonName: string;
  /** Common name of the client certificate the stack issues for `verify`. */
  clientCommonName: string;
}

/** One year; `up` issues a new one in the last 30 days (the policy's thumbprint follows on tiers that pin it). */
const CLIENT_VALIDITY_HOURS = 24 * 365;
const CLIENT_EARLY_RENEWAL_HOURS = 24 * 30;

/**
 * A private CA for API callers and one client certificate it signs, for `verify` to present. Both keys are
 * RSA 2048 (the gateway's chain building is .NET's X509Chain; RSA is the form every client stack takes) and
 * live only in Pulumi state, as secrets: the client's key leaves the stack only as a secret output.
 */
export class ClientCertificates extends pulumi.ComponentResource {
  readonly caCertificatePem: pulumi.Output<string>;
  readonly caThumbprint: pulumi.Output<string>;
  readonly clientCertificatePem: pulumi.Output<string>;
  /** Secret. */
  readonly clientPrivateKeyPem: pulumi.Output<string>;
  readonly clientThumbprint: pulumi.Output<string>;

  constructor(name: string, args: ClientCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:gateway:ClientCertificates`, name, {}, opts);
    const parent = { parent: this };
    const ca = privateCa(name, { commonName: args.caCommonName, key: "rsa" }, parent);
    const client = signedCertificate(
      ca,
      { key: `${name}-client-key`, request: `${name}-client-csr`, cert: `${name}-client` },
      {
        subject: { commonName: args.clientCommonName, organization: CERTIFICATE_ORGANIZATION },
        validityHours: CLIENT_VALIDITY_HOURS,
        earlyRenewalHours: CLIENT_EARLY_RENEWAL_HOURS,
        allowedUses: ["client_auth", "digital_signature", "key_encipherment"],
      },
      parent,
    );
    this.caCertificatePem = ca.cert.certPem;
    this.caThumbprint = ca.cert.certPem.apply(certificateThumbprint);
    this.clientCertificatePem = client.cert.certPem;
    this.clientPrivateKeyPem = pulumi.secret(client.key.privateKeyPem);
    this.clientThumbprint = client.cert.certPem.apply(certificateThumbprint);
    this.registerOutputs({
      caCertificatePem: this.caCertificatePem,
      caThumbprint: this.caThumbprint,
      clientCertificatePem: this.clientCertificatePem,
      clientPrivateKeyPem: this.clientPrivateKeyPem,
      clientThumbprint: this.clientThumbprint,
    });
  }
}
