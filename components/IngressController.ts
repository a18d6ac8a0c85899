import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { asK8sInput, customResource, isolatedNamespace, TYPE_PREFIX } from "./common";
import {
  basicAuthMiddleware,
  defaultDenyPolicy,
  INGRESS_CLASS,
  ipAllowListMiddleware,
  type LoadBalancerExposure,
  middlewareRef,
  type Resources,
  traefikIngressPolicy,
  traefikValues,
  websecureAllowListPolicy,
} from "./kubernetes-manifests";

export interface IngressControllerArgs {
  provider: k8s.Provider;
  namespace: string;
  chartRepo: string;
  chartVersion: string;
  exposure: pulumi.Input<LoadBalancerExposure>;
  /** Namespace of cert-manager, whose HTTP-01 self-check calls the public entry point. */
  certManagerNamespace: string;
  replicas?: number;
  resources?: Resources;
  /**
   * On a public load balancer, HTTPS reaches Traefik's pods only from the ranges given to `admitOnly` (the
   * same ranges at L4, in a NetworkPolicy, as at L7, in the route's middleware); port 80 stays open for HTTP-01.
   */
  websecureFromAllowListOnly?: boolean;
}

/** What a route on Traefik needs of it: where it runs, its class, and middlewares in the route's namespace. */
export interface IngressRoutes {
  readonly namespace: string;
  readonly ingressClassName: pulumi.Input<string>;
  /** The chart, where this stack installs Traefik: what needs Traefik running waits for it. */
  readonly chart?: pulumi.Resource;
  admitOnly(name: string, namespace: pulumi.Input<string>, sourceRange: pulumi.Input<string[]>): pulumi.Output<string>;
  requireBasicAuth(name: string, namespace: pulumi.Input<string>, secretName: pulumi.Input<string>): pulumi.Output<string>;
}

interface MiddlewareContext {
  /** Traefik's namespace. */
  namespace: string;
  provider: k8s.Provider;
  parent: pulumi.Resource;
  websecureFromAllowListOnly: boolean;
  /** What the middlewares wait for: the chart, which brings the Middleware CRD. */
  dependsOn: pulumi.Resource[];
  /** What a NetworkPolicy in Traefik's namespace waits for: the namespace. */
  policyDependsOn: pulumi.Resource[];
  /** Prefix of the Kubernetes objects this stack adds to Traefik's namespace (another stack shares it). */
  objectPrefix?: string;
}

function admitOnlyMiddleware(c: MiddlewareContext, name: string, namespace: pulumi.Input<string>, sourceRange: pulumi.Input<string[]>): pulumi.Output<string> {
  if (c.websecureFromAllowListOnly) {
    const policyName = `allow-websecure-${c.objectPrefix ? `${c.objectPrefix}-` : ""}${name}`;
    const policy = pulumi.output(sourceRange).apply((r) => websecureAllowListPolicy(c.namespace, policyName, r));
    new k8s.networking.v1.NetworkPolicy(
      `${name}-websecure`,
      { metadata: { name: policyName, namespace: c.namespace }, spec: asK8sInput<pulumi.Output<k8s.types.input.networking.v1.NetworkPolicySpec>>(policy.apply((p) => p.spec)) },
      { parent: c.parent, provider: c.provider, dependsOn: c.policyDependsOn },
    );
  }
  return middleware(c, name, namespace, (ns) => pulumi.output(sourceRange).apply((r) => ipAllowListMiddleware(ns, name, r)));
}

function middleware(c: MiddlewareContext, name: string, namespace: pulumi.Input<string>, manifest: (ns: string) => pulumi.Output<Record<string, unknown>>): pulumi.Output<string> {
  const mw = customResource(`${name}-middleware`, { apiVersion: "traefik.io/v1alpha1", kind: "Middleware" }, pulumi.output(namespace).apply(manifest), {
    parent: c.parent,
    provider: c.provider,
    dependsOn: c.dependsOn,
  });
  return pulumi.all([mw.metadata.namespace, mw.metadata.name]).apply(([ns, n]) => middlewareRef(ns!, n!));
}

/**
 * Traefik installed by another stack (a workshop's shared stack), for this stack's routes: its middlewares
 * and NetworkPolicies are this stack's, parented to the component given, and the objects it adds to Traefik's
 * namespace carry `objectPrefix` so that stacks sharing Traefik do not collide.
 */
export class ExistingIngress implements IngressRoutes {
  readonly namespace: string;
  readonly ingressClassName: pulumi.Input<string>;
  readonly #context: MiddlewareContext;

  constructor(args: { namespace: string; ingressClassName: pulumi.Input<string>; provider: k8s.Provider; websecureFromAllowListOnly: boolean; objectPrefix: string }, parent: pulumi.Resource) {
    this.namespace = args.namespace;
    this.ingressClassName = args.ingressClassName;
    this.#context = { ...args, parent, dependsOn: [], policyDependsOn: [] };
  }

  admitOnly(name: string, namespace: pulumi.Input<string>, sourceRange: pulumi.Input<string[]>): pulumi.Output<string> {
    return admitOnlyMiddleware(this.#context, name, namespace, sourceRange);
  }

  requireBasicAuth(name: string, namespace: pulumi.Input<string>, secretName: pulumi.Input<string>): pulumi.Output<string> {
    return middleware(this.#context, name, namespace, (ns) => pulumi.output(secretName).apply((s) => basicAuthMiddleware(ns, name, s)));
  }
}

const DEFAULT_RESOURCES: Resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

/**
 * Traefik from its Helm chart on a public or internal Azure load balancer, in a namespace that only the
 * entry points can reach. Middlewares for the routes it serves are made with `admitOnly` and `requireBasicAuth`.
 */
export class IngressController extends pulumi.ComponentResource implements IngressRoutes {
  readonly namespace: string;
  readonly ingressClassName = INGRESS_CLASS;
  // ECMAScript private fields: not outputs, and invisible to the check that every public property is registered.
  readonly #provider: k8s.Provider;
  readonly #websecureFromAllowListOnly: boolean;
  #namespaceResource!: k8s.core.v1.Namespace;
  /** The chart: what needs Traefik running (HTTP-01 challenges, routes) depends on it. */
  readonly chart: k8s.helm.v4.Chart;

  constructor(name: string, args: IngressControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:kubernetes:IngressController`, name, {}, opts);
    const replicas = args.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new pulumi.ResourceError(`IngressController "${name}": replicas must be a whole number of at least 1, got ${replicas}`, this);
    this.namespace = args.namespace;
    this.#provider = args.provider;
    this.#websecureFromAllowListOnly = args.websecureFromAllowListOnly ?? false;
    const k8sOpts = { parent: this, provider: args.provider };

    const exposure = pulumi.output(args.exposure) as pulumi.Output<LoadBalancerExposure>;
    const { namespace: ns, policies } = isolatedNamespace(
      name,
      args.namespace,
      {
        "default-deny": defaultDenyPolicy(args.namespace),
        "allow-entrypoints": exposure.apply((e) =>
          traefikIngressPolicy(args.namespace, e, args.certManagerNamespace, { websecureFromAllowListOnly: this.#websecureFromAllowListOnly }),
        ),
      },
      k8sOpts,
    );
    this.#namespaceResource = ns;

    this.chart = new k8s.helm.v4.Chart(
      name,
      {
        name: "traefik",
        chart: "traefik",
        version: args.chartVersion,
        repositoryOpts: { repo: args.chartRepo },
        namespace: args.namespace,
        values: exposure.apply((e) => traefikValues({ exposure: e, replicas, resources: args.resources ?? DEFAULT_RESOURCES })),
      },
      { ...k8sOpts, dependsOn: [ns, ...policies] },
    );

    this.registerOutputs({ namespace: this.namespace, ingressClassName: this.ingressClassName });
  }

  /**
   * A middleware (in the route's namespace) that admits only these source ranges; returns its reference. With
   * `websecureFromAllowListOnly`, the same ranges also get a NetworkPolicy on Traefik's HTTPS port.
   */
  admitOnly(name: string, namespace: pulumi.Input<string>, sourceRange: pulumi.Input<string[]>): pulumi.Output<string> {
    return admitOnlyMiddleware(this.#context(), name, namespace, sourceRange);
  }

  /** A middleware that requires the credentials in a kubernetes.io/basic-auth Secret; returns its reference. */
  requireBasicAuth(name: string, namespace: pulumi.Input<string>, secretName: pulumi.Input<string>): pulumi.Output<string> {
    return middleware(this.#context(), name, namespace, (ns) => pulumi.output(secretName).apply((s) => basicAuthMiddleware(ns, name, s)));
  }

  // The Middleware CRD comes with the chart, so the chart goes first.
  #context(): MiddlewareContext {
    return {
      namespace: this.namespace,
      provider: this.#provider,
      parent: this,
      websecureFromAllowListOnly: this.#websecureFromAllowListOnly,
      dependsOn: [this.chart],
      policyDependsOn: [this.#namespaceResource],
    };
  }
}
