/**
 * Where state lives and how secrets are encrypted: pure functions over the environment, so the rules are
 * tested and the workspace (`workspace.ts`) only applies them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { PROJECT_DIR, STACKS_DIR } from "../../../config/load";

/** Local file backend used when `PULUMI_BACKEND_URL` is not set (gitignored). */
export const LOCAL_STATE_DIR = path.join(PROJECT_DIR, ".pulumi-state");
/** Run and comparison reports (gitignored). */
export const REPORTS_DIR = path.join(PROJECT_DIR, "reports");
export const RUNS_DIR = path.join(REPORTS_DIR, "runs");
/** The policy pack `--policy` runs. */
export const POLICY_DIR = path.join(PROJECT_DIR, "policy");

export type Env = Record<string, string | undefined>;

export interface BackendChoice {
  url: string;
  /** `file://`, `azblob://`, `s3://`, `gs://`: self-managed backends, whose default secrets provider is a passphrase. */
  selfManaged: boolean;
  /** True when we chose the local default rather than the user. */
  defaulted: boolean;
}

export function chooseBackend(env: Env, stateDir = LOCAL_STATE_DIR): BackendChoice {
  const configured = env.PULUMI_BACKEND_URL?.trim();
  if (configured) {
    return { url: configured, selfManaged: !/^https?:\/\//i.test(configured), defaulted: false };
  }
  return { url: `file://${stateDir}`, selfManaged: true, defaulted: true };
}

/**
 * Query parameters of self-managed backend URLs that only say where the state is or how to reach it
 * (gocloud's azureblob and s3blob URL openers, which Pulumi's DIY backends use:
 * https://www.pulumi.com/docs/iac/guides/basics/using-a-diy-backend/, https://gocloud.dev/howto/blob/).
 * Credentials go in environment variables (AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, AWS_*), but a URL
 * may carry one anyway, so any other parameter's value is hidden.
 */
const PLAIN_BACKEND_PARAMS = new Set(["storage_account", "domain", "protocol", "cdn", "localemu", "region", "endpoint", "profile", "awssdk", "disableSSL", "disable_https", "s3ForcePathStyle", "use_path_style", "dualstack", "fips", "anonymous"]);

/** The backend URL as the commands print it: no user or password, no query value that could be a secret. */
export function describeBackend(url: string): string {
  const q = url.indexOf("?");
  const [base, query] = q < 0 ? [url, ""] : [url.slice(0, q), url.slice(q + 1)];
  const where = base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1[hidden]@");
  const params = query
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const key = pair.split("=")[0];
      return PLAIN_BACKEND_PARAMS.has(key) ? pair : `${key}=[hidden]`;
    });
  return params.length ? `${where}?${params.join("&")}` : where;
}

/** The stack file of any stack name (`stacks/Pulumi.<stack>.yaml`), honouring `stackConfigDir`. */
export function stackConfigPath(stack: string, dir = STACKS_DIR): string {
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** The `secretsprovider:` of an existing stack file, if any. */
export function stackSecretsProvider(stack: string, dir = STACKS_DIR): string | undefined {
  const file = stackConfigPath(stack, dir);
  if (!fs.existsSync(file)) return undefined;
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as { secretsprovider?: string } | null;
  return doc?.secretsprovider || undefined;
}

export interface SecretsRequirement {
  /** A passphrase must be given in PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE. */
  needsPassphrase: boolean;
  /** Why not, when it is not needed. */
  reason: string;
}

/**
 * Whether operations on these stacks need a passphrase: self-managed backends encrypt secrets with one
 * unless the stack (or `--secrets-provider`) names another provider (azurekeyvault://, awskms://, ...).
 */
export function secretsRequirement(backend: BackendChoice, stacks: string[], secretsProvider: string | undefined, dir = STACKS_DIR): SecretsRequirement {
  if (!backend.selfManaged) return { needsPassphrase: false, reason: "the Pulumi Cloud backend encrypts secrets" };
  const isPassphrase = (p: string | undefined) => p === undefined || p === "" || p === "default" || p === "passphrase";
  if (secretsProvider && !isPassphrase(secretsProvider)) return { needsPassphrase: false, reason: `secrets provider ${secretsProvider}` };
  const passphraseStacks = stacks.filter((s) => isPassphrase(stackSecretsProvider(s, dir)));
  if (!passphraseStacks.length) return { needsPassphrase: false, reason: "every stack names its own secrets provider" };
  return { needsPassphrase: true, reason: `${backend.url} encrypts secrets with a passphrase` };
}

export function hasPassphrase(env: Env): boolean {
  // An empty passphrase is allowed by Pulumi when the variable is set.
  return env.PULUMI_CONFIG_PASSPHRASE !== undefined || Boolean(env.PULUMI_CONFIG_PASSPHRASE_FILE);
}

/** Stack names Pulumi accepts: letters, digits, `-`, `_`, `.`; we keep them file-name safe too. */
export function isValidStackName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name);
}
