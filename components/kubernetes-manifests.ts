/**
 * Pure builders for the Kubernetes objects and Helm values of the Kubernetes layer. No Pulumi here: the
 * components wrap these in resources, and tests validate what they return against the published schemas.
 */
import {
  CONTAINER_PORT,
  HEALTH_PATH,
  PRE_STOP_SLEEP_SECONDS,
  READINESS_PATH,
  RUN_AS_GROUP,
  RUN_AS_USER,
  START_COMMAND,
  TERMINATION_GRACE_PERIOD_SECONDS,
} from "../app/src/image";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";

/** Where a Traefik load balancer lives. https://cloud-provider-azure.sigs.k8s.io/topics/loadbalancer/#loadbalancer-annotations */
export type LoadBalancerExposure =
  | { kind: "public"; dnsLabel: string }
  | { kind: "internal"; subnetName: string; ipAddress: string; allowedSourceRanges: string[] };

export const ANNOTATIONS = {
  dnsLabel: "service.beta.kubernetes.io/azure-dns-label-name",
  internal: "service.beta.kubernetes.io/azure-load-balancer-internal",
  internalSubnet: "service.beta.kubernetes.io/azure-load-balancer-internal-subnet",
  ipv4: "service.beta.kubernetes.io/azure-load-balancer-ipv4",
  routerEntrypoints: "traefik.ingress.kubernetes.io/router.entrypoints",
  routerMiddlewares: "traefik.ingress.kubernetes.io/router.middlewares",
  routerTls: "traefik.ingress.kubernetes.io/router.tls",
  workloadIdentityClientId: "azure.workload.identity/client-id",
} as const;

/** Label the workload identity webhook looks for on pods. https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html */
export const WORKLOAD_IDENTITY_POD_LABEL = "azure.workload.identity/use";
/** Label cert-manager puts on its HTTP-01 solver pods, which listen on 8089. https://cert-manager.io/docs/configuration/acme/http01/ */
export const ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver";
export const ACME_SOLVER_PORT = 8089;
/** Traefik's container ports for the web and websecure entry points (the chart's defaults). */
export const TRAEFIK_PORTS = { web: 8000, websecure: 8443 } as const;
export const TRAEFIK_POD_LABELS = { "app.kubernetes.io/name": "traefik" } as const;
/** Ingress class the Traefik chart registers and every Ingress and ACME solver uses. */
export const INGRESS_CLASS = "traefik";
/** cert-manager's webhook listens here; the API server must reach it. https://cert-manager.io/docs/installation/compatibility/ */
export const CERT_MANAGER_WEBHOOK_PORT = 10250;

export type Labels = Record<string, string>;

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

const namespaceSelector = (namespace: string) => ({ matchLabels: { "kubernetes.io/metadata.name": namespace } });

/** The Helm values of Traefik: no dashboard, HTTPS only for routes, the load balancer of the scenario. */
export function traefikValues(o: { exposure: LoadBalancerExposure; replicas: number; resources: Resources }): Record<string, unknown> {
  const publicLb = o.exposure.kind === "public";
  const annotations: Labels =
    o.exposure.kind === "public"
      ? { [ANNOTATIONS.dnsLabel]: o.exposure.dnsLabel }
      : { [ANNOTATIONS.internal]: "true", [ANNOTATIONS.internalSubnet]: o.exposure.subnetName, [ANNOTATIONS.ipv4]: o.exposure.ipAddress };
  return {
    deployment: { replicas: o.replicas },
    // With externalTrafficPolicy: Local only nodes that run a Traefik pod pass the load balancer's probe:
    // spread the replicas over nodes.
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { ...TRAEFIK_POD_LABELS } } },
    ],
    podDisruptionBudget: { enabled: o.replicas > 1, maxUnavailable: 1 },
    ingressClass: { enabled: true, isDefaultClass: false, name: INGRESS_CLASS },
    providers: {
      kubernetesCRD: { enabled: true, allowCrossNamespace: false },
      kubernetesIngress: { enabled: true, publishedService: { enabled: true } },
    },
    // No dashboard, and nothing routes to the API (no `insecure`, no api@internal route, port 8080 closed by
    // the NetworkPolicy): nothing about the routing is exposed. https://doc.traefik.io/traefik/operations/dashboard/
    api: { dashboard: false },
    ingressRoute: { dashboard: { enabled: false }, healthcheck: { enabled: false } },
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    ports: {
      // Port 80 exists only where Let's Encrypt must reach the HTTP-01 solver. Everything else on it is
      // redirected to HTTPS by a router of priority 1, so the solver's own route (longer rule) still wins.
      // https://doc.traefik.io/traefik/reference/install-configuration/entrypoints/#redirections
      web: publicLb
        ? { expose: { default: true }, http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true, priority: 1 } } } }
        : { expose: { default: false } },
      websecure: { expose: { default: true }, http: { tls: { enabled: true } } },
    },
    service: {
      annotations,
      // Keeps the caller's address (the allow-list and NetworkPolicies match on it) and skips the extra hop.
      // https://learn.microsoft.com/azure/aks/load-balancer-standard#maintain-the-clients-ip-on-inbound-connections
      spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
    },
    resources: o.resources,
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
    podSecurityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
  };
}

/**
 * What makes Pulumi wait until the API server trusts cert-manager's webhook: the webhook configurations are
 * ready once cainjector has written the CA bundle into them. Until then an issuer or certificate is refused
 * ("x509: certificate signed by unknown authority"). The form is the one pulumi-kubernetes' CHANGELOG gives
 * for exactly this (4.18.0, "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}").
 */
export const WEBHOOK_CA_BUNDLE_WAIT = { "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}" } as const;

/** The Helm values of cert-manager, with its CRDs, on AKS. https://cert-manager.io/docs/installation/helm/ */
export function certManagerValues(o: { namespace: string; resources: Resources }): Record<string, unknown> {
  const hardened = {
    containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  };
  return {
    // `keep` leaves the CRDs (and so every certificate) in place when the chart is removed.
    crds: { enabled: true, keep: true },
    // Leases in cert-manager's own namespace rather than kube-system, so it needs no rights outside it.
    // https://cert-manager.io/docs/installation/compatibility/#aks
    global: { leaderElection: { namespace: o.namespace } },
    resources: o.resources,
    ...hardened,
    // The chart's templates append these to the webhook configurations' own annotations (after
    // cert-manager.io/inject-ca-from-secret): deploy/charts/cert-manager/templates/webhook-*-webhook.yaml.
    webhook: {
      resources: o.resources,
      ...hardened,
      mutatingWebhookConfigurationAnnotations: { ...WEBHOOK_CA_BUNDLE_WAIT },
      validatingWebhookConfigurationAnnotations: { ...WEBHOOK_CA_BUNDLE_WAIT },
    },
    cainjector: { enabled: true, resources: o.resources, ...hardened },
    // The chart's wait for the CA bundle, the startupapicheck Job, is a Helm post-install hook, and
    // helm.v4.Chart renders without hooks (pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go sets
    // DisableHooks; its test "should drop all hook resources"): the Job would never exist. Off, so that
    // nothing pretends otherwise; the annotations above are the wait.
    startupapicheck: { enabled: false },
    prometheus: { enabled: false },
  };
}

export type NetworkPolicyManifest = INetworkPolicy & { metadata: { name: string; namespace: string }; spec: NonNullable<INetworkPolicy["spec"]> };

/** Denies all ingress (and egress, when asked) to every pod of the namespace; other policies open what is needed. */
export function defaultDenyPolicy(namespace: string, egress = false): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace },
    spec: { podSelector: {}, policyTypes: egress ? ["Ingress", "Egress"] : ["Ingress"] },
  };
}

/**
 * Traefik's pods accept the entry points from the load balancer's callers and from cert-manager, whose
 * HTTP-01 self-check goes to the public address from inside the cluster (an ipBlock does not match pods).
 * With `websecureFromAllowListOnly`, a public load balancer admits the internet on port 80 only (Let's
 * Encrypt's HTTP-01 validation comes from addresses it does not publish, and everything else there is
 * redirected); HTTPS is then opened only by `websecureAllowListPolicy`, to the callers the route admits.
 */
export function traefikIngressPolicy(
  namespace: string,
  exposure: LoadBalancerExposure,
  certManagerNamespace: string,
  o: { websecureFromAllowListOnly?: boolean } = {},
): NetworkPolicyManifest {
  const publicLb = exposure.kind === "public";
  const portList = publicLb ? (o.websecureFromAllowListOnly ? [TRAEFIK_PORTS.web] : [TRAEFIK_PORTS.web, TRAEFIK_PORTS.websecure]) : [TRAEFIK_PORTS.websecure];
  const ports = portList.map((port) => ({ protocol: "TCP" as const, port }));
  const sources = publicLb ? [{ ipBlock: { cidr: "0.0.0.0/0" } }] : exposure.allowedSourceRanges.map((cidr) => ({ ipBlock: { cidr } }));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-entrypoints", namespace },
    spec: {
      podSelector: { matchLabels: { ...TRAEFIK_POD_LABELS } },
      policyTypes: ["Ingress"],
      ingress: [
        { from: sources, ports },
        ...(publicLb ? [{ from: [{ namespaceSelector: namespaceSelector(certManagerNamespace) }], ports: [{ protocol: "TCP" as const, port: TRAEFIK_PORTS.web }] }] : []),
      ],
    },
  };
}

/**
 * Traefik's HTTPS entry point for the given sources only, matched on the connection's address: with
 * externalTrafficPolicy Local the load balancer keeps the caller's address, so an ipBlock sees APIM's, the same
 * ranges the route's ipAllowList middleware checks. https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export function websecureAllowListPolicy(namespace: string, name: string, sourceRanges: string[]): NetworkPolicyManifest {
  if (sourceRanges.length === 0) throw new Error(`NetworkPolicy "${name}" needs at least one source range`);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace },
    spec: {
      podSelector: { matchLabels: { ...TRAEFIK_POD_LABELS } },
      policyTypes: ["Ingress"],
      ingress: [{ from: sourceRanges.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: TRAEFIK_PORTS.websecure }] }],
    },
  };
}

/** The API server calls cert-manager's webhook; nothing else needs to reach cert-manager. */
export function certManagerWebhookPolicy(namespace: string): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-webhook", namespace },
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/component": "webhook" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: CERT_MANAGER_WEBHOOK_PORT }] }],
    },
  };
}

/** Only Traefik reaches the AI API's pods, and cert-manager's solver pods in the same namespace. */
export function backendIngressPolicies(namespace: string, appLabels: Labels, ingressNamespace: string): NetworkPolicyManifest[] {
  const fromTraefik = [{ namespaceSelector: namespaceSelector(ingressNamespace), podSelector: { matchLabels: { ...TRAEFIK_POD_LABELS } } }];
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-from-traefik", namespace },
      spec: { podSelector: { matchLabels: appLabels }, policyTypes: ["Ingress"], ingress: [{ from: fromTraefik, ports: [{ protocol: "TCP", port: CONTAINER_PORT }] }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-acme-solver", namespace },
      spec: {
        podSelector: { matchLabels: { [ACME_SOLVER_LABEL]: "true" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: fromTraefik, ports: [{ protocol: "TCP", port: ACME_SOLVER_PORT }] }],
      },
    },
  ];
}

/** Private address ranges (RFC 1918) and link-local, which includes the instance metadata service. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"] as const;

/**
 * The AI API talks to cluster DNS and, over HTTPS, to Microsoft Entra ID (token exchange, a public endpoint)
 * and Azure OpenAI: at its public endpoint, or through its private endpoints when `modelPrivateSubnets` names
 * their subnet (VNet scenarios). Nothing else inside the VNet, nor the node's metadata service.
 */
export function backendEgressPolicy(namespace: string, appLabels: Labels, modelPrivateSubnets: readonly string[] = []): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-egress-dns-https", namespace },
    spec: {
      podSelector: { matchLabels: appLabels },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: namespaceSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }], ports: [{ protocol: "TCP", port: 443 }] },
        ...(modelPrivateSubnets.length ? [{ to: modelPrivateSubnets.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP" as const, port: 443 }] }] : []),
      ],
    },
  };
}

export interface AppEnv {
  name: string;
  value: string;
}

/**
 * The AI API's pod template: the container contract of app/src/image.ts, restricted Pod Security Standard,
 * workload identity. https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
export function backendPodSpec(o: { image: string; env: AppEnv[]; serviceAccountName: string; resources: Resources; labels: Labels }): IPodSpec {
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: true,
    terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
    securityContext: { runAsNonRoot: true, runAsUser: RUN_AS_USER, runAsGroup: RUN_AS_GROUP, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "ai-api",
        image: o.image,
        command: [...START_COMMAND],
        ports: [{ name: "http", containerPort: CONTAINER_PORT, protocol: "TCP" }],
        env: o.env,
        resources: o.resources,
        readinessProbe: { httpGet: { path: READINESS_PATH, port: "http" }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        livenessProbe: { httpGet: { path: HEALTH_PATH, port: "http" }, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
        startupProbe: { httpGet: { path: HEALTH_PATH, port: "http" }, periodSeconds: 2, failureThreshold: 30 },
        lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ["ALL"] },
        },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
    ],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: o.labels } },
    ],
  };
}

/** `<namespace>-<name>@kubernetescrd`: how an Ingress annotation names a Middleware. https://doc.traefik.io/traefik/reference/routing-configuration/kubernetes/ingress/ */
export function middlewareRef(namespace: string, name: string): string {
  return `${namespace}-${name}@kubernetescrd`;
}

/** Traefik middleware that admits only the given sources, matched on the connection's own address. */
export function ipAllowListMiddleware(namespace: string, name: string, sourceRange: string[]): Record<string, unknown> {
  if (sourceRange.length === 0) throw new Error(`ipAllowList middleware "${name}" needs at least one source range`);
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "Middleware",
    metadata: { name, namespace },
    // No ipStrategy: the address comes from the TCP connection, not from X-Forwarded-For, which a caller sets.
    // https://doc.traefik.io/traefik/reference/routing-configuration/http/middlewares/ipallowlist/
    spec: { ipAllowList: { sourceRange } },
  };
}

/** A username the `users` line (`name:hash`) can carry: non-empty, without ":" or white space. */
export const BASIC_AUTH_USERNAME = /^[^:\s]+$/;

/** A bcrypt hash in modular crypt form ($2a$, $2b$ or $2y$, cost, 53 characters of salt and hash). */
export const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * The `users` entry of a Traefik basic-auth Secret: `name:hash`, the hash being bcrypt (Traefik takes MD5, SHA1
 * or bcrypt, never a plain password). A kubernetes.io/basic-auth Secret would hold the password itself.
 * https://doc.traefik.io/traefik/reference/routing-configuration/http/middlewares/basicauth/
 */
export function basicAuthUsers(username: string, bcryptHash: string): string {
  if (!BASIC_AUTH_USERNAME.test(username)) throw new Error(`basic-auth username ${JSON.stringify(username)} must be non-empty, without ":" or spaces`);
  if (!BCRYPT_HASH.test(bcryptHash)) throw new Error("basic-auth users take a bcrypt hash, not a password");
  return `${username}:${bcryptHash}`;
}

/** Traefik middleware that checks `Authorization: Basic` against the `users` of a Secret (see basicAuthUsers) and strips it. */
export function basicAuthMiddleware(namespace: string, name: string, secretName: string): Record<string, unknown> {
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "Middleware",
    metadata: { name, namespace },
    // https://doc.traefik.io/traefik/reference/routing-configuration/http/middlewares/basicauth/
    spec: { basicAuth: { secret: secretName, removeHeader: true } },
  };
}

/** cert-manager ClusterIssuer for Let's Encrypt with HTTP-01 answered through Traefik. https://cert-manager.io/docs/configuration/acme/ */
export const ACME_SERVERS = {
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
  production: "https://acme-v02.api.letsencrypt.org/directory",
} as const;

export function acmeClusterIssuer(name: string, o: { server: keyof typeof ACME_SERVERS; email?: string }): Record<string, unknown> {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name },
    spec: {
      acme: {
        server: ACME_SERVERS[o.server],
        ...(o.email ? { email: o.email } : {}),
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [{ http01: { ingress: { ingressClassName: INGRESS_CLASS } } }],
      },
    },
  };
}

/** cert-manager ClusterIssuer signing with a CA kept in a Secret of cert-manager's namespace. https://cert-manager.io/docs/configuration/ca/ */
export function caClusterIssuer(name: string, secretName: string): Record<string, unknown> {
  return { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name }, spec: { ca: { secretName } } };
}

export function certificate(o: { name: string; namespace: string; host: string; secretName: string; issuer: string }): Record<string, unknown> {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    // The Kubernetes provider waits for this condition, so the Ingress is created once its certificate exists.
    // https://www.pulumi.com/registry/packages/kubernetes/installation-configuration/#await-behavior
    metadata: { name: o.name, namespace: o.namespace, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
    spec: {
      secretName: o.secretName,
      dnsNames: [o.host],
      issuerRef: { kind: "ClusterIssuer", name: o.issuer, group: "cert-manager.io" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  };
}
