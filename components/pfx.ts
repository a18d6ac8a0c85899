/**
 * A PKCS#12 (PFX) bundle of a certificate, its chain and its RSA key, in the form Application Gateway takes a
 * listener certificate in (`sslCertificates[].data`, base64, with a password). Pure functions.
 *
 * Application Gateway reads the key of an uploaded PFX only when it is encrypted with 3DES (pbeWithSHAAnd3-
 * KeyTripleDES-CBC): an AES-encrypted PFX, OpenSSL 3's default, is refused as "Password specified for
 * certificate ... is incorrect" (MicrosoftDocs/azure-docs#54393, #70835), and a PFX without a password is
 * refused as "Password not specified" (Azure/azure-xplat-cli#2866).
 *
 * The bytes must be the same on every `pulumi up` for the same certificate, or every update would send the
 * gateway a "new" certificate (azure-native diffs inputs, and `data` is write-only). PKCS#12 writers draw
 * random salts; here they are derived from the password and the certificate (HMAC-SHA256), so the bundle is a
 * function of its inputs, and the salts stay unknown to anyone without the password.
 */
import { createHmac } from "node:crypto";
import forge from "node-forge";

export interface PfxInput {
  /** PEM of the leaf certificate. */
  certificatePem: string;
  /** PEM of the issuing chain, leaf's issuer first (may be empty). */
  chainPems?: readonly string[];
  /** PEM of the leaf's private key as PKCS#8 (`-----BEGIN PRIVATE KEY-----`, tls.PrivateKey's privateKeyPemPkcs8). */
  privateKeyPkcs8Pem: string;
  password: string;
}

/** Application Gateway's documented limit for a PFX password (MicrosoftDocs/azure-docs#11068: 4 to 12 characters). */
export const PFX_PASSWORD_LENGTH = { min: 4, max: 12 } as const;

/**
 * The longest `data` (the PFX in base64) Application Gateway takes for one certificate; a longer one is refused at
 * create, after the gateway's other settings were sent: "ApplicationGatewaySslCertificateDataTooBig: Data too big
 * for certificate ... Max data length supported is 16384" (Azure's 400, recorded in hashicorp/terraform-provider-azurerm#31172).
 * The listener's bundle (RSA-2048 leaf with a 64-character name, its RSA-2048 CA, the key) measured 4,332.
 */
export const PFX_MAX_BASE64_LENGTH = 16384;

/** PBE and MAC iterations: the count OpenSSL and node-forge write by default. */
const ITERATIONS = 2048;

/** The DER inside one PEM block of the given label, as a binary string. Contents are not parsed: they travel as they are. */
function pemBody(pem: string, label: string): string {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`expected a PEM block labelled ${label}`);
  return forge.util.decode64(m[1].replace(/\s+/g, ""));
}

/** Bytes from HMAC-SHA256 over the password and a label: the salts, derived instead of drawn at random. */
function derivedSalt(password: string, label: string, context: string): string {
  return createHmac("sha256", password).update(`pfx|${label}|`).update(context, "binary").digest().subarray(0, 8).toString("binary");
}

const { asn1 } = forge;
const seq = (...items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (...items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oid = (name: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids[name]).getBytes());
const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const integer = (n: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const explicit0 = (item: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [item]);
/** ContentInfo of type data around the DER of `content`. */
const dataContent = (content: forge.asn1.Asn1) => seq(oid("data"), explicit0(octets(asn1.toDer(content).getBytes())));

/**
 * The PFX as base64 (RFC 7292): the certificates in one unencrypted SafeContents, the key in a
 * pkcs8ShroudedKeyBag encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC, both tagged with the leaf's localKeyId
 * (SHA-1 of its DER), and an HMAC-SHA1 integrity MAC: the layout OpenSSL's `pkcs12 -export -legacy` and
 * node-forge write. The certificate and key travel as the DER they are, unparsed. Same input, same bytes.
 */
export function pfxBase64(input: PfxInput): string {
  const { min, max } = PFX_PASSWORD_LENGTH;
  const { password } = input;
  if (password.length < min || password.length > max) throw new RangeError(`a PFX password for Application Gateway has ${min} to ${max} characters`);
  const leaf = pemBody(input.certificatePem, "CERTIFICATE");
  const chain = [leaf, ...(input.chainPems ?? []).map((pem) => pemBody(pem, "CERTIFICATE"))];
  const key = pemBody(input.privateKeyPkcs8Pem, "PRIVATE KEY");

  const localKeyId = forge.md.sha1.create().update(leaf).digest().getBytes();
  const attributes = set(seq(oid("localKeyId"), set(octets(localKeyId))));
  const certBag = (der: string, i: number) =>
    seq(oid("certBag"), explicit0(seq(oid("x509Certificate"), explicit0(octets(der)))), ...(i === 0 ? [attributes] : []));

  const keySalt = derivedSalt(password, "key", leaf);
  const saltBuffer = () => forge.util.createBuffer(keySalt);
  const dk = forge.pkcs12.generateKey(password, saltBuffer(), 1, ITERATIONS, 24);
  const iv = forge.pkcs12.generateKey(password, saltBuffer(), 2, ITERATIONS, 8);
  // des.createEncryptionCipher's start takes the IV itself (node-forge lib/des.js, "backwards compatible start API").
  // 3DES-CBC with PKCS#7 padding: node-forge's des module (not in its type definitions).
  const des = (forge as unknown as { des: { createEncryptionCipher(key: forge.util.ByteStringBuffer): forge.cipher.BlockCipher } }).des;
  const cipher = des.createEncryptionCipher(dk);
  (cipher.start as unknown as (iv: forge.util.ByteStringBuffer) => void)(iv);
  cipher.update(forge.util.createBuffer(key));
  cipher.finish();
  const encryptedKey = seq(seq(oid("pbeWithSHAAnd3-KeyTripleDES-CBC"), seq(octets(keySalt), integer(ITERATIONS))), octets(cipher.output.getBytes()));
  const keyBag = seq(oid("pkcs8ShroudedKeyBag"), explicit0(encryptedKey), attributes);

  const safe = seq(dataContent(seq(...chain.map(certBag))), dataContent(seq(keyBag)));
  const safeDer = asn1.toDer(safe).getBytes();
  const macSalt = derivedSalt(password, "mac", leaf);
  const macKey = forge.pkcs12.generateKey(password, forge.util.createBuffer(macSalt), 3, ITERATIONS, 20);
  const hmac = forge.hmac.create();
  hmac.start("sha1", macKey.getBytes());
  hmac.update(safeDer);
  const macData = seq(seq(seq(oid("sha1"), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, "")), octets(hmac.digest().getBytes())), octets(macSalt), integer(ITERATIONS));

  const pfx = seq(integer(3), seq(oid("data"), explicit0(octets(safeDer))), macData);
  const base64 = forge.util.encode64(asn1.toDer(pfx).getBytes());
  if (base64.length > PFX_MAX_BASE64_LENGTH) {
    throw new RangeError(`the PFX is ${base64.length} base64 characters; Application Gateway takes at most ${PFX_MAX_BASE64_LENGTH} (shorten the chain or the key)`);
  }
  return base64;
}

/** Reads a PFX back: the certificates' subjects' common names and whether it holds a key, for tests and checks. */
export function readPfx(base64: string, password: string): { commonNames: string[]; hasKey: boolean; keyEncryption: string | undefined } {
  const der = forge.util.decode64(base64);
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), password);
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  const keyBags = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? [];
  // The key bag's encryption: the DER of OID 1.2.840.113549.1.12.1.3 (pbeWithSHAAnd3-KeyTripleDES-CBC), RFC 7292
  // appendix C; the key bag lies in an unencrypted SafeContents, so the OID appears in the bytes as written.
  const tripleDes = Buffer.from("060a2a864886f70d010c0103", "hex").toString("binary");
  const keyEncryption = der.includes(tripleDes) ? "pbeWithSHAAnd3-KeyTripleDES-CBC" : undefined;
  return {
    commonNames: certBags.map((b) => String(b.cert?.subject.getField("CN")?.value ?? "")),
    hasKey: keyBags.some((b) => b.key !== undefined),
    keyEncryption,
  };
}
