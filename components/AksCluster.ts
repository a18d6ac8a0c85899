import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { AKS_ENTRA_SERVER_APP_ID } from "./aks-entra";
import { addDiagnostics, type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";
import { AKS_RBAC_CLUSTER_ADMIN, assignRole, NETWORK_CONTRIBUTOR, type PrincipalType } from "./roles";


export interface AksClusterArgs extends AzureScopeArgs {
  clusterName: pulumi.Input<string>;
  dnsPrefix: pulumi.Input<string>;
  /** Subnet of the nodes. */
  subnetId: pulumi.Input<string>;
  nodeSize: string;
  nodeCount: number;
  /** Omitted: AKS picks its default version. */
  kubernetesVersion?: string;
  /** Overlay pod range, outside the VNet. */
  podCidr: string;
  serviceCidr: string;
  /** Inside serviceCidr. */
  dnsServiceIp: string;
  /** Subnets the cluster identity may place internal load balancers in: it gets Network Contributor on each. */
  networkSubnetIdsForLoadBalancers?: pulumi.Input<string>[];
  /** Gets Azure Kubernetes Service RBAC Cluster Admin so that the Kubernetes provider can deploy; defaults to the deployer. */
  adminPrincipalId?: pulumi.Input<string>;
  /** Set to ServicePrincipal when the deployer signs in as one (CI); see `deployerPrincipalType`. */
  adminPrincipalType?: PrincipalType;
  /**
   * CIDR blocks that may reach the API server (deployer, CI runner); unset, the whole internet may try (sign-in
   * with Entra ID is still required). https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges
   */
  apiAuthorizedRanges?: string[];
  diagnostics?: DiagnosticsArgs;
  /** Which audit log category goes to Log Analytics (see aksLogCategories); `admin` unless asked. */
  auditLog?: "admin" | "all";
}

/**
 * Control plane log categories of a managed cluster, listed instead of the `allLogs` group, which holds both
 * kube-audit and kube-audit-admin. kube-audit-admin is kube-audit without get and list events, which are most
 * of an idle cluster's audit volume; `all` adds kube-audit for a lab that needs reads audited.
 * Categories: https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-containerservice-managedclusters-logs
 * (fleet-* and karpenter-events omitted: this cluster is in no fleet and has no node autoprovisioning).
 * kube-audit-admin "excludes events with the get and list verbs": https://learn.microsoft.com/azure/azure-monitor/reference/tables/aksauditadmin
 */
export function aksLogCategories(auditLog: "admin" | "all" = "admin"): { category: string; enabled: boolean }[] {
  const categories = [
    "kube-apiserver",
    "kube-audit-admin",
    ...(auditLog === "all" ? ["kube-audit"] : []),
    "kube-controller-manager",
    "kube-scheduler",
    "cluster-autoscaler",
    "cloud-controller-manager",
    "guard",
    "csi-azuredisk-controller",
    "csi-azurefile-controller",
    "csi-snapshot-controller",
  ];
  return categories.map((category) => ({ category, enabled: true }));
}

/**
 * AKS with Azure CNI Overlay and Cilium, OIDC issuer and workload identity, Entra ID sign-in with Azure RBAC
 * for Kubernetes authorization and no local accounts.
 */
export class AksCluster extends pulumi.ComponentResource {
  /** Name of the managed cluster. */
  readonly resourceName: pulumi.Output<string>;
  /** Resource ID of the managed cluster. */
  readonly resourceId: pulumi.Output<string>;
  /** Issuer of the service account tokens, for federated identity credentials. */
  readonly oidcIssuerUrl: pulumi.Output<string>;
  /** Object ID of the cluster's (control plane) system-assigned identity. */
  readonly principalId: pulumi.Output<string>;
  readonly kubeletObjectId: pulumi.Output<string>;
  /** Secret. Signs in through kubelogin with the Azure CLI session of the machine that runs Pulumi. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider on this cluster's credentials; every Kubernetes resource of the scenario uses it. */
  readonly provider: k8s.Provider;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:aks:AksCluster`, name, {}, opts);
    const parent = { parent: this };

    const cluster = new containerservice.ManagedCluster(
      name,
      {
        resourceName: args.clusterName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        dnsPrefix: args.dnsPrefix,
        // Unset, AKS creates the cluster at its current default version, which is always supported; a pin in
        // code goes out of support. The `patch` channel then keeps it on the latest patch of that minor.
        // https://learn.microsoft.com/azure/aks/supported-kubernetes-versions
        kubernetesVersion: args.kubernetesVersion,
        // Free has no uptime SLA; Standard is the tier for production. https://learn.microsoft.com/azure/aks/free-standard-pricing-tiers
        sku: { name: "Base", tier: "Free" },
        identity: { type: "SystemAssigned" },
        enableRBAC: true,
        // https://learn.microsoft.com/azure/aks/manage-azure-rbac
        aadProfile: { managed: true, enableAzureRBAC: true },
        // https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad
        disableLocalAccounts: true,
        // Public API server limited to these ranges (Standard load balancer, not a private cluster, at most 200).
        // https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges
        apiServerAccessProfile: args.apiAuthorizedRanges?.length ? { authorizedIPRanges: args.apiAuthorizedRanges } : undefined,
        // https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        // https://learn.microsoft.com/azure/aks/auto-upgrade-cluster, https://learn.microsoft.com/azure/aks/auto-upgrade-node-os-image
        autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
        // https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkDataplane: "cilium",
          networkPolicy: "cilium",
          podCidr: args.podCidr,
          serviceCidr: args.serviceCidr,
          dnsServiceIP: args.dnsServiceIp,
          loadBalancerSku: "standard",
          outboundType: "loadBalancer",
        },
        agentPoolProfiles: [
          {
            name: "system",
            mode: "System",
            type: "VirtualMachineScaleSets",
            osType: "Linux",
            vmSize: args.nodeSize,
            count: args.nodeCount,
            vnetSubnetID: args.subnetId,
          },
        ],
      },
      parent,
    );

    // With its own VNet, the cluster identity needs Network Contributor on the node subnet and on every subnet
    // it puts an internal load balancer in; ARM, unlike `az aks create`, does not grant it.
    // https://learn.microsoft.com/azure/aks/internal-lb#before-you-begin, https://learn.microsoft.com/azure/aks/use-managed-identity
    const principalId = cluster.identity.apply((i) => i!.principalId);
    const networkGrants = [
      assignRole(`${name}-node-subnet-network`, { scope: args.subnetId, roleGuid: NETWORK_CONTRIBUTOR, principalId, principalType: "ServicePrincipal" }, parent),
      ...(args.networkSubnetIdsForLoadBalancers ?? []).map((subnetId, i) =>
        assignRole(`${name}-lb-subnet-${i}-network`, { scope: subnetId, roleGuid: NETWORK_CONTRIBUTOR, principalId, principalType: "ServicePrincipal" }, parent),
      ),
    ];

    const admin = assignRole(
      `${name}-admin`,
      {
        scope: cluster.id,
        roleGuid: AKS_RBAC_CLUSTER_ADMIN,
        principalId: args.adminPrincipalId ?? authorization.getClientConfigOutput(parent).objectId,
        // A service principal given as "User" is refused (UnmatchedPrincipalType): the caller decides, see
        // deployerPrincipalType in components/deployer.ts.
        principalType: args.adminPrincipalType ?? "User",
      },
      parent,
    );

    if (args.diagnostics) addDiagnostics(name, cluster.id, args.diagnostics, parent, aksLogCategories(args.auditLog));

    // Prerequisites on the machine that runs Pulumi: kubelogin on PATH (`az aks install-cli`) and `az login`
    // as the admin principal above. https://learn.microsoft.com/azure/aks/kubelogin-authentication
    // Azure RBAC role assignments can take a few minutes to reach the API server.
    const credentials = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: args.resourceGroupName, resourceName: cluster.name, format: "exec" },
      parent,
    );
    const kubeconfig = credentials.apply((c) => kubeconfigForAzureCli(Buffer.from(c.kubeconfigs[0].value, "base64").toString("utf8")));
    // The admin grant takes minutes to reach the API server; until then every call gets 403. This step polls
    // (components/aks-access.ts) so that whatever uses the kubeconfig starts once access works.
    const access = new command.local.Command(
      `${name}-access`,
      {
        create: "node --import tsx scripts/wait-for-aks-access.ts",
        // No `dir`: the command provider runs in the program's directory (the engine starts plugins with
        // cmd.Dir = the project root; pulumi sdk/go/common/resource/plugin/plugin.go), so state holds no
        // checkout path and destroy works from any clone.
        environment: { AKS_KUBECONFIG: pulumi.secret(kubeconfig) },
        triggers: [admin.id],
      },
      // Also after the Network Contributor grants: every Kubernetes object waits for this step (through the
      // provider's kubeconfig), so Traefik's LoadBalancer Service is created only once the cloud provider may
      // place its frontend in the ingress subnet. https://learn.microsoft.com/azure/aks/internal-lb#before-you-begin
      { ...parent, dependsOn: [admin, ...networkGrants], customTimeouts: { create: "20m" } },
    );
    this.kubeconfig = pulumi.secret(pulumi.all([kubeconfig, access.stdout]).apply(([k]) => k));

    this.provider = new k8s.Provider(
      name,
      {
        kubeconfig: this.kubeconfig,
        // Lets `destroy` finish when the cluster is already gone: its objects went with it.
        deleteUnreachable: true,
      },
      parent,
    );

    this.resourceName = cluster.name;
    this.resourceId = cluster.id;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p!.issuerURL);
    this.principalId = principalId;
    this.kubeletObjectId = cluster.identityProfile.apply((p) => p!.kubeletidentity.objectId!);

    this.registerOutputs({
      resourceName: this.resourceName,
      resourceId: this.resourceId,
      oidcIssuerUrl: this.oidcIssuerUrl,
      principalId: this.principalId,
      kubeletObjectId: this.kubeletObjectId,
      kubeconfig: this.kubeconfig,
    });
  }
}

/**
 * Rewrites every user of a kubeconfig to `kubelogin get-token --login azurecli --server-id <AKS server app>`, the
 * exec form `kubelogin convert-kubeconfig -l azurecli` writes: tokens come from the Azure CLI session, with no
 * device code prompt. Other exec settings (apiVersion, installHint) are kept; static credentials are dropped.
 * https://azure.github.io/kubelogin/cli/get-token.html#azure-cli-token-login
 */
export function kubeconfigForAzureCli(kubeconfigYaml: string): string {
  const config = parseYaml(kubeconfigYaml) as { users?: { name: string; user?: Record<string, unknown> }[] } | null;
  if (!config || !Array.isArray(config.users) || config.users.length === 0) throw new Error("kubeconfig has no users");
  for (const entry of config.users) {
    const exec = (entry.user?.exec ?? {}) as Record<string, unknown>;
    entry.user = {
      exec: {
        ...exec,
        apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1beta1",
        command: "kubelogin",
        args: ["get-token", "--login", "azurecli", "--server-id", AKS_ENTRA_SERVER_APP_ID],
        env: null,
        provideClusterInfo: false,
      },
    };
  }
  return stringifyYaml(config);
}
