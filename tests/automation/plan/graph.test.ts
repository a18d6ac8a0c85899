import assert from "node:assert/strict";
import { CycleError, criticalPath, providerUrn, type ScheduleNode, scheduleNodes, serialSum, slowestNode, transitiveReduction } from "../../../automation/plan/graph";
import type { RegisteredResource } from "../../../automation/mock-engine";

const n = (id: string, minutes: number, ...after: string[]): ScheduleNode => ({ id, type: `t:${id}`, minutes, after });
const ids = (path: { id: string }[]) => path.map((p) => p.id);

describe("automation/plan/graph", () => {
  describe("criticalPath", () => {
    it("is the sum along a chain", () => {
      const cp = criticalPath([n("a", 1), n("b", 2, "a"), n("c", 3, "b")]);
      assert.equal(cp.total, 6);
      assert.deepEqual(ids(cp.path), ["a", "b", "c"]);
      assert.deepEqual([...cp.schedule.values()].map((s) => [s.id, s.start, s.finish]), [["a", 0, 1], ["b", 1, 3], ["c", 3, 6]]);
    });

    it("takes the longer branch of a diamond", () => {
      // a -> (b: 5 | c: 1) -> d
      const cp = criticalPath([n("a", 1), n("b", 5, "a"), n("c", 1, "a"), n("d", 2, "b", "c")]);
      assert.equal(cp.total, 8);
      assert.deepEqual(ids(cp.path), ["a", "b", "d"]);
      assert.equal(cp.schedule.get("c")!.finish, 2);
      assert.equal(cp.schedule.get("d")!.start, 6);
    });

    it("runs independent chains in parallel: the total is the longest, not the sum", () => {
      const nodes = [n("slow", 40), n("x", 10), n("y", 3, "x"), n("z", 1, "slow")];
      const cp = criticalPath(nodes);
      assert.equal(cp.total, 41);
      assert.deepEqual(ids(cp.path), ["slow", "z"]);
      assert.equal(serialSum(nodes), 54);
      assert.equal(slowestNode(nodes)!.id, "slow");
    });

    it("names, among equally slow resources, the one on the critical path (integrated: APIM Standard v2 and AKS, 10 min each)", () => {
      const nodes = [n("apim", 10), n("aks", 10), n("ingress", 2, "aks")];
      const cp = criticalPath(nodes);
      assert.deepEqual(ids(cp.path), ["aks", "ingress"]);
      assert.equal(slowestNode(nodes)!.id, "apim", "without a preference: the first");
      assert.equal(slowestNode(nodes, new Set(ids(cp.path)))!.id, "aks");
    });

    it("shows a needless wait: a fast resource chained behind a slow one adds up", () => {
      const parallel = criticalPath([n("aks", 10), n("apim", 40)]);
      const chained = criticalPath([n("aks", 10), n("apim", 40, "aks")]);
      assert.equal(parallel.total, 40);
      assert.equal(chained.total, 50);
      assert.deepEqual(ids(chained.path), ["aks", "apim"]);
    });

    it("gives ties to the predecessor listed first and ignores unknown and self references", () => {
      const cp = criticalPath([n("a", 2), n("b", 2), n("c", 1, "missing", "c", "b", "a")]);
      assert.equal(cp.total, 3);
      assert.deepEqual(ids(cp.path), ["b", "c"]);
    });

    it("handles decimal durations without floating-point noise", () => {
      const cp = criticalPath([n("a", 0.1), n("b", 0.2, "a"), n("c", 0.15, "b")]);
      assert.equal(cp.total, 0.45);
    });

    it("is zero for an empty graph", () => {
      const cp = criticalPath([]);
      assert.equal(cp.total, 0);
      assert.deepEqual(cp.path, []);
    });

    it("reports a cycle with its members", () => {
      assert.throws(() => criticalPath([n("a", 1, "c"), n("b", 1, "a"), n("c", 1, "b")]), (e: unknown) => {
        assert.ok(e instanceof CycleError);
        assert.deepEqual(e.cycle, ["a", "c", "b", "a"]);
        return true;
      });
    });
  });

  describe("scheduleNodes", () => {
    const res = (urn: string, custom: boolean, extra: Partial<RegisteredResource> = {}): RegisteredResource => ({
      urn,
      type: custom ? `x:y:${urn}` : `c:c:${urn}`,
      name: urn,
      custom,
      dependencies: [],
      propertyDependencies: {},
      inputs: {},
      outputs: {},
      secretInputs: [],
      ...extra,
    });

    it("does not make children wait for their parent component, but dependents of a component wait for its children", () => {
      const resources = [
        res("comp", false, { dependencies: ["rg"] }),
        res("rg", true),
        res("apim", true, { parent: "comp" }),
        res("api", true, { parent: "comp", dependencies: ["apim"] }),
        res("later", true, { dependencies: ["comp"] }),
      ];
      const minutes: Record<string, number> = { rg: 1, apim: 40, api: 1, later: 2 };
      const nodes = scheduleNodes(resources, (r) => minutes[r.urn] ?? 0);
      const byId = new Map(nodes.map((x) => [x.id, x]));
      assert.deepEqual(byId.get("apim")!.after, [], "a child starts without its component");
      assert.deepEqual(new Set(byId.get("comp")!.after), new Set(["rg", "apim", "api"]));
      assert.equal(byId.get("comp")!.minutes, 0, "a local component takes no time of its own");
      const cp = criticalPath(nodes);
      assert.equal(cp.total, 43);
      assert.equal(cp.schedule.get("later")!.start, 41);
    });

    it("ignores a wait on a component the resource is inside of (no cycle)", () => {
      const resources = [res("root", false), res("inner", true, { parent: "root", dependencies: ["root"] })];
      assert.equal(criticalPath(scheduleNodes(resources, (r) => (r.custom ? 1 : 0))).total, 1);
    });

    it("waits for an explicit provider and for a custom parent", () => {
      const resources = [
        res("aks", true),
        res("k8s", true, { type: "pulumi:providers:kubernetes", dependencies: ["aks"] }),
        res("ns", true, { provider: "k8s::some-id" }),
        res("child", true, { parent: "ns" }),
      ];
      const nodes = scheduleNodes(resources, (r) => (r.urn === "aks" ? 10 : 0.1));
      const byId = new Map(nodes.map((x) => [x.id, x]));
      assert.deepEqual(byId.get("ns")!.after, ["k8s"]);
      assert.deepEqual(byId.get("child")!.after, ["ns"]);
      assert.equal(criticalPath(nodes).total, 10.3);
    });

    it("parses provider references", () => {
      assert.equal(providerUrn("urn:pulumi:s::p::pulumi:providers:kubernetes::k8s::0d5f-id"), "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s");
      assert.equal(providerUrn(undefined), undefined);
    });
  });

  describe("transitiveReduction", () => {
    it("drops edges implied by longer paths", () => {
      const reduced = transitiveReduction([n("a", 1), n("b", 1, "a"), n("c", 1, "a", "b"), n("d", 1, "a", "c")]);
      assert.deepEqual(reduced.get("c"), ["b"]);
      assert.deepEqual(reduced.get("d"), ["c"]);
      assert.deepEqual(reduced.get("b"), ["a"]);
    });
  });
});
