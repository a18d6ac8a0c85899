import * as k8s from "@pulumi/kubernetes";

/** The provider every Kubernetes component takes; in the mock engine it stands for no cluster at all. */
export function simulatedClusterProvider(): k8s.Provider {
  return new k8s.Provider("simulated-cluster", { kubeconfig: "simulated" });
}

export const K8S = {
  namespace: "kubernetes:core/v1:Namespace",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  chart: "kubernetes:helm.sh/v4:Chart",
  secret: "kubernetes:core/v1:Secret",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  service: "kubernetes:core/v1:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
} as const;
