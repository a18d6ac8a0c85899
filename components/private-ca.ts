/**
 * Private CAs the program makes with the tls provider (the ingress's issuer, the callers' client CA, the edge's
 * listener CA) and the certificates they sign. Keys and certificates live only in Pulumi state, the keys as
 * secrets.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/**
 * Ten years, and never renewed by `up`: rotating a root means its clients must trust both CAs while the
 * certificates it signed are reissued, which is a deliberate operation, not a side effect of an update.
 */
export const CA_VALIDITY_HOURS = 24 * 365 * 10;

/** Organization of every certificate subject the program issues. */
export const CERTIFICATE_ORGANIZATION = "apim-aks-ai-scenarios";

/** `rsa`: RSA 2048, the key type every TLS client accepts; `ecdsa`: ECDSA P-256. */
export type KeyKind = "rsa" | "ecdsa";

export function keyArgs(kind: KeyKind): tls.PrivateKeyArgs {
  return kind === "rsa" ? { algorithm: "RSA", rsaBits: 2048 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
}

/** A CA certificate's settings but its key: one that may sign certificates and revocation lists, nothing else. */
export function caCertificateArgs(commonName: string, validityHours = CA_VALIDITY_HOURS): Omit<tls.SelfSignedCertArgs, "privateKeyPem"> {
  return {
    isCaCertificate: true,
    subject: { commonName, organization: CERTIFICATE_ORGANIZATION },
    validityPeriodHours: validityHours,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
  };
}

export interface PrivateCaOptions {
  commonName: string;
  key: KeyKind;
  validityHours?: number;
}

export interface PrivateCa {
  key: tls.PrivateKey;
  cert: tls.SelfSignedCert;
}

/** A CA's key and self-signed certificate, named `<name>-ca-key` and `<name>-ca`. */
export function privateCa(name: string, options: PrivateCaOptions, opts: pulumi.CustomResourceOptions): PrivateCa {
  const key = new tls.PrivateKey(`${name}-ca-key`, keyArgs(options.key), opts);
  const cert = new tls.SelfSignedCert(`${name}-ca`, { privateKeyPem: key.privateKeyPem, ...caCertificateArgs(options.commonName, options.validityHours) }, opts);
  return { key, cert };
}

export interface SignedCertificateArgs {
  subject: tls.types.input.CertRequestSubject;
  dnsNames?: pulumi.Input<string>[];
  validityHours: number;
  /** `up` issues a new certificate once this many hours of it are left. */
  earlyRenewalHours: number;
  allowedUses: string[];
}

export interface SignedCertificate {
  key: tls.PrivateKey;
  cert: tls.LocallySignedCert;
}

/** An RSA key, its certificate request and the certificate the CA signs from it; `names` are the three resources' names. */
export function signedCertificate(
  ca: PrivateCa,
  names: { key: string; request: string; cert: string },
  args: SignedCertificateArgs,
  opts: pulumi.CustomResourceOptions,
): SignedCertificate {
  const key = new tls.PrivateKey(names.key, keyArgs("rsa"), opts);
  const request = new tls.CertRequest(
    names.request,
    { privateKeyPem: key.privateKeyPem, subject: args.subject, ...(args.dnsNames ? { dnsNames: args.dnsNames } : {}) },
    opts,
  );
  const cert = new tls.LocallySignedCert(
    names.cert,
    {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: ca.key.privateKeyPem,
      caCertPem: ca.cert.certPem,
      validityPeriodHours: args.validityHours,
      earlyRenewalHours: args.earlyRenewalHours,
      allowedUses: args.allowedUses,
    },
    opts,
  );
  return { key, cert };
}
