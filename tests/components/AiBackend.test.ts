/**
 * The AiBackend component on its own: the identity Entra ID federates to the pods' service account, the
 * inference rights it gets, the order Kubernetes receives things in, and what the ingress admits.
 */
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import * as pulumi from "@pulumi/pulumi";
import { evaluateProgram, type Evaluation, SECRET } from "../../automation/mock-engine";
import { FAILOVER_ENDPOINTS_ENV } from "../../app/src/failover-env";
import { AiBackend, type AiBackendArgs, aiBackendArgsProblems, WORKLOAD_IDENTITY_AUDIENCE } from "../../components/AiBackend";
import { AiModel, type AiModelArgs } from "../../components/AiModel";
import { IngressController } from "../../components/IngressController";
import { ANNOTATIONS, WORKLOAD_IDENTITY_POD_LABEL } from "../../components/kubernetes-manifests";
import { constructionError, ofType, one } from "../helpers/graph";
import { K8S, simulatedClusterProvider } from "../helpers/kubernetes";

const T = {
  component: "apim-aks-ai:kubernetes:AiBackend",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  federation: "azure-native:managedidentity:FederatedIdentityCredential",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  account: "azure-native:cognitiveservices:Account",
} as const;

const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const OIDC = "https://swedencentral.oic.prod-aks.azure.com/tenant/issuer/";
const MODEL: AiModelArgs = {
  resourceGroupName: "rg-ai",
  location: "swedencentral",
  tags: TAGS,
  accountName: "oai-test",
  modelName: "gpt-4o-mini",
  modelVersion: "2024-07-18",
  deploymentSku: "GlobalStandard",
  capacity: 10,
  network: { ipRanges: ["203.0.113.10"], subnetIds: [] },
};
const HASH = bcrypt.hashSync("not-a-real-password", 4);

type Extra = Partial<Omit<AiBackendArgs, "provider" | "model" | "ingress" | "secondaryModel">> & { secondary?: boolean };

/** The backend with a real model and ingress around it, as a scenario builds it. */
function construct(extra: Extra = {}): AiBackend {
  const provider = simulatedClusterProvider();
  const model = new AiModel("model", MODEL);
  const secondaryModel = extra.secondary ? new AiModel("model-2", { ...MODEL, accountName: "oai-test-2", location: "francecentral" }) : undefined;
  const ingress = new IngressController("ingress", {
    provider,
    namespace: "ingress",
    chartRepo: "https://traefik.github.io/charts",
    chartVersion: "37.1.1",
    exposure: { kind: "public", dnsLabel: "ai-test" },
    certManagerNamespace: "cert-manager",
  });
  const { secondary: _, ...rest } = extra;
  return new AiBackend("ai-backend", {
    resourceGroupName: "rg-aks",
    location: "swedencentral",
    tags: TAGS,
    provider,
    namespace: "ai",
    identityName: "id-ai-api",
    oidcIssuerUrl: OIDC,
    model,
    secondaryModel,
    image: "acr.example.azurecr.io/ai-api:abc",
    replicas: 2,
    host: "ai.example.com",
    issuerName: "letsencrypt-staging",
    ingress,
    ...rest,
  });
}

async function build(extra: Extra = {}): Promise<Evaluation> {
  return evaluateProgram(() => {
    const backend = construct(extra);
    return { clientId: backend.clientId, principalId: backend.principalId, middlewares: backend.middlewares, host: backend.host };
  }, { project: "test", stack: "t" });
}

const inputs = (r: { inputs: Record<string, unknown> }) => r.inputs as Record<string, any>;
const mine = (e: Evaluation, type: string) => ofType(e, type).filter((r) => r.parent === one(e, T.component).urn);

describe("components/AiBackend", () => {
  let e: Evaluation;
  before(async () => {
    e = await build();
  });

  it("federates a user-assigned identity to exactly the pods' service account, for the cluster's issuer", () => {
    const identity = one(e, T.identity);
    assert.equal(inputs(identity).resourceName, "id-ai-api");
    const federation = inputs(one(e, T.federation));
    assert.equal(federation.issuer, OIDC);
    assert.equal(federation.subject, "system:serviceaccount:ai:ai-api");
    assert.deepEqual(federation.audiences, [WORKLOAD_IDENTITY_AUDIENCE]);
    const sa = inputs(one(e, K8S.serviceAccount));
    assert.deepEqual([sa.metadata.name, sa.metadata.namespace], ["ai-api", "ai"]);
    assert.equal(sa.metadata.annotations[ANNOTATIONS.workloadIdentityClientId], e.outputs.clientId.value);
    assert.equal(e.outputs.principalId.value, identity.outputs.principalId);
    assert.match(String(e.outputs.principalId.value), /^[0-9a-f-]{36}$/);
  });

  it("grants that identity inference on the model's account only, and on the secondary's when there is one", async () => {
    const grant = one(e, T.roleAssignment, (r) => inputs(r).principalId === e.outputs.principalId.value);
    assert.equal(inputs(grant).scope, one(e, T.account).id);
    const both = await build({ secondary: true });
    const scopes = ofType(both, T.roleAssignment).filter((r) => inputs(r).principalId === both.outputs.principalId.value).map((r) => inputs(r).scope);
    assert.deepEqual(scopes.sort(), ofType(both, T.account).map((a) => a.id).sort());
  });

  it("starts the pods only once the grant, the federation, the service account and every NetworkPolicy exist", () => {
    const deployment = one(e, K8S.deployment);
    const needed = [...ofType(e, T.roleAssignment), one(e, T.federation), one(e, K8S.serviceAccount), ...mine(e, K8S.networkPolicy)];
    for (const r of needed) assert.ok(deployment.dependencies.includes(r.urn), r.name);
    const template = inputs(deployment).spec.template;
    assert.equal(template.metadata.labels[WORKLOAD_IDENTITY_POD_LABEL], "true");
    assert.equal(template.spec.serviceAccountName, "ai-api");
    const env = Object.fromEntries((template.spec.containers[0].env as { name: string; value: string }[]).map((v) => [v.name, v.value]));
    assert.equal(env.AZURE_OPENAI_ENDPOINT, "https://oai-test.openai.azure.com/");
    assert.equal(env[FAILOVER_ENDPOINTS_ENV], undefined, "no failover unless the pods can reach one");
  });

  it("tells the pods where to fail over when given endpoints", async () => {
    const f = await build({ failoverEndpoints: ["https://oai-test-2.openai.azure.com/"] });
    const env = inputs(one(f, K8S.deployment)).spec.template.spec.containers[0].env as { name: string; value: string }[];
    assert.equal(env.find((v) => v.name === FAILOVER_ENDPOINTS_ENV)?.value, "https://oai-test-2.openai.azure.com/");
  });

  it("serves HTTPS only, with the host's certificate issued before the Ingress exists", () => {
    const ingress = one(e, K8S.ingress);
    const annotations = inputs(ingress).metadata.annotations;
    assert.equal(annotations[ANNOTATIONS.routerEntrypoints], "websecure");
    assert.equal(annotations[ANNOTATIONS.routerTls], "true");
    assert.equal(annotations[ANNOTATIONS.routerMiddlewares], undefined, "open: no middleware");
    assert.deepEqual(inputs(ingress).spec.tls, [{ hosts: ["ai.example.com"], secretName: "ai-api-tls" }]);
    const cert = one(e, K8S.certificate);
    assert.ok(ingress.dependencies.includes(cert.urn));
    assert.deepEqual(inputs(cert).spec.issuerRef, { kind: "ClusterIssuer", name: "letsencrypt-staging", group: "cert-manager.io" });
    assert.ok(cert.dependencies.includes(one(e, K8S.chart).urn), "ACME needs Traefik first");
  });

  it("admitting APIM only: an allow-list and a basic-auth middleware on the route, the Secret holding only the bcrypt hash", async () => {
    const a = await build({ admit: { sourceRanges: ["203.0.113.7/32"], basicAuth: { username: "apim", passwordBcryptHash: HASH } } });
    const refs = a.outputs.middlewares.value as string[];
    assert.deepEqual(refs, ["ai-apim-only@kubernetescrd", "ai-apim-basic-auth@kubernetescrd"]);
    assert.equal(inputs(one(a, K8S.ingress)).metadata.annotations[ANNOTATIONS.routerMiddlewares], refs.join(","));
    const secret = one(a, K8S.secret);
    assert.equal(inputs(secret).type, "Opaque");
    assert.equal(inputs(secret).stringData, SECRET);
    assert.deepEqual(a.outputs.middlewares.value, one(a, T.component).outputs.middlewares);
  });

  it("refuses a username the users line cannot carry, before the identity or any role assignment exists", async () => {
    const { error, e: graph } = await constructionError(() =>
      construct({ admit: { sourceRanges: ["203.0.113.7/32"], basicAuth: { username: "apim:x", passwordBcryptHash: HASH } } }),
    );
    assert.ok(error instanceof pulumi.ResourceError, String(error));
    assert.match((error as Error).message, /^AiBackend "ai-backend": admit.basicAuth.username "apim:x" must be non-empty, without ":" or spaces/);
    assert.equal(ofType(graph, T.identity).length, 0);
    assert.equal(ofType(graph, T.component).length, 1);
    assert.equal(graph.resources.filter((r) => r.parent === one(graph, T.component).urn).length, 0);
  });

  it("names every problem of the arguments at once", () => {
    assert.deepEqual(aiBackendArgsProblems({ replicas: 2 }), []);
    assert.equal(aiBackendArgsProblems({ replicas: 0, admit: { sourceRanges: [], basicAuth: { username: "", passwordBcryptHash: HASH } } }).length, 2);
  });
});
