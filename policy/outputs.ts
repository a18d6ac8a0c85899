/**
 * Credentials never appear in plain stack outputs. Plain outputs are stored unencrypted in the state and
 * printed by `pulumi stack output`; secrets are encrypted and masked.
 * https://www.pulumi.com/docs/iac/concepts/secrets/
 *
 * `secretOutputViolations` is the pure check over `Evaluation.outputs` (the mock engine knows which outputs
 * are secret). The stack policy runs the same check over the `pulumi:pulumi:Stack` resource, whose properties
 * are the stack outputs; see secrets.ts for how it learns which of them were secrets.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { secretPathsOf } from "./secrets";
import { TYPE_PREFIX } from "../components/common";
import { T } from "./lib";

/** What a masked secret looks like in the mock engine's records (automation/mock-engine.ts SECRET). */
export const SECRET_MARKER = "[secret]";

export interface OutputValue {
  value: unknown;
  secret: boolean;
}

export interface OutputViolation {
  output: string;
  /** Dotted path inside the output (the output's name for a top-level value). */
  path: string;
  message: string;
}

/** Words that make a name sensitive, and last words that make it a reference to one instead (`keyVaultName`). */
const SENSITIVE_WORDS = new Set(["key", "keys", "secret", "secrets", "password", "passwords", "passwd", "pwd", "token", "tokens", "credential", "credentials", "kubeconfig", "sas"]);
const REFERENCE_WORDS = new Set(["name", "names", "id", "ids", "url", "uri", "urls", "uris", "endpoint", "endpoints", "host", "path", "header", "type", "version", "expiry", "expires", "at", "count", "length", "parameter", "parameters"]);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** `subscriptionKey`, `adminPassword`, `appInsightsConnectionString`, `kubeconfig`; not `keyVaultName`, `tokenLimit`. */
export function isSensitiveName(name: string): boolean {
  const w = words(name);
  if (w.length === 0 || REFERENCE_WORDS.has(w[w.length - 1])) return false;
  return w.some((x) => SENSITIVE_WORDS.has(x)) || w.join("").includes("connectionstring");
}

/** Values that are credentials whatever they are called. */
const CREDENTIAL_CONTENT: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: "a PEM private key" },
  { pattern: /(^|;)\s*(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=/i, what: "a connection string with a key or password" },
  { pattern: /[?&]sig=[A-Za-z0-9%+/=]{16,}/, what: "a SAS token" },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/, what: "a JSON Web Token" },
  { pattern: /^\s*(client-key-data|token):\s*\S+/m, what: "kubeconfig credentials" },
];

/**
 * Outputs that carry a credential but are not secret: by name (the output or a key inside it holding a string)
 * or by content. Secret outputs are skipped whole; the masked marker of a nested secret is never a finding.
 */
export function secretOutputViolations(outputs: Readonly<Record<string, OutputValue>>, subject = "stack output"): OutputViolation[] {
  const out: OutputViolation[] = [];
  const walk = (output: string, value: unknown, path: string, key: string) => {
    if (typeof value === "string") {
      if (value === "" || value === SECRET_MARKER) return;
      if (isSensitiveName(key)) {
        out.push({
          output,
          path,
          message: `${subject} "${output}"${path === output ? "" : ` (at ${path})`} looks like a credential by its name but is not secret: export it with pulumi.secret().`,
        });
        return;
      }
      const hit = CREDENTIAL_CONTENT.find((c) => c.pattern.test(value));
      if (hit) out.push({ output, path, message: `${subject} "${output}"${path === output ? "" : ` (at ${path})`} holds ${hit.what} in plain text: export it with pulumi.secret().` });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(output, v, `${path}[${i}]`, key));
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(output, v, `${path}.${k}`, k);
    }
  };
  for (const [name, o] of Object.entries(outputs)) {
    if (!o.secret) walk(name, o.value, name, name);
  }
  return out;
}

/** Rebuilds `{ name: { value, secret } }` from the Stack resource's properties and their recorded secret paths. */
export function stackOutputsOf(props: Record<string, unknown>, secretPaths: readonly string[]): Record<string, OutputValue> {
  const secret = new Set(secretPaths);
  const mask = (value: unknown, path: string): unknown => {
    if (secret.has(path)) return SECRET_MARKER;
    if (Array.isArray(value)) return value.map((v, i) => mask(v, `${path}[${i}]`));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, `${path}.${k}`)]));
    return value;
  };
  return Object.fromEntries(Object.keys(props).map((k) => [k, { value: mask(props[k], k), secret: secret.has(k) }]));
}

export const stackOutputsSecret: StackValidationPolicy = {
  name: "stack-outputs-secret",
  description:
    "Stack outputs, and the outputs this project's components register (also kept in the state), that hold keys, passwords, tokens or connection strings are Pulumi secrets.",
  enforcementLevel: "mandatory",
  url: "https://www.pulumi.com/docs/iac/concepts/secrets/",
  validateStack: (args, report) => {
    const stack = args.resources.find((r) => r.type === T.stack);
    if (!stack) return args.notApplicable("the stack resource (pulumi:pulumi:Stack) is not in the analysis");
    const paths = secretPathsOf(stack.props);
    if (!paths) {
      return args.notApplicable("@pulumi/policy did not say which outputs are secret (policy/index.ts installs trackSecretPaths for the CLI)");
    }
    for (const v of secretOutputViolations(stackOutputsOf(stack.props, paths))) report(v.message, stack.urn);
    for (const c of args.resources.filter((r) => r.type.startsWith(`${TYPE_PREFIX}:`))) {
      const componentPaths = secretPathsOf(c.props);
      if (!componentPaths) continue;
      const subject = `output of ${c.type.split(":").pop()} "${c.name}"`;
      for (const v of secretOutputViolations(stackOutputsOf(c.props, componentPaths), subject)) report(v.message, c.urn);
    }
  },
};
