import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Evaluation } from "../../../automation/mock-engine";
import { SECRET } from "../../../automation/mock-engine";
import { maskSecrets, previewDocument, secretValues } from "../../../automation/plan/document";
import { estimateScenario } from "../../../automation/plan/estimates";
import { SCENARIO_NAMES } from "../../../config/schema";
import { evaluated } from "../../scenarios/helpers";
import { assertPreviewContract, resource } from "./helpers";

describe("automation/plan/document", () => {
  const rg = resource("azure-native:resources:ResourceGroup", "rg");
  const box = resource("test:component:Box", "box", { urn: "urn:pulumi:dev::proj::test:component:Box::box" });
  const pw = resource("random:index/randomPassword:RandomPassword", "pw", { parent: box.urn, outputs: { result: SECRET } });
  const sub = resource("azure-native:apimanagement:Subscription", "sub", {
    parent: box.urn,
    dependencies: [pw.urn, rg.urn],
    inputs: { primaryKey: SECRET, displayName: "the key is s3cret-value-123 inside" },
  });
  const evaluation: Evaluation = {
    project: "proj",
    stack: "dev",
    resources: [box, rg, pw, sub],
    outputs: { key: { value: "s3cret-value-123", secret: true }, url: { value: "https://gw.example", secret: false } },
  };

  it("shapes the document like pulumi preview --json with the stack first and top-level resources under it", () => {
    const doc = previewDocument(evaluation, estimateScenario(evaluation));
    assertPreviewContract(doc, evaluation);
    assert.equal(doc.steps[0].urn, "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev");
    assert.equal(doc.steps.find((s) => s.urn === rg.urn)!.newState.parent, doc.steps[0].urn);
    assert.equal(doc.steps.find((s) => s.urn === pw.urn)!.newState.parent, box.urn);
    assert.deepEqual(doc.outputs, { key: SECRET, url: "https://gw.example" });
    assert.equal(doc.estimates.simulated, true);
  });

  it("masks a secret value wherever it appears, even inside another string", () => {
    const doc = previewDocument(evaluation, estimateScenario(evaluation));
    assert.equal(doc.steps.find((s) => s.urn === sub.urn)!.newState.inputs.displayName, SECRET);
    assert.deepEqual(maskSecrets({ a: ["x", "has abcdef"] }, ["abcdef"]), { a: ["x", SECRET] });
    assert.deepEqual(secretValues({ outputs: { a: { value: { nested: "longsecret", n: 12 }, secret: true }, b: { value: "public-value", secret: false } } }), ["longsecret"]);
  });

  describe("against a real `pulumi preview --json` document (tests/fixtures/pulumi-preview)", () => {
    type Json = Record<string, any>;
    const real = JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/pulumi-preview/preview.json"), "utf8")) as Json;
    const PROVIDER_REF = /^urn:pulumi:[^:]+::[^:]+::(.+\$)?pulumi:providers:[\w-]+::[\w-]+::[\w-]+$/;
    const EXTRAS = ["outputs", "estimates", "simulated"];
    let ours: Json;
    before(async () => {
      const e = await evaluated("internal");
      ours = JSON.parse(JSON.stringify(previewDocument(e, estimateScenario(e), 1500)));
    });

    it("the fixture is what the CLI prints: steps, duration and a change summary", () => {
      assert.deepEqual(Object.keys(real), ["steps", "duration", "changeSummary"]);
      assert.equal(real.changeSummary.create, real.steps.length);
    });

    it("has Pulumi's top-level keys, and only clearly named extras besides", () => {
      for (const k of Object.keys(real)) assert.ok(k in ours, k);
      assert.deepEqual(Object.keys(ours).filter((k) => !(k in real)), EXTRAS);
      assert.equal(ours.duration, 1500 * 1e6, "nanoseconds, as Pulumi writes it");
      assert.equal(ours.changeSummary.create, ours.steps.length);
    });

    it("writes detailedDiff: null on every step, and the step keys Pulumi writes, in its order", () => {
      const stepKeys = ["op", "urn", "provider", "newState", "detailedDiff"];
      for (const step of [...real.steps, ...ours.steps]) {
        assert.ok("detailedDiff" in step && step.detailedDiff === null, step.urn);
        const keys = Object.keys(step);
        assert.ok(keys.every((k) => stepKeys.includes(k)), keys.join(","));
        assert.deepEqual(keys, stepKeys.filter((k) => keys.includes(k)), "same order");
      }
    });

    it("writes newState with Pulumi's keys in Pulumi's order (plus id and outputs, which Pulumi writes once known)", () => {
      const order = ["urn", "custom", "id", "type", "inputs", "outputs", "parent", "dependencies", "provider", "propertyDependencies"];
      for (const step of real.steps) {
        const keys = Object.keys(step.newState).filter((k) => !["sourcePosition", "stackTrace"].includes(k));
        assert.deepEqual(keys, order.filter((k) => keys.includes(k)), `the fixture's ${step.urn} follows the order used here`);
      }
      for (const step of ours.steps) {
        const keys = Object.keys(step.newState);
        assert.deepEqual(keys, order.filter((k) => keys.includes(k)), step.urn);
      }
      assert.ok(!("parent" in real.steps[0].newState) && !("parent" in ours.steps[0].newState), "the stack has no parent");
    });

    it("omits an empty provider (never null), and every custom resource refers to its provider as Pulumi does", () => {
      for (const doc of [real, ours]) {
        assert.ok(doc.steps.some((s: Json) => !("provider" in s)), "the stack and local components have none");
        for (const step of doc.steps) {
          assert.notEqual(step.provider, null, step.urn);
          if (step.newState.custom && !step.newState.type.startsWith("pulumi:providers:")) assert.ok("provider" in step, `${step.urn}: a custom resource has a provider`);
          if ("provider" in step) {
            assert.match(step.provider, PROVIDER_REF, step.urn);
            assert.equal(step.newState.provider, step.provider);
          } else assert.ok(!("provider" in step.newState), step.urn);
        }
      }
      const azure = ours.steps.filter((s: Json) => s.newState.type.startsWith("azure-native:") && s.newState.custom);
      assert.ok(azure.length > 10);
      for (const s of azure) assert.match(s.provider, /::pulumi:providers:azure-native::default_\d+_\d+_\d+::04da6b54-80e4-46f7-96ec-b56ff0331ba9$/, s.urn);
      const explicit = ours.steps.filter((s: Json) => s.newState.type.startsWith("pulumi:providers:"));
      for (const p of explicit) assert.ok(ours.steps.some((s: Json) => s.provider?.startsWith(`${p.urn}::`)), `${p.urn} is referred to`);
    });

    it("like the CLI, lists no step for a default provider, only the references to it", () => {
      const isDefault = (urn: string) => /::pulumi:providers:[\w-]+::default(_[\w]+)?$/.test(urn);
      for (const doc of [real, ours]) {
        assert.ok(!doc.steps.some((s: Json) => isDefault(s.urn)));
        assert.ok(doc.steps.some((s: Json) => s.provider && isDefault(s.provider.slice(0, s.provider.lastIndexOf("::")))));
      }
    });
  });

  describe("on the real scenarios", () => {
    for (const scenario of SCENARIO_NAMES) {
      it(`${scenario}: keeps the contract and leaks no secret`, async () => {
        const e = await evaluated(scenario);
        const doc = previewDocument(e, estimateScenario(e));
        assertPreviewContract(doc, e);
        assert.ok(doc.steps.some((s) => s.newState.type === "azure-native:apimanagement:ApiManagementService"));
        assert.equal(doc.outputs.subscriptionKey, SECRET);
        assert.ok(!JSON.stringify(doc).includes(String(e.outputs.subscriptionKey.value)));
      });
    }
  });
});
