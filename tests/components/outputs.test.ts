/**
 * One interface across components (issue 18 part 3): every public property a component exposes is among the
 * outputs it registers, and the Azure components name their main resource the same way. Checked on the
 * components as the scenarios of the catalog build them, not on a list kept by hand.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { evaluateScenario } from "../../automation/evaluate";
import { SCENARIO_NAMES } from "../../config/schema";

const COMPONENTS_DIR = path.join(__dirname, "../../components");

/** Every ComponentResource class exported from components/. */
function componentClasses(): Map<string, Function> {
  const classes = new Map<string, Function>();
  for (const file of fs.readdirSync(COMPONENTS_DIR).filter((f) => f.endsWith(".ts"))) {
    const mod = require(path.join(COMPONENTS_DIR, file)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (typeof value === "function" && value.prototype instanceof pulumi.ComponentResource) classes.set(value.name, value);
    }
  }
  return classes;
}

/** Public, enumerable properties that carry data: not the SDK's own (`__...`, `urn`), not child resources. */
function publicData(component: pulumi.ComponentResource): string[] {
  const isResource = (v: unknown) => pulumi.Resource.isInstance(v) || (Array.isArray(v) && v.length > 0 && v.every((x) => pulumi.Resource.isInstance(x)));
  return Object.entries(component)
    .filter(([key, value]) => !key.startsWith("__") && key !== "urn" && typeof value !== "function" && !isResource(value))
    .map(([key]) => key);
}

/** The Azure components and the resource their `resourceName`/`resourceId` name. */
const AZURE_MAIN_RESOURCE: Record<string, string> = {
  ApiGateway: "azure-native:apimanagement:ApiManagementService",
  AksCluster: "azure-native:containerservice:ManagedCluster",
  AiModel: "azure-native:cognitiveservices:Account",
  Network: "azure-native:network:VirtualNetwork",
  AppGateway: "azure-native:network:ApplicationGateway",
  Observability: "azure-native:operationalinsights:Workspace",
  AppImage: "azure-native:containerregistry:Registry",
};

describe("components: one interface", () => {
  const registered: { component: pulumi.ComponentResource; keys: string[] | undefined }[] = [];
  const graphs: Awaited<ReturnType<typeof evaluateScenario>>[] = [];
  const classes = componentClasses();

  before(async function () {
    this.timeout(240_000);
    // registerOutputs is protected; the test wraps it on the prototype to see each call.
    const proto = pulumi.ComponentResource.prototype as unknown as { registerOutputs(this: pulumi.ComponentResource, outputs?: unknown): void };
    const original = proto.registerOutputs;
    // The SDK registers `{}` by itself (without arguments) for a component that never calls registerOutputs.
    proto.registerOutputs = function (this: pulumi.ComponentResource, outputs?: unknown) {
      if (!registered.some((r) => r.component === this)) registered.push({ component: this, keys: outputs === undefined ? undefined : Object.keys(outputs as object) });
      return original.call(this, outputs);
    };
    try {
      // A stack name of its own: a fresh evaluation, not one another test file already made.
      for (const scenario of SCENARIO_NAMES) graphs.push(await evaluateScenario(scenario, { stack: `${scenario}-outputs` }));
      // The model pool exists only with a secondary account.
      graphs.push(await evaluateScenario("public", { stack: "public-outputs-pool", overrides: { openAiSecondaryLocation: "francecentral" } }));
      // The edge exists only with edge=appgw-waf.
      graphs.push(await evaluateScenario("internal", { stack: "internal-outputs-edge", overrides: { edge: "appgw-waf" } }));
      // The callers' CA and client certificate exist only with apimClientCertificates.
      graphs.push(await evaluateScenario("public", { stack: "public-outputs-client-cert", overrides: { apimClientCertificates: true } }));
    } finally {
      proto.registerOutputs = original;
    }
  });

  it("sees every component class of components/ in the scenarios", () => {
    const seen = new Set(registered.map((r) => r.component.constructor.name));
    for (const name of classes.keys()) assert.ok(seen.has(name), `${name} is built by no scenario`);
  });

  it("registers every public property of every component as an output", () => {
    const ours = registered.filter((r) => classes.get(r.component.constructor.name) === r.component.constructor);
    assert.ok(ours.length >= classes.size);
    for (const { component, keys } of ours) {
      const name = component.constructor.name;
      assert.ok(keys !== undefined, `${name} never calls registerOutputs`);
      for (const key of publicData(component)) assert.ok(keys.includes(key), `${name}.${key} is public but not registered`);
      for (const key of keys) assert.ok(key in component, `${name} registers ${key}, which it does not expose`);
    }
  });

  it("names the main Azure resource resourceName and resourceId everywhere, with principalId where it has an identity", () => {
    const ours = registered.filter((r) => r.component.constructor.name in AZURE_MAIN_RESOURCE);
    for (const { component } of ours) {
      const name = component.constructor.name;
      for (const key of ["resourceName", "resourceId"]) assert.ok(pulumi.Output.isInstance((component as any)[key]), `${name}.${key}`);
    }
    for (const graph of graphs) {
      for (const [name, type] of Object.entries(AZURE_MAIN_RESOURCE)) {
        for (const c of graph.resources.filter((r) => r.type.endsWith(`:${name}`) && !r.custom)) {
          const main = graph.resources.filter((r) => r.parent === c.urn && r.type === type);
          assert.equal(main.length, 1, `${c.urn}: one ${type}`);
          assert.equal(c.outputs.resourceId, main[0].id, `${c.urn} resourceId`);
          if (main[0].inputs.identity !== undefined) assert.ok(c.outputs.principalId, `${c.urn} has an identity, so principalId`);
        }
      }
    }
  });
});
