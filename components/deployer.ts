/**
 * Who runs `pulumi up`, as far as role assignments need to know. The cluster's admin grant goes to the object
 * ID azure-native signs in with (getClientConfig), and Azure refuses a service principal's grant sent with
 * principalType "User" (UnmatchedPrincipalType), so the type must match the sign-in.
 *
 * Nothing in getClientConfig says which kind of principal the object ID is, and Microsoft Graph (where it
 * would say) needs directory rights a CI principal usually lacks. The sign-in method does say it: azure-native
 * signs in as a service principal exactly when it is given one (a client ID with a secret, a certificate or an
 * OIDC token, or a managed identity), through ARM_* variables or `azure-native:*` config; otherwise it uses the
 * Azure CLI's user session. https://www.pulumi.com/registry/packages/azure-native/installation-configuration/
 * The setting `deployerPrincipalType` overrides the inference (e.g. a service principal signed in to az with
 * `az login --service-principal` and no ARM_* variables).
 */
import type { PrincipalType } from "./roles";

/** Environment variables (and their `azure-native:` config equivalents) that make azure-native sign in as a service principal. */
export const SERVICE_PRINCIPAL_SIGNALS = {
  env: ["ARM_CLIENT_ID", "ARM_USE_MSI", "ARM_USE_OIDC", "ARM_OIDC_TOKEN", "ARM_CLIENT_CERTIFICATE_PATH"],
  config: ["clientId", "useMsi", "useOidc", "oidcToken", "clientCertificatePath"],
} as const;

const truthy = (v: string | undefined) => v !== undefined && v !== "" && v.toLowerCase() !== "false";

export interface DeployerSignals {
  /** The `deployerPrincipalType` setting, when the stack sets it. */
  configured?: PrincipalType;
  env: Record<string, string | undefined>;
  /** Reads one `azure-native:<key>` config value. */
  providerConfig: (key: string) => string | undefined;
}

/** The deployer's principal type, and why: the setting, or the sign-in method azure-native will use. */
export function deployerPrincipalType(s: DeployerSignals): { type: PrincipalType; reason: string } {
  if (s.configured) return { type: s.configured, reason: "deployerPrincipalType setting" };
  const env = SERVICE_PRINCIPAL_SIGNALS.env.find((k) => truthy(s.env[k]));
  if (env) return { type: "ServicePrincipal", reason: `${env} is set: azure-native signs in as a service principal or managed identity` };
  const config = SERVICE_PRINCIPAL_SIGNALS.config.find((k) => truthy(s.providerConfig(k)));
  if (config) return { type: "ServicePrincipal", reason: `azure-native:${config} is set: azure-native signs in as a service principal or managed identity` };
  return { type: "User", reason: "no service principal credentials for azure-native: it uses the Azure CLI's user session" };
}
