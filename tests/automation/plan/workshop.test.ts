import assert from "node:assert/strict";
import type { RegisteredResource } from "../../../automation/mock-engine";
import { ESTIMATES, type EstimatesData, estimateScenario } from "../../../automation/plan/estimates";
import {
  DEFAULT_CONCURRENCY,
  defaultModelMode,
  estimateWorkshop,
  MODEL_DEPLOYMENT,
  WORKSHOP_SIDES,
  workshopSides,
  workshopText,
} from "../../../automation/plan/workshop";
import { scheduleNodes } from "../../../automation/plan/graph";
import { attendeeApimUnit, SHARED_OUTPUTS, sharedOutputProblems, sharedSecretProblem, sharedStackReference } from "../../../automation/plan/workshop-contract";
import { planned, resource } from "./helpers";

const APIM = "azure-native:apimanagement:ApiManagementService";
const AKS = "azure-native:containerservice:ManagedCluster";
const API = "azure-native:apimanagement:Api";
const ROLE = "azure-native:authorization:RoleAssignment";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";

/** Durations and prices for a hand-made graph: APIM 40 min and $73/month, AKS 10 min and $146, the rest 1 min and free. */
const data: EstimatesData = {
  ...ESTIMATES,
  hoursPerMonth: 730,
  durations: {
    [APIM]: [{ minutes: 40, kind: "documented", source: "t" }],
    [AKS]: [{ minutes: 10, kind: "documented", source: "t" }],
    "*": [{ minutes: 1, kind: "observed", source: "t" }],
  },
  prices: {
    [APIM]: [{ model: "monthly", usdPerMonth: 73, basis: "t", source: "t" }],
    [AKS]: [{ model: "monthly", usdPerMonth: 146, basis: "t", source: "t" }],
    "*": [{ model: "free", basis: "t", source: "t" }],
  },
  sources: { t: { url: "https://example.invalid/t", read: "2026-11-30", says: "test" } },
};

const component = (type: string, name: string, parent?: RegisteredResource) => resource(type, name, { custom: false, parent: parent?.urn });

/** A scenario's shape in small: APIM and AKS shared; the attendee's API, identity, and a role assignment for it. */
function graph(): RegisteredResource[] {
  const gateway = component("apim-aks-ai:gateway:ApiGateway", "gateway");
  const apis = component("apim-aks-ai:gateway:GatewayApis", "gateway-apis", gateway);
  const backend = component("apim-aks-ai:kubernetes:AiBackend", "ai-backend");
  const model = component("apim-aks-ai:ai:AiModel", "ai-model");
  const service = resource(APIM, "gateway-service", { parent: gateway.urn });
  const cluster = resource(AKS, "aks");
  const account = resource("azure-native:cognitiveservices:Account", "ai-model", { parent: model.urn });
  const deployment = resource(MODEL_DEPLOYMENT, "ai-model-deployment", { parent: model.urn, dependencies: [account.urn] });
  const api = resource(API, "gateway-ai-api", { parent: apis.urn, dependencies: [service.urn] });
  const identity = resource(IDENTITY, "ai-backend-identity", { parent: backend.urn, dependencies: [cluster.urn] });
  const role = resource(ROLE, "ai-backend-inference", { parent: model.urn, dependencies: [identity.urn, account.urn] });
  return [gateway, apis, backend, model, service, cluster, account, deployment, api, identity, role];
}

const sideOf = (sides: Map<string, string>, resources: RegisteredResource[], name: string) => sides.get(resources.find((r) => r.name === name && r.custom)!.urn);

describe("automation/plan/workshop", () => {
  it("puts the issue's shared parts on the shared side and each attendee's own on the attendee side, in one table", () => {
    for (const type of [
      APIM,
      "azure-native:network:VirtualNetwork",
      "azure-native:network:Subnet",
      "azure-native:network:NetworkSecurityGroup",
      "azure-native:operationalinsights:Workspace",
      "azure-native:applicationinsights:Component",
      "azure-native:privatedns:PrivateZone",
      AKS,
      "kubernetes:helm.sh/v4:Chart",
      "apim-aks-ai:kubernetes:IngressController",
      "apim-aks-ai:kubernetes:CertManager",
    ]) {
      assert.equal(WORKSHOP_SIDES[type], "shared", type);
    }
    for (const type of ["apim-aks-ai:gateway:GatewayApis", "apim-aks-ai:kubernetes:AiBackend", "azure-native:apimanagement:Workspace"]) {
      assert.equal(WORKSHOP_SIDES[type], "attendee", type);
    }
  });

  it("decides by the resource's type, then its component's; moves to the attendee side what waits for an attendee's resource", () => {
    const resources = graph();
    const { sides, moved } = workshopSides(resources, "shared", data);
    assert.equal(sideOf(sides, resources, "gateway-service"), "shared", "APIM service, in ApiGateway");
    assert.equal(sideOf(sides, resources, "gateway-ai-api"), "attendee", "an API, in GatewayApis inside ApiGateway");
    assert.equal(sideOf(sides, resources, "ai-backend-identity"), "attendee");
    assert.equal(sideOf(sides, resources, "ai-model-deployment"), "shared", "one deployment, a token limit per attendee");
    assert.equal(sideOf(sides, resources, "ai-backend-inference"), "attendee", "the role for the attendee's identity");
    assert.deepEqual(moved.map((u) => u.split("::").pop()), ["ai-backend-inference"], "components are not listed");
    // The shared stack can be deployed alone: none of its resources waits for an attendee's.
    for (const n of scheduleNodes(resources, () => 0)) {
      if (sides.get(n.id) === "shared") assert.ok(!n.after.some((d) => sides.get(d) === "attendee"), n.id);
    }
    const perAttendee = workshopSides(resources, "per-attendee", data).sides;
    assert.equal(sideOf(perAttendee, resources, "ai-model-deployment"), "attendee");
  });

  it("counts the shared part's time once and runs the attendee stacks in rounds of the concurrency limit", () => {
    const resources = graph();
    const estimate = estimateScenario({ resources }, data);
    assert.equal(estimate.spinUpMinutes, 41, "APIM, then the API");
    const w = estimateWorkshop(resources, estimate, { attendees: 20, concurrency: 5 }, data);
    assert.equal(w.shared.minutes, 40, "APIM alone decides the shared part");
    assert.equal(w.attendee.minutes, 2, "identity, then its role (APIM and AKS exist already)");
    assert.equal(w.separate.rounds, 4);
    assert.equal(w.separate.prepareMinutes, 4 * 41);
    assert.equal(w.sharedHost.prepareMinutes, 40 + 4 * 2);
    assert.equal(estimateWorkshop(resources, estimate, { attendees: 21, concurrency: 5 }, data).sharedHost.prepareMinutes, 40 + 5 * 2, "21 needs a fifth round");
    assert.equal(estimateWorkshop(resources, estimate, { attendees: 20 }, data).concurrency, DEFAULT_CONCURRENCY);
    assert.equal(w.shared.resources + w.attendee.resources, resources.filter((r) => r.custom).length);
  });

  it("costs N copies of everything separately, and the shared part once, per hour over prepare plus the workshop's hours", () => {
    const resources = graph();
    const estimate = estimateScenario({ resources }, data);
    const w = estimateWorkshop(resources, estimate, { attendees: 10, concurrency: 10, hours: 3 }, data);
    assert.equal(w.shared.monthlyUsd, 219);
    assert.equal(w.attendee.monthlyUsd, 0);
    assert.equal(w.separate.usdPerHour, 3, "10 × $219 / 730 h");
    assert.equal(w.separate.usd, Math.round(3 * (41 / 60 + 3) * 100) / 100);
    assert.equal(w.sharedHost.usdPerHour, 0.3);
    assert.equal(w.sharedHost.usd, Math.round(0.3 * (42 / 60 + 3) * 100) / 100);
  });

  it("refuses attendees or concurrency below 1 and fractions", () => {
    const resources = graph();
    const estimate = estimateScenario({ resources }, data);
    assert.throws(() => estimateWorkshop(resources, estimate, { attendees: 0 }, data), /attendees must be a whole number of at least 1, not 0/);
    assert.throws(() => estimateWorkshop(resources, estimate, { attendees: 2.5 }, data), /attendees/);
    assert.throws(() => estimateWorkshop(resources, estimate, { attendees: 2, concurrency: 0 }, data), /concurrency/);
  });

  it("prints both modes, each part, and where the design is", () => {
    const resources = graph();
    const text = workshopText("public", estimateWorkshop(resources, estimateScenario({ resources }, data), { attendees: 20 }, data));
    assert.match(text, /^Workshop of 20 \(public, estimated\): 5 attendee stacks at a time/);
    assert.match(text, /20 separate stacks +ready in 164\.0 min \(4 rounds\), \$6\.00\/h/);
    assert.match(text, /shared host \+ 20 attendees +ready in +48\.0 min \(4 rounds\), \$0\.30\/h/);
    assert.match(text, /shared part: +\d+ resources, 40\.0 min once/);
    assert.match(text, /on the attendee side because they wait for an attendee's resource: ai-backend-inference/);
    assert.match(text, /docs\/workshop\.md/);
  });

  it("shares the model deployment by default only where the APIM tier can limit tokens per subscription", () => {
    const withTier = (name: string) => [resource(APIM, "gateway-service", { inputs: { sku: { name, capacity: name === "Consumption" ? 0 : 1 } } })];
    assert.equal(defaultModelMode(withTier("Developer")), "shared");
    assert.equal(defaultModelMode(withTier("StandardV2")), "shared");
    assert.equal(defaultModelMode(withTier("Consumption")), "per-attendee", "azure-openai-token-limit does not apply to Consumption");
    const resources = [...withTier("Consumption"), resource(MODEL_DEPLOYMENT, "ai-model-deployment")];
    const w = estimateWorkshop(resources, estimateScenario({ resources }, data), { attendees: 2 }, data);
    assert.equal(w.model, "per-attendee");
    assert.equal(w.sides.get(resources[1].urn), "attendee");
  });

  it("on the public scenario: APIM and AKS shared, the attendee part in minutes, the whole shared workshop faster than separate stacks", async () => {
    const { evaluation, estimate } = await planned("public");
    const w = estimateWorkshop(evaluation.resources, estimate, { attendees: 20 });
    const typesOf = (side: string) => new Set(evaluation.resources.filter((r) => w.sides.get(r.urn) === side).map((r) => r.type));
    const shared = typesOf("shared");
    const attendee = typesOf("attendee");
    for (const t of [APIM, AKS, "kubernetes:helm.sh/v4:Chart", "azure-native:operationalinsights:Workspace"]) assert.ok(shared.has(t), t);
    for (const t of ["azure-native:apimanagement:Product", "azure-native:apimanagement:Subscription", API, "kubernetes:apps/v1:Deployment", "kubernetes:networking.k8s.io/v1:Ingress"]) {
      assert.ok(attendee.has(t), t);
    }
    assert.ok(!attendee.has(APIM) && !attendee.has(AKS));
    assert.ok(w.attendee.minutes < 10, `attendee part ${w.attendee.minutes} min`);
    assert.ok(w.shared.minutes >= estimate.slowest.minutes, "the slowest resource (APIM) is in the shared part");
    assert.equal(w.sharedHost.prepareMinutes, Math.round((w.shared.minutes + 4 * w.attendee.minutes) * 1000) / 1000);
    assert.ok(w.sharedHost.prepareMinutes < w.separate.prepareMinutes / 2);
    assert.ok(w.sharedHost.usdPerHour < w.separate.usdPerHour);
  });
});

describe("automation/plan/workshop-contract", () => {
  it("names the shared stack as a StackReference must: `organization/` on DIY backends, the organization on Pulumi Cloud", () => {
    assert.equal(sharedStackReference("file:///tmp/state", "apim-aks-ai-scenarios", "internal-shared"), "organization/apim-aks-ai-scenarios/internal-shared");
    assert.equal(sharedStackReference("azblob://state?storage_account=x", "p", "s"), "organization/p/s");
    assert.equal(sharedStackReference("https://api.pulumi.com", "p", "s", "contoso"), "contoso/p/s");
    assert.throws(() => sharedStackReference(undefined, "p", "s"), /Pulumi Cloud .*name its organization/);
  });

  it("reports each missing output and each secret output exported in clear", () => {
    const all = Object.fromEntries(SHARED_OUTPUTS.map((o) => [o.name, { value: "x", secret: o.secret }]));
    assert.deepEqual(sharedOutputProblems(all), []);
    assert.ok(SHARED_OUTPUTS.some((o) => o.name === "kubeconfig" && o.secret));
    const { apimServiceName: _gone, ...missing } = all;
    assert.deepEqual(sharedOutputProblems({ ...missing, kubeconfig: { value: "x", secret: false } }), [
      "the shared stack has no output apimServiceName (parent of the attendee's product, APIs, subscription and policies)",
      "the shared stack's output kubeconfig is not a secret",
    ]);
  });

  it("gives each attendee a workspace only in the tiers that have workspaces, else a product", () => {
    for (const sku of ["BasicV2", "StandardV2", "Premium"]) assert.equal(attendeeApimUnit(sku), "workspace", sku);
    for (const sku of ["Developer", "Consumption", "Basic", "Standard"]) assert.equal(attendeeApimUnit(sku), "product", sku);
  });

  it("accepts a secret read through the reference only as a non-empty string, and says to use the shared stack's passphrase", () => {
    assert.equal(sharedSecretProblem("kubeconfig", "apiVersion: v1"), undefined);
    for (const bad of [{}, "", undefined, ["x"]]) {
      assert.match(sharedSecretProblem("kubeconfig", bad) ?? "", /^the shared stack's secret output kubeconfig could not be read \(.+\): run the attendee stacks with the shared stack's passphrase/, JSON.stringify(bad));
    }
  });
});
