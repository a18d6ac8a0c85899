import assert from "node:assert/strict";
import { stringify } from "yaml";
import { AKS_ENTRA_SERVER_APP_ID } from "../../../components/aks-entra";
import { findCluster, parseKubeconfig, relayManifests } from "../../../automation/driver/verify/incluster";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

describe("automation/driver/verify/incluster", () => {
  it("reads the API server, CA and Entra server application from an exec (kubelogin) kubeconfig", () => {
    const kubeconfig = stringify({
      apiVersion: "v1",
      clusters: [{ name: "aks", cluster: { server: "https://aks-x.hcp.swedencentral.azmk8s.io:443/", "certificate-authority-data": CA } }],
      users: [
        {
          name: "clusterUser",
          user: { exec: { command: "kubelogin", args: ["get-token", "--environment", "AzurePublicCloud", "--server-id", "11111111-2222-3333-4444-555555555555", "--client-id", "x", "--tenant-id", "t"] } },
        },
      ],
    });
    const access = parseKubeconfig(kubeconfig);
    assert.equal(access.server, "https://aks-x.hcp.swedencentral.azmk8s.io:443");
    assert.equal(access.serverAppId, "11111111-2222-3333-4444-555555555555");
    assert.match(access.ca!.toString("utf8"), /BEGIN CERTIFICATE/);
  });

  it("falls back to the AKS-managed Entra server application", () => {
    const access = parseKubeconfig(stringify({ clusters: [{ cluster: { server: "https://k" } }], users: [{ user: { exec: { args: ["get-token"] } } }] }));
    assert.equal(access.serverAppId, AKS_ENTRA_SERVER_APP_ID);
    assert.equal(access.ca, undefined);
    assert.throws(() => parseKubeconfig("clusters: []"), /no server address/);
  });

  it("finds the cluster in the stack's state", () => {
    const cluster = findCluster([
      { urn: "u0", type: "azure-native:resources:ResourceGroup", id: "/subscriptions/s/resourceGroups/rg", custom: true, inputs: {}, outputs: {} },
      {
        urn: "u1",
        type: "azure-native:containerservice:ManagedCluster",
        id: "/subscriptions/0000/resourcegroups/rg-aiapim-int-abc123/providers/Microsoft.ContainerService/managedClusters/aks-aiapim-int-abc123",
        custom: true,
        inputs: {},
        outputs: { name: "aks-aiapim-int-abc123" },
      },
    ]);
    assert.deepEqual(cluster, { name: "aks-aiapim-int-abc123", resourceGroupName: "rg-aiapim-int-abc123", subscriptionId: "0000" });
    assert.equal(findCluster([]), undefined);
  });

  it("runs the relay as a locked-down, short-lived pod with the probe script mounted read-only", () => {
    const m = relayManifests("scenarios-verify-abc", "tok", "// script");
    assert.equal(m.namespace.metadata.name, "scenarios-verify-abc");
    assert.equal(m.configMap.data["probe-http.js"], "// script");
    const spec = m.pod.spec;
    assert.equal(spec.activeDeadlineSeconds, 1800);
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.securityContext.runAsNonRoot, true);
    const c = spec.containers[0];
    assert.deepEqual(c.command, ["node", "/relay/probe-http.js", "--serve"]);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
    assert.deepEqual(c.env, [{ name: "PORT", value: "8080" }, { name: "RELAY_TOKEN", value: "tok" }]);
    assert.ok(!JSON.stringify(m).includes("subscription"), "the subscription key is never put in a cluster object");
  });
});
