import assert from "node:assert/strict";
import { type RegisteredResource, SECRET } from "../../automation/mock-engine";
import { SIMULATED_RANGES } from "../../automation/simulate";
import { ANNOTATIONS, CERT_MANAGER_WEBHOOK_PORT, TRAEFIK_PORTS } from "../../components/kubernetes-manifests";
import { COGNITIVE_SERVICES_OPENAI_USER } from "../../components/roles";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { plannedIngressIp } from "../../config/naming";
import { readStackSettings } from "../../config/load";
import { SCENARIO_NAMES, type ScenarioName } from "../../config/schema";
import { evaluateScenario } from "../../automation/evaluate";
import { evaluated, one, ofType, T } from "./helpers";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";
import { modelReachedPrivately } from "../../scenarios/traits";

const K = {
  chart: "kubernetes:helm.sh/v4:Chart",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  deployment: "kubernetes:apps/v1:Deployment",
  secret: "kubernetes:core/v1:Secret",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
  clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  provider: "pulumi:providers:kubernetes",
  federated: "azure-native:managedidentity:FederatedIdentityCredential",
  namedValue: "azure-native:apimanagement:NamedValue",
} as const;

/** Where the model is reached through its private endpoint, as each scenario's traits declare (fifth-scenario.test.ts pins the four). */
const PRIVATE = Object.fromEntries(SCENARIO_CATALOG.map((d) => [d.name, modelReachedPrivately(d.traits)])) as Record<ScenarioName, boolean>;

/** The kubernetes-models class for an object, by its apiVersion and kind: core, cert-manager or Traefik. */
async function modelFor(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = group.endsWith("cert-manager.io") ? "@kubernetes-models/cert-manager" : group === "traefik.io" ? "@kubernetes-models/traefik" : "kubernetes-models";
  // The packages are ESM-only, hence import().
  const mod = await import(`${pkg}/${group ? `${group}/` : ""}${version}/${kind}`);
  return mod[kind];
}

/** A registered Kubernetes object as the manifest the provider would send. */
function manifestOf(r: RegisteredResource): Record<string, unknown> {
  const [, groupVersion, kind] = r.type.split(":");
  const apiVersion = groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion;
  const inputs = { ...r.inputs };
  // Secret data reaches the engine as one secret value; its keys are checked by the tests that build it.
  for (const key of ["data", "stringData"]) if (inputs[key] === SECRET) inputs[key] = { masked: "secret" };
  return { ...inputs, apiVersion, kind };
}

const isObject = (r: RegisteredResource) => r.type.startsWith("kubernetes:") && r.type !== K.chart && r.custom;
const annotations = (r: RegisteredResource) => ((r.inputs.metadata as any)?.annotations ?? {}) as Record<string, string>;
const nsOf = (r: RegisteredResource) => String((r.inputs.metadata as any)?.namespace ?? "");
const nameOf = (r: RegisteredResource) => String((r.inputs.metadata as any)?.name ?? "");

describe("the Kubernetes layer", () => {
  it("validates manifests for real: a broken object fails its schema", async () => {
    const Deployment = await modelFor("apps/v1", "Deployment");
    assert.throws(() => new Deployment({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: {} } }).validate());
    const Middleware = await modelFor("traefik.io/v1alpha1", "Middleware");
    assert.throws(() => new Middleware({ apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: { name: "x" }, spec: { ipAllowList: { sourceRange: "10.0.0.0/8" } } }).validate());
  });

  for (const scenario of SCENARIO_NAMES) {
    describe(scenario, () => {
      it("passes every Kubernetes object through its published schema (kubernetes-models, cert-manager, Traefik)", async () => {
        const e = await evaluated(scenario);
        const objects = e.resources.filter(isObject);
        assert.ok(objects.length >= 15, `only ${objects.length} objects`);
        for (const r of objects) {
          const m = manifestOf(r);
          const Model = await modelFor(String(m.apiVersion), String(m.kind));
          assert.doesNotThrow(() => new Model(m).validate(), `${r.type} ${r.name}`);
        }
      });

      it("creates every Kubernetes resource through the cluster's provider, whose kubeconfig is secret", async () => {
        const e = await evaluated(scenario);
        const provider = one(e, K.provider);
        assert.ok(provider.secretInputs.includes("kubeconfig"), provider.secretInputs.join(","));
        // It waits until the admin grant works on the API server (AKS RBAC propagation).
        const access = one(e, "command:local:Command", (r) => String(r.inputs.create).includes("wait-for-aks-access"));
        assert.ok(provider.propertyDependencies.kubeconfig?.includes(access.urn), "the kubeconfig waits for the access check");
        assert.ok(access.secretInputs.some((p) => p.startsWith("environment")), "the kubeconfig is a secret in the command's environment");
        for (const r of e.resources.filter((x) => x.type.startsWith("kubernetes:") && x.custom)) {
          assert.ok(r.provider?.startsWith(provider.urn), `${r.name} uses ${r.provider}`);
        }
      });

      it("puts Traefik on the scenario's load balancer, without its dashboard", async () => {
        const e = await evaluated(scenario);
        const chart = one(e, K.chart, (r) => r.inputs.chart === "traefik");
        const values = chart.inputs.values as any;
        assert.equal(values.api.dashboard, false);
        assert.equal(values.ingressRoute.dashboard.enabled, false);
        assert.equal(values.service.spec.externalTrafficPolicy, "Local");
        assert.match(String(chart.inputs.version), /^\d+\.\d+\.\d+$/);
        assert.equal((chart.inputs.repositoryOpts as any).repo, readStackSettings(scenario).traefikChartRepo ?? "https://traefik.github.io/charts");
        const a = values.service.annotations as Record<string, string>;
        if (PRIVATE[scenario]) {
          const subnet = one(e, T.subnet, (s) => String(s.inputs.subnetName).endsWith("ingress"));
          assert.equal(a[ANNOTATIONS.internal], "true");
          assert.equal(a[ANNOTATIONS.internalSubnet], subnet.inputs.subnetName);
          assert.equal(a[ANNOTATIONS.ipv4], plannedIngressIp(String(subnet.inputs.addressPrefix)));
          assert.equal(values.ports.web.expose.default, false, "no port 80 on a private ingress");
        } else {
          assert.equal(a[ANNOTATIONS.internal], undefined);
          assert.match(a[ANNOTATIONS.dnsLabel], /-ai$/);
          assert.equal(values.ports.web.http.redirections.entryPoint.to, "websecure");
        }
      });

      it("points APIM's AI API at the ingress host, which DNS resolves to the load balancer", async () => {
        const e = await evaluated(scenario);
        const api = one(e, T.api, (r) => r.inputs.apiId === "ai-api");
        const ingress = one(e, K.ingress);
        const host = (ingress.inputs.spec as any).rules[0].host as string;
        assert.equal(api.inputs.serviceUrl, `https://${host}`);
        assert.equal(e.outputs.backendHost.value, host);
        assert.deepEqual((ingress.inputs.spec as any).tls[0].hosts, [host]);
        const chart = one(e, K.chart, (r) => r.inputs.chart === "traefik");
        if (PRIVATE[scenario]) {
          const zone = one(e, T.zone, (z) => host.endsWith(String(z.inputs.privateZoneName)));
          const record = one(e, T.record, (r) => r.inputs.privateZoneName === zone.inputs.privateZoneName && r.inputs.relativeRecordSetName === "ai");
          const ip = (chart.inputs.values as any).service.annotations[ANNOTATIONS.ipv4];
          assert.deepEqual((record.inputs.aRecords as any[]).map((x) => x.ipv4Address), [ip]);
        } else {
          const label = (chart.inputs.values as any).service.annotations[ANNOTATIONS.dnsLabel];
          assert.ok(host.startsWith(`${label}.`), `${host} is the DNS label ${label}'s name`);
          assert.ok(host.endsWith(".cloudapp.azure.com"));
        }
      });

      it("issues the certificate from a private CA APIM trusts wherever the tier can trust one, from Let's Encrypt otherwise (issue 19 item 1)", async () => {
        const e = await evaluated(scenario);
        const issuer = one(e, K.clusterIssuer);
        const cert = one(e, K.certificate);
        assert.equal((cert.inputs.spec as any).issuerRef.name, nameOf(issuer));
        assert.equal(annotations(cert)["pulumi.com/waitFor"], "condition=Ready");
        const apim = one(e, T.apim);
        // The stack files' tiers: Developer everywhere but consumption (Consumption, which has no CA store) and
        // integrated (Standard v2, no CA store either: its internal ingress still takes the private CA, which APIM
        // checks by name through a backend entity, tests/scenarios/integrated.test.ts).
        if (scenario === "integrated") {
          assert.ok((issuer.inputs.spec as any).ca.secretName);
          assert.equal(apim.inputs.certificates, undefined);
        } else if (scenario !== "consumption") {
          assert.ok((issuer.inputs.spec as any).ca.secretName);
          const roots = apim.inputs.certificates as any[];
          assert.equal(roots.length, 1);
          assert.equal(roots[0].storeName, "Root");
          const caSecret = one(e, K.secret, (s) => nameOf(s) === (issuer.inputs.spec as any).ca.secretName);
          assert.ok(caSecret.secretInputs.includes("stringData"), "the CA key is a secret");
        } else {
          assert.equal((issuer.inputs.spec as any).acme.server, "https://acme-v02.api.letsencrypt.org/directory");
          assert.equal((issuer.inputs.spec as any).acme.solvers[0].http01.ingress.ingressClassName, "traefik");
          assert.equal(apim.inputs.certificates, undefined);
        }
      });

      it("isolates the AI API: default deny both ways, in from Traefik only, out to DNS and HTTPS only", async () => {
        const e = await evaluated(scenario);
        const policies = ofType(e, K.networkPolicy);
        const inNs = (ns: string) => policies.filter((p) => nsOf(p) === ns);
        const deny = inNs("ai-api").find((p) => nameOf(p) === "default-deny")!;
        assert.deepEqual((deny.inputs.spec as any).podSelector, {});
        assert.deepEqual((deny.inputs.spec as any).policyTypes, ["Ingress", "Egress"]);
        const fromTraefik = inNs("ai-api").find((p) => nameOf(p) === "allow-from-traefik")!;
        const rule = (fromTraefik.inputs.spec as any).ingress;
        assert.equal(rule.length, 1);
        assert.deepEqual(rule[0].from, [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } } },
        ]);
        const egress = (inNs("ai-api").find((p) => nameOf(p) === "allow-egress-dns-https")!.inputs.spec as any).egress;
        // VNet scenarios: HTTPS to the model's private endpoints too (their subnet lies in the private ranges the
        // internet rule excludes); the internet rule stays for Microsoft Entra ID's token exchange.
        const privateModel = PRIVATE[scenario];
        assert.deepEqual(
          egress.flatMap((r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`)).sort(),
          privateModel ? ["TCP/443", "TCP/443", "TCP/53", "UDP/53"] : ["TCP/443", "TCP/53", "UDP/53"],
        );
        assert.ok(egress[1].to[0].ipBlock.except.includes("169.254.0.0/16"), "not the node's metadata service");
        if (privateModel) assert.deepEqual(egress[2].to, [{ ipBlock: { cidr: COMMON_DEFAULTS.privateEndpointSubnetPrefix } }], "the model's private endpoints");
        // Every namespace with workloads denies by default; Traefik and cert-manager open only their ports.
        for (const ns of ["traefik", "cert-manager", "ai-api"]) assert.ok(inNs(ns).some((p) => nameOf(p) === "default-deny"), ns);
        const entry = (inNs("traefik").find((p) => nameOf(p) === "allow-entrypoints")!.inputs.spec as any).ingress;
        const ports = entry[0].ports.map((p: any) => p.port);
        if (PRIVATE[scenario]) {
          assert.deepEqual(ports, [TRAEFIK_PORTS.websecure]);
          assert.deepEqual(entry[0].from, [{ ipBlock: { cidr: readStackSettings(scenario).apimSubnetPrefix ?? "10.42.1.0/27" } }]);
        } else if (scenario === "consumption") {
          // HTTPS only from APIM's ranges, in a policy of its own (tests/scenarios/kubernetes-deploy.test.ts).
          assert.deepEqual(ports, [TRAEFIK_PORTS.web]);
        } else {
          assert.deepEqual(ports, [TRAEFIK_PORTS.web, TRAEFIK_PORTS.websecure]);
        }
        const webhook = (inNs("cert-manager").find((p) => nameOf(p) === "allow-webhook")!.inputs.spec as any).ingress;
        assert.deepEqual(webhook[0].ports, [{ protocol: "TCP", port: CERT_MANAGER_WEBHOOK_PORT }]);
      });

      it("runs the AI API hardened, as its own workload identity that holds the inference role", async () => {
        const e = await evaluated(scenario);
        const d = one(e, K.deployment);
        const pod = (d.inputs.spec as any).template;
        assert.equal(pod.metadata.labels["azure.workload.identity/use"], "true");
        const c = pod.spec.containers[0];
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(pod.spec.securityContext.runAsNonRoot, true);
        assert.ok(c.resources.limits.cpu && c.resources.limits.memory);
        assert.ok(c.readinessProbe && c.livenessProbe);
        const env = Object.fromEntries(c.env.map((v: any) => [v.name, v.value]));
        assert.equal(env.AZURE_OPENAI_ENDPOINT, e.outputs.openAiEndpoint.value);
        const fed = one(e, K.federated);
        assert.equal(fed.inputs.subject, `system:serviceaccount:ai-api:${pod.spec.serviceAccountName}`);
        const identity = one(e, "azure-native:managedidentity:UserAssignedIdentity");
        const grant = one(e, T.roleAssignment, (r) => r.inputs.principalId === identity.outputs.principalId);
        assert.ok(String(grant.inputs.roleDefinitionId).endsWith(`/${COGNITIVE_SERVICES_OPENAI_USER}`), String(grant.inputs.roleDefinitionId));
        assert.ok(String(grant.inputs.scope).includes("Microsoft.CognitiveServices/accounts/"));
      });

      it(`${scenario === "consumption" ? "admits only APIM at the public ingress: its addresses and its password" : "adds no allow-list middleware"}`, async () => {
        const e = await evaluated(scenario);
        const middlewares = ofType(e, K.middleware);
        const ingress = one(e, K.ingress);
        if (scenario !== "consumption") {
          assert.equal(middlewares.length, 0);
          assert.equal(annotations(ingress)[ANNOTATIONS.routerMiddlewares], undefined);
          assert.equal(annotations(ingress)[ANNOTATIONS.routerEntrypoints], "websecure");
          return;
        }
        const allow = middlewares.find((m) => (m.inputs.spec as any).ipAllowList)!;
        // Consumption has no dedicated outbound address: the configured (here simulated) shared ranges.
        assert.deepEqual((allow.inputs.spec as any).ipAllowList.sourceRange, [`${SIMULATED_RANGES.outbound}.0/24`]);
        assert.equal((allow.inputs.spec as any).ipAllowList.ipStrategy, undefined, "the connection's address, not X-Forwarded-For");
        const basic = middlewares.find((m) => (m.inputs.spec as any).basicAuth)!;
        const secret = one(e, K.secret, (s) => nameOf(s) === (basic.inputs.spec as any).basicAuth.secret);
        // `users` with a bcrypt hash, not a kubernetes.io/basic-auth Secret holding the password.
        assert.equal(secret.inputs.type, "Opaque");
        assert.ok(secret.secretInputs.includes("stringData"), secret.secretInputs.join(","));
        assert.equal(
          annotations(ingress)[ANNOTATIONS.routerMiddlewares],
          [allow, basic].map((m) => `${nsOf(m)}-${nameOf(m)}@kubernetescrd`).join(","),
        );
        // APIM presents the same password from a secret named value.
        const nv = one(e, K.namedValue);
        assert.equal(nv.inputs.secret, true);
        assert.ok(nv.secretInputs.includes("value"));
        const policy = String(one(e, T.apiPolicy, (p) => p.inputs.apiId === "ai-api").inputs.value);
        assert.match(policy, new RegExp(`<authentication-basic username="apim" password="\\{\\{${nv.inputs.namedValueId}\\}\\}"`));
      });
    });
  }

  it("consumption on a dedicated tier admits exactly APIM's own outbound addresses", async () => {
    const e = await evaluateScenario("consumption", { overrides: { apimSku: "Basic", apimCapacity: 1 }, stack: "consumption-basic" });
    const apim = e.resources.find((r) => r.type === T.apim)!;
    const outbound = apim.outputs.outboundPublicIPAddresses as string[];
    assert.ok(outbound.length > 0 && outbound.every((ip) => ip.startsWith(`${SIMULATED_RANGES.outbound}.`)));
    const allow = e.resources.find((r) => r.type === K.middleware && (r.inputs.spec as any).ipAllowList)!;
    assert.deepEqual((allow.inputs.spec as any).ipAllowList.sourceRange, outbound.map((ip) => `${ip}/32`));
  });
});
