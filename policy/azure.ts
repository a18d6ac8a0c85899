/**
 * Azure rules: API Management, Azure OpenAI, role assignments, network security groups and AKS. Resource
 * validations read the inputs the program declares; the one stack validation reads the deployed graph.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ACR_PULL, AKS_CLUSTER_USER, AKS_RBAC_CLUSTER_ADMIN, AKS_RBAC_WRITER, COGNITIVE_SERVICES_OPENAI_USER, NETWORK_CONTRIBUTOR } from "../components/roles";
import { armResourceType, at, forTypes, isFalse, isResourceScope, isTrue, list, ofType, type Props, T } from "./lib";
import { lifecycleOf, MODEL_DATA, todayUtc } from "../config/models";
import { MAX_AI_SERVICES_IP_RULES } from "../components/model-path";

const MS = "https://learn.microsoft.com";

// ---------------------------------------------------------------------------------------------------------
// API Management

const SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";

/** Custom properties that must be "False": legacy protocols on both sides and the 3DES cipher. */
export const APIM_TLS_SETTINGS: readonly { key: string; what: string }[] = [
  { key: `${SECURITY}.Protocols.Tls10`, what: "TLS 1.0 from clients" },
  { key: `${SECURITY}.Protocols.Tls11`, what: "TLS 1.1 from clients" },
  { key: `${SECURITY}.Protocols.Ssl30`, what: "SSL 3.0 from clients" },
  { key: `${SECURITY}.Backend.Protocols.Tls10`, what: "TLS 1.0 to backends" },
  { key: `${SECURITY}.Backend.Protocols.Tls11`, what: "TLS 1.1 to backends" },
  { key: `${SECURITY}.Backend.Protocols.Ssl30`, what: "SSL 3.0 to backends" },
  { key: `${SECURITY}.Ciphers.TripleDes168`, what: "the 3DES cipher (TLS_RSA_WITH_3DES_EDE_CBC_SHA)" },
];

/** Tiers whose protocol and cipher configuration Microsoft fixes: they take no such custom properties. */
export const APIM_FIXED_TLS_TIERS: readonly string[] = ["Consumption", "BasicV2", "StandardV2", "PremiumV2"];

export const apimTlsHardening: ResourceValidationPolicy = {
  name: "apim-tls-hardening",
  description: "API Management turns off SSL 3.0, TLS 1.0/1.1 (client and backend side) and 3DES where the tier lets it.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/api-management/api-management-howto-manage-protocols-ciphers`,
  validateResource: forTypes([T.apim], (args, report) => {
    const sku = String(at(args.props, "sku.name") ?? "");
    if (APIM_FIXED_TLS_TIERS.includes(sku)) {
      args.notApplicable(`the ${sku} tier does not take protocol or cipher settings; Microsoft fixes them`);
    }
    const custom = (args.props.customProperties ?? {}) as Props;
    const left = APIM_TLS_SETTINGS.filter((s) => !isFalse(custom[s.key]));
    for (const s of left) {
      const value = custom[s.key];
      report(
        `${s.what} is not turned off: set customProperties["${s.key}"] to "False" (it is ${value === undefined ? "unset" : JSON.stringify(value)}).`,
      );
    }
  }),
};

export const apimManagedIdentity: ResourceValidationPolicy = {
  name: "apim-managed-identity",
  description: "API Management has a system-assigned managed identity, which it uses instead of keys to call Azure OpenAI.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/api-management/api-management-howto-use-managed-service-identity`,
  validateResource: forTypes([T.apim], (args, report) => {
    const type = String(at(args.props, "identity.type") ?? "None");
    if (!/SystemAssigned/i.test(type)) {
      report(`identity.type is ${JSON.stringify(type)}: set it to "SystemAssigned" so that APIM authenticates to Azure OpenAI with Entra ID, not keys.`);
    }
  }),
};

export const apimHttpsOnly: ResourceValidationPolicy = {
  name: "apim-https-only",
  description: "Every API Management API accepts HTTPS only and calls its backend over HTTPS.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/api-management/mitigate-owasp-api-threats`,
  validateResource: forTypes([T.api], (args, report) => {
    const protocols = list<string>(args.props.protocols);
    const plain = protocols.filter((p) => /^(http|ws)$/i.test(String(p)));
    if (protocols.length === 0) report(`protocols is not set: set it to ["https"].`);
    else if (plain.length) report(`protocols includes ${plain.map((p) => JSON.stringify(p)).join(", ")}: clients could call without TLS; allow "https" only.`);
    const serviceUrl = args.props.serviceUrl;
    if (typeof serviceUrl === "string" && serviceUrl !== "" && !/^https:\/\//i.test(serviceUrl)) {
      report(`serviceUrl ${JSON.stringify(serviceUrl)} is not https: APIM would forward requests (with their credentials) in clear text.`);
    }
  }),
};

export const apimSubscriptionRequired: ResourceValidationPolicy = {
  name: "apim-subscription-required",
  description: "Every API Management API and product requires a subscription key.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/api-management/api-management-subscriptions`,
  validateResource: forTypes([T.api, T.product], (args, report) => {
    if (args.props.subscriptionRequired === false) {
      report(`subscriptionRequired is false: anyone who finds the gateway URL can call it; set it to true.`);
    }
  }),
};

const POLICY_DOCUMENT_TYPES = [T.serviceApiPolicy, T.productPolicy, T.apiPolicy, T.apiOperationPolicy];

export const apimCorsNoWildcard: ResourceValidationPolicy = {
  name: "apim-cors-no-wildcard",
  description: "No APIM policy document allows every CORS origin.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/api-management/cors-policy`,
  validateResource: forTypes(POLICY_DOCUMENT_TYPES, (args, report) => {
    const xml = String(args.props.value ?? "");
    if (/<origin>\s*\*\s*<\/origin>/i.test(xml)) {
      report(`the cors policy allows origin "*": list the origins that may call the API (corsAllowedOrigins).`);
    }
  }),
};

/** Elements that validate a caller's token in an APIM policy document. */
const TOKEN_VALIDATION = /<(validate-jwt|validate-azure-ad-token)\b/i;

export const apimJwtValidation: StackValidationPolicy = {
  name: "apim-jwt-validation",
  description: "API Management validates an Entra ID (or other OIDC) token in addition to the subscription key.",
  enforcementLevel: "advisory",
  url: `${MS}/azure/api-management/validate-jwt-policy`,
  validateStack: (args, report) => {
    const services = ofType(args, T.apim);
    if (services.length === 0) args.notApplicable("no API Management service in the stack");
    const documents = ofType(args, ...POLICY_DOCUMENT_TYPES).map((r) => String(r.props.value ?? ""));
    if (!documents.some((d) => TOKEN_VALIDATION.test(d))) {
      for (const s of services) {
        report(
          "No policy validates a caller token (validate-jwt or validate-azure-ad-token): a leaked subscription key is enough to call the APIs. Set jwtIssuer and jwtAudience.",
          s.urn,
        );
      }
    }
  },
};

/** Tiers whose service resource takes `enableClientCertificate` ("only meant to be used for Consumption"). */
const CLIENT_CERTIFICATE_FLAG_TIERS = ["Consumption"];
/** v2 tiers, which take `enableClientCertificate: true` to request client certificates (apimClientCertificates). */
const REQUEST_CLIENT_CERTIFICATE_TIERS = ["BasicV2", "StandardV2"];

export const apimClientCertificateFlag: ResourceValidationPolicy = {
  name: "apim-client-certificate-flag",
  description: "API Management sends enableClientCertificate only to the Consumption tier; Azure refuses false on Developer.",
  enforcementLevel: "mandatory",
  url: "https://github.com/pulumi/pulumi-azure-native/issues/1741",
  validateResource: forTypes([T.apim], (args, report) => {
    const sku = String(at(args.props, "sku.name") ?? "");
    if (CLIENT_CERTIFICATE_FLAG_TIERS.includes(sku)) args.notApplicable("the Consumption tier takes enableClientCertificate");
    // apimClientCertificates on a v2 tier: "Request client certificate" is how v2 gateways ask for client
    // certificates (api-management-howto-mutual-certificates-for-clients, ms.date 2026-01-29); false is still refused.
    if (REQUEST_CLIENT_CERTIFICATE_TIERS.includes(sku) && args.props.enableClientCertificate === true) args.notApplicable(`the ${sku} tier requests client certificates with enableClientCertificate`);
    if ("enableClientCertificate" in args.props) {
      report(
        `enableClientCertificate is sent (${JSON.stringify(args.props.enableClientCertificate)}) to the ${sku} tier: Azure answers "Setting EnableClientCertificate flag to false is not supported"; leave it out (withoutPropertiesTheTierLacks).`,
      );
    }
  }),
};

/** Tiers with the legacy developer portal's switch (the classic ones). */
const LEGACY_PORTAL_TIERS = ["Developer", "Basic", "Standard", "Premium"];

export const apimPortals: ResourceValidationPolicy = {
  name: "apim-portals",
  description: "The legacy portal is off on every classic tier; the developer portal is off unless apimDeveloperPortal asks for it.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/api-management/developer-portal-overview`,
  validateResource: forTypes([T.apim], (args, report) => {
    const sku = String(at(args.props, "sku.name") ?? "");
    if (!LEGACY_PORTAL_TIERS.includes(sku)) args.notApplicable(`the ${sku} tier has no legacy portal`);
    if (args.props.legacyPortalStatus !== "Disabled") {
      report(`legacyPortalStatus is ${JSON.stringify(args.props.legacyPortalStatus)}: set it to "Disabled" (the legacy portal is retired and unmaintained).`);
    }
  }),
};

// ---------------------------------------------------------------------------------------------------------
// Azure OpenAI

/** Account kinds that serve Azure OpenAI models. */
const OPENAI_KINDS = ["openai", "aiservices"];

export const openAiLocalAuthDisabled: ResourceValidationPolicy = {
  name: "openai-local-auth-disabled",
  description: "Azure OpenAI accounts accept Entra ID tokens only: API keys are disabled.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/ai-services/disable-local-auth`,
  validateResource: forTypes([T.cognitiveAccount], (args, report) => {
    const kind = String(args.props.kind ?? "");
    if (!OPENAI_KINDS.includes(kind.toLowerCase())) args.notApplicable(`kind ${kind} is not an Azure OpenAI account`);
    if (at(args.props, "properties.disableLocalAuth") !== true) {
      report(`properties.disableLocalAuth is not true: the account's API keys work, and anyone holding one bypasses Entra ID and role assignments.`);
    }
  }),
};

export const openAiNetworkDeny: ResourceValidationPolicy = {
  name: "openai-network-deny",
  description: "Azure OpenAI accounts refuse every network but the admitted ones: default action Deny, or no public access.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/ai-services/cognitive-services-virtual-networks`,
  validateResource: forTypes([T.cognitiveAccount], (args, report) => {
    const kind = String(args.props.kind ?? "");
    if (!OPENAI_KINDS.includes(kind.toLowerCase())) args.notApplicable(`kind ${kind} is not an Azure OpenAI account`);
    if (at(args.props, "properties.publicNetworkAccess") === "Disabled") return;
    const action = at(args.props, "properties.networkAcls.defaultAction");
    if (action !== "Deny") {
      report(`properties.networkAcls.defaultAction is ${JSON.stringify(action)}: the account answers the whole internet; deny by default and admit APIM's addresses and the AKS subnet.`);
    }
    if (at(args.props, "properties.networkAcls.bypass") === "AzureServices") {
      report(`properties.networkAcls.bypass is "AzureServices": trusted Azure services pass the firewall; nothing here needs it, set "None".`);
    }
    const ipRules = list<Props>(at(args.props, "properties.networkAcls.ipRules"));
    if (ipRules.length > MAX_AI_SERVICES_IP_RULES) {
      report(`properties.networkAcls.ipRules holds ${ipRules.length} rules; an Azure AI services account takes at most ${MAX_AI_SERVICES_IP_RULES}, so ARM refuses it.`);
    }
    // A Deny default with a rule as wide as the internet is no firewall: anything shorter than /8 is refused.
    for (const rule of ipRules) {
      const value = String(rule?.value ?? "");
      const prefix = value.includes("/") ? Number(value.split("/")[1]) : 32;
      if (prefix < MIN_OPENAI_IP_RULE_PREFIX) {
        report(`properties.networkAcls.ipRules admits ${value}, a range as wide as a large part of the internet: admit APIM's addresses (or its region's ranges) only.`);
      }
    }
  }),
};

/** The widest IP rule an Azure OpenAI firewall may hold; the region ranges APIM calls from are much narrower. */
export const MIN_OPENAI_IP_RULE_PREFIX = 8;

const MODEL_DEPLOYMENT = "azure-native:cognitiveservices:Deployment";

export const openAiModelLifecycle: ResourceValidationPolicy = {
  name: "openai-model-lifecycle",
  description: "The deployed Azure OpenAI model is neither retired nor deprecated (data/openai-models.json).",
  enforcementLevel: "advisory",
  url: String(MODEL_DATA.sources.lifecycle.url),
  validateResource: forTypes([MODEL_DEPLOYMENT], (args, report) => {
    const name = String(at(args.props, "properties.model.name") ?? "");
    const version = String(at(args.props, "properties.model.version") ?? "");
    const verdict = lifecycleOf(name, version, todayUtc());
    if (verdict.status === "retired") report(`${name} ${version} is retired since ${verdict.entry!.retirement}: every call fails; choose a current model (README, "The model").`);
    if (verdict.status === "deprecated") report(`${name} ${version} is deprecated (retires ${verdict.entry!.retirement}): subscriptions that never deployed it cannot; choose a current model.`);
  }),
};

// ---------------------------------------------------------------------------------------------------------
// Role assignments

export interface AllowedRole {
  id: string;
  name: string;
  /** ARM resource type the role may be assigned on (least privilege: the one resource that needs it). */
  scopeType: string;
  doc: string;
}

const RBAC = `${MS}/azure/role-based-access-control/built-in-roles`;

/** The roles this project grants, each on the one kind of resource it is needed for. */
export const ALLOWED_ROLES: readonly AllowedRole[] = [
  {
    id: COGNITIVE_SERVICES_OPENAI_USER,
    name: "Cognitive Services OpenAI User",
    scopeType: "Microsoft.CognitiveServices/accounts",
    doc: `${RBAC}/ai-machine-learning#cognitive-services-openai-user`,
  },
  {
    id: NETWORK_CONTRIBUTOR,
    name: "Network Contributor",
    scopeType: "Microsoft.Network/virtualNetworks/subnets",
    doc: `${RBAC}/networking#network-contributor`,
  },
  {
    id: AKS_RBAC_CLUSTER_ADMIN,
    name: "Azure Kubernetes Service RBAC Cluster Admin",
    scopeType: "Microsoft.ContainerService/managedClusters",
    doc: `${RBAC}/containers#azure-kubernetes-service-rbac-cluster-admin`,
  },
  {
    // The kubelet identity pulls the AI API's image from the project's own registry.
    id: ACR_PULL,
    name: "AcrPull",
    scopeType: "Microsoft.ContainerRegistry/registries",
    doc: `${RBAC}/containers#acrpull`,
  },
  {
    // A workshop attendee's group, on its own namespace only: at the cluster it would reach every namespace.
    id: AKS_RBAC_WRITER,
    name: "Azure Kubernetes Service RBAC Writer",
    scopeType: "Microsoft.ContainerService/managedClusters/namespaces",
    doc: `${RBAC}/containers#azure-kubernetes-service-rbac-writer`,
  },
  {
    // The same group fetches the cluster's kubeconfig; the role grants nothing inside the cluster.
    id: AKS_CLUSTER_USER,
    name: "Azure Kubernetes Service Cluster User Role",
    scopeType: "Microsoft.ContainerService/managedClusters",
    doc: `${RBAC}/containers#azure-kubernetes-service-cluster-user-role`,
  },
];

/** Roles that can do anything or hand out access: never granted by this program, whatever the scope. */
export const PRIVILEGED_ROLES: Readonly<Record<string, string>> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

export function roleGuidOf(roleDefinitionId: unknown): string | undefined {
  const m = /roleDefinitions\/([0-9a-f-]{36})\s*$/i.exec(String(roleDefinitionId ?? ""));
  return m?.[1].toLowerCase();
}

export const roleAssignmentLeastPrivilege: ResourceValidationPolicy = {
  name: "role-assignment-least-privilege",
  description:
    "Role assignments grant only allow-listed least-privilege roles (never Owner, Contributor or User Access Administrator), each on a single resource.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/role-based-access-control/best-practices`,
  validateResource: forTypes([T.roleAssignment], (args, report) => {
    const guid = roleGuidOf(args.props.roleDefinitionId);
    const scope = String(args.props.scope ?? "");
    if (!guid) {
      report(`roleDefinitionId ${JSON.stringify(args.props.roleDefinitionId)} does not name a role definition (…/roleDefinitions/<guid>).`);
    } else if (PRIVILEGED_ROLES[guid]) {
      report(`grants ${PRIVILEGED_ROLES[guid]} (${guid}), which can change or hand out access to everything under its scope: grant a narrower built-in role.`);
    } else {
      const allowed = ALLOWED_ROLES.find((r) => r.id === guid);
      if (!allowed) {
        report(`role ${guid} is not on the allow-list (${ALLOWED_ROLES.map((r) => r.name).join(", ")}): add it to policy/azure.ts ALLOWED_ROLES with a reason, or grant one of those.`);
      } else if (isResourceScope(scope) && armResourceType(scope)?.toLowerCase() !== allowed.scopeType.toLowerCase()) {
        report(`${allowed.name} is assigned on a ${armResourceType(scope)}: this project grants it only on a ${allowed.scopeType}.`);
      }
    }
    if (!isResourceScope(scope)) {
      const what = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/?$/i.test(scope)
        ? "a resource group"
        : /^\/subscriptions\/[^/]+\/?$/i.test(scope)
          ? "a subscription"
          : /managementGroups/i.test(scope)
            ? "a management group"
            : scope === "/" ? "the tenant root" : "not a resource ID";
      report(`scope ${JSON.stringify(scope)} is ${what}: assign the role on the one resource that needs it (/subscriptions/…/resourceGroups/…/providers/…).`);
    }
  }),
};

/** Principal IDs of the managed identities in the stack: system-assigned, user-assigned and AKS's kubelet. */
function managedIdentityPrincipals(resources: { type: string; props: Props }[]): Set<string> {
  const ids = new Set<string>();
  for (const r of resources) {
    for (const v of [at(r.props, "identity.principalId"), at(r.props, "identityProfile.kubeletidentity.objectId")]) {
      if (typeof v === "string" && v) ids.add(v);
    }
    if (r.type === T.userAssignedIdentity && typeof r.props.principalId === "string") ids.add(r.props.principalId);
  }
  return ids;
}

export const roleAssignmentPrincipalType: StackValidationPolicy = {
  name: "role-assignment-managed-identity-principal-type",
  description: "Role assignments to a managed identity of the stack declare principalType ServicePrincipal.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/role-based-access-control/role-assignments-template#new-service-principal`,
  validateStack: (args, report) => {
    const assignments = ofType(args, T.roleAssignment);
    if (assignments.length === 0) args.notApplicable("no role assignments in the stack");
    const principals = managedIdentityPrincipals(args.resources);
    for (const a of assignments) {
      const fromIdentity = (a.propertyDependencies?.principalId ?? []).some(
        (d) => d.type === T.userAssignedIdentity || at(d.props, "identity.principalId") !== undefined,
      );
      const toManagedIdentity = principals.has(String(a.props.principalId)) || fromIdentity;
      if (toManagedIdentity && a.props.principalType !== "ServicePrincipal") {
        report(
          `assigns a role to a managed identity of this stack with principalType ${JSON.stringify(a.props.principalType ?? "unset (User)")}: set "ServicePrincipal", or the assignment can fail with PrincipalNotFound while Entra ID replicates the new identity.`,
          a.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------
// Network security groups

/** Source prefixes meaning "anyone on the internet". */
const ANY_SOURCE = new Set(["*", "any", "internet", "0.0.0.0/0", "::/0"]);

/** Remote management ports that never face the internet: SSH, RDP, WinRM, and APIM's management endpoint. */
export const MANAGEMENT_PORTS: Readonly<Record<number, string>> = {
  22: "SSH",
  3389: "RDP",
  5985: "WinRM",
  5986: "WinRM over HTTPS",
  3443: "the API Management management endpoint (only the ApiManagement service tag may reach it)",
};

export function isAnySource(prefix: unknown): boolean {
  return typeof prefix === "string" && ANY_SOURCE.has(prefix.trim().toLowerCase());
}

/** Whether an NSG port expression (`*`, `443`, `8000-8100`) covers a port; `undefined` port = every port. */
export function portsCover(expr: string, port?: number): boolean {
  const e = expr.trim();
  if (e === "*") return true;
  const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(e);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return port === undefined ? lo <= 0 && hi >= 65535 : lo <= port && port <= hi;
}

export interface RuleFinding {
  rule: string;
  message: string;
}

/** What is wrong with one security rule (ARM shape, as azure-native takes it), if anything. */
export function openInboundFindings(rule: Props, label: string): RuleFinding[] {
  if (String(rule.access ?? "").toLowerCase() !== "allow" || String(rule.direction ?? "").toLowerCase() !== "inbound") return [];
  const sources = [rule.sourceAddressPrefix, ...list(rule.sourceAddressPrefixes)].filter((s) => s !== undefined);
  const open = sources.filter(isAnySource);
  if (open.length === 0) return [];
  const ports = [rule.destinationPortRange, ...list(rule.destinationPortRanges)].filter((p) => typeof p === "string") as string[];
  const from = JSON.stringify(open[0]);
  if (ports.some((p) => portsCover(p))) {
    return [{ rule: label, message: `security rule "${label}" allows inbound traffic from ${from} to every port: list the ports the service needs.` }];
  }
  return Object.entries(MANAGEMENT_PORTS)
    .filter(([port]) => ports.some((p) => portsCover(p, Number(port))))
    .map(([port, what]) => ({
      rule: label,
      message: `security rule "${label}" allows inbound traffic from ${from} to port ${port}, ${what}.`,
    }));
}

export const nsgNoOpenInbound: ResourceValidationPolicy = {
  name: "nsg-no-open-inbound",
  description:
    "No network security group rule allows the internet in on every port or on a management port (22, 3389, 5985, 5986, APIM's 3443).",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/virtual-network/network-security-groups-overview#security-rules`,
  validateResource: forTypes([T.nsg, T.securityRule], (args, report) => {
    const rules = args.type === T.nsg ? list<Props>(args.props.securityRules) : [args.props];
    rules.forEach((rule, i) => {
      const label = String(rule.name ?? (args.type === T.securityRule ? args.props.securityRuleName ?? args.name : `securityRules[${i}]`));
      for (const f of openInboundFindings(rule, label)) report(f.message);
    });
  }),
};

// ---------------------------------------------------------------------------------------------------------
// AKS

const NETWORK_POLICY_ENGINES = ["azure", "calico", "cilium"];

export const aksClusterHardening: ResourceValidationPolicy = {
  name: "aks-cluster-hardening",
  description:
    "AKS enforces network policy, runs the OIDC issuer and workload identity, signs users in with Entra ID and authorizes with Azure RBAC, with local accounts disabled.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/aks/manage-local-accounts-managed-azure-ad`,
  validateResource: forTypes([T.aks], (args, report) => {
    const p = args.props;
    const engine = String(at(p, "networkProfile.networkPolicy") ?? "none");
    if (!NETWORK_POLICY_ENGINES.includes(engine.toLowerCase())) {
      report(`networkProfile.networkPolicy is ${JSON.stringify(engine)}: without a policy engine, Kubernetes NetworkPolicies are ignored. Use "cilium" (with the Cilium dataplane), "azure" or "calico".`);
    }
    if (!isTrue(at(p, "oidcIssuerProfile.enabled"))) {
      report(`oidcIssuerProfile.enabled is not true: workload identity needs the cluster's OIDC issuer.`);
    }
    if (!isTrue(at(p, "securityProfile.workloadIdentity.enabled"))) {
      report(`securityProfile.workloadIdentity.enabled is not true: pods would need keys or the node identity to reach Azure.`);
    }
    if (!isTrue(p.disableLocalAccounts)) {
      report(`disableLocalAccounts is not true: the static cluster-admin credential (az aks get-credentials --admin) bypasses Entra ID and Azure RBAC. This project signs in with kubelogin.`);
    }
    if (!isTrue(at(p, "aadProfile.managed"))) {
      report(`aadProfile.managed is not true: sign-in must go through Microsoft Entra ID.`);
    }
    if (!isTrue(at(p, "aadProfile.enableAzureRBAC"))) {
      report(`aadProfile.enableAzureRBAC is not true: Kubernetes authorization must come from Azure role assignments.`);
    }
    if (p.enableRBAC === false) report(`enableRBAC is false: Kubernetes RBAC must stay on.`);
  }),
};

export const aksApiAuthorizedRanges: ResourceValidationPolicy = {
  name: "aks-api-authorized-ranges",
  description: "The AKS API server admits only listed address ranges (the deployer's, CI's): setting aksApiAuthorizedRanges.",
  enforcementLevel: "advisory",
  url: `${MS}/azure/aks/api-server-authorized-ip-ranges`,
  validateResource: forTypes([T.aks], (args, report) => {
    if (isTrue(at(args.props, "apiServerAccessProfile.enablePrivateCluster"))) args.notApplicable("private cluster: the API server has no public endpoint");
    if (list<string>(at(args.props, "apiServerAccessProfile.authorizedIPRanges")).length === 0) {
      report("The API server is public with no authorized IP ranges: anyone on the internet can reach it (Entra ID sign-in is still required). Set aksApiAuthorizedRanges to the deployer's and CI's addresses.");
    }
  }),
};

export const azurePolicies = [
  apimTlsHardening,
  apimManagedIdentity,
  apimHttpsOnly,
  apimSubscriptionRequired,
  apimCorsNoWildcard,
  apimClientCertificateFlag,
  apimPortals,
  openAiLocalAuthDisabled,
  openAiNetworkDeny,
  openAiModelLifecycle,
  roleAssignmentLeastPrivilege,
  roleAssignmentPrincipalType,
  nsgNoOpenInbound,
  aksClusterHardening,
  aksApiAuthorizedRanges,
  apimJwtValidation,
];
