import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { type Evaluation, type RegisteredResource, SECRET } from "../../../automation/mock-engine";
import { type PreviewDocument, STACK_TYPE, secretValues, stackUrn } from "../../../automation/plan/document";
import { analyzeScenario } from "../../../automation/plan/analysis";
import { estimateScenario } from "../../../automation/plan/estimates";
import type { PlanResult } from "../../../automation/plan/model";
import { policyOutcome } from "../../../automation/plan/run";
import type { ScenarioName } from "../../../config/schema";
import { SCENARIOS } from "../../../scenarios";
import { evaluated } from "../../scenarios/helpers";

/** A registered resource for hand-made graphs; `custom` unless the type is a component's. */
export function resource(type: string, name: string, extra: Partial<RegisteredResource> = {}): RegisteredResource {
  const custom = extra.custom ?? !type.startsWith("test:component:");
  return {
    urn: `urn:pulumi:s::p::${type}::${name}`,
    type,
    name,
    custom,
    dependencies: [],
    propertyDependencies: {},
    inputs: {},
    outputs: {},
    secretInputs: [],
    ...extra,
  };
}

/** The plan of a real scenario, policy pack included (shared evaluations; the mock engine runs them one after another). */
export function planned(scenario: ScenarioName): Promise<PlanResult> {
  if (!plans.has(scenario)) plans.set(scenario, plan(scenario));
  return plans.get(scenario)!;
}

const plans = new Map<ScenarioName, Promise<PlanResult>>();

async function plan(scenario: ScenarioName): Promise<PlanResult> {
  const evaluation = await evaluated(scenario);
  const d = SCENARIOS[scenario];
  return {
    scenario,
    title: d.title,
    summary: d.summary,
    evaluation,
    estimate: estimateScenario(evaluation),
    analysis: analyzeScenario(scenario, evaluation.resources),
    policy: policyOutcome(evaluation),
  };
}

/** The contract of DESIGN.md, "Contracts": checked the same way for hand-made and real evaluations. */
export function assertPreviewContract(doc: PreviewDocument, evaluation: Evaluation): void {
  assert.ok(Array.isArray(doc.steps) && doc.steps.length > 1);
  assert.deepEqual(Object.keys(doc.changeSummary), ["create"]);
  assert.equal(doc.changeSummary.create, doc.steps.length);
  const urns = new Set(doc.steps.map((s) => s.urn));
  assert.equal(urns.size, doc.steps.length, "URNs are unique");
  const [stack, ...rest] = doc.steps;
  assert.equal(stack.newState.type, STACK_TYPE, "the stack is the first step");
  assert.equal(stack.urn, stackUrn(evaluation.project, evaluation.stack));
  assert.equal(stack.newState.parent, undefined, "the stack has no parent (Pulumi omits the key)");
  for (const step of doc.steps) {
    assert.equal(step.op, "create");
    assert.equal(step.urn, step.newState.urn);
    assert.match(step.urn, /^urn:pulumi:[^:]+::[^:]+::.+::.+$/);
    assert.equal(typeof step.newState.type, "string");
    assert.match(step.newState.type, /^[\w-]+:[\w./-]*:[\w$]+$|^pulumi:(pulumi|providers):\w+$/, step.newState.type);
    assert.equal(typeof step.newState.inputs, "object");
    assert.equal(typeof step.newState.outputs, "object");
    assert.ok(Array.isArray(step.newState.dependencies));
    for (const dep of step.newState.dependencies) assert.ok(urns.has(dep), `${step.urn} depends on ${dep}, which is not in the document`);
  }
  for (const step of rest) assert.ok(urns.has(step.newState.parent!), `${step.urn} has parent ${step.newState.parent}, which is not in the document`);
  assert.ok(rest.some((s) => s.newState.parent === stack.urn), "top-level resources are parented to the stack");
  // Stack outputs: every one, secrets masked.
  assert.deepEqual(Object.keys(doc.outputs).sort(), Object.keys(evaluation.outputs).sort());
  for (const [k, o] of Object.entries(evaluation.outputs)) if (o.secret) assert.equal(doc.outputs[k], SECRET, k);
  // No secret value anywhere in the document.
  const text = JSON.stringify(doc);
  for (const secret of secretValues(evaluation)) assert.ok(!text.includes(secret), "a secret value leaked into the JSON document");
  assert.equal(typeof doc.estimates.spinUpMinutes, "number");
  assert.equal(typeof doc.estimates.monthlyCostUsd, "number");
}


export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/scenarios.js as a user would, in a pipe; `env` adds to (or overrides) NO_COLOR="" and DEBUG="". */
export function runScenarios(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const root = path.resolve(__dirname, "../../..");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bin", "scenarios.js"), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "", DEBUG: "", ...env }, timeout: 120000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
