/**
 * Kubernetes rules: hardened workloads and a default-deny NetworkPolicy in every namespace that runs them.
 *
 * Helm charts: in a real deployment `helm.v4.Chart` is a component whose rendered objects are registered as
 * ordinary child resources, so these rules see the Deployments a chart renders. Under the mock engine (the
 * offline plan and the tests) the chart is a single resource and its rendered objects cannot be seen; for the
 * charts this project installs (Traefik, cert-manager) the rules read the chart values that become those
 * objects' settings instead, and say so in their messages.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { at, chartName, forTypes, HELM_TYPES, isFalse, isTrue, k8sName, k8sNamespace, list, type Props, T, WORKLOAD_POD_SPEC } from "./lib";

const K8S = "https://kubernetes.io/docs";

export interface ContainerFinding {
  container: string;
  message: string;
}

/**
 * What a pod spec lacks of the restricted Pod Security profile this project requires: non-root,
 * read-only root filesystem, no privilege escalation, not privileged, no host namespaces, CPU and memory limits.
 */
export function podSpecFindings(spec: Props | undefined): ContainerFinding[] {
  if (!spec || typeof spec !== "object") return [{ container: "*", message: "has no pod spec to check" }];
  const out: ContainerFinding[] = [];
  const pod = (spec.securityContext ?? {}) as Props;
  for (const host of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (isTrue(spec[host])) out.push({ container: "*", message: `${host} is true: the pod shares the node's ${host.slice(4)} namespace` });
  }
  const containers = [
    ...list<Props>(spec.initContainers).map((c) => ({ c, kind: "init container" })),
    ...list<Props>(spec.containers).map((c) => ({ c, kind: "container" })),
    ...list<Props>(spec.ephemeralContainers).map((c) => ({ c, kind: "ephemeral container" })),
  ];
  for (const { c, kind } of containers) {
    const name = String(c.name ?? "?");
    const sc = (c.securityContext ?? {}) as Props;
    const say = (message: string) => out.push({ container: name, message: `${kind} "${name}": ${message}` });
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    const user = sc.runAsUser ?? pod.runAsUser;
    if (!isTrue(nonRoot)) say("securityContext.runAsNonRoot is not true (set it on the container or the pod)");
    if (user === 0 || user === "0") say("runs as user 0 (root)");
    if (!isTrue(sc.readOnlyRootFilesystem)) say("securityContext.readOnlyRootFilesystem is not true");
    if (!isFalse(sc.allowPrivilegeEscalation)) say("securityContext.allowPrivilegeEscalation is not false");
    if (isTrue(sc.privileged)) say("securityContext.privileged is true");
    const limits = (at(c, "resources.limits") ?? {}) as Props;
    const missing = ["cpu", "memory"].filter((k) => limits[k] === undefined || limits[k] === null || limits[k] === "");
    if (missing.length) say(`resources.limits.${missing.join(" and resources.limits.")} not set`);
  }
  return out;
}

/** Values of a chart this project installs that set its workloads' security context and limits. */
interface ChartWorkload {
  /** Path in the values of the resources block of one rendered workload. */
  resources: string;
  what: string;
  /** Paths of the container and pod security contexts in the values, if the chart exposes them. */
  securityContext?: string;
  podSecurityContext?: string;
  /** Only checked when this value is not false (a sub-chart that can be turned off). */
  enabledBy?: string;
}

/**
 * Traefik and cert-manager: both charts default to a non-root, read-only, no-escalation security context and
 * leave resource limits empty. https://github.com/traefik/traefik-helm-chart/blob/master/traefik/values.yaml,
 * https://github.com/cert-manager/cert-manager/blob/master/deploy/charts/cert-manager/values.yaml
 */
export const CHART_WORKLOADS: Readonly<Record<string, readonly ChartWorkload[]>> = {
  traefik: [{ resources: "resources", what: "the Traefik Deployment", securityContext: "securityContext", podSecurityContext: "podSecurityContext" }],
  "cert-manager": [
    { resources: "resources", what: "the cert-manager controller", securityContext: "containerSecurityContext", podSecurityContext: "securityContext" },
    { resources: "webhook.resources", what: "the cert-manager webhook", securityContext: "webhook.containerSecurityContext", podSecurityContext: "webhook.securityContext" },
    { resources: "cainjector.resources", what: "cert-manager's CA injector", securityContext: "cainjector.containerSecurityContext", podSecurityContext: "cainjector.securityContext", enabledBy: "cainjector.enabled" },
    { resources: "startupapicheck.resources", what: "cert-manager's startup API check Job", securityContext: "startupapicheck.containerSecurityContext", podSecurityContext: "startupapicheck.securityContext", enabledBy: "startupapicheck.enabled" },
  ],
};

/** Findings on the values of a Helm chart this project knows; other charts are checked only once rendered. */
export function chartValueFindings(props: Props): string[] {
  const workloads = CHART_WORKLOADS[chartName(props)];
  if (!workloads) return [];
  const values = (props.values ?? {}) as Props;
  const out: string[] = [];
  for (const w of workloads) {
    if (w.enabledBy && isFalse(at(values, w.enabledBy))) continue;
    const limits = (at(values, `${w.resources}.limits`) ?? {}) as Props;
    const missing = ["cpu", "memory"].filter((k) => limits[k] === undefined || limits[k] === null || limits[k] === "");
    if (missing.length) out.push(`${w.what}: values.${w.resources}.limits.${missing.join(` and values.${w.resources}.limits.`)} not set`);
    const sc = (w.securityContext ? at(values, w.securityContext) : undefined) ?? {};
    const pod = (w.podSecurityContext ? at(values, w.podSecurityContext) : undefined) ?? {};
    if (isFalse(sc.runAsNonRoot) || isFalse(pod.runAsNonRoot)) out.push(`${w.what}: the values turn runAsNonRoot off`);
    if (sc.runAsUser === 0 || pod.runAsUser === 0) out.push(`${w.what}: the values run it as user 0 (root)`);
    if (isFalse(sc.readOnlyRootFilesystem)) out.push(`${w.what}: the values turn readOnlyRootFilesystem off`);
    if (isTrue(sc.allowPrivilegeEscalation)) out.push(`${w.what}: the values allow privilege escalation`);
    if (isTrue(sc.privileged)) out.push(`${w.what}: the values make it privileged`);
  }
  if (isTrue(values.hostNetwork)) out.push("the values put the pods on the host network (hostNetwork: true)");
  return out;
}

export const k8sWorkloadHardening: ResourceValidationPolicy = {
  name: "k8s-workload-hardening",
  description:
    "Kubernetes workloads run as non-root with a read-only root filesystem, no privilege escalation, not privileged, with CPU and memory limits.",
  enforcementLevel: "mandatory",
  url: `${K8S}/concepts/security/pod-security-standards/#restricted`,
  validateResource: forTypes([...Object.keys(WORKLOAD_POD_SPEC), ...HELM_TYPES], (args, report) => {
    if (HELM_TYPES.includes(args.type)) {
      if (!CHART_WORKLOADS[chartName(args.props)]) {
        args.notApplicable(`chart ${chartName(args.props) || "?"} is not one this pack knows; its rendered workloads are checked when deployed`);
      }
      for (const f of chartValueFindings(args.props)) report(`chart ${chartName(args.props)}: ${f}.`);
      return;
    }
    for (const f of podSpecFindings(at(args.props, WORKLOAD_POD_SPEC[args.type]))) report(`${f.message}.`);
  }),
};

/**
 * Whether a NetworkPolicy denies all ingress to every pod of its namespace: empty podSelector, Ingress among
 * its policy types (the default when policyTypes is omitted), and no ingress rule.
 */
export function isDefaultDenyIngress(props: Props): boolean {
  const spec = (props.spec ?? {}) as Props;
  const selector = (spec.podSelector ?? {}) as Props;
  const emptySelector = Object.keys(selector.matchLabels ?? {}).length === 0 && list(selector.matchExpressions).length === 0;
  const types = spec.policyTypes === undefined ? ["Ingress"] : list<string>(spec.policyTypes);
  return emptySelector && types.includes("Ingress") && list(spec.ingress).length === 0;
}

export const k8sNamespaceDefaultDeny: StackValidationPolicy = {
  name: "k8s-namespace-default-deny",
  description: "Every namespace that runs workloads has a default-deny ingress NetworkPolicy.",
  enforcementLevel: "mandatory",
  url: `${K8S}/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic`,
  validateStack: (args, report) => {
    // Namespace -> the resources that run pods in it.
    const running = new Map<string, { urn: string; label: string }[]>();
    const add = (ns: string, urn: string, label: string) => running.set(ns, [...(running.get(ns) ?? []), { urn, label }]);
    for (const r of args.resources) {
      if (WORKLOAD_POD_SPEC[r.type]) add(k8sNamespace(r.props), r.urn, `${r.type.split(":").pop()} "${k8sName(r)}"`);
      // Under the mock engine a chart's state echoes its inputs; in a deployment its rendered workloads are listed above.
      else if (HELM_TYPES.includes(r.type) && typeof r.props.chart === "string") {
        const ns = typeof r.props.namespace === "string" && r.props.namespace ? r.props.namespace : "default";
        add(ns, r.urn, `chart ${chartName(r.props)}`);
      }
    }
    if (running.size === 0) args.notApplicable("no Kubernetes workloads in the stack");
    const denied = new Set(
      args.resources.filter((r) => r.type === T.networkPolicy && isDefaultDenyIngress(r.props)).map((r) => k8sNamespace(r.props)),
    );
    const namespaces = new Map(args.resources.filter((r) => r.type === T.namespace).map((r) => [k8sName(r), r.urn]));
    for (const [ns, workloads] of running) {
      if (denied.has(ns)) continue;
      report(
        `namespace "${ns}" runs ${workloads.map((w) => w.label).join(", ")} but has no default-deny ingress NetworkPolicy (podSelector: {}, policyTypes: [Ingress], no ingress rules): every pod in the cluster can reach them.`,
        namespaces.get(ns) ?? workloads[0].urn,
      );
    }
  },
};

export const kubernetesPolicies = [k8sWorkloadHardening, k8sNamespaceDefaultDeny];
