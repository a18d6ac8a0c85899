import assert from "node:assert/strict";
import type { RegisteredResource } from "../../../automation/mock-engine";
import { ESTIMATES, type EstimatesData, estimateScenario, isProvisioned } from "../../../automation/plan/estimates";
import {
  DEFAULT_CONCURRENCY,
  ESTIMATE_ATTENDEE,
  estimateWorkshop,
  halfSettings,
  partOf,
  SIMULATED_INGRESS_DOMAIN,
  type WorkshopHalves,
  workshopJson,
  workshopText,
} from "../../../automation/plan/workshop";
import { evaluateWorkshopHalves, runPlan, validateWorkshop } from "../../../automation/plan/run";
import { offlineSettings } from "../../../automation/evaluate";
import { ConfigError } from "../../../config/validate";
import { SHARED_OUTPUTS, sharedOutputProblems, sharedSecretProblem, sharedStackReference } from "../../../automation/plan/workshop-contract";
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
const MODEL_DEPLOYMENT = "azure-native:cognitiveservices:Deployment";

/**
 * A scenario's shape in small, whole and as its two halves: APIM, AKS and the model in the shared half; the
 * attendee's API, identity, and a role assignment for it in the attendee half, which reads the rest.
 */
function graphs(): { whole: RegisteredResource[]; halves: WorkshopHalves } {
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
  // In the attendee half, what the shared half made is read through the StackReference: no dependency on it.
  const attendeeApi = { ...api, dependencies: [] };
  const attendeeIdentity = { ...identity, dependencies: [] };
  const attendeeRole = { ...role, parent: backend.urn, dependencies: [identity.urn] };
  return {
    whole: [gateway, apis, backend, model, service, cluster, account, deployment, api, identity, role],
    halves: {
      shared: { resources: [gateway, model, service, cluster, account, deployment], outputs: { modelSharing: { value: "shared" } } },
      attendee: { resources: [apis, backend, attendeeApi, attendeeIdentity, attendeeRole] },
    },
  };
}

describe("automation/plan/workshop", () => {
  it("takes each part from its half: the half's provisioned resources, critical path and fixed cost", () => {
    const { halves } = graphs();
    assert.deepEqual(partOf(halves.shared, data), { resources: 4, minutes: 40, monthlyUsd: 219, unknownPrice: false });
    assert.deepEqual(partOf(halves.attendee, data), { resources: 3, minutes: 2, monthlyUsd: 0, unknownPrice: false }, "identity, then its role; components are not counted");
  });

  it("counts the shared part's time once and runs the attendee stacks in rounds of the concurrency limit", () => {
    const { whole, halves } = graphs();
    const estimate = estimateScenario({ resources: whole }, data);
    assert.equal(estimate.spinUpMinutes, 41, "APIM, then the API");
    const w = estimateWorkshop(estimate, halves, { attendees: 20, concurrency: 5 }, data);
    assert.equal(w.shared.minutes, 40, "APIM alone decides the shared part");
    assert.equal(w.attendee.minutes, 2, "identity, then its role (APIM and AKS exist already)");
    assert.equal(w.separate.rounds, 4);
    assert.equal(w.separate.prepareMinutes, 4 * 41);
    assert.equal(w.sharedHost.prepareMinutes, 40 + 4 * 2);
    assert.equal(estimateWorkshop(estimate, halves, { attendees: 21, concurrency: 5 }, data).sharedHost.prepareMinutes, 40 + 5 * 2, "21 needs a fifth round");
    assert.equal(estimateWorkshop(estimate, halves, { attendees: 20 }, data).concurrency, DEFAULT_CONCURRENCY);
    assert.equal(w.shared.resources + w.attendee.resources, whole.filter((r) => r.custom).length);
  });

  it("costs N copies of everything separately, and the shared part once, per hour over prepare plus the workshop's hours", () => {
    const { whole, halves } = graphs();
    const estimate = estimateScenario({ resources: whole }, data);
    const w = estimateWorkshop(estimate, halves, { attendees: 10, concurrency: 10, hours: 3 }, data);
    assert.equal(w.shared.monthlyUsd, 219);
    assert.equal(w.attendee.monthlyUsd, 0);
    assert.equal(w.separate.usdPerHour, 3, "10 × $219 / 730 h");
    assert.equal(w.separate.usd, Math.round(3 * (41 / 60 + 3) * 100) / 100);
    assert.equal(w.sharedHost.usdPerHour, 0.3);
    assert.equal(w.sharedHost.usd, Math.round(0.3 * (42 / 60 + 3) * 100) / 100);
  });

  it("refuses attendees or concurrency below 1 and fractions, and a shared half without its modelSharing output", () => {
    const { whole, halves } = graphs();
    const estimate = estimateScenario({ resources: whole }, data);
    assert.throws(() => estimateWorkshop(estimate, halves, { attendees: 0 }, data), /attendees must be a whole number of at least 1, not 0/);
    assert.throws(() => estimateWorkshop(estimate, halves, { attendees: 2.5 }, data), /attendees/);
    assert.throws(() => estimateWorkshop(estimate, halves, { attendees: 2, concurrency: 0 }, data), /concurrency/);
    assert.throws(() => estimateWorkshop(estimate, { ...halves, shared: { resources: halves.shared.resources, outputs: {} } }, { attendees: 2 }, data), /no modelSharing output/);
  });

  it("prints both modes, each part, and where the design is", () => {
    const { whole, halves } = graphs();
    const text = workshopText("public", estimateWorkshop(estimateScenario({ resources: whole }, data), halves, { attendees: 20 }, data));
    assert.match(text, /^Workshop of 20 \(public, estimated\): 5 attendee stacks at a time, model deployment shared with a token limit per attendee/);
    assert.match(text, /20 separate stacks +ready in 164\.0 min \(4 rounds\), \$6\.00\/h/);
    assert.match(text, /shared host \+ 20 attendees +ready in +48\.0 min \(4 rounds\), \$0\.30\/h/);
    assert.match(text, /shared part: +4 resources, 40\.0 min once/);
    assert.match(text, /attendee part: +3 resources, 2\.0 min each/);
    assert.match(text, /docs\/workshop\.md/);
  });

  it("evaluates the halves as workshop prepare names them, simulating the attendees' zone only where a public ingress needs one and none is set", () => {
    const pub = halfSettings("public", {}, offlineSettings("public"));
    assert.equal(pub.shared.stack, "public-shared");
    assert.equal(pub.attendee.stack, `public-${ESTIMATE_ATTENDEE}`);
    assert.deepEqual(pub.shared.overrides, { ...SIMULATED_INGRESS_DOMAIN, workshopRole: "shared" });
    assert.deepEqual(pub.attendee.overrides, { ...SIMULATED_INGRESS_DOMAIN, workshopRole: "attendee", attendee: "a01", sharedStack: "organization/apim-aks-ai-scenarios/public-shared" });
    const own = { ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "rg-dns" };
    assert.deepEqual(halfSettings("public", own, offlineSettings("public", own)).shared.overrides, { ...own, workshopRole: "shared" }, "the user's zone, not the simulated one");
    assert.deepEqual(halfSettings("internal", {}, offlineSettings("internal")).shared.overrides, { workshopRole: "shared" }, "a private ingress needs no zone");
    assert.equal(pub.simulatedZone, "workshop.example.com");
    assert.equal(halfSettings("public", own, offlineSettings("public", own)).simulatedZone, undefined);
    assert.equal(halfSettings("internal", {}, offlineSettings("internal")).simulatedZone, undefined);
  });

  it("refuses, before evaluating, the workshop settings in --config and what only the halves refuse (edge on internal)", async () => {
    assert.throws(() => validateWorkshop(["public"], { workshopRole: "attendee" }), (e: Error) => e instanceof ConfigError && /workshopRole = "attendee": set by the workshop estimate for each half/.test(e.message));
    assert.throws(() => validateWorkshop(["internal"], { edge: "appgw-waf" }), (e: Error) => e instanceof ConfigError && /edge = "appgw-waf": not available in workshop mode: set edge=none \(workshop estimate of internal\)/.test(e.message));
    const err: string[] = [];
    await assert.rejects(
      runPlan(["internal"], { overrides: { edge: "appgw-waf" }, json: false, reportDir: false, color: false, stdout: () => {}, stderr: (t) => void err.push(t), workshop: { attendees: 3 } }),
      ConfigError,
    );
    assert.deepEqual(err, [], "nothing evaluated");
    validateWorkshop(["internal", "public"], {});
  });

  it("on the public scenario: the parts are the evaluated halves (APIM and AKS shared, the attendee's own in minutes), faster than separate stacks", async () => {
    const { evaluation, estimate } = await planned("public");
    const halves = await evaluateWorkshopHalves("public");
    const w = estimateWorkshop(estimate, halves, { attendees: 20 });
    const typesOf = (half: { resources: readonly RegisteredResource[] }) => new Set(half.resources.map((r) => r.type));
    const shared = typesOf(halves.shared);
    const attendee = typesOf(halves.attendee);
    for (const t of [APIM, AKS, "kubernetes:helm.sh/v4:Chart", "azure-native:operationalinsights:Workspace"]) assert.ok(shared.has(t), t);
    for (const t of ["azure-native:apimanagement:Product", "azure-native:apimanagement:Subscription", API, "kubernetes:apps/v1:Deployment", "kubernetes:networking.k8s.io/v1:Ingress"]) {
      assert.ok(attendee.has(t), t);
    }
    assert.ok(!attendee.has(APIM) && !attendee.has(AKS));
    assert.deepEqual(w.shared, partOf(halves.shared));
    assert.deepEqual(w.attendee, partOf(halves.attendee));
    assert.equal(w.attendee.resources, halves.attendee.resources.filter((r) => isProvisioned(r)).length, "every resource the attendee half makes, the host-name record in the attendees' zone included");
    assert.ok(halves.attendee.resources.some((r) => r.type === "azure-native:dns:RecordSet" && r.inputs.zoneName === SIMULATED_INGRESS_DOMAIN.ingressDomain), "the attendee's record in the (simulated) zone");
    assert.equal(w.model, halves.shared.outputs!.modelSharing.value);
    assert.ok(w.attendee.minutes < 10, `attendee part ${w.attendee.minutes} min`);
    assert.ok(w.shared.minutes >= estimate.slowest.minutes, "the slowest resource (APIM) is in the shared part");
    assert.ok(evaluation.resources.length > halves.attendee.resources.length);
    assert.equal(w.sharedHost.prepareMinutes, Math.round((w.shared.minutes + 4 * w.attendee.minutes) * 1000) / 1000);
    assert.ok(w.sharedHost.prepareMinutes < w.separate.prepareMinutes / 2);
    assert.ok(w.sharedHost.usdPerHour < w.separate.usdPerHour);
    assert.equal(w.simulatedZone, "workshop.example.com");
    assert.match(workshopText("public", w), /attendees' hosts estimated in a simulated zone \(workshop\.example\.com\); workshop prepare needs yours: --config ingressDomain=/);
    assert.equal(workshopJson("public", w).simulatedZone, "workshop.example.com");
    const internal = estimateWorkshop((await planned("internal")).estimate, await evaluateWorkshopHalves("internal"), { attendees: 20 });
    assert.equal(internal.simulatedZone, undefined);
    assert.doesNotMatch(workshopText("internal", internal), /simulated zone/);
    assert.ok(!("simulatedZone" in workshopJson("internal", internal)));
  });

  it("on consumption: the shared half has no model deployment and each attendee half one (no token limit in that tier)", async () => {
    const { estimate } = await planned("consumption");
    const halves = await evaluateWorkshopHalves("consumption");
    const w = estimateWorkshop(estimate, halves, { attendees: 2 });
    assert.equal(w.model, "per-attendee");
    assert.equal(halves.shared.resources.filter((r) => r.type === MODEL_DEPLOYMENT).length, 0);
    assert.equal(halves.attendee.resources.filter((r) => r.type === MODEL_DEPLOYMENT).length, 1);
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

  it("accepts a secret read through the reference only as a non-empty string, and says to use the shared stack's passphrase", () => {
    assert.equal(sharedSecretProblem("kubeconfig", "apiVersion: v1"), undefined);
    for (const bad of [{}, "", undefined, ["x"]]) {
      assert.match(sharedSecretProblem("kubeconfig", bad) ?? "", /^the shared stack's secret output kubeconfig could not be read \(.+\): run the attendee stacks with the shared stack's passphrase/, JSON.stringify(bad));
    }
  });
});
