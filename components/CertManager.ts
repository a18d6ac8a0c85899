import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { customResource, isolatedNamespace, TYPE_PREFIX } from "./common";
import {
  ACME_SERVERS,
  acmeClusterIssuer,
  caClusterIssuer,
  certManagerValues,
  certManagerWebhookPolicy,
  defaultDenyPolicy,
  type Resources,
} from "./kubernetes-manifests";
import { privateCa } from "./private-ca";

/**
 * How certificates are issued: Let's Encrypt (HTTP-01) for a host the internet resolves, or a private CA for a
 * host only the VNet resolves, which Let's Encrypt cannot validate.
 */
export type IssuerChoice = { kind: "acme"; server: keyof typeof ACME_SERVERS; email?: string } | { kind: "privateCa"; commonName: string };

export interface CertManagerArgs {
  provider: k8s.Provider;
  namespace: string;
  chartRepo: string;
  chartVersion: string;
  issuer: IssuerChoice;
  resources?: Resources;
}

const DEFAULT_RESOURCES: Resources = { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "250m", memory: "256Mi" } };

/** cert-manager from its Helm chart (CRDs included) and one ClusterIssuer that every Certificate of the scenario uses. */
export class CertManager extends pulumi.ComponentResource {
  readonly namespace: string;
  /** Name of the ClusterIssuer. */
  readonly issuerName: pulumi.Output<string>;
  /** PEM of the private CA, for clients that must trust it (APIM); undefined with Let's Encrypt. */
  readonly caCertificatePem?: pulumi.Output<string>;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:kubernetes:CertManager`, name, {}, opts);
    this.namespace = args.namespace;
    const k8sOpts = { parent: this, provider: args.provider };

    const { namespace: ns, policies } = isolatedNamespace(
      name,
      args.namespace,
      { "default-deny": defaultDenyPolicy(args.namespace), "allow-webhook": certManagerWebhookPolicy(args.namespace) },
      k8sOpts,
    );
    const chart = new k8s.helm.v4.Chart(
      name,
      {
        name: "cert-manager",
        chart: "cert-manager",
        version: args.chartVersion,
        repositoryOpts: { repo: args.chartRepo },
        namespace: args.namespace,
        values: certManagerValues({ namespace: args.namespace, resources: args.resources ?? DEFAULT_RESOURCES }),
      },
      { ...k8sOpts, dependsOn: [ns, ...policies] },
    );
    // Issuers need the CRDs and a webhook the API server trusts: Pulumi waits for every object of the chart to
    // be reconciled (pulumi-kubernetes provider/pkg/gen/examples/overlays/chartV4.md, "Resource Ordering"), the
    // Deployments and the webhook configurations' CA bundle (certManagerValues' waitFor) among them.
    const afterChart = { ...k8sOpts, dependsOn: [chart] };

    let manifest: Record<string, unknown>;
    if (args.issuer.kind === "acme") {
      manifest = acmeClusterIssuer(`letsencrypt-${args.issuer.server}`, args.issuer);
    } else {
      // The CA lives in Pulumi state as a secret, so APIM can be told to trust it before the cluster exists.
      const { key, cert: ca } = privateCa(name, { commonName: args.issuer.commonName, key: "ecdsa" }, { parent: this });
      this.caCertificatePem = ca.certPem;
      const secretName = "private-ca";
      new k8s.core.v1.Secret(
        `${name}-ca-secret`,
        {
          metadata: { name: secretName, namespace: args.namespace },
          type: "kubernetes.io/tls",
          stringData: { "tls.crt": ca.certPem, "tls.key": key.privateKeyPem },
        },
        { ...k8sOpts, dependsOn: [ns] },
      );
      manifest = caClusterIssuer("private-ca", secretName);
    }
    const issuer = customResource(`${name}-issuer`, { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer" }, manifest, afterChart);
    this.issuerName = issuer.metadata.name as pulumi.Output<string>;

    this.registerOutputs({ namespace: this.namespace, issuerName: this.issuerName, caCertificatePem: this.caCertificatePem });
  }
}
