import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { evaluateProgram, type Evaluation, type RegisteredResource } from "../../automation/mock-engine";
import { ofType } from "../helpers/graph";
import { SIMULATED_SUBSCRIPTION_ID, simulatedGuid } from "../../automation/simulate";
import { AKS_ENTRA_SERVER_APP_ID } from "../../components/aks-entra";
import { AksCluster, type AksClusterArgs, kubeconfigForAzureCli } from "../../components/AksCluster";

const T = {
  component: "apim-aks-ai:aks:AksCluster",
  cluster: "azure-native:containerservice:ManagedCluster",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  diag: "azure-native:monitor:DiagnosticSetting",
} as const;

const ROLE = {
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
};
const roleId = (guid: string) => `/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-aks";
const ILB_SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-ingress";
const ARGS: AksClusterArgs = {
  resourceGroupName: "rg-aks",
  location: "swedencentral",
  tags: TAGS,
  clusterName: "aks-test",
  dnsPrefix: "aks-test-dns",
  subnetId: SUBNET,
  nodeSize: "Standard_D2s_v5",
  nodeCount: 2,
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.0.0.0/16",
  dnsServiceIp: "10.0.0.10",
  networkSubnetIdsForLoadBalancers: [ILB_SUBNET],
  diagnostics: { workspaceId: "/subscriptions/x/workspaces/log" },
};

async function build(args: AksClusterArgs): Promise<Evaluation> {
  return evaluateProgram(() => {
    const aks = new AksCluster("aks", args);
    return {
      kubeconfig: aks.kubeconfig,
      resourceName: aks.resourceName,
      resourceId: aks.resourceId,
      oidcIssuerUrl: aks.oidcIssuerUrl,
      principalId: aks.principalId,
      kubeletObjectId: aks.kubeletObjectId,
    };
  }, { project: "test", stack: "t" });
}

describe("components/AksCluster", () => {
  let e: Evaluation;
  let cluster: RegisteredResource;
  before(async () => {
    e = await build(ARGS);
    [cluster] = ofType(e, T.cluster);
  });

  it("registers the cluster, its role assignments and diagnostics under the component", () => {
    const [component] = ofType(e, T.component);
    assert.equal(component.urn, "urn:pulumi:t::test::apim-aks-ai:aks:AksCluster::aks");
    assert.equal(ofType(e, T.cluster).length, 1);
    assert.equal(ofType(e, T.roleAssignment).length, 3);
    assert.equal(ofType(e, T.diag).length, 1);
    for (const r of e.resources.filter((r) => r.custom)) assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
    assert.equal(cluster.inputs.resourceName, "aks-test");
    assert.equal(cluster.inputs.dnsPrefix, "aks-test-dns");
    assert.deepEqual(cluster.inputs.tags, TAGS);
    assert.equal(cluster.inputs.location, ARGS.location);
  });

  it("uses Azure CNI Overlay with the Cilium dataplane and network policy, and the given ranges", () => {
    assert.deepEqual(cluster.inputs.networkProfile, {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkDataplane: "cilium",
      networkPolicy: "cilium",
      podCidr: "10.244.0.0/16",
      serviceCidr: "10.0.0.0/16",
      dnsServiceIP: "10.0.0.10",
      loadBalancerSku: "standard",
      outboundType: "loadBalancer",
    });
  });

  it("enables the OIDC issuer and workload identity", () => {
    assert.deepEqual(cluster.inputs.oidcIssuerProfile, { enabled: true });
    assert.deepEqual(cluster.inputs.securityProfile, { workloadIdentity: { enabled: true } });
  });

  it("signs in with Entra ID, authorizes with Azure RBAC and has no local accounts", () => {
    assert.deepEqual(cluster.inputs.aadProfile, { managed: true, enableAzureRBAC: true });
    assert.equal(cluster.inputs.disableLocalAccounts, true);
    assert.equal(cluster.inputs.enableRBAC, true);
    assert.deepEqual(cluster.inputs.identity, { type: "SystemAssigned" });
  });

  it("runs one system pool of the given size and count in the node subnet, and upgrades itself", () => {
    const pools = cluster.inputs.agentPoolProfiles as Record<string, unknown>[];
    assert.equal(pools.length, 1);
    assert.equal(pools[0].mode, "System");
    assert.equal(pools[0].type, "VirtualMachineScaleSets");
    assert.equal(pools[0].vmSize, "Standard_D2s_v5");
    assert.equal(pools[0].count, 2);
    assert.equal(pools[0].vnetSubnetID, SUBNET);
    assert.equal("availabilityZones" in pools[0], false);
    assert.deepEqual(cluster.inputs.autoUpgradeProfile, { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
    assert.deepEqual(cluster.inputs.sku, { name: "Base", tier: "Free" });
    assert.equal("kubernetesVersion" in cluster.inputs, false);
  });

  it("pins the Kubernetes version only when configured", async () => {
    const pinned = await build({ ...ARGS, kubernetesVersion: "1.33" });
    assert.equal(ofType(pinned, T.cluster)[0].inputs.kubernetesVersion, "1.33");
  });

  it("makes the deployer AKS RBAC Cluster Admin on the cluster", () => {
    const admin = ofType(e, T.roleAssignment).filter((r) => r.inputs.roleDefinitionId === roleId(ROLE.aksRbacClusterAdmin));
    assert.equal(admin.length, 1);
    assert.equal(admin[0].inputs.scope, cluster.id);
    assert.equal(admin[0].inputs.principalId, simulatedGuid("deployer"));
    assert.equal(admin[0].inputs.principalType, "User");
  });

  it("takes another admin and principal type when given", async () => {
    const other = await build({ ...ARGS, adminPrincipalId: "33333333-3333-3333-3333-333333333333", adminPrincipalType: "ServicePrincipal" });
    const [admin] = ofType(other, T.roleAssignment).filter((r) => r.inputs.roleDefinitionId === roleId(ROLE.aksRbacClusterAdmin));
    assert.equal(admin.inputs.principalId, "33333333-3333-3333-3333-333333333333");
    assert.equal(admin.inputs.principalType, "ServicePrincipal");
  });

  it("grants the cluster identity Network Contributor on the node subnet and each load balancer subnet", () => {
    const principalId = (cluster.outputs.identity as { principalId: string }).principalId;
    const grants = ofType(e, T.roleAssignment).filter((r) => r.inputs.roleDefinitionId === roleId(ROLE.networkContributor));
    assert.deepEqual(grants.map((g) => g.inputs.scope).sort(), [ILB_SUBNET, SUBNET].sort());
    for (const g of grants) {
      assert.equal(g.inputs.principalId, principalId);
      assert.equal(g.inputs.principalType, "ServicePrincipal");
    }
    assert.equal(e.outputs.principalId.value, principalId);
  });

  it("exports the kubeconfig only as a secret, signing in through the Azure CLI", () => {
    assert.equal(e.outputs.kubeconfig.secret, true);
    const config = parseYaml(String(e.outputs.kubeconfig.value));
    assert.deepEqual(config.users[0].user.exec.args, ["get-token", "--login", "azurecli", "--server-id", AKS_ENTRA_SERVER_APP_ID]);
    assert.equal(config.users[0].user.token, undefined);
    assert.match(config.clusters[0].cluster.server, /^https:\/\/aks-test-dns-[0-9a-f]{8}\.hcp\.swedencentral\.azmk8s\.io:443$/);
    const [component] = ofType(e, T.component);
    assert.equal(component.outputs.kubeconfig, "[secret]");
  });

  it("exposes the OIDC issuer, the kubelet identity and the cluster's name and ID", () => {
    assert.match(String(e.outputs.oidcIssuerUrl.value), /^https:\/\/.+\/$/);
    assert.equal(e.outputs.kubeletObjectId.value, (cluster.outputs.identityProfile as any).kubeletidentity.objectId);
    assert.equal(e.outputs.resourceName.value, "aks-test");
    assert.equal(e.outputs.resourceId.value, cluster.id);
  });

  it("sends the cluster's logs to the workspace", () => {
    const [diag] = ofType(e, T.diag);
    assert.equal(diag.inputs.resourceUri, cluster.id);
  });
});

describe("kubeconfigForAzureCli", () => {
  // What `listClusterUserCredential` returns with format=exec for an Entra ID cluster.
  const AKS_EXEC_KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: c2ltdWxhdGVk
    server: https://aks-test-dns-abc.hcp.swedencentral.azmk8s.io:443
  name: aks-test
contexts:
- context:
    cluster: aks-test
    user: clusterUser_rg-aks_aks-test
  name: aks-test
current-context: aks-test
kind: Config
preferences: {}
users:
- name: clusterUser_rg-aks_aks-test
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - get-token
      - --environment
      - AzurePublicCloud
      - --server-id
      - 6dae42f8-4368-4678-94ff-3960e28e3630
      - --client-id
      - 80faf920-1908-4b52-b5ef-a8e7bedfc67a
      - --tenant-id
      - 11111111-1111-1111-1111-111111111111
      - --login
      - devicecode
      command: kubelogin
      env: null
      installHint: |2

        kubelogin is not installed which is required to connect to AAD enabled cluster.
      provideClusterInfo: false
`;

  it("rewrites the exec args to the Azure CLI login and keeps the rest", () => {
    const out = parseYaml(kubeconfigForAzureCli(AKS_EXEC_KUBECONFIG));
    const before = parseYaml(AKS_EXEC_KUBECONFIG);
    const exec = out.users[0].user.exec;
    assert.equal(exec.command, "kubelogin");
    assert.deepEqual(exec.args, ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]);
    assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.equal(exec.installHint, before.users[0].user.exec.installHint);
    assert.equal(out.users[0].name, before.users[0].name);
    assert.deepEqual(out.clusters, before.clusters);
    assert.deepEqual(out.contexts, before.contexts);
    assert.equal(out["current-context"], "aks-test");
  });

  it("replaces static credentials with the exec plugin", () => {
    const withToken = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers:\n- name: u\n  user:\n    token: abc\n";
    const user = parseYaml(kubeconfigForAzureCli(withToken)).users[0].user;
    assert.equal(user.token, undefined);
    assert.equal(user.exec.command, "kubelogin");
    assert.equal(user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
  });

  it("refuses a document with no users", () => {
    assert.throws(() => kubeconfigForAzureCli("apiVersion: v1\nkind: Config\n"), /no users/);
  });
});

describe("components/AksCluster: API server access and ordering", () => {
  it("leaves the API server open only when no authorized ranges are given, and limits it to them otherwise", async () => {
    assert.equal(ofType(await build(ARGS), T.cluster)[0].inputs.apiServerAccessProfile, undefined);
    const limited = await build({ ...ARGS, apiAuthorizedRanges: ["203.0.113.7/32"] });
    assert.deepEqual(ofType(limited, T.cluster)[0].inputs.apiServerAccessProfile, { authorizedIPRanges: ["203.0.113.7/32"] });
  });

  it("starts Kubernetes work only after the cluster identity's Network Contributor grants, as well as the admin grant", async () => {
    const e = await build(ARGS);
    const access = e.resources.find((r) => r.type === "command:local:Command" && String(r.inputs.create).includes("wait-for-aks-access"))!;
    assert.equal(access.inputs.dir, undefined, "no checkout path in state: the provider runs in the project directory");
    const grants = ofType(e, T.roleAssignment).filter((r) => r.inputs.roleDefinitionId === roleId(ROLE.networkContributor));
    assert.equal(grants.length, 2);
    for (const g of grants) assert.ok(access.dependencies.includes(g.urn), `${g.name} before the access check`);
  });
});
