/**
 * Which properties were Pulumi secrets.
 *
 * @pulumi/policy (1.21) receives resource properties from the engine with secrets still marked (the CLI
 * marshals them with `KeepSecrets`), then unwraps every secret to its plain value before a validator sees it,
 * so a policy cannot tell a secret output from a plain one (pulumi/pulumi-policy#241, CrossGuard FAQ "How are
 * secrets handled in policies"). `trackSecretPaths()` wraps the SDK's deserializer so that each properties
 * object it returns carries, under a non-enumerable symbol, the paths that were secrets on the wire. Values
 * are unchanged, so every other policy behaves exactly as before. The mock-engine adapter (`run.ts`) attaches
 * the same marker from the mock engine's own secret flags.
 *
 * The hook relies on an internal module of @pulumi/policy; tests/policy/pack.test.ts starts the pack the way
 * the CLI does and fails if an upgrade breaks it. When the marker is missing, the rule that needs it reports
 * itself not applicable instead of guessing.
 */
import type { Props } from "./lib";

const SECRET_PATHS = Symbol.for("apim-aks-ai.policy.secretPaths");
const HOOKED = Symbol.for("apim-aks-ai.policy.secretTracking");

/** The signature key and value of a secret in the engine's wire format. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Dotted paths (`a.b[0].c`) of the secret values in a wire-format property object. */
export function wireSecretPaths(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => wireSecretPaths(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const obj = value as Props;
  if (obj[SIG_KEY] === SECRET_SIG) return [path];
  return Object.entries(obj).flatMap(([k, v]) => wireSecretPaths(v, path ? `${path}.${k}` : k));
}

/** Records which paths of `props` were secrets. Non-enumerable: invisible to JSON, spreads and key listings. */
export function markSecretPaths<P extends object>(props: P, paths: readonly string[]): P {
  Object.defineProperty(props, SECRET_PATHS, { value: Object.freeze([...paths]), enumerable: false });
  return props;
}

/**
 * The secret paths recorded on `props`, or undefined when nothing recorded them (secretness unknown). Works
 * through @pulumi/policy's unknown-checking proxy, which returns frozen non-configurable values as they are.
 */
export function secretPathsOf(props: object | undefined): readonly string[] | undefined {
  if (!props || typeof props !== "object") return undefined;
  const paths = (props as Record<symbol, unknown>)[SECRET_PATHS];
  return Array.isArray(paths) ? (paths as string[]) : undefined;
}

interface DeserializeModule {
  deserializeProperties: ((struct: any, proxySecrets?: boolean) => any) & { [HOOKED]?: boolean };
}

/**
 * Makes @pulumi/policy record secret paths on the properties it hands to validators. Returns whether the hook
 * is in place. Call it before constructing the PolicyPack; calling it twice is harmless.
 */
export function trackSecretPaths(load: () => DeserializeModule = () => require("@pulumi/policy/deserialize")): boolean {
  let mod: DeserializeModule;
  try {
    mod = load();
  } catch {
    return false;
  }
  const original = mod?.deserializeProperties;
  if (typeof original !== "function") return false;
  if (original[HOOKED]) return true;
  const hooked = Object.assign(
    function deserializeProperties(struct: any, proxySecrets?: boolean) {
      const props = original(struct, proxySecrets);
      if (!proxySecrets && props && typeof props === "object") {
        try {
          markSecretPaths(props, wireSecretPaths(struct?.toJavaScript?.() ?? {}));
        } catch {
          // Leave the properties unmarked: the rule then reports itself not applicable.
        }
      }
      return props;
    },
    { [HOOKED]: true },
  );
  mod.deserializeProperties = hooked;
  return mod.deserializeProperties === hooked;
}
