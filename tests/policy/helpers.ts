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

/** Takes a resource out of a copied evaluation, as if the program no longer declared it. */
export function remove(e: Evaluation, r: RegisteredResource): RegisteredResource {
  const before = e.resources.length;
  e.resources = e.resources.filter((x) => x !== r);
  if (e.resources.length !== before - 1) throw new Error(`${r.urn} is not in ${e.stack}`);
  return r;
}

/**
 * Adds a hand-made resource (a stray rule, a Kubernetes object the program does not declare) to a copied
 * evaluation, parented to the scenario, next to the scenario's own resources.
 */
export function add(e: Evaluation, type: string, name: string, inputs: Record<string, any>, extra: Partial<RegisteredResource> = {}): RegisteredResource {
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
// The scenarios' own Kubernetes layer (components/IngressController.ts, CertManager.ts, AiBackend.ts).

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

/** The Ingress annotation that attaches Traefik middlewares to the Ingress's router. */
export const MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares";
/** The Ingress annotation that limits its router to some entry points (the real Ingress: websecure only). */
export const ENTRYPOINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints";
/** How the AI API's Ingress refers to the consumption scenario's middlewares. */
export const APIM_ONLY_REF = "ai-api-apim-only@kubernetescrd";
export const BASIC_AUTH_REF = "ai-api-apim-basic-auth@kubernetescrd";

/**
 * The scenario's one Kubernetes object of this type with this `metadata.namespace` and `metadata.name`. Throws
 * unless there is exactly one, so that a case cannot pass by changing nothing or the wrong object.
 */
export function k8s(e: Evaluation, type: string, namespace: string, name: string): RegisteredResource {
  const found = e.resources.filter((r) => r.type === type && (r.inputs.metadata as any)?.namespace === namespace && (r.inputs.metadata as any)?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} "${namespace}/${name}" in ${e.stack}, found ${found.length}`);
  return found[0];
}

/** The scenario's one Helm chart that installs `chart` (traefik, cert-manager). */
export function chart(e: Evaluation, name: "traefik" | "cert-manager"): RegisteredResource {
  const found = e.resources.filter((r) => r.type === K.chart && r.inputs.chart === name);
  if (found.length !== 1) throw new Error(`expected one ${name} chart in ${e.stack}, found ${found.length}`);
  return found[0];
}

/** The AI API's Deployment, Service, Ingress, and a namespace's `default-deny` NetworkPolicy. */
export const aiApi = {
  deployment: (e: Evaluation) => k8s(e, K.deployment, "ai-api", "ai-api"),
  service: (e: Evaluation) => k8s(e, K.service, "ai-api", "ai-api"),
  ingress: (e: Evaluation) => k8s(e, K.ingress, "ai-api", "ai-api"),
};
export const defaultDenyOf = (e: Evaluation, namespace: string) => k8s(e, K.networkPolicy, namespace, "default-deny");
/** The consumption scenario's Traefik middlewares, in the AI API's namespace. */
export const middleware = (e: Evaluation, name: "apim-only" | "apim-basic-auth") => k8s(e, K.middleware, "ai-api", name);

/** Changes the pod spec of the AI API's real Deployment. */
export function editAiApiPod(e: Evaluation, change: (spec: Record<string, any>) => void): RegisteredResource {
  return edit(aiApi.deployment(e), (p) => change(p.spec.template.spec));
}

/** A container that meets the restricted profile, for the sidecars and extra workloads a case adds. */
export const hardenedContainer = (name = "sidecar") => ({
  name,
  image: "example.azurecr.io/sidecar:1.0.0",
  securityContext: { runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
});
