/**
 * The adapter between the mock engine's graph and @pulumi/policy's validator arguments, and the report that
 * `scenarios plan` summarises.
 */
import assert from "node:assert/strict";
import { Api, ApiManagementService } from "@pulumi/azure-native/apimanagement";
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs, StackValidationPolicy, ResourceValidationPolicy } from "@pulumi/policy";
import { SECRET } from "../../automation/mock-engine";
import { SECRET_MARKER } from "../../policy/outputs";
import { runPolicies, summarizePolicyReport } from "../../policy/run";
import { secretPathsOf } from "../../policy/secrets";
import { copyOf, edit, evaluated, find } from "./helpers";

const APIM = "azure-native:apimanagement:ApiManagementService";
const SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";

function probeResource(seen: ResourceValidationArgs[], extra: Partial<ResourceValidationPolicy> = {}): ResourceValidationPolicy {
  return {
    name: "probe-resource",
    description: "records its arguments",
    enforcementLevel: "mandatory",
    configSchema: { properties: { limit: { type: "integer", default: 3 }, label: { type: "string" } } },
    validateResource: (args) => {
      if (args.type !== APIM) args.notApplicable("not APIM");
      seen.push(args);
    },
    ...extra,
  };
}

function probeStack(seen: StackValidationArgs[]): StackValidationPolicy {
  return { name: "probe-stack", description: "records its arguments", enforcementLevel: "advisory", validateStack: (args) => void seen.push(args) };
}

describe("runPolicies: the adapter", () => {
  it("gives resource validations the inputs, the type helpers, the options and the policy's config", async () => {
    const e = await evaluated("external");
    const apim = find(e, APIM);
    const seen: ResourceValidationArgs[] = [];
    const report = runPolicies(e, { policies: [probeResource(seen)], config: { "probe-resource": { label: "x" } } });
    assert.equal(seen.length, 1);
    const args = seen[0];
    assert.deepEqual(args.props, apim.inputs);
    assert.equal(args.urn, apim.urn);
    assert.equal(args.name, apim.name);
    assert.equal(args.type, APIM);
    assert.equal(args.opts.parent, apim.parent);
    assert.equal(args.isType(ApiManagementService), true);
    assert.equal(args.isType(Api), false);
    assert.equal(args.asType(ApiManagementService), args.props);
    assert.equal(args.asType(Api), undefined);
    assert.deepEqual(args.getConfig(), { limit: 3, label: "x" });
    assert.ok(args.stackTags instanceof Map);
    const result = report.results[0];
    assert.equal(result.status, "pass");
    assert.equal(result.checked, 1);
    assert.deepEqual(result.notApplicable, ["not APIM"]);
  });

  it("gives stack validations every resource's outputs, with parents and dependencies as resource objects", async () => {
    const e = await evaluated("public");
    const seen: StackValidationArgs[] = [];
    runPolicies(e, { policies: [probeStack(seen)] });
    const { resources } = seen[0];
    assert.equal(resources.length, e.resources.length + 1);

    // The engine's root resource carries the stack outputs; secret ones are masked and marked.
    const stack = resources[0];
    assert.equal(stack.type, "pulumi:pulumi:Stack");
    assert.deepEqual(Object.keys(stack.props).sort(), Object.keys(e.outputs).sort());
    assert.equal(stack.props.subscriptionKey, SECRET);
    assert.equal(stack.props.scenario, "public");
    assert.deepEqual(secretPathsOf(stack.props), ["subscriptionKey"]);

    const byUrn = new Map<string, PolicyResource>(resources.map((r) => [r.urn, r]));
    for (const r of e.resources) {
      const pr = byUrn.get(r.urn)!;
      assert.deepEqual(pr.props, r.outputs, r.urn);
      // Top-level resources are the stack's children, as in a real deployment.
      assert.equal(pr.parent, r.parent ? byUrn.get(r.parent) : stack, r.urn);
      assert.deepEqual(pr.dependencies.map((d) => d.urn), r.dependencies.filter((u) => byUrn.has(u)));
      for (const d of pr.dependencies) assert.equal(d, byUrn.get(d.urn), "dependencies are the same objects as in resources");
    }
    const grant = resources.find((r) => r.type === "azure-native:authorization:RoleAssignment" && r.name === "apim-inference")!;
    assert.equal(grant.propertyDependencies.principalId[0].type, APIM);
  });

  it("keeps validators from changing the evaluation", async () => {
    const e = await copyOf("internal");
    const before = JSON.stringify(e);
    const vandal: ResourceValidationPolicy = {
      name: "vandal",
      description: "mutates what it is given",
      enforcementLevel: "advisory",
      validateResource: (args) => {
        args.props.tags = "gone";
      },
    };
    const stackVandal: StackValidationPolicy = {
      name: "stack-vandal",
      description: "mutates what it is given",
      enforcementLevel: "advisory",
      validateStack: (args) => args.resources.forEach((r) => (r.props.name = "gone")),
    };
    runPolicies(e, { policies: [vandal, stackVandal] });
    assert.equal(JSON.stringify(e), before);
  });

  it("reports the urn a stack validation names, or the stack as a whole", async () => {
    const e = await evaluated("consumption");
    const apim = find(e, APIM);
    const policy: StackValidationPolicy = {
      name: "names-things",
      description: "reports twice",
      enforcementLevel: "mandatory",
      validateStack: (_args, report) => {
        report("about APIM", apim.urn);
        report("about the stack");
      },
    };
    const { violations, summary } = runPolicies(e, { policies: [policy] });
    assert.deepEqual(violations, [
      { policy: "names-things", enforcementLevel: "mandatory", urn: apim.urn, resourceType: APIM, resourceName: apim.name, message: "about APIM" },
      { policy: "names-things", enforcementLevel: "mandatory", message: "about the stack" },
    ]);
    assert.equal(summary.ok, false);
    assert.deepEqual(summary.failed, ["names-things"]);
  });

  it("applies enforcement levels the way a policy pack config does", async () => {
    const e = await copyOf("external");
    edit(find(e, APIM), (p) => (p.customProperties[`${SECURITY}.Protocols.Tls11`] = "True"));
    const strict = runPolicies(e);
    assert.equal(strict.summary.ok, false);
    assert.equal(strict.summary.mandatoryViolations, 1);

    const relaxed = runPolicies(e, { enforcementLevels: { "apim-tls-hardening": "advisory" } });
    assert.equal(relaxed.summary.ok, true);
    assert.equal(relaxed.summary.mandatoryViolations, 0);
    assert.equal(relaxed.violations.find((v) => v.policy === "apim-tls-hardening")!.enforcementLevel, "advisory");

    const off = runPolicies(e, { enforcementLevels: { "apim-tls-hardening": "disabled" } });
    const result = off.results.find((r) => r.policy === "apim-tls-hardening")!;
    assert.equal(result.status, "disabled");
    assert.deepEqual(result.violations, []);
    assert.equal(off.summary.ok, true);

    const remediate = runPolicies(e, { enforcementLevels: { "apim-tls-hardening": "remediate" } });
    assert.equal(remediate.summary.mandatoryViolations, 1, "remediate without a remediation reports as mandatory, like the CLI");
  });

  it("refuses asynchronous validators instead of dropping their findings", async () => {
    const e = await evaluated("public");
    const slow: StackValidationPolicy = { name: "slow", description: "async", enforcementLevel: "mandatory", validateStack: async () => undefined };
    assert.throws(() => runPolicies(e, { policies: [slow] }), /policy slow returned a promise/);
  });

  it("names the policy and resource when a validator throws", async () => {
    const e = await evaluated("public");
    const broken: ResourceValidationPolicy = {
      name: "broken",
      description: "throws",
      enforcementLevel: "mandatory",
      validateResource: () => {
        throw new Error("boom");
      },
    };
    assert.throws(() => runPolicies(e, { policies: [broken] }), /policy broken on urn:pulumi:public::.*: boom/);
  });

  it("returns a plain JSON report with a one-line summary for tables", async () => {
    const report = runPolicies(await evaluated("public"));
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    // The public baseline's advisories: no JWT, a backend open to the internet (its chart and its NSG rule), and
    // an API server with no authorized ranges.
    assert.match(summarizePolicyReport(report), /^pass \(\d+\/\d+ rules, 4 advisory\)$/);
    const e = await copyOf("internal");
    edit(find(e, "azure-native:cognitiveservices:Account"), (p) => (p.properties.disableLocalAuth = false));
    assert.match(summarizePolicyReport(runPolicies(e)), /^FAIL: 1 mandatory \(openai-local-auth-disabled\)/);
  });

  it("masks secrets with the mock engine's marker", () => {
    assert.equal(SECRET_MARKER, SECRET);
  });
});
