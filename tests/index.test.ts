import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluateScenario } from "../automation/evaluate";
import { evaluateProgram } from "../automation/mock-engine";
import { CONFIG_NAMESPACE, readStackSettings } from "../config/load";
import program = require("../index");

function asPulumiConfig(settings: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [`${CONFIG_NAMESPACE}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

describe("index.ts (the entry `pulumi up` runs)", () => {
  it("builds exactly what the offline evaluation builds from the same stack file", async () => {
    const viaEntry = await evaluateProgram(
      async () => {
        pulumi.runtime.setAllConfig(asPulumiConfig(readStackSettings("internal")));
        return program();
      },
      { project: CONFIG_NAMESPACE, stack: "internal" },
    );
    const viaRegistry = await evaluateScenario("internal");
    const shape = (e: typeof viaEntry) => e.resources.map((r) => `${r.type}::${r.name}`).sort();
    assert.deepEqual(shape(viaEntry), shape(viaRegistry));
    assert.deepEqual(Object.keys(viaEntry.outputs).sort(), Object.keys(viaRegistry.outputs).sort());
  });

  it("stops before creating anything when the configuration is invalid, listing every problem", async () => {
    let message = "";
    const evaluation = await evaluateProgram(
      async () => {
        pulumi.runtime.setAllConfig(asPulumiConfig({ ...readStackSettings("external"), apimSku: "Gold", aksNodeCount: 0 }));
        try {
          return await program();
        } catch (e) {
          message = (e as Error).message;
          return {};
        }
      },
      { project: CONFIG_NAMESPACE, stack: "external" },
    );
    assert.equal(evaluation.resources.length, 0);
    assert.match(message, /^apimSku = "Gold": allowed: /m);
    assert.match(message, /^aksNodeCount = "?0"?: must be at least 1$/m);
    assert.doesNotMatch(message, /\bat .*\.ts:\d+/);
  });
});
