/**
 * The mock engine's simulated StackReference (workshop mode's attendee stacks read their shared stack through
 * one): outputs as given, secret ones secret, and a reference to a stack it was given nothing for refused.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluateProgram } from "../../automation/mock-engine";

const NAME = "organization/p/shared";
const simulated = { [NAME]: { plain: { value: "eu", secret: false }, hidden: { value: "simulated-credential", secret: true }, list: { value: ["198.51.100.7"], secret: false } } };

describe("automation/mock-engine: simulated StackReference", () => {
  it("gives each output its value and secrecy, through getOutput and getOutputDetails", async () => {
    let details: unknown[] = [];
    const e = await evaluateProgram(
      async () => {
        const ref = new pulumi.StackReference("shared", { name: NAME });
        details = await Promise.all(["plain", "hidden", "missing"].map((k) => ref.getOutputDetails(k)));
        return { plain: ref.getOutput("plain"), hidden: ref.requireOutput("hidden"), list: ref.getOutput("list"), secretNames: ref.secretOutputNames };
      },
      { project: "p", stack: "attendee", stackReferences: simulated },
    );
    assert.deepEqual(e.outputs.plain, { value: "eu", secret: false });
    assert.deepEqual(e.outputs.hidden, { value: "simulated-credential", secret: true });
    assert.deepEqual(e.outputs.list, { value: ["198.51.100.7"], secret: false });
    assert.deepEqual(e.outputs.secretNames.value, ["hidden"]);
    assert.deepEqual(details, [{ value: "eu" }, { secretValue: "simulated-credential" }, { value: undefined }]);
  });

  it("refuses a reference to a stack it has no simulated outputs for", async () => {
    await assert.rejects(
      evaluateProgram(() => ({ x: new pulumi.StackReference("shared", { name: "organization/p/other" }).getOutput("plain") }), { project: "p", stack: "attendee", stackReferences: simulated }),
      /no simulated outputs for the referenced stack organization\/p\/other/,
    );
  });
});
