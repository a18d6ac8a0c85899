import assert from "node:assert/strict";
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
