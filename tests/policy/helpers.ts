import type { Evaluation, RegisteredResource } from "../../automation/mock-engine";
import type { ScenarioEvaluation } from "../../automation/evaluate";
import type { ScenarioName } from "../../config/schema";
import type { PolicyReport, PolicyViolation } from "../../policy/run";
import { evaluated } from "../scenarios/helpers";

export { evaluated };

/** A deep copy of a scenario's evaluation, safe to mutate. */
export async function copyOf(scenario: ScenarioName): Promise<ScenarioEvaluation> {
  return structuredClone(await evaluated(scenario));
}

export function find(e: Evaluation, type: string, predicate: (r: RegisteredResource) => boolean = () => true): RegisteredResource {
  const found = e.resources.filter((r) => r.type === type && predicate(r));
  if (found.length === 0) throw new Error(`no ${type} in ${e.stack}`);
  return found[0];
}

/**
 * Applies `change` to a resource's inputs and to its outputs (which echo the inputs), so that resource rules
 * (inputs) and stack rules (outputs) see the same mutation.
 */
export function edit(r: RegisteredResource, change: (props: Record<string, any>) => void): RegisteredResource {
  change(r.inputs);
  change(r.outputs);
  return r;
}

const handMade = new WeakSet<RegisteredResource>();

/**
 * Removes the scenario's own Kubernetes layer (objects, charts, their components and provider), leaving the
 * Azure side and whatever a test added by hand: the cases that build a Kubernetes layer of their own start
 * from here, so that the real objects neither mask nor duplicate theirs.
 */
export function withoutKubernetesLayer(e: Evaluation): void {
  const isLayer = (r: RegisteredResource) =>
    !handMade.has(r) && (r.type.startsWith("kubernetes:") || r.type === "pulumi:providers:kubernetes" || r.type.startsWith("apim-aks-ai:kubernetes:"));
  e.resources = e.resources.filter((r) => !isLayer(r));
}

/**
 * Adds a hand-made resource (the Kubernetes layer, a stray rule) to a copied evaluation, parented to the
 * scenario. A hand-made Kubernetes object replaces the scenario's own Kubernetes layer.
 */
export function add(e: Evaluation, type: string, name: string, inputs: Record<string, any>, extra: Partial<RegisteredResource> = {}): RegisteredResource {
  if (type.startsWith("kubernetes:")) withoutKubernetesLayer(e);
  const root = e.resources.find((r) => r.type === "apim-aks-ai:scenario:Scenario");
  const r: RegisteredResource = {
    urn: `urn:pulumi:${e.stack}::${e.project}::${root ? "apim-aks-ai:scenario:Scenario$" : ""}${type}::${name}`,
    type,
    name,
    custom: !type.startsWith("kubernetes:helm.sh/"),
    id: `${name}-id`,
    parent: root?.urn,
    dependencies: [],
    propertyDependencies: {},
    inputs: structuredClone(inputs),
    outputs: { ...structuredClone(inputs) },
    secretInputs: [],
    ...extra,
  };
  handMade.add(r);
  e.resources.push(r);
  return r;
}

export function violationsOf(report: PolicyReport, policy: string): PolicyViolation[] {
  return report.violations.filter((v) => v.policy === policy);
}

/** Readable list of violations for assertion messages. */
export function show(vs: readonly PolicyViolation[]): string {
  return vs.map((v) => `  [${v.enforcementLevel}] ${v.policy} ${v.resourceType ?? ""} ${v.resourceName ?? ""}: ${v.message}`).join("\n") || "  (none)";
}

// ---------------------------------------------------------------------------------------------------------
// Kubernetes objects as the Kubernetes layer will declare them.

export const K = {
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  ingressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
  chart: "kubernetes:helm.sh/v4:Chart",
} as const;

export const hardenedContainer = () => ({
  name: "api",
  image: "example.azurecr.io/ai-api:1.0.0",
  securityContext: { runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
});

export const aiApiDeployment = (namespace = "ai-api") => ({
  metadata: { name: "ai-api", namespace },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "ai-api" } },
    template: {
      metadata: { labels: { app: "ai-api", "azure.workload.identity/use": "true" } },
      spec: { serviceAccountName: "ai-api", securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [hardenedContainer()] },
    },
  },
});

export const defaultDeny = (namespace: string) => ({
  metadata: { name: "default-deny-ingress", namespace },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
});

export const traefikChart = (values: Record<string, any> = {}) => ({
  chart: "traefik",
  version: "37.1.1",
  namespace: "traefik",
  repositoryOpts: { repo: "https://traefik.github.io/charts" },
  values: { resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } }, ...values },
});

export const allowList = (sourceRange: string[] = ["198.51.100.10/32"], extra: Record<string, any> = {}) => ({
  apiVersion: "traefik.io/v1alpha1",
  kind: "Middleware",
  metadata: { name: "apim-only", namespace: "ai-api" },
  spec: { ipAllowList: { sourceRange, ...extra } },
});

export const aiIngress = (middlewares?: string) => ({
  metadata: {
    name: "ai-api",
    namespace: "ai-api",
    annotations: middlewares ? { "traefik.ingress.kubernetes.io/router.middlewares": middlewares } : {},
  },
  spec: {
    ingressClassName: "traefik",
    tls: [{ hosts: ["ai.example"], secretName: "ai-api-tls" }],
    rules: [{ host: "ai.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "ai-api", port: { number: 80 } } } }] } }],
  },
});

/** Adds a compliant AI API namespace: namespace, hardened Deployment, default-deny NetworkPolicy. */
export function addAiApi(e: Evaluation, namespace = "ai-api"): void {
  add(e, K.namespace, namespace, { metadata: { name: namespace } });
  add(e, K.deployment, "ai-api", aiApiDeployment(namespace));
  add(e, K.networkPolicy, "ai-api-default-deny", defaultDeny(namespace));
}
