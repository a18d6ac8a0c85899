import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as monitor from "@pulumi/azure-native/monitor";
import type { NetworkPolicyManifest } from "./kubernetes-manifests";

/** Type token prefix of every component in this project: `apim-aks-ai:<area>:<Name>`. */
export const TYPE_PREFIX = "apim-aks-ai";

/**
 * What every component takes, the way Azure Verified Modules do: where it lives and how it is tagged.
 * Components pass all three to every Azure child they create.
 */
export interface AzureScopeArgs {
  resourceGroupName: pulumi.Input<string>;
  location: pulumi.Input<string>;
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Where a component sends its platform logs and metrics, when it is asked to. */
export interface DiagnosticsArgs {
  /** Resource ID of the Log Analytics workspace. */
  workspaceId: pulumi.Input<string>;
}

/**
 * Sends all logs (category group `allLogs`, unless `logs` names categories) and metrics of a resource to Log
 * Analytics, in resource-specific tables where the service supports them.
 * https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
 */
export function addDiagnostics(
  name: string,
  resourceUri: pulumi.Input<string>,
  diagnostics: DiagnosticsArgs,
  opts: pulumi.CustomResourceOptions,
  logs: { category?: string; categoryGroup?: string; enabled: boolean }[] = [{ categoryGroup: "allLogs", enabled: true }],
): monitor.DiagnosticSetting {
  return new monitor.DiagnosticSetting(
    `${name}-diag`,
    {
      name: "to-log-analytics",
      resourceUri,
      workspaceId: diagnostics.workspaceId,
      logAnalyticsDestinationType: "Dedicated",
      logs,
      metrics: [{ category: "AllMetrics", enabled: true }],
    },
    opts,
  );
}

/**
 * A custom resource (a CRD's object) from a manifest whose contents may still be unknown: `apiVersion` and
 * `kind` must be known when the resource is registered, so they are given apart.
 */
export function customResource(
  name: string,
  type: { apiVersion: string; kind: string },
  manifest: pulumi.Input<Record<string, unknown>>,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const body = pulumi.output(manifest as pulumi.Input<Record<string, any>>) as pulumi.Output<any>;
  return new k8s.apiextensions.CustomResource(name, { ...type, metadata: body.apply((b) => b.metadata), spec: body.apply((b) => b.spec) }, opts);
}

/**
 * The manifests in ./kubernetes-manifests are typed with kubernetes-models (whose validators the tests run);
 * @pulumi/kubernetes declares the same shapes with its own types. This is the one place they meet.
 */
export function asK8sInput<T>(manifest: unknown): T {
  return manifest as T;
}

/**
 * A namespace that enforces the restricted Pod Security Standard, with its NetworkPolicies keyed by name:
 * one denies by default, the others open what the namespace's workloads need.
 * https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export function isolatedNamespace(
  name: string,
  namespace: string,
  policies: Record<string, pulumi.Input<NetworkPolicyManifest>>,
  opts: pulumi.CustomResourceOptions,
): { namespace: k8s.core.v1.Namespace; policies: k8s.networking.v1.NetworkPolicy[] } {
  const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } }, opts);
  const created = Object.entries(policies).map(([policyName, policy]) => {
    const spec = (pulumi.output(policy) as unknown as pulumi.Output<NetworkPolicyManifest>).apply((p) => p.spec);
    return new k8s.networking.v1.NetworkPolicy(
      `${name}-${policyName}`,
      { metadata: { name: policyName, namespace }, spec: asK8sInput<pulumi.Output<k8s.types.input.networking.v1.NetworkPolicySpec>>(spec) },
      { ...opts, dependsOn: [ns] },
    );
  });
  return { namespace: ns, policies: created };
}
