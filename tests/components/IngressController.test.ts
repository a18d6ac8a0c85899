/**
 * The IngressController component on its own: what the cluster receives for Traefik on a public or internal
 * load balancer, and the middlewares and NetworkPolicies it adds for a route that admits only some callers.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluateProgram, type Evaluation } from "../../automation/mock-engine";
import { IngressController, type IngressControllerArgs } from "../../components/IngressController";
import { ANNOTATIONS, type LoadBalancerExposure, TRAEFIK_PORTS } from "../../components/kubernetes-manifests";
import { constructionError, ofType, one } from "../helpers/graph";
import { K8S, simulatedClusterProvider } from "../helpers/kubernetes";

const COMPONENT = "apim-aks-ai:kubernetes:IngressController";
const PUBLIC: LoadBalancerExposure = { kind: "public", dnsLabel: "ai-test" };
const INTERNAL: LoadBalancerExposure = { kind: "internal", subnetName: "snet-ingress", ipAddress: "10.42.2.10", allowedSourceRanges: ["10.42.1.0/27"] };

async function build(
  exposure: LoadBalancerExposure,
  extra: Partial<IngressControllerArgs> = {},
  routes?: (ingress: IngressController) => Record<string, unknown>,
): Promise<Evaluation> {
  return evaluateProgram(() => {
    const ingress = new IngressController("ingress", {
      provider: simulatedClusterProvider(),
      namespace: "ingress",
      chartRepo: "https://traefik.github.io/charts",
      chartVersion: "37.1.1",
      exposure,
      certManagerNamespace: "cert-manager",
      ...extra,
    });
    return { namespace: ingress.namespace, ingressClassName: ingress.ingressClassName, ...(routes?.(ingress) ?? {}) };
  }, { project: "test", stack: "t" });
}

const values = (e: Evaluation) => one(e, K8S.chart).inputs.values as Record<string, any>;

describe("components/IngressController", () => {
  let e: Evaluation;
  before(async () => {
    e = await build(PUBLIC);
  });

  it("installs Traefik only after its restricted namespace and both NetworkPolicies exist, through the given cluster", () => {
    const ns = one(e, K8S.namespace);
    assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "restricted");
    const policies = ofType(e, K8S.networkPolicy);
    assert.deepEqual(policies.map((p) => (p.inputs.metadata as any).name).sort(), ["allow-entrypoints", "default-deny"]);
    const chart = one(e, K8S.chart);
    assert.equal(chart.inputs.namespace, "ingress");
    assert.equal(chart.inputs.version, "37.1.1");
    for (const dep of [ns, ...policies]) assert.ok(chart.dependencies.includes(dep.urn), dep.name);
    const component = one(e, COMPONENT);
    for (const r of e.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes")) {
      assert.equal(r.parent, component.urn, r.name);
      assert.match(String(r.provider), /pulumi:providers:kubernetes::simulated-cluster::/, r.name);
    }
  });

  it("on a public load balancer asks Azure for the DNS label and keeps the caller's address", () => {
    const v = values(e);
    assert.deepEqual(v.service.annotations, { [ANNOTATIONS.dnsLabel]: "ai-test" });
    assert.equal(v.service.spec.externalTrafficPolicy, "Local");
    assert.equal(v.ports.web.expose.default, true, "port 80 for HTTP-01");
  });

  it("on an internal load balancer asks for the ingress subnet and the planned address, and closes port 80", async () => {
    const internal = await build(INTERNAL);
    const v = values(internal);
    assert.equal(v.service.annotations[ANNOTATIONS.internal], "true");
    assert.equal(v.service.annotations[ANNOTATIONS.internalSubnet], "snet-ingress");
    assert.equal(v.service.annotations[ANNOTATIONS.ipv4], "10.42.2.10");
    assert.deepEqual(v.ports.web, { expose: { default: false } });
  });

  it("admits a route's callers with an allow-list middleware in the route's namespace, created after the chart brings its CRD", async () => {
    const routed = await build(PUBLIC, {}, (ingress) => ({ ref: ingress.admitOnly("apim-only", "ai", ["203.0.113.7/32"]) }));
    const mw = one(routed, K8S.middleware);
    assert.deepEqual(mw.inputs.metadata, { name: "apim-only", namespace: "ai" });
    assert.deepEqual(mw.inputs.spec, { ipAllowList: { sourceRange: ["203.0.113.7/32"] } });
    assert.ok(mw.dependencies.includes(one(routed, K8S.chart).urn));
    assert.equal(routed.outputs.ref.value, "ai-apim-only@kubernetescrd");
    assert.equal(ofType(routed, K8S.networkPolicy).length, 2, "no L4 allow-list unless asked");
  });

  it("with websecureFromAllowListOnly also admits only those ranges to Traefik's HTTPS port", async () => {
    const routed = await build(PUBLIC, { websecureFromAllowListOnly: true }, (ingress) => ({ ref: ingress.admitOnly("apim-only", "ai", ["203.0.113.7/32"]) }));
    const policy = one(routed, K8S.networkPolicy, (p) => (p.inputs.metadata as any).name === "allow-websecure-apim-only");
    assert.equal((policy.inputs.metadata as any).namespace, "ingress");
    const rule = (policy.inputs.spec as any).ingress[0];
    assert.deepEqual(rule.from, [{ ipBlock: { cidr: "203.0.113.7/32" } }]);
    assert.deepEqual(rule.ports, [{ port: TRAEFIK_PORTS.websecure, protocol: "TCP" }]);
    assert.ok(policy.dependencies.includes(one(routed, K8S.namespace).urn));
  });

  it("requires basic auth against a Secret by name, and strips the header before the backend", async () => {
    const routed = await build(PUBLIC, {}, (ingress) => ({ ref: ingress.requireBasicAuth("apim-basic-auth", "ai", "apim-credential") }));
    const mw = one(routed, K8S.middleware);
    assert.deepEqual(mw.inputs.spec, { basicAuth: { secret: "apim-credential", removeHeader: true } });
    assert.equal(routed.outputs.ref.value, "ai-apim-basic-auth@kubernetescrd");
  });

  it("refuses a replica count Traefik cannot run with, before the first resource", async () => {
    const { error, e: graph } = await constructionError(
      () =>
        new IngressController("ingress", {
          provider: simulatedClusterProvider(),
          namespace: "ingress",
          chartRepo: "https://traefik.github.io/charts",
          chartVersion: "37.1.1",
          exposure: PUBLIC,
          certManagerNamespace: "cert-manager",
          replicas: 0,
        }),
    );
    assert.ok(error instanceof pulumi.ResourceError, String(error));
    assert.match((error as Error).message, /IngressController "ingress": replicas must be a whole number of at least 1, got 0/);
    assert.deepEqual(graph.resources.filter((r) => r.parent === one(graph, COMPONENT).urn), []);
  });

  it("registers its namespace and ingress class", () => {
    assert.deepEqual(one(e, COMPONENT).outputs, { namespace: "ingress", ingressClassName: "traefik" });
  });
});
