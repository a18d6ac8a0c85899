/**
 * Each rule fires: a resource of a real scenario's graph (a deep copy) is changed or removed, or a stray one is
 * added next to the scenario's own, and the rule must report it with its message. The Kubernetes cases change
 * the scenarios' own Kubernetes layer (the AI API's Deployment, Service, Ingress and NetworkPolicies, the
 * Traefik and cert-manager charts, the consumption Middlewares) in place. The `passes` table holds the near
 * misses that must stay quiet.
 */
import assert from "node:assert/strict";
import type { ScenarioEvaluation } from "../../automation/evaluate";
import type { ScenarioName } from "../../config/schema";
import { policies } from "../../policy/policies";
import { type PolicyReport, runPolicies } from "../../policy/run";
import {
  add,
  aiApi,
  APIM_ONLY_REF,
  BASIC_AUTH_REF,
  chart,
  copyOf,
  defaultDenyOf,
  edit,
  editAiApiPod,
  ENTRYPOINTS_ANNOTATION,
  evaluated,
  find,
  hardenedContainer,
  K,
  middleware,
  MIDDLEWARES_ANNOTATION,
  remove,
  show,
  violationsOf,
} from "./helpers";

const AZ = {
  apim: "azure-native:apimanagement:ApiManagementService",
  api: "azure-native:apimanagement:Api",
  product: "azure-native:apimanagement:Product",
  productPolicy: "azure-native:apimanagement:ProductPolicy",
  apiPolicy: "azure-native:apimanagement:ApiPolicy",
  account: "azure-native:cognitiveservices:Account",
  modelDeployment: "azure-native:cognitiveservices:Deployment",
  privateEndpoint: "azure-native:network:PrivateEndpoint",
  zoneLink: "azure-native:privatedns:VirtualNetworkLink",
  role: "azure-native:authorization:RoleAssignment",
  nsg: "azure-native:network:NetworkSecurityGroup",
  rule: "azure-native:network:SecurityRule",
  aks: "azure-native:containerservice:ManagedCluster",
} as const;

const SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";
const INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";
const OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";
const isOpenAiGrant = (r: { inputs: Record<string, any> }) => String(r.inputs.roleDefinitionId).endsWith(OPENAI_USER);
const nsgNamed = (key: string) => (r: { name: string }) => r.name === `network-${key}-nsg`;
const openRule = (name: string, source: string, ports: string | string[]) => ({
  name,
  priority: 200,
  direction: "Inbound",
  access: "Allow",
  protocol: "Tcp",
  sourceAddressPrefix: source,
  sourcePortRange: "*",
  destinationAddressPrefix: "*",
  ...(Array.isArray(ports) ? { destinationPortRanges: ports } : { destinationPortRange: ports }),
});
const addRule = (e: ScenarioEvaluation, key: string, rule: object) => edit(find(e, AZ.nsg, nsgNamed(key)), (p) => p.securityRules.push(structuredClone(rule)));

/**
 * Consumption with the allow-list moved from the AI API's Ingress to the chart's websecure entry point, and the
 * Ingress on Traefik's default entry points (web and websecure): compliant only while web redirects to websecure.
 */
const allowListOnEntryPoint = (e: ScenarioEvaluation) => {
  edit(aiApi.ingress(e), (p) => {
    delete p.metadata.annotations[MIDDLEWARES_ANNOTATION];
    delete p.metadata.annotations[ENTRYPOINTS_ANNOTATION];
  });
  edit(chart(e, "traefik"), (p) => {
    assert.equal(p.values.ports.web.http.redirections.entryPoint.to, "websecure", "the scenario's web entry point redirects");
    // The v41 chart takes an entry point's middlewares at ports.<name>.http.middlewares only.
    p.values.ports.websecure.http.middlewares = [APIM_ONLY_REF];
  });
};

/** An Application Gateway WAF_v2 with a WAF policy in the given mode, as components/AppGateway.ts declares them. */
function addEdge(e: ScenarioEvaluation, mode: "Detection" | "Prevention"): void {
  const waf = add(e, "azure-native:network:WebApplicationFirewallPolicy", "edge-waf", {
    policySettings: { state: "Enabled", mode, requestBodyCheck: true },
    managedRules: { managedRuleSets: [{ ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" }] },
  });
  add(e, "azure-native:network:ApplicationGateway", "edge", { sku: { name: "WAF_v2", tier: "WAF_v2" }, firewallPolicy: { id: waf.id } }, { dependencies: [waf.urn] });
}

interface Case {
  name: string;
  scenario: ScenarioName;
  policy: string;
  mutate: (e: ScenarioEvaluation) => void;
  /** Each pattern must match one violation's message. */
  expect: RegExp[];
  /** Type of the resource the violation is reported on, when not the stack. */
  on?: string;
  count?: number;
  /** The scenario as written already reports this (the public baseline's advisories): nothing is changed. */
  baseline?: boolean;
  /** Other mandatory rules the same change rightly trips. */
  alsoFires?: string[];
}

const fires: Case[] = [
  // API Management
  {
    name: "TLS 1.0 from clients turned back on",
    scenario: "external",
    policy: "apim-tls-hardening",
    mutate: (e) => edit(find(e, AZ.apim), (p) => (p.customProperties[`${SECURITY}.Protocols.Tls10`] = "True")),
    expect: [/TLS 1\.0 from clients is not turned off/],
    on: AZ.apim,
    count: 1,
  },
  {
    name: "no custom properties on a classic tier",
    scenario: "public",
    policy: "apim-tls-hardening",
    mutate: (e) => edit(find(e, AZ.apim), (p) => delete p.customProperties),
    expect: [/TLS 1\.0 from clients/, /TLS 1\.1 from clients/, /SSL 3\.0 from clients/, /TLS 1\.0 to backends/, /TLS 1\.1 to backends/, /SSL 3\.0 to backends/, /3DES/],
    count: 7,
  },
  {
    name: "backend TLS 1.1 left to its default",
    scenario: "internal",
    policy: "apim-tls-hardening",
    mutate: (e) => edit(find(e, AZ.apim), (p) => delete p.customProperties[`${SECURITY}.Backend.Protocols.Tls11`]),
    expect: [/TLS 1\.1 to backends is not turned off.*it is unset/],
    count: 1,
  },
  {
    name: "APIM without a managed identity",
    scenario: "consumption",
    policy: "apim-managed-identity",
    mutate: (e) => edit(find(e, AZ.apim), (p) => delete p.identity),
    expect: [/identity\.type is "None"/],
    on: AZ.apim,
  },
  {
    name: "an API that accepts plain HTTP",
    scenario: "public",
    policy: "apim-https-only",
    mutate: (e) => edit(find(e, AZ.api), (p) => (p.protocols = ["http", "https"])),
    expect: [/protocols includes "http"/],
    on: AZ.api,
  },
  {
    name: "an API that calls its backend over HTTP",
    scenario: "external",
    policy: "apim-https-only",
    mutate: (e) => edit(find(e, AZ.api), (p) => (p.serviceUrl = String(p.serviceUrl).replace(/^https:/, "http:"))),
    expect: [/serviceUrl "http:\/\/.*" is not https/],
  },
  {
    name: "a product open without a key",
    scenario: "internal",
    policy: "apim-subscription-required",
    mutate: (e) => edit(find(e, AZ.product), (p) => (p.subscriptionRequired = false)),
    expect: [/subscriptionRequired is false/],
    on: AZ.product,
  },
  {
    name: "CORS for every origin",
    scenario: "consumption",
    policy: "apim-cors-no-wildcard",
    // CORS lives at API scope (issue 12 item 6).
    mutate: (e) => edit(find(e, AZ.apiPolicy), (p) => (p.value = String(p.value).replace(/<origin>[^<]*<\/origin>/, "<origin>*</origin>"))),
    expect: [/allows origin "\*"/],
    on: AZ.apiPolicy,
  },
  {
    name: "enableClientCertificate sent to a Developer tier (the SDK's default)",
    scenario: "public",
    policy: "apim-client-certificate-flag",
    mutate: (e) => edit(find(e, AZ.apim), (p) => (p.enableClientCertificate = false)),
    expect: [/enableClientCertificate is sent \(false\) to the Developer tier/],
    on: AZ.apim,
  },
  {
    name: "the legacy portal left on",
    scenario: "internal",
    policy: "apim-portals",
    mutate: (e) => edit(find(e, AZ.apim), (p) => (p.legacyPortalStatus = "Enabled")),
    expect: [/legacyPortalStatus is "Enabled"/],
    on: AZ.apim,
  },
  // Azure OpenAI
  {
    name: "Azure OpenAI with keys enabled",
    scenario: "public",
    policy: "openai-local-auth-disabled",
    mutate: (e) => edit(find(e, AZ.account), (p) => (p.properties.disableLocalAuth = false)),
    expect: [/disableLocalAuth is not true/],
    on: AZ.account,
  },
  {
    name: "Azure OpenAI open to every network",
    scenario: "external",
    policy: "openai-network-deny",
    // external disables public access (private endpoint, issue 16): turned back on here, with open rules.
    mutate: (e) =>
      edit(find(e, AZ.account), (p) => {
        p.properties.publicNetworkAccess = "Enabled";
        p.properties.networkAcls = { defaultAction: "Allow", bypass: "AzureServices" };
      }),
    expect: [/defaultAction is "Allow"/, /bypass is "AzureServices"/],
    on: AZ.account,
    count: 2,
    alsoFires: ["openai-private-in-vnet"],
  },
  {
    name: "Azure OpenAI admitting the whole internet through an IP rule",
    scenario: "public",
    policy: "openai-network-deny",
    mutate: (e) => edit(find(e, AZ.account), (p) => p.properties.networkAcls.ipRules.push({ value: "0.0.0.0/0" })),
    expect: [/ipRules admits 0\.0\.0\.0\/0/],
    on: AZ.account,
    count: 1,
  },
  {
    name: "Azure OpenAI given more IP rules than an account takes (ARM refuses over 100)",
    scenario: "consumption",
    policy: "openai-network-deny",
    mutate: (e) =>
      edit(find(e, AZ.account), (p) => {
        p.properties.networkAcls.ipRules = Array.from({ length: 101 }, (_, i) => ({ value: `10.${i}.0.0/24` }));
      }),
    expect: [/ipRules holds 101 rules; an Azure AI services account takes at most 100/],
    on: AZ.account,
    count: 1,
  },
  // Azure OpenAI reached privately (issue 16)
  {
    name: "the private endpoint taken away",
    scenario: "external",
    policy: "openai-private-in-vnet",
    mutate: (e) => remove(e, find(e, AZ.privateEndpoint)),
    expect: [/account oai-.* in the external scenario is reachable from outside the VNet: no private endpoint \(group `account`\) connects to it/],
    on: AZ.account,
    count: 1,
  },
  {
    name: "the privatelink zone no longer linked to the VNet (lab 03's exercise)",
    scenario: "internal",
    policy: "openai-private-in-vnet",
    mutate: (e) => remove(e, find(e, AZ.zoneLink, (r) => r.inputs.privateZoneName === "privatelink.openai.azure.com")),
    expect: [/writes no record into a privatelink\.openai\.azure\.com zone linked to the VNet/],
    count: 1,
  },
  {
    name: "public network access turned back on without the debugging switch",
    scenario: "internal",
    policy: "openai-private-in-vnet",
    mutate: (e) => edit(find(e, AZ.account), (p) => (p.properties.publicNetworkAccess = "Enabled")),
    expect: [/publicNetworkAccess is "Enabled": its public endpoint still answers/],
    count: 1,
  },
  {
    name: "the public endpoint kept with openAiPublicNetworkAccess",
    scenario: "external",
    policy: "openai-public-access-debug",
    mutate: (e) =>
      edit(find(e, AZ.account), (p) => {
        p.properties.publicNetworkAccess = "Enabled";
        p.tags["openai-public-access"] = "debug";
      }),
    expect: [/public endpoint is kept for debugging/],
    on: AZ.account,
    count: 1,
  },
  {
    name: "Azure OpenAI without network rules at all",
    scenario: "consumption",
    policy: "openai-network-deny",
    mutate: (e) => edit(find(e, AZ.account), (p) => delete p.properties.networkAcls),
    expect: [/defaultAction is undefined: the account answers the whole internet/],
    on: AZ.account,
  },
  {
    name: "a retired model deployed",
    scenario: "public",
    policy: "openai-model-lifecycle",
    mutate: (e) => edit(find(e, AZ.modelDeployment), (p) => (p.properties.model = { format: "OpenAI", name: "gpt-4o-mini", version: "2024-07-18" })),
    expect: [/gpt-4o-mini 2024-07-18 is retired since 2026-10-01/],
    on: AZ.modelDeployment,
  },
  // Role assignments
  {
    name: "Owner instead of OpenAI User",
    scenario: "external",
    policy: "role-assignment-least-privilege",
    mutate: (e) => edit(find(e, AZ.role, isOpenAiGrant), (p) => (p.roleDefinitionId = String(p.roleDefinitionId).replace(OPENAI_USER, OWNER))),
    expect: [/grants Owner/],
    on: AZ.role,
    count: 1,
  },
  {
    name: "Contributor on the resource group",
    scenario: "public",
    policy: "role-assignment-least-privilege",
    mutate: (e) =>
      edit(find(e, AZ.role, isOpenAiGrant), (p) => {
        p.roleDefinitionId = String(p.roleDefinitionId).replace(OPENAI_USER, CONTRIBUTOR);
        p.scope = String(p.scope).replace(/\/providers\/.*$/, "");
      }),
    expect: [/grants Contributor/, /is a resource group/],
    count: 2,
  },
  {
    name: "the OpenAI User role on the whole subscription",
    scenario: "internal",
    policy: "role-assignment-least-privilege",
    mutate: (e) => edit(find(e, AZ.role, isOpenAiGrant), (p) => (p.scope = String(p.scope).replace(/\/resourceGroups\/.*$/, ""))),
    expect: [/is a subscription/],
    count: 1,
  },
  {
    name: "Network Contributor on the OpenAI account instead of a subnet",
    scenario: "consumption",
    policy: "role-assignment-least-privilege",
    mutate: (e) => edit(find(e, AZ.role, isOpenAiGrant), (p) => (p.roleDefinitionId = String(p.roleDefinitionId).replace(OPENAI_USER, NETWORK_CONTRIBUTOR))),
    expect: [/Network Contributor is assigned on a Microsoft\.CognitiveServices\/accounts/],
  },
  {
    name: "a role that is not on the allow-list",
    scenario: "public",
    policy: "role-assignment-least-privilege",
    mutate: (e) => edit(find(e, AZ.role, isOpenAiGrant), (p) => (p.roleDefinitionId = String(p.roleDefinitionId).replace(OPENAI_USER, "a001fd3d-188f-4b5d-821b-7da978bf7442"))),
    expect: [/role a001fd3d-188f-4b5d-821b-7da978bf7442 is not on the allow-list/],
  },
  {
    name: "APIM's identity granted as a User",
    scenario: "external",
    policy: "role-assignment-managed-identity-principal-type",
    mutate: (e) => edit(find(e, AZ.role, isOpenAiGrant), (p) => (p.principalType = "User")),
    expect: [/managed identity of this stack with principalType "User"/],
    on: AZ.role,
  },
  {
    name: "the cluster identity's grant without a principal type",
    scenario: "internal",
    policy: "role-assignment-managed-identity-principal-type",
    mutate: (e) => edit(find(e, AZ.role, (r) => String(r.inputs.roleDefinitionId).endsWith(NETWORK_CONTRIBUTOR)), (p) => delete p.principalType),
    expect: [/principalType "unset \(User\)"/],
  },
  // Network security groups
  {
    name: "SSH open to the internet",
    scenario: "external",
    policy: "nsg-no-open-inbound",
    mutate: (e) => addRule(e, "aks", openRule("AllowSsh", "Internet", "22")),
    expect: [/"AllowSsh" allows inbound traffic from "Internet" to port 22, SSH/],
    on: AZ.nsg,
    // The AKS subnet of the external scenario must not admit the internet at all.
    alsoFires: ["backend-private-from-internet"],
  },
  {
    name: "every port open to any address",
    scenario: "public",
    policy: "nsg-no-open-inbound",
    mutate: (e) => addRule(e, "ingress", openRule("AllowAll", "*", "*")),
    expect: [/"AllowAll" allows inbound traffic from "\*" to every port/],
  },
  {
    name: "a port range from 0.0.0.0/0 that covers RDP",
    scenario: "consumption",
    policy: "nsg-no-open-inbound",
    mutate: (e) => addRule(e, "aks", openRule("AllowRange", "0.0.0.0/0", ["443", "3000-4000"])),
    expect: [/port 3389, RDP/, /port 3443, the API Management management endpoint/],
    count: 2,
  },
  {
    name: "APIM's management port open to the internet instead of the ApiManagement tag",
    scenario: "internal",
    policy: "nsg-no-open-inbound",
    mutate: (e) => edit(find(e, AZ.nsg, nsgNamed("apim")), (p) => (p.securityRules.find((r: any) => r.destinationPortRange === "3443").sourceAddressPrefix = "Internet")),
    expect: [/port 3443, the API Management management endpoint/],
  },
  {
    name: "WinRM in a standalone security rule",
    scenario: "public",
    policy: "nsg-no-open-inbound",
    mutate: (e) => add(e, AZ.rule, "winrm", { ...openRule("AllowWinRm", "Internet", "5985-5986"), resourceGroupName: "rg", networkSecurityGroupName: "nsg" }),
    expect: [/port 5985, WinRM/, /port 5986, WinRM over HTTPS/],
    on: AZ.rule,
    count: 2,
  },
  // AKS
  {
    name: "AKS without a network policy engine",
    scenario: "external",
    policy: "aks-cluster-hardening",
    mutate: (e) => edit(find(e, AZ.aks), (p) => (p.networkProfile.networkPolicy = "none")),
    expect: [/networkPolicy is "none"/],
    on: AZ.aks,
    count: 1,
  },
  {
    name: "AKS with local accounts",
    scenario: "public",
    policy: "aks-cluster-hardening",
    mutate: (e) => edit(find(e, AZ.aks), (p) => (p.disableLocalAccounts = false)),
    expect: [/disableLocalAccounts is not true/],
    count: 1,
  },
  {
    name: "AKS without workload identity, OIDC issuer and Azure RBAC",
    scenario: "consumption",
    policy: "aks-cluster-hardening",
    mutate: (e) =>
      edit(find(e, AZ.aks), (p) => {
        delete p.oidcIssuerProfile;
        p.securityProfile.workloadIdentity.enabled = false;
        p.aadProfile = { managed: true, enableAzureRBAC: false };
      }),
    expect: [/oidcIssuerProfile\.enabled is not true/, /workloadIdentity\.enabled is not true/, /enableAzureRBAC is not true/],
    count: 3,
  },
  // Kubernetes workloads: the AI API's own Deployment and the scenario's own charts, changed in place.
  {
    name: "the AI API may run as root",
    scenario: "external",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      editAiApiPod(e, (spec) => {
        delete spec.securityContext.runAsNonRoot;
        delete spec.containers[0].securityContext.runAsNonRoot;
      }),
    expect: [/container "ai-api": securityContext\.runAsNonRoot is not true/],
    on: K.deployment,
    count: 1,
  },
  {
    name: "the AI API with a writable root filesystem and privilege escalation",
    scenario: "internal",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      editAiApiPod(e, (spec) => {
        spec.containers[0].securityContext.readOnlyRootFilesystem = false;
        delete spec.containers[0].securityContext.allowPrivilegeEscalation;
      }),
    expect: [/container "ai-api": securityContext\.readOnlyRootFilesystem is not true/, /container "ai-api": securityContext\.allowPrivilegeEscalation is not false/],
    count: 2,
  },
  {
    name: "a privileged sidecar running as user 0 without limits next to the AI API",
    scenario: "consumption",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      editAiApiPod(e, (spec) =>
        spec.containers.push({ name: "debug", image: "busybox", securityContext: { ...hardenedContainer().securityContext, privileged: true, runAsUser: 0 } }),
      ),
    expect: [/container "debug": runs as user 0/, /container "debug": securityContext\.privileged is true/, /container "debug": resources\.limits\.cpu and resources\.limits\.memory not set/],
    count: 3,
  },
  {
    name: "the AI API on the host network with an init container without a memory limit",
    scenario: "public",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      editAiApiPod(e, (spec) => {
        spec.hostNetwork = true;
        spec.initContainers = [{ ...hardenedContainer("migrate"), resources: { limits: { cpu: "100m" } } }];
      }),
    expect: [/hostNetwork is true/, /init container "migrate": resources\.limits\.memory not set/],
    count: 2,
  },
  {
    name: "a bare Pod and a CronJob added to the AI API's namespace",
    scenario: "external",
    policy: "k8s-workload-hardening",
    mutate: (e) => {
      add(e, "kubernetes:core/v1:Pod", "probe", { metadata: { name: "probe", namespace: "ai-api" }, spec: { containers: [{ name: "curl", image: "curlimages/curl" }] } });
      add(e, "kubernetes:batch/v1:CronJob", "cleanup", {
        metadata: { name: "cleanup", namespace: "ai-api" },
        spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec: { containers: [{ ...hardenedContainer("cleanup"), securityContext: {} }] } } } } },
      });
    },
    // curl: non-root, read-only root, escalation, limits; cleanup: non-root, read-only root, escalation.
    expect: [/container "curl": securityContext\.runAsNonRoot/, /container "curl": resources\.limits/, /container "cleanup": securityContext\.readOnlyRootFilesystem/],
    count: 7,
  },
  {
    name: "the scenario's Traefik chart loses its resource limits",
    scenario: "consumption",
    policy: "k8s-workload-hardening",
    mutate: (e) => edit(chart(e, "traefik"), (p) => delete p.values.resources),
    expect: [/chart traefik: the Traefik Deployment: values\.resources\.limits\.cpu and values\.resources\.limits\.memory not set/],
    on: K.chart,
    count: 1,
  },
  {
    name: "the scenario's Traefik chart runs as root with a writable root filesystem on the host network",
    scenario: "internal",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      edit(chart(e, "traefik"), (p) => {
        p.values.podSecurityContext.runAsUser = 0;
        p.values.securityContext.readOnlyRootFilesystem = false;
        p.values.hostNetwork = true;
      }),
    expect: [
      /chart traefik: the Traefik Deployment: the values run it as user 0/,
      /chart traefik: the Traefik Deployment: the values turn readOnlyRootFilesystem off/,
      /chart traefik: the values put the pods on the host network/,
    ],
    count: 3,
  },
  {
    name: "the scenario's cert-manager chart back to its defaults, with a root controller",
    scenario: "public",
    policy: "k8s-workload-hardening",
    mutate: (e) => edit(chart(e, "cert-manager"), (p) => (p.values = { crds: { enabled: true }, securityContext: { runAsNonRoot: false } })),
    expect: [/cert-manager controller: values\.resources\.limits/, /cert-manager webhook/, /CA injector/, /startup API check Job/, /controller: the values turn runAsNonRoot off/],
    on: K.chart,
    count: 5,
  },
  {
    name: "the scenario's cert-manager webhook allowed to escalate privileges",
    scenario: "external",
    policy: "k8s-workload-hardening",
    mutate: (e) => edit(chart(e, "cert-manager"), (p) => (p.values.webhook.containerSecurityContext.allowPrivilegeEscalation = true)),
    expect: [/chart cert-manager: the cert-manager webhook: the values allow privilege escalation/],
    count: 1,
  },
  // Namespaces: the scenarios' own NetworkPolicies, changed in place.
  {
    name: "the AI API's default-deny policy deleted",
    scenario: "external",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => remove(e, defaultDenyOf(e, "ai-api")),
    expect: [/namespace "ai-api" runs Deployment "ai-api" but has no default-deny ingress NetworkPolicy/],
    on: K.namespace,
    count: 1,
  },
  {
    name: "the AI API's default-deny selects the AI API's pods only",
    scenario: "internal",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => edit(defaultDenyOf(e, "ai-api"), (p) => (p.spec.podSelector = { matchLabels: { app: "ai-api" } })),
    expect: [/namespace "ai-api" runs Deployment "ai-api"/],
    on: K.namespace,
    count: 1,
  },
  {
    name: "the AI API's default-deny allows all ingress",
    scenario: "consumption",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => edit(defaultDenyOf(e, "ai-api"), (p) => (p.spec.ingress = [{}])),
    expect: [/namespace "ai-api" runs Deployment "ai-api"/],
    count: 1,
  },
  {
    name: "the AI API's default-deny denies egress only",
    scenario: "public",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => edit(defaultDenyOf(e, "ai-api"), (p) => (p.spec.policyTypes = ["Egress"])),
    expect: [/namespace "ai-api" runs Deployment "ai-api"/],
    count: 1,
  },
  {
    name: "Traefik's namespace opened to every pod",
    scenario: "internal",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => edit(defaultDenyOf(e, "traefik"), (p) => (p.spec.ingress = [{}])),
    expect: [/namespace "traefik" runs chart traefik but has no default-deny/],
    on: K.namespace,
    count: 1,
  },
  {
    name: "cert-manager's namespace keeps its webhook policy but loses its default-deny",
    scenario: "consumption",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => remove(e, defaultDenyOf(e, "cert-manager")),
    expect: [/namespace "cert-manager" runs chart cert-manager but has no default-deny/],
    on: K.namespace,
    count: 1,
  },
  {
    name: "the AI API's Deployment without a namespace lands in default, which has no policy",
    scenario: "external",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => edit(aiApi.deployment(e), (p) => delete p.metadata.namespace),
    expect: [/namespace "default" runs Deployment "ai-api" but has no default-deny/],
    // No Namespace object for "default": reported on the workload.
    on: K.deployment,
    count: 1,
  },
  // Stack outputs
  {
    name: "the subscription key exported in plain text",
    scenario: "public",
    policy: "stack-outputs-secret",
    mutate: (e) => (e.outputs.subscriptionKey.secret = false),
    expect: [/stack output "subscriptionKey" looks like a credential by its name but is not secret/],
    on: "pulumi:pulumi:Stack",
  },
  {
    name: "a connection string under another name, and a nested password",
    scenario: "external",
    policy: "stack-outputs-secret",
    mutate: (e) => {
      e.outputs.storage = { value: "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123==;EndpointSuffix=core.windows.net", secret: false };
      e.outputs.database = { value: { host: "db.example", adminPassword: "hunter2" }, secret: false };
    },
    expect: [/stack output "storage" holds a connection string with a key or password/, /stack output "database" \(at database\.adminPassword\) looks like a credential/],
    count: 2,
  },
  {
    name: "a component that registers a connection string in plain text",
    scenario: "internal",
    policy: "stack-outputs-secret",
    mutate: (e) =>
      (find(e, "apim-aks-ai:monitoring:Observability").outputs.appInsightsConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x.example/"),
    expect: [/output of Observability "observability" "appInsightsConnectionString" looks like a credential/],
    on: "apim-aks-ai:monitoring:Observability",
  },
  // Exposure: the scenarios' own Service, chart, Middlewares and Ingress, changed in place.
  {
    name: "the AI API's Service turned into a public load balancer in the external scenario",
    scenario: "external",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(aiApi.service(e), (p) => (p.spec.type = "LoadBalancer")),
    expect: [/Service "ai-api\/ai-api" is a public load balancer.*in the external scenario the AI API must not be reachable from the internet/],
    on: K.service,
    count: 1,
  },
  {
    name: "the scenario's Traefik chart loses its internal load balancer annotation",
    scenario: "internal",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(chart(e, "traefik"), (p) => delete p.values.service.annotations[INTERNAL_LB]),
    expect: [/chart traefik publishes a public load balancer.*in the internal scenario the AI API must not be reachable from the internet/],
    on: K.chart,
    count: 1,
  },
  {
    name: "the Traefik chart public again, behind a service.type: ClusterIP that the v41 chart ignores",
    scenario: "internal",
    policy: "backend-private-from-internet",
    mutate: (e) =>
      edit(chart(e, "traefik"), (p) => {
        delete p.values.service.annotations[INTERNAL_LB];
        p.values.service.type = "ClusterIP";
        assert.equal(p.values.service.spec.type, "LoadBalancer");
      }),
    expect: [/chart traefik publishes a public load balancer/],
    on: K.chart,
    count: 1,
  },
  {
    name: "an NSG rule that admits the internet to the ingress subnet",
    scenario: "external",
    policy: "backend-private-from-internet",
    mutate: (e) => addRule(e, "ingress", openRule("AllowHttps", "Internet", "443")),
    expect: [/rule "AllowHttps" admits "Internet" on port 443/],
    on: AZ.nsg,
    count: 1,
  },
  {
    name: "consumption: the apim-only Middleware dropped, its reference left on the Ingress",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => remove(e, middleware(e, "apim-only")),
    expect: [/the public ingress has no Traefik ipAllowList middleware/, /Ingress "ai-api\/ai-api" does not use an ipAllowList middleware/],
    count: 2,
  },
  {
    name: "consumption: the allow-list admits everyone",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(middleware(e, "apim-only"), (p) => p.spec.ipAllowList.sourceRange.push("0.0.0.0/0")),
    expect: [/ipAllowList middleware "ai-api\/apim-only" admits 0\.0\.0\.0\/0/],
    on: K.middleware,
    count: 1,
  },
  {
    name: "consumption: the allow-list has no source range",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(middleware(e, "apim-only"), (p) => (p.spec.ipAllowList.sourceRange = [])),
    expect: [/ipAllowList middleware "ai-api\/apim-only" has an empty sourceRange/],
    on: K.middleware,
    count: 1,
  },
  {
    name: "consumption: the allow-list trusts X-Forwarded-For",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(middleware(e, "apim-only"), (p) => (p.spec.ipAllowList.ipStrategy = { depth: 1 })),
    expect: [/"ai-api\/apim-only" takes the client address from X-Forwarded-For/],
    on: K.middleware,
    count: 1,
  },
  {
    name: "consumption: the Ingress keeps basic auth but no longer uses the allow-list",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(aiApi.ingress(e), (p) => (p.metadata.annotations[MIDDLEWARES_ANNOTATION] = BASIC_AUTH_REF)),
    expect: [/Ingress "ai-api\/ai-api" does not use an ipAllowList middleware/],
    on: K.ingress,
    count: 1,
  },
  {
    name: "consumption: the middleware annotation removed from the Ingress",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(aiApi.ingress(e), (p) => delete p.metadata.annotations[MIDDLEWARES_ANNOTATION]),
    expect: [/Ingress "ai-api\/ai-api" does not use an ipAllowList middleware/],
    on: K.ingress,
    count: 1,
  },
  {
    name: "consumption: the Traefik chart's externalTrafficPolicy flipped to Cluster",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(chart(e, "traefik"), (p) => (p.values.service.spec.externalTrafficPolicy = "Cluster")),
    expect: [/chart traefik publishes a public load balancer.*without externalTrafficPolicy: Local: the allow-list sees node addresses/],
    on: K.chart,
    count: 1,
  },
  {
    name: "consumption: the Traefik chart's externalTrafficPolicy left to its default",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(chart(e, "traefik"), (p) => delete p.values.service.spec.externalTrafficPolicy),
    expect: [/without externalTrafficPolicy: Local/],
    on: K.chart,
    count: 1,
  },
  {
    name: "consumption: the allow-list on the websecure entry point, but web serves the Ingress instead of redirecting",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => {
      allowListOnEntryPoint(e);
      edit(chart(e, "traefik"), (p) => delete p.values.ports.web.http.redirections);
    },
    expect: [/Ingress "ai-api\/ai-api" does not use an ipAllowList middleware/],
    on: K.ingress,
    count: 1,
  },
  {
    name: "consumption: an IngressRoute next to the Ingress with the allow-list on one route only",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) =>
      add(e, K.ingressRoute, "ai-api-admin", {
        metadata: { name: "ai-api-admin", namespace: "ai-api" },
        spec: {
          entryPoints: ["websecure"],
          routes: [
            { match: "PathPrefix(`/chat`)", kind: "Rule", middlewares: [{ name: "apim-only" }], services: [{ name: "ai-api", port: 80 }] },
            { match: "PathPrefix(`/admin`)", kind: "Rule", services: [{ name: "ai-api", port: 80 }] },
          ],
        },
      }),
    expect: [/IngressRoute "ai-api\/ai-api-admin" does not use an ipAllowList middleware/],
    on: K.ingressRoute,
    count: 1,
  },
  {
    name: "public: the backend answers the internet (baseline)",
    scenario: "public",
    policy: "backend-public-exposure",
    baseline: true,
    mutate: () => undefined,
    expect: [/rule "AllowInternetToPublicIngress" admits "Internet".*can be called directly from the internet/, /chart traefik publishes a public load balancer.*can be called directly from the internet/],
    count: 2,
  },
  {
    name: "public: a JWT is not required (baseline)",
    scenario: "public",
    policy: "apim-jwt-validation",
    baseline: true,
    mutate: () => undefined,
    expect: [/No policy validates a caller token/],
    on: AZ.apim,
  },
  {
    name: "the stack files list no API server ranges (baseline)",
    scenario: "internal",
    policy: "aks-api-authorized-ranges",
    baseline: true,
    mutate: () => undefined,
    expect: [/public with no authorized IP ranges.*aksApiAuthorizedRanges/],
    on: "azure-native:containerservice:ManagedCluster",
  },
  {
    name: "a WAF policy in front of APIM that only logs (Detection mode)",
    scenario: "internal",
    policy: "edge-waf-prevention",
    mutate: (e) => addEdge(e, "Detection"),
    expect: [/Detection mode, which logs attacks and lets them through/],
    on: "azure-native:network:WebApplicationFirewallPolicy",
  },
  {
    name: "Internal mode without an edge: only callers in the VNet reach APIM",
    scenario: "internal",
    policy: "internal-apim-edge",
    mutate: () => undefined,
    expect: [/Internal mode with no edge.*edge=appgw-waf/],
    on: "azure-native:apimanagement:ApiManagementService",
    baseline: true,
  },
];

const passes: Omit<Case, "expect" | "on" | "count" | "baseline">[] = [
  { name: "an Application Gateway with a WAF policy in Prevention mode", scenario: "internal", policy: "edge-waf-prevention", mutate: (e) => addEdge(e, "Prevention") },
  { name: "Internal mode with an edge in front", scenario: "internal", policy: "internal-apim-edge", mutate: (e) => addEdge(e, "Prevention") },
  { name: "Consumption is sent enableClientCertificate: false", scenario: "consumption", policy: "apim-client-certificate-flag", mutate: () => undefined },
  {
    name: "an Azure OpenAI account with public access disabled needs no firewall rules",
    scenario: "internal",
    policy: "openai-network-deny",
    mutate: (e) =>
      edit(find(e, AZ.account), (p) => {
        p.properties.publicNetworkAccess = "Disabled";
        delete p.properties.networkAcls;
      }),
  },
  {
    name: "the public endpoint kept on purpose (openAiPublicNetworkAccess tag) is not a breach, only an advisory",
    scenario: "external",
    policy: "openai-private-in-vnet",
    mutate: (e) =>
      edit(find(e, AZ.account), (p) => {
        p.properties.publicNetworkAccess = "Enabled";
        p.tags["openai-public-access"] = "debug";
      }),
  },
  { name: "a public endpoint behind the firewall, without a private one, where there is no VNet", scenario: "consumption", policy: "openai-private-in-vnet", mutate: () => undefined },
  { name: "the region's ranges APIM calls from as IP rules", scenario: "consumption", policy: "openai-network-deny", mutate: (e) => edit(find(e, AZ.account), (p) => p.properties.networkAcls.ipRules.push({ value: "20.91.0.0/16" })) },
  { name: "the developer portal switched on by apimDeveloperPortal", scenario: "public", policy: "apim-portals", mutate: (e) => edit(find(e, AZ.apim), (p) => (p.developerPortalStatus = "Enabled")) },
  {
    name: "the deployer's address as an authorized range",
    scenario: "public",
    policy: "aks-api-authorized-ranges",
    mutate: (e) => edit(find(e, "azure-native:containerservice:ManagedCluster"), (p) => (p.apiServerAccessProfile = { authorizedIPRanges: ["203.0.113.7/32"] })),
  },
  { name: "Consumption takes no TLS settings", scenario: "consumption", policy: "apim-tls-hardening", mutate: (e) => edit(find(e, AZ.apim), (p) => delete p.customProperties) },
  { name: "ApiManagement tag to 3443, load balancer probes to every port", scenario: "external", policy: "nsg-no-open-inbound", mutate: () => undefined },
  { name: "HTTPS from the internet to the public ingress", scenario: "consumption", policy: "nsg-no-open-inbound", mutate: (e) => addRule(e, "aks", openRule("AllowHttps2", "Internet", "443")) },
  { name: "a denied port range", scenario: "public", policy: "nsg-no-open-inbound", mutate: (e) => addRule(e, "ingress", { ...openRule("DenySsh", "Internet", "22"), access: "Deny" }) },
  {
    name: "runAsNonRoot moved from the AI API's pod to its container",
    scenario: "external",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      editAiApiPod(e, (spec) => {
        delete spec.securityContext.runAsNonRoot;
        spec.containers[0].securityContext.runAsNonRoot = true;
      }),
  },
  {
    name: "the AI API's pod-level runAsNonRoot covers its container",
    scenario: "internal",
    policy: "k8s-workload-hardening",
    mutate: (e) =>
      editAiApiPod(e, (spec) => {
        assert.equal(spec.securityContext.runAsNonRoot, true);
        delete spec.containers[0].securityContext.runAsNonRoot;
      }),
  },
  { name: "a chart this pack does not know, in the AI API's namespace", scenario: "public", policy: "k8s-workload-hardening", mutate: (e) => add(e, K.chart, "other", { chart: "podinfo", namespace: "ai-api" }) },
  {
    name: "the AI API's default-deny without policyTypes (Ingress by default)",
    scenario: "external",
    policy: "k8s-namespace-default-deny",
    mutate: (e) => edit(defaultDenyOf(e, "ai-api"), (p) => delete p.spec.policyTypes),
  },
  {
    name: "a second Deployment in the AI API's namespace, under its default-deny",
    scenario: "consumption",
    policy: "k8s-namespace-default-deny",
    mutate: (e) =>
      add(e, K.deployment, "worker", {
        metadata: { name: "worker", namespace: "ai-api" },
        spec: { selector: { matchLabels: { app: "worker" } }, template: { metadata: { labels: { app: "worker" } }, spec: { securityContext: { runAsNonRoot: true }, containers: [hardenedContainer("worker")] } } },
      }),
  },
  {
    name: "the AI API's Service as an internal load balancer in the internal scenario",
    scenario: "internal",
    policy: "backend-private-from-internet",
    mutate: (e) =>
      edit(aiApi.service(e), (p) => {
        p.spec.type = "LoadBalancer";
        p.metadata.annotations = { [INTERNAL_LB]: "true" };
      }),
  },
  {
    name: "the Traefik chart's Service as ClusterIP (service.spec.type), with no internal annotation",
    scenario: "external",
    policy: "backend-private-from-internet",
    mutate: (e) =>
      edit(chart(e, "traefik"), (p) => {
        delete p.values.service.annotations[INTERNAL_LB];
        p.values.service.spec.type = "ClusterIP";
      }),
  },
  { name: "APIM's own subnet admits its clients from the internet", scenario: "external", policy: "backend-private-from-internet", mutate: () => undefined },
  {
    name: "consumption: the allow-list listed after basic auth on the Ingress",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => edit(aiApi.ingress(e), (p) => (p.metadata.annotations[MIDDLEWARES_ANNOTATION] = `${BASIC_AUTH_REF}, ${APIM_ONLY_REF}`)),
  },
  {
    name: "consumption: the Ingress on every entry point, the allow-list on websecure and web only redirecting",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => allowListOnEntryPoint(e),
  },
  {
    name: "consumption: the allow-list as an extraObject of the chart, on an IngressRoute instead of the Ingress",
    scenario: "consumption",
    policy: "backend-private-from-internet",
    mutate: (e) => {
      const mw = remove(e, middleware(e, "apim-only"));
      edit(chart(e, "traefik"), (p) => (p.values.extraObjects = [{ apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: mw.inputs.metadata, spec: mw.inputs.spec }]));
      remove(e, aiApi.ingress(e));
      add(e, K.ingressRoute, "ai-api", {
        metadata: { name: "ai-api", namespace: "ai-api" },
        spec: {
          entryPoints: ["websecure"],
          routes: [{ match: "Host(`ai.example`)", kind: "Rule", middlewares: [{ name: "apim-only", namespace: "ai-api" }, { name: "apim-basic-auth" }], services: [{ name: "ai-api", port: 80 }] }],
        },
      });
    },
  },
  {
    name: "public: an allow-list on the Ingress closes the gap",
    scenario: "public",
    policy: "backend-public-exposure",
    mutate: (e) => {
      add(e, K.middleware, "apim-only-middleware", {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: "apim-only", namespace: "ai-api" },
        spec: { ipAllowList: { sourceRange: ["198.51.100.0/24"] } },
      });
      edit(aiApi.ingress(e), (p) => (p.metadata.annotations[MIDDLEWARES_ANNOTATION] = APIM_ONLY_REF));
    },
  },
  {
    name: "a validate-jwt policy on the product",
    scenario: "internal",
    policy: "apim-jwt-validation",
    mutate: (e) => edit(find(e, AZ.productPolicy), (p) => (p.value = String(p.value).replace("<inbound>", '<inbound><validate-jwt header-name="Authorization" />'))),
  },
  { name: "secret outputs and names that only refer to secrets", scenario: "public", policy: "stack-outputs-secret", mutate: (e) => (e.outputs.keyVaultName = { value: "kv-example", secret: false }) },
];

/** Reports on the scenarios as written, to check that each case's own change is what makes its rule fire. */
const unchanged = new Map<ScenarioName, Promise<PolicyReport>>();
const reportOf = (scenario: ScenarioName) => {
  if (!unchanged.has(scenario)) unchanged.set(scenario, evaluated(scenario).then((e) => runPolicies(e)));
  return unchanged.get(scenario)!;
};

describe("policy rules fire on a changed scenario", () => {
  it("every policy has at least one case that makes it fire", () => {
    const covered = new Set(fires.map((c) => c.policy));
    assert.deepEqual(policies.map((p) => p.name).filter((n) => !covered.has(n)), []);
  });

  for (const c of fires) {
    it(`${c.policy}: ${c.name} (${c.scenario})`, async () => {
      const e = await copyOf(c.scenario);
      c.mutate(e);
      const report = runPolicies(e);
      const found = violationsOf(report, c.policy);
      const policy = policies.find((p) => p.name === c.policy)!;
      assert.ok(found.length > 0, `${c.policy} did not fire; all violations:\n${show(report.violations)}`);
      for (const pattern of c.expect) {
        assert.ok(found.some((v) => pattern.test(v.message)), `no ${c.policy} message matches ${pattern}:\n${show(found)}`);
      }
      if (c.count !== undefined) assert.equal(found.length, c.count, show(found));
      for (const v of found) {
        assert.equal(v.enforcementLevel, policy.enforcementLevel);
        if (c.on) assert.equal(v.resourceType, c.on, show([v]));
      }
      // The change is what makes the rule fire: the scenario as written says none of this (baselines aside).
      const before = violationsOf(await reportOf(c.scenario), c.policy);
      if (c.baseline) assert.deepEqual(found, before, "a baseline case changes nothing");
      else {
        const already = c.expect.filter((pattern) => before.some((v) => pattern.test(v.message)));
        assert.deepEqual(already, [], `the unchanged ${c.scenario} scenario already reports:\n${show(before)}`);
      }
      // Nothing else breaks: the change trips only its own rule (and the advisories the scenario already has).
      const others = report.violations.filter((v) => v.policy !== c.policy && v.enforcementLevel === "mandatory");
      assert.deepEqual([...new Set(others.map((v) => v.policy))].sort(), [...(c.alsoFires ?? [])].sort(), show(others));
    });
  }
});

describe("policy rules stay quiet on compliant changes", () => {
  for (const c of passes) {
    it(`${c.policy}: ${c.name} (${c.scenario})`, async () => {
      const e = await copyOf(c.scenario);
      c.mutate(e);
      const report = runPolicies(e);
      assert.deepEqual(violationsOf(report, c.policy), [], show(violationsOf(report, c.policy)));
    });
  }
});

describe("policy rules: which scenario a stack is", () => {
  const lb = (e: ScenarioEvaluation) => edit(aiApi.service(e), (p) => (p.spec.type = "LoadBalancer"));

  it("falls back to the scenario tag of the Azure resources when the stack exports none", async () => {
    const e = await copyOf("external");
    delete (e.outputs as Record<string, unknown>).scenario;
    delete (e as { scenario?: string }).scenario;
    lb(e);
    const found = violationsOf(runPolicies(e), "backend-private-from-internet");
    assert.equal(found.length, 1, show(found));
    assert.match(found[0].message, /Service "ai-api\/ai-api" is a public load balancer.*in the external scenario/);
  });

  it("steps aside, saying why, when nothing names the scenario", async () => {
    const e = await copyOf("internal");
    delete (e.outputs as Record<string, unknown>).scenario;
    for (const r of e.resources) for (const props of [r.inputs, r.outputs]) if (props.tags) delete (props.tags as Record<string, string>).scenario;
    lb(e);
    const result = runPolicies(e).results.find((r) => r.policy === "backend-private-from-internet")!;
    assert.equal(result.status, "not-applicable");
    assert.deepEqual(result.notApplicable, ["the stack names no scenario (stack output or tag `scenario`)"]);
  });
});
