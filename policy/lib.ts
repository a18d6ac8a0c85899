/**
 * Small helpers the rules share. Rules see plain JSON: resource inputs in resource validations, resource
 * outputs (state) in stack validations, exactly as @pulumi/policy hands them over. Nothing here imports a
 * provider SDK: rules match on type tokens, so the pack loads fast and also checks resources the program
 * does not create with a class of its own (objects rendered by a Helm chart in a real deployment).
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

export type Props = Record<string, any>;

/** Type tokens of every resource a rule in this pack reads. */
export const T = {
  stack: "pulumi:pulumi:Stack",
  apim: "azure-native:apimanagement:ApiManagementService",
  api: "azure-native:apimanagement:Api",
  product: "azure-native:apimanagement:Product",
  productApiLink: "azure-native:apimanagement:ProductApiLink",
  serviceApiPolicy: "azure-native:apimanagement:Policy",
  productPolicy: "azure-native:apimanagement:ProductPolicy",
  apiPolicy: "azure-native:apimanagement:ApiPolicy",
  apiOperationPolicy: "azure-native:apimanagement:ApiOperationPolicy",
  cognitiveAccount: "azure-native:cognitiveservices:Account",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  userAssignedIdentity: "azure-native:managedidentity:UserAssignedIdentity",
  nsg: "azure-native:network:NetworkSecurityGroup",
  securityRule: "azure-native:network:SecurityRule",
  subnet: "azure-native:network:Subnet",
  aks: "azure-native:containerservice:ManagedCluster",
  namespace: "kubernetes:core/v1:Namespace",
  service: "kubernetes:core/v1:Service",
  pod: "kubernetes:core/v1:Pod",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  helmChartV4: "kubernetes:helm.sh/v4:Chart",
  helmChartV3: "kubernetes:helm.sh/v3:Chart",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  traefikMiddleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  traefikIngressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
} as const;

/** Helm resources: `v4:Chart` is what this project uses; the others are read the same way. */
export const HELM_TYPES: readonly string[] = [T.helmChartV4, T.helmChartV3, T.helmRelease];

/** Workload kinds whose pod template this pack checks, with the path of the pod spec in each. */
export const WORKLOAD_POD_SPEC: Readonly<Record<string, string>> = {
  [T.deployment]: "spec.template.spec",
  [T.statefulSet]: "spec.template.spec",
  [T.daemonSet]: "spec.template.spec",
  [T.replicaSet]: "spec.template.spec",
  [T.job]: "spec.template.spec",
  [T.cronJob]: "spec.jobTemplate.spec.template.spec",
  [T.pod]: "spec",
};

/** The value at a dotted path, or undefined. Keys may contain dots when given as an array. */
export function at(obj: unknown, path: string | readonly string[]): any {
  let cur: any = obj;
  for (const key of typeof path === "string" ? path.split(".") : path) {
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    cur = cur[key];
  }
  return cur;
}

export function list<X = any>(value: unknown): X[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as X[];
}

/** ARM and Kubernetes accept booleans as strings in a few places (Helm values, custom properties). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === "string" && value.toLowerCase() === "false");
}

/**
 * The resource type of an ARM resource ID, such as `Microsoft.Network/virtualNetworks/subnets`, taken after its
 * last `/providers/` (extension resources nest). Undefined for subscriptions, resource groups and non-ARM strings.
 */
export function armResourceType(id: string): string | undefined {
  const i = id.toLowerCase().lastIndexOf("/providers/");
  if (i < 0) return undefined;
  const segments = id.slice(i + "/providers/".length).split("/").filter(Boolean);
  if (segments.length < 3) return undefined;
  const [namespace, ...rest] = segments;
  const types = rest.filter((_, k) => k % 2 === 0);
  return [namespace, ...types].join("/");
}

/** `/subscriptions/<id>/resourceGroups/<rg>/providers/...`: a resource, not a subscription, group or management group. */
export function isResourceScope(scope: string): boolean {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/i.test(scope);
}

/** The last segment of an ARM ID: the resource's name. */
export function armName(id: unknown): string | undefined {
  if (typeof id !== "string" || !id.includes("/")) return undefined;
  return id.replace(/\/+$/, "").split("/").pop();
}

/** A resource validation callback, as @pulumi/policy calls it. */
export type Validator = (args: ResourceValidationArgs, report: ReportViolation) => void;

/** A resource validation that runs only for the given type tokens and marks itself not applicable otherwise. */
export function forTypes(types: readonly string[], validate: Validator): Validator {
  const set = new Set(types);
  return (args, report) => {
    if (!set.has(args.type)) args.notApplicable(`applies only to ${types.join(", ")}`);
    validate(args, report);
  };
}

export function ofType(args: StackValidationArgs, ...types: string[]): PolicyResource[] {
  return args.resources.filter((r) => types.includes(r.type));
}

/** Kubernetes `metadata.name`, or the Pulumi name when the provider auto-names the object. */
export function k8sName(r: { name: string; props: Props }): string {
  return String(at(r.props, "metadata.name") ?? r.name);
}

/** Kubernetes `metadata.namespace`; the provider's default namespace when unset. */
export function k8sNamespace(props: Props, fallback = "default"): string {
  const ns = at(props, "metadata.namespace");
  return typeof ns === "string" && ns !== "" ? ns : fallback;
}

/** Name of the chart a Helm resource installs (`traefik`, `oci://.../traefik`, `traefik/traefik` -> `traefik`). */
export function chartName(props: Props): string {
  const chart = String(props.chart ?? props.name ?? "");
  return chart.replace(/\/+$/, "").split("/").pop()!.replace(/:.*$/, "").toLowerCase();
}

/**
 * Scenario of the stack: the `scenario` stack output, else the `scenario` tag every Azure resource of this
 * project carries, else a `scenario` stack tag (Pulumi Cloud).
 */
export function scenarioOf(args: StackValidationArgs): string | undefined {
  const stack = args.resources.find((r) => r.type === T.stack);
  const fromOutput = stack?.props?.scenario;
  if (typeof fromOutput === "string" && fromOutput) return fromOutput;
  for (const r of args.resources) {
    const tag = r.type.startsWith("azure-native:") ? at(r.props, "tags.scenario") : undefined;
    if (typeof tag === "string" && tag) return tag;
  }
  return args.stackTags?.get("scenario") ?? undefined;
}
