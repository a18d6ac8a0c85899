/**
 * What a first real `up` and `destroy` of the Kubernetes side depend on (issue 12 items 3, 4, 8, 11, 12;
 * issue 19 item 2), checked on the scenarios' real graphs.
 */
import assert from "node:assert/strict";
import { compareSync } from "bcryptjs";
import { type RegisteredResource, SECRET } from "../../automation/mock-engine";
import { analyzeScenario } from "../../automation/plan/analysis";
import { SIMULATED_RANGES, SIMULATED_SUBSCRIPTION_ID, simulateResource } from "../../automation/simulate";
import { evaluateScenario } from "../../automation/evaluate";
import { TRAEFIK_PORTS, WEBHOOK_CA_BUNDLE_WAIT } from "../../components/kubernetes-manifests";
import { nsgVerdict, type Packet } from "../../components/Network";
import { AKS_RBAC_CLUSTER_ADMIN, NETWORK_CONTRIBUTOR } from "../../components/roles";
import { nthAddress, parseCidr } from "../../config/cidr";
import { plannedIngressIp } from "../../config/naming";
import { runPolicies } from "../../policy/run";
import { evaluated, one, ofType, T } from "./helpers";

const K = {
  chart: "kubernetes:helm.sh/v4:Chart",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  secret: "kubernetes:core/v1:Secret",
  command: "command:local:Command",
  nsg: "azure-native:network:NetworkSecurityGroup",
  password: "random:index/randomPassword:RandomPassword",
} as const;

const nameOf = (r: RegisteredResource) => String((r.inputs.metadata as any)?.name ?? "");
const nsOf = (r: RegisteredResource) => String((r.inputs.metadata as any)?.namespace ?? "");

/** Everything `r` waits for, directly or through others: dependencies and the provider it is created with. */
function waitsFor(e: { resources: RegisteredResource[] }, r: RegisteredResource): Set<string> {
  const byUrn = new Map(e.resources.map((x) => [x.urn, x]));
  const seen = new Set<string>();
  const todo = [r];
  while (todo.length) {
    const next = todo.pop()!;
    const edges = [...next.dependencies, ...(next.provider ? [next.provider.slice(0, next.provider.lastIndexOf("::"))] : [])];
    for (const urn of edges) {
      if (seen.has(urn)) continue;
      seen.add(urn);
      const target = byUrn.get(urn);
      if (target) todo.push(target);
    }
  }
  return seen;
}

const nsgOf = (e: { resources: RegisteredResource[] }, key: string) => {
  const subnet = one(e, T.subnet, (s) => s.inputs.subnetName === `snet-${key}`);
  return one(e, K.nsg, (n) => n.id === (subnet.inputs.networkSecurityGroup as { id: string }).id);
};
const rules = (nsg: RegisteredResource) => (nsg.inputs.securityRules ?? []) as Record<string, unknown>[];
/** The address plan as the graph declares it. */
const addressPlan = (e: { resources: RegisteredResource[] }) => {
  const prefix = (key: string) => String(one(e, T.subnet, (s) => s.inputs.subnetName === `snet-${key}`).inputs.addressPrefix);
  return { vnet: ((one(e, T.vnet).inputs.addressSpace as any).addressPrefixes as string[])[0], apim: prefix("apim"), ingress: prefix("ingress"), aks: prefix("aks") };
};

describe("a first real up and destroy: the Kubernetes side", () => {
  describe("cert-manager: the issuer waits for a webhook the API server trusts (item 3, 13)", () => {
    it("marks both webhook configurations to be awaited until cainjector wrote their CA bundle, and runs no hook Job", async () => {
      const e = await evaluated("public");
      const chart = one(e, K.chart, (r) => r.inputs.chart === "cert-manager");
      const values = chart.inputs.values as any;
      assert.deepEqual(values.webhook.mutatingWebhookConfigurationAnnotations, { "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}" });
      assert.deepEqual(values.webhook.validatingWebhookConfigurationAnnotations, WEBHOOK_CA_BUNDLE_WAIT);
      // helm.v4.Chart drops Helm hooks: a post-install Job would be a wait that never happens.
      assert.equal(values.startupapicheck.enabled, false);
      const issuer = one(e, "kubernetes:cert-manager.io/v1:ClusterIssuer");
      assert.ok(issuer.dependencies.includes(chart.urn), "the ClusterIssuer waits for every object of the chart");
    });

    it("keeps cert-manager's leader election leases in the component's own namespace", async () => {
      const e = await evaluated("internal");
      const chart = one(e, K.chart, (r) => r.inputs.chart === "cert-manager");
      assert.equal((chart.inputs.values as any).global.leaderElection.namespace, chart.inputs.namespace);
    });
  });

  describe("the deployer's sign-in (item 4)", () => {
    it("grants the cluster admin role to a service principal deployer as a ServicePrincipal", async () => {
      const e = await evaluateScenario("public", { overrides: { deployerPrincipalType: "ServicePrincipal" }, stack: "public-sp" });
      const admin = one(e, T.roleAssignment, (r) => String(r.inputs.roleDefinitionId).endsWith(AKS_RBAC_CLUSTER_ADMIN));
      assert.equal(admin.inputs.principalType, "ServicePrincipal");
    });

    it("builds the image in the stack's subscription, not the Azure CLI's default one", async () => {
      const e = await evaluated("external");
      const build = one(e, K.command, (r) => String(r.inputs.create).startsWith("az acr build"));
      assert.match(String(build.inputs.create), new RegExp(`--subscription ${SIMULATED_SUBSCRIPTION_ID} `));
    });
    it("keeps no checkout path in every local command's state, so a clone elsewhere neither rebuilds nor breaks destroy", async () => {
      for (const scenario of ["public", "external"] as const) {
        const e = await evaluated(scenario);
        for (const cmd of e.resources.filter((r) => r.type === K.command)) {
          assert.equal(cmd.inputs.dir, undefined, `${cmd.name}: the engine runs the command provider in the project directory`);
          assert.ok(!JSON.stringify(cmd.inputs).includes(process.cwd()), `${cmd.name} carries this checkout's path`);
        }
      }
    });
  });

  describe("the AKS API server's authorized ranges (item 8)", () => {
    it("limits the API server to aksApiAuthorizedRanges, and the policy pack and plan stay quiet about it", async () => {
      const ranges = ["203.0.113.7/32", "198.51.100.0/28"];
      const e = await evaluateScenario("internal", { overrides: { aksApiAuthorizedRanges: ranges }, stack: "internal-ranges" });
      assert.deepEqual((one(e, T.aks).inputs.apiServerAccessProfile as any).authorizedIPRanges, ranges);
      assert.deepEqual(runPolicies(e).violations.filter((v) => v.policy === "aks-api-authorized-ranges"), []);
      assert.ok(!analyzeScenario("internal", e.resources).gaps.some((g) => /AKS API server/.test(g)));
    });

    it("reports an API server open to the internet as a policy advisory and a plan gap when none are set", async () => {
      const e = await evaluated("internal");
      assert.equal(one(e, T.aks).inputs.apiServerAccessProfile, undefined);
      const found = runPolicies(e).violations.filter((v) => v.policy === "aks-api-authorized-ranges");
      assert.equal(found.length, 1);
      assert.equal(found[0].enforcementLevel, "advisory");
      assert.ok(analyzeScenario("internal", e.resources).gaps.some((g) => /AKS API server answers the whole internet.*aksApiAuthorizedRanges/.test(g)));
    });
  });

  describe("consumption: HTTPS only from APIM's ranges at L4, and a bcrypt hash at L7 (item 11)", () => {
    it("opens Traefik's port 80 to the internet and its HTTPS port only to the ranges the route admits", async () => {
      const e = await evaluated("consumption");
      const traefik = ofType(e, K.networkPolicy).filter((p) => nsOf(p) === "traefik");
      const entry = (traefik.find((p) => nameOf(p) === "allow-entrypoints")!.inputs.spec as any).ingress;
      for (const rule of entry) assert.deepEqual(rule.ports, [{ protocol: "TCP", port: TRAEFIK_PORTS.web }], JSON.stringify(rule));
      const tls = traefik.filter((p) => ((p.inputs.spec as any).ingress ?? []).some((r: any) => r.ports.some((x: any) => x.port === TRAEFIK_PORTS.websecure)));
      assert.equal(tls.length, 1, "one policy opens HTTPS");
      const allow = one(e, K.middleware, (m) => Boolean((m.inputs.spec as any).ipAllowList));
      const admitted = (allow.inputs.spec as any).ipAllowList.sourceRange as string[];
      assert.deepEqual(admitted, [`${SIMULATED_RANGES.outbound}.0/24`]);
      assert.deepEqual((tls[0].inputs.spec as any).ingress[0].from, admitted.map((cidr) => ({ ipBlock: { cidr } })));
    });

    it("keeps HTTPS open to everyone where the ingress is public by design (public)", async () => {
      const e = await evaluated("public");
      const entry = (one(e, K.networkPolicy, (p) => nsOf(p) === "traefik" && nameOf(p) === "allow-entrypoints").inputs.spec as any).ingress;
      assert.deepEqual(entry[0].from, [{ ipBlock: { cidr: "0.0.0.0/0" } }]);
      assert.deepEqual(entry[0].ports.map((p: any) => p.port), [TRAEFIK_PORTS.web, TRAEFIK_PORTS.websecure]);
    });

    it("admits HTTPS at the AKS subnet's NSG only from the region's Azure ranges, HTTP-01 from anywhere", async () => {
      const e = await evaluated("consumption");
      const location = String(one(e, T.aks).inputs.location);
      const tag = `AzureCloud.${location}`;
      const aks = rules(nsgOf(e, "aks"));
      const vnet = [String(((one(e, T.vnet).inputs.addressSpace as any).addressPrefixes as string[])[0])];
      const tags = { [tag]: [`${SIMULATED_RANGES.outbound}.0/24`] };
      const lb = "20.0.0.1";
      const verdict = (source: string, port: number) => nsgVerdict(aks, { source, destination: lb, port, protocol: "Tcp" }, vnet, tags).access;
      assert.equal(verdict(`${SIMULATED_RANGES.outbound}.9`, 443), "Allow");
      assert.equal(verdict("192.0.2.200", 443), "Deny");
      assert.equal(verdict("192.0.2.200", 80), "Allow");
      assert.ok(aks.some((r) => r.sourceAddressPrefix === tag && r.destinationPortRange === "443"));
    });

    it("expects a direct call from outside Azure to get no connection: the NSG drops it before Traefik could answer 403", async () => {
      const e = await evaluated("consumption");
      const probes = e.outputs.probes.value as { name: string; from: string; expect: Record<string, unknown> }[];
      const direct = probes.find((p) => p.name === "backend-refuses-direct-call")!;
      assert.equal(direct.from, "internet");
      assert.deepEqual(direct.expect, { unreachable: true });
    });

    it("stores only a bcrypt hash of APIM's password in the cluster, as a secret", async () => {
      const e = await evaluated("consumption");
      const basic = one(e, K.middleware, (m) => Boolean((m.inputs.spec as any).basicAuth));
      const secret = one(e, K.secret, (s) => nameOf(s) === (basic.inputs.spec as any).basicAuth.secret);
      assert.equal(secret.inputs.type, "Opaque", "not kubernetes.io/basic-auth, which holds the password itself");
      assert.ok(secret.secretInputs.includes("stringData"), secret.secretInputs.join(","));
      const password = one(e, K.password, (p) => p.name === "apim-backend-password");
      assert.ok(secret.propertyDependencies.stringData?.includes(password.urn), "the users entry comes from the password resource");
      // The random provider keeps both the password and its hash secret in state.
      assert.equal(password.outputs.result, SECRET);
      assert.equal(password.outputs.bcryptHash, SECRET);
      const namedValue = one(e, "azure-native:apimanagement:NamedValue");
      assert.ok(namedValue.propertyDependencies.value?.includes(password.urn));
    });
  });

  describe("ordering on up and destroy (item 12)", () => {
    for (const scenario of ["external", "internal"] as const) {
      it(`${scenario}: Traefik's load balancer waits for the cluster identity's Network Contributor on the ingress subnet`, async () => {
        const e = await evaluated(scenario);
        const ingressSubnet = one(e, T.subnet, (s) => s.inputs.subnetName === "snet-ingress");
        const grant = one(e, T.roleAssignment, (r) => r.inputs.scope === ingressSubnet.id && String(r.inputs.roleDefinitionId).endsWith(NETWORK_CONTRIBUTOR));
        const chart = one(e, K.chart, (r) => r.inputs.chart === "traefik");
        assert.ok(waitsFor(e, chart).has(grant.urn), "the Traefik chart (and its LoadBalancer Service) waits for the grant");
      });

      it(`${scenario}: destroy purges APIM and waits for its subnet between deleting the two`, async () => {
        const e = await evaluated(scenario);
        const apimSubnet = one(e, T.subnet, (s) => s.inputs.subnetName === "snet-apim");
        const release = one(e, K.command, (r) => String(r.inputs.delete ?? "").includes("release-apim-subnet"));
        const apim = one(e, T.apim);
        assert.ok(release.dependencies.includes(apimSubnet.urn), "the step is deleted before the subnet");
        assert.ok(apim.dependencies.includes(release.urn), "APIM is deleted before the step");
        assert.equal(release.inputs.create, undefined, "it does nothing on up");
        const env = release.inputs.environment as Record<string, string>;
        assert.equal(env.APIM_NAME, apim.inputs.serviceName);
        assert.equal(env.SUBNET, "snet-apim");
        assert.equal(env.APIM_LOCATION, apim.inputs.location);
      });
    }

    it("adds no destroy step where APIM is not in the VNet", async () => {
      for (const scenario of ["public", "consumption"] as const) {
        const e = await evaluated(scenario);
        assert.equal(ofType(e, K.command).filter((r) => String(r.inputs.delete ?? "").includes("release-apim-subnet")).length, 0, scenario);
      }
    });
  });

  describe("only APIM's subnet reaches the internal ingress, at the NSG that receives the traffic (issue 19 item 2)", () => {
    for (const scenario of ["external", "internal"] as const) {
      it(`${scenario}: the AKS subnet (the load balancer's backends) admits APIM's subnet and denies the rest of the VNet`, async () => {
        const e = await evaluated(scenario);
        const s = addressPlan(e);
        const vnet = [s.vnet];
        const frontend = plannedIngressIp(String(s.ingress));
        const https = (source: string): Packet => ({ source, destination: frontend, port: 443, protocol: "Tcp" });
        const apimAddress = plannedIngressIp(String(s.apim));
        const nodeAddress = plannedIngressIp(String(s.aks));
        for (const key of ["aks", "ingress"]) {
          const nsg = rules(nsgOf(e, key));
          assert.equal(nsgVerdict(nsg, https(apimAddress), vnet).access, "Allow", `${key}: APIM`);
          assert.equal(nsgVerdict(nsg, https(nodeAddress), vnet).access, "Deny", `${key}: a node of the cluster`);
          assert.equal(nsgVerdict(nsg, { ...https("10.42.200.9"), port: 80 }, vnet).access, "Deny", `${key}: elsewhere in the VNet`);
          assert.equal(nsgVerdict(nsg, https("192.0.2.10"), vnet).access, "Deny", `${key}: the internet`);
        }
        // Traffic among the nodes is left to Azure's defaults: the deny is for the frontend's subnet only.
        const aks = rules(nsgOf(e, "aks"));
        const otherNode = nthAddress(parseCidr(String(s.aks))!, 20);
        assert.equal(nsgVerdict(aks, { source: nodeAddress, destination: otherNode, port: 10250, protocol: "Tcp" }, vnet).access, "Allow", "node to node");
        assert.equal(nsgVerdict(aks, { source: "168.63.129.16", destination: nodeAddress, port: 32000, protocol: "Tcp" }, vnet).access, "Allow", "load balancer probes");
      });
    }
  });

  it("simulates the random provider's bcryptHash as a real hash of the simulated password", () => {
    const { state } = simulateResource(K.password, "p", { length: 40 });
    assert.ok(compareSync(String(state.result), String(state.bcryptHash)));
  });
});
