import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { FAILOVER_ENDPOINTS_ENV } from "../app/src/failover-env";
import { appContainerEnv, CONTAINER_PORT } from "../app/src/image";
import { type ModelAccess, requiredDeploymentName } from "./AiModel";
import { asK8sInput, type AzureScopeArgs, customResource, isolatedNamespace, TYPE_PREFIX } from "./common";
import type { IngressRoutes } from "./IngressController";
import {
  ANNOTATIONS,
  BASIC_AUTH_USERNAME,
  backendEgressPolicy,
  basicAuthUsers,
  backendIngressPolicies,
  backendPodSpec,
  certificate,
  defaultDenyPolicy,
  type Resources,
  WORKLOAD_IDENTITY_POD_LABEL,
} from "./kubernetes-manifests";

/** Audience of the service account tokens Entra ID accepts for workload identity. https://learn.microsoft.com/azure/aks/workload-identity-overview */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";

export interface AiBackendArgs extends AzureScopeArgs {
  provider: k8s.Provider;
  namespace: string;
  /** Name of the user-assigned identity the pods run as. */
  identityName: pulumi.Input<string>;
  /** The cluster's service account token issuer. */
  oidcIssuerUrl: pulumi.Input<string>;
  model: ModelAccess;
  image: pulumi.Input<string>;
  replicas: number;
  /** Host name of the AI API on the ingress; the TLS certificate is issued for it. */
  host: pulumi.Input<string>;
  /** ClusterIssuer that issues the host's certificate. */
  issuerName: pulumi.Input<string>;
  ingress: IngressRoutes;
  /**
   * What the ingress checks before a call reaches the pods, where the load balancer is public but only APIM
   * may call: the source ranges it admits, and a credential APIM presents, of which the ingress keeps only a
   * bcrypt hash (e.g. random.RandomPassword's `bcryptHash`).
   */
  admit?: { sourceRanges: pulumi.Input<string[]>; basicAuth?: { username: string; passwordBcryptHash: pulumi.Input<string> } };
  resources?: Resources;
  /** Subnets of the model's private endpoints, which the pods' egress must reach on 443. */
  modelPrivateSubnets?: string[];
  /** A second account with the same deployment (APIM's failover target): the pods' identity may call it too. */
  secondaryModel?: ModelAccess;
  /**
   * Endpoints the AI API fails over to after the model's own (app/src/failover.ts), where the pods can reach
   * them: through private endpoints in the VNet scenarios.
   */
  failoverEndpoints?: pulumi.Input<string>[];
}

const APP_LABELS = { app: "ai-api" };

/**
 * What is wrong with the arguments, before anything is created: otherwise a bad username surfaces only inside
 * the Secret's value, after the identity and its role assignments already exist.
 */
export function aiBackendArgsProblems(args: Pick<AiBackendArgs, "replicas" | "admit">): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(args.replicas) || args.replicas < 1) problems.push(`replicas must be a whole number of at least 1, got ${args.replicas}`);
  const username = args.admit?.basicAuth?.username;
  if (username !== undefined && !BASIC_AUTH_USERNAME.test(username)) problems.push(`admit.basicAuth.username ${JSON.stringify(username)} must be non-empty, without ":" or spaces`);
  return problems;
}
const DEFAULT_RESOURCES: Resources = { requests: { cpu: "100m", memory: "192Mi" }, limits: { cpu: "1", memory: "384Mi" } };

/**
 * The AI API on AKS: its own namespace and identity (workload identity federated to a user-assigned identity
 * that holds the inference role), a hardened Deployment, a ClusterIP Service, an HTTPS-only Ingress through
 * Traefik, and NetworkPolicies that let in only Traefik and let out only DNS and HTTPS.
 */
export class AiBackend extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly host: pulumi.Output<string>;
  /** Client ID of the pods' identity. */
  readonly clientId: pulumi.Output<string>;
  /** Object ID of the pods' identity. */
  readonly principalId: pulumi.Output<string>;
  /** Middleware references on the Ingress (empty where the ingress admits everyone). */
  readonly middlewares: pulumi.Output<string[]>;

  constructor(name: string, args: AiBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:kubernetes:AiBackend`, name, {}, opts);
    const problems = aiBackendArgsProblems(args);
    if (problems.length > 0) throw new pulumi.ResourceError(`AiBackend "${name}": ${problems.join("; ")}`, this);
    const parent = { parent: this };
    const k8sOpts = { parent: this, provider: args.provider };
    const serviceAccountName = "ai-api";

    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      { resourceName: args.identityName, resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
      parent,
    );
    // https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster#create-the-federated-identity-credential
    // One credential per identity: Entra refuses concurrent credential writes on one user-assigned identity (409),
    // not on different ones, so workshop attendees' stacks, each with its own identity, may run in parallel.
    // https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
    const federation = new managedidentity.FederatedIdentityCredential(
      `${name}-federation`,
      {
        resourceGroupName: args.resourceGroupName,
        resourceName: identity.name,
        federatedIdentityCredentialResourceName: "aks-ai-api",
        issuer: args.oidcIssuerUrl,
        subject: `system:serviceaccount:${args.namespace}:${serviceAccountName}`,
        audiences: [WORKLOAD_IDENTITY_AUDIENCE],
      },
      parent,
    );
    const grant = args.model.grantInference(`${name}-inference`, identity.principalId);
    args.secondaryModel?.grantInference(`${name}-inference-secondary`, identity.principalId);
    this.clientId = identity.clientId;
    this.principalId = identity.principalId;

    const isolated = isolatedNamespace(
      name,
      args.namespace,
      Object.fromEntries(
        [
          defaultDenyPolicy(args.namespace, true),
          ...backendIngressPolicies(args.namespace, APP_LABELS, args.ingress.namespace),
          backendEgressPolicy(args.namespace, APP_LABELS, args.modelPrivateSubnets),
        ].map((p) => [p.metadata.name, p]),
      ),
      k8sOpts,
    );
    const ns = isolated.namespace;
    const policies = isolated.policies;
    this.namespace = ns.metadata.name;
    const inNs = { ...k8sOpts, dependsOn: [ns] };

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: { name: serviceAccountName, namespace: args.namespace, annotations: { [ANNOTATIONS.workloadIdentityClientId]: identity.clientId } },
      },
      inNs,
    );

    // The model decides how the AI API limits output tokens and which api-version it uses (config/models.ts).
    const env = appContainerEnv<pulumi.Input<string>>({
      endpoint: args.model.endpoint,
      deployment: requiredDeploymentName(args.model),
      apiVersion: args.model.apiVersion,
      tokenParameter: args.model.tokenParameter,
    });
    if (args.failoverEndpoints?.length) {
      env.push({ name: FAILOVER_ENDPOINTS_ENV, value: pulumi.all(args.failoverEndpoints).apply((e) => e.join(",")) });
    }
    const podSpec = pulumi
      .all([args.image, ...env.map((e) => e.value)])
      .apply(([image, ...values]) =>
        backendPodSpec({
          image,
          env: env.map((e, i) => ({ name: e.name, value: values[i]! })),
          serviceAccountName,
          resources: args.resources ?? DEFAULT_RESOURCES,
          labels: APP_LABELS,
        }),
      );
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "ai-api", namespace: args.namespace, labels: APP_LABELS },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: APP_LABELS },
          template: { metadata: { labels: { ...APP_LABELS, [WORKLOAD_IDENTITY_POD_LABEL]: "true" } }, spec: asK8sInput<pulumi.Output<k8s.types.input.core.v1.PodSpec>>(podSpec) },
        },
      },
      // Ready means the pod obtained a token and reached the model, so it waits for the role assignment,
      // which can take minutes to take effect. https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
      { ...inNs, dependsOn: [ns, serviceAccount, grant, federation, ...policies], customTimeouts: { create: "20m", update: "20m" } },
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: "ai-api", namespace: args.namespace, labels: APP_LABELS },
        spec: { type: "ClusterIP", selector: APP_LABELS, ports: [{ name: "http", port: 80, targetPort: CONTAINER_PORT, protocol: "TCP" }] },
      },
      inNs,
    );

    const tlsSecretName = "ai-api-tls";
    const cert = customResource(
      `${name}-certificate`,
      { apiVersion: "cert-manager.io/v1", kind: "Certificate" },
      pulumi.all([args.host, args.issuerName]).apply(([host, issuer]) => certificate({ name: "ai-api", namespace: args.namespace, host, secretName: tlsSecretName, issuer })),
      // ACME issuance needs Traefik, its load balancer and DNS name, then Let's Encrypt.
      { ...inNs, dependsOn: [ns, ...(args.ingress.chart ? [args.ingress.chart] : [])], customTimeouts: { create: "15m", update: "15m" } },
    );

    const middlewares: pulumi.Output<string>[] = [];
    if (args.admit) {
      middlewares.push(args.ingress.admitOnly("apim-only", this.namespace, args.admit.sourceRanges));
      if (args.admit.basicAuth) {
        const username = args.admit.basicAuth.username;
        const secret = new k8s.core.v1.Secret(
          `${name}-apim-credential`,
          {
            metadata: { name: "apim-credential", namespace: args.namespace },
            // Opaque with `users`: the hash only, so the Secret does not give away APIM's password.
            type: "Opaque",
            stringData: { users: pulumi.secret(pulumi.output(args.admit.basicAuth.passwordBcryptHash).apply((h) => basicAuthUsers(username, h))) },
          },
          inNs,
        );
        middlewares.push(args.ingress.requireBasicAuth("apim-basic-auth", this.namespace, secret.metadata.name));
      }
    }
    this.middlewares = pulumi.all(middlewares);

    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: {
          name: "ai-api",
          namespace: args.namespace,
          annotations: this.middlewares.apply((refs) => ({
            // HTTPS only: the route exists on the websecure entry point and nowhere else.
            [ANNOTATIONS.routerEntrypoints]: "websecure",
            [ANNOTATIONS.routerTls]: "true",
            ...(refs.length ? { [ANNOTATIONS.routerMiddlewares]: refs.join(",") } : {}),
          })),
        },
        spec: {
          ingressClassName: args.ingress.ingressClassName,
          tls: [{ hosts: [args.host], secretName: tlsSecretName }],
          rules: [
            {
              host: args.host,
              http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.metadata.name, port: { name: "http" } } } }] },
            },
          ],
        },
      },
      // Until the certificate is issued Traefik would serve its default one to APIM.
      { ...inNs, dependsOn: [ns, cert] },
    );

    this.host = pulumi.output(args.host);
    this.registerOutputs({ namespace: this.namespace, host: this.host, clientId: this.clientId, principalId: this.principalId, middlewares: this.middlewares });
  }
}
