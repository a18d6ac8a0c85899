/**
 * Client certificates `verify` presents: the one the stack issued (its outputs), and a `foreign` one from a CA
 * made up in memory at run time, which no gateway has ever been told about. Nothing made here is written to
 * disk, logged or kept in state. node:crypto makes the keys; node-forge builds and signs the X.509 certificates
 * (Node has no API for that).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";
import type { Probe } from "../../../scenarios/probes";

export interface CertificateAndKey {
  certPem: string;
  /** Secret. */
  keyPem: string;
}

export interface IssuedChain {
  ca: CertificateAndKey;
  leaf: CertificateAndKey;
}

export interface ChainOptions {
  caCommonName: string;
  commonName: string;
  /** `client`: extended key usage clientAuth; `server`: serverAuth, with `hosts` as subject alternative names. */
  usage: "client" | "server";
  hosts?: string[];
  /** Validity of the leaf; by default from an hour ago to a day ahead. */
  notBefore?: Date;
  notAfter?: Date;
}

function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { privateKey: forge.pki.privateKeyFromPem(privateKey), publicKey: forge.pki.publicKeyFromPem(publicKey), keyPem: privateKey };
}

/** A positive serial number of 16 random bytes, in hex (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
const serialNumber = () => `01${randomBytes(15).toString("hex")}`;

function certificate(o: {
  subject: string;
  issuer: string;
  publicKey: forge.pki.rsa.PublicKey;
  signer: forge.pki.rsa.PrivateKey;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = o.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = o.notBefore;
  cert.validity.notAfter = o.notAfter;
  cert.setSubject([{ name: "commonName", value: o.subject }]);
  cert.setIssuer([{ name: "commonName", value: o.issuer }]);
  cert.setExtensions(o.extensions);
  cert.sign(o.signer, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A CA and one certificate it signs, both RSA 2048 with SHA-256 signatures, made in memory. */
export function issueChain(o: ChainOptions): IssuedChain {
  const now = Date.now();
  const caKeys = rsaKeys();
  const caPem = certificate({
    subject: o.caCommonName,
    issuer: o.caCommonName,
    publicKey: caKeys.publicKey,
    signer: caKeys.privateKey,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 7 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leafKeys = rsaKeys();
  const hosts = o.hosts ?? [];
  const leafPem = certificate({
    subject: o.commonName,
    issuer: o.caCommonName,
    publicKey: leafKeys.publicKey,
    signer: caKeys.privateKey,
    notBefore: o.notBefore ?? new Date(now - 3_600_000),
    notAfter: o.notAfter ?? new Date(now + 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", clientAuth: o.usage === "client", serverAuth: o.usage === "server" },
      ...(hosts.length
        ? [{ name: "subjectAltName", altNames: hosts.map((h) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })) }]
        : []),
    ],
  });
  return { ca: { certPem: caPem, keyPem: caKeys.keyPem }, leaf: { certPem: leafPem, keyPem: leafKeys.keyPem } };
}

/** A client certificate from a CA nobody trusts: what a caller outside the stack's CA would present. */
export function foreignClientCertificate(): CertificateAndKey {
  return issueChain({ caCommonName: "scenarios verify foreign CA", commonName: "scenarios verify foreign client", usage: "client" }).leaf;
}

/**
 * The certificates a run's probes ask for: `issued` from the stack's outputs (an error names what is missing),
 * `foreign` made once per run, when first asked for.
 */
export class ClientCertificateSource {
  private foreign?: CertificateAndKey;

  constructor(
    private readonly issued: CertificateAndKey | undefined,
    private readonly makeForeign: () => CertificateAndKey = foreignClientCertificate,
  ) {}

  /** Reads the stack outputs `clientCertificatePem` and `clientCertificateKeyPem` (secret), when both are there. */
  static fromOutputs(outputs: Record<string, { value?: unknown } | undefined>): ClientCertificateSource {
    const certPem = outputs.clientCertificatePem?.value;
    const keyPem = outputs.clientCertificateKeyPem?.value;
    return new ClientCertificateSource(typeof certPem === "string" && typeof keyPem === "string" ? { certPem, keyPem } : undefined);
  }

  for(probe: Probe): CertificateAndKey | undefined {
    const choice = probe.request.clientCertificate;
    if (choice === undefined) return undefined;
    if (choice === "foreign") return (this.foreign ??= this.makeForeign());
    if (!this.issued) throw new Error(`probe ${probe.name} presents the stack's client certificate, but the outputs clientCertificatePem and clientCertificateKeyPem are missing`);
    return this.issued;
  }
}
