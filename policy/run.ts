/**
 * Runs the policy pack over a graph the mock engine registered, offline: the adapter turns each recorded
 * resource into the arguments @pulumi/policy gives validators (`ResourceValidationArgs` with the resource's
 * inputs, `StackValidationArgs` with every resource's outputs, parents and dependencies as objects), adds the
 * `pulumi:pulumi:Stack` resource whose properties are the stack outputs, as the engine does, and collects what
 * the validators report. `scenarios plan` and the tests use it; `pulumi up --policy-pack policy` runs the same
 * validators in the CLI.
 *
 * What differs from the CLI: values are never unknown (the mock engine runs with preview off), secrets appear
 * as the mock engine's "[secret]" marker instead of their value, and validators must be synchronous.
 */
import type {
  EnforcementLevel,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { type Evaluation, type RegisteredResource, SECRET } from "../automation/mock-engine";
import { isStackPolicy, type Policy, policies as defaultPolicies } from "./policies";
import { markSecretPaths } from "./secrets";
import { T } from "./lib";

export type ReportedLevel = "mandatory" | "advisory";

export interface PolicyViolation {
  policy: string;
  enforcementLevel: ReportedLevel;
  /** The resource in violation; absent when the stack as a whole is. */
  urn?: string;
  resourceType?: string;
  resourceName?: string;
  message: string;
}

export type PolicyStatus = "pass" | "fail" | "not-applicable" | "disabled";

export interface PolicyResult {
  policy: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  kind: "resource" | "stack";
  status: PolicyStatus;
  /** Resources (resource policies) or stacks (stack policies) the policy applied to. */
  checked: number;
  violations: PolicyViolation[];
  /** Reasons given by `notApplicable`, deduplicated. */
  notApplicable: string[];
  url?: string;
}

export interface PolicySummary {
  /** No mandatory violation: `pulumi up --policy-pack policy` would proceed. */
  ok: boolean;
  mandatoryViolations: number;
  advisoryViolations: number;
  /** Policies that applied and found nothing. */
  passed: string[];
  /** Policies with at least one violation (either level). */
  failed: string[];
  notApplicable: string[];
}

export interface PolicyReport {
  project: string;
  stack: string;
  scenario?: string;
  results: PolicyResult[];
  /** Every violation, in policy order. */
  violations: PolicyViolation[];
  summary: PolicySummary;
}

export interface RunPoliciesOptions {
  /** Defaults to the pack's policies. */
  policies?: Policy[];
  /** Per-policy enforcement levels, as a policy pack config file sets them (`disabled` skips a policy). */
  enforcementLevels?: Record<string, EnforcementLevel>;
  /** Per-policy configuration, merged over each policy's schema defaults. */
  config?: Record<string, Record<string, unknown>>;
  /** Pulumi Cloud stack tags. */
  stackTags?: Record<string, string>;
}

class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "not applicable");
};

/** `urn:pulumi:<stack>::<project>::<type>::<name>` (types of children carry `parent$type`). */
function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  return { type: (parts[2] ?? "").split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

function providerOf(ref: string | undefined): PolicyProviderResource | undefined {
  if (!ref) return undefined;
  const urn = ref.includes("::") && ref.split("::").length > 4 ? ref.split("::").slice(0, 4).join("::") : ref;
  const { type, name } = urnParts(urn);
  return { type, name, urn, props: {} };
}

function optionsOf(r: RegisteredResource): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: r.parent,
  };
}

const clone = <X>(x: X): X => (x === undefined ? x : structuredClone(x));

function isType(type: string) {
  return (cls: { new (...rest: any[]): unknown }) => (cls as unknown as { __pulumiType?: string }).__pulumiType === type;
}

/** The engine's root resource: no inputs, the stack outputs as its outputs (secret ones masked and marked). */
function stackResource(evaluation: Evaluation): RegisteredResource {
  const outputs: Record<string, unknown> = {};
  for (const [k, o] of Object.entries(evaluation.outputs)) outputs[k] = o.secret ? SECRET : clone(o.value);
  return {
    urn: `urn:pulumi:${evaluation.stack}::${evaluation.project}::${T.stack}::${evaluation.project}-${evaluation.stack}`,
    type: T.stack,
    name: `${evaluation.project}-${evaluation.stack}`,
    custom: false,
    dependencies: [],
    propertyDependencies: {},
    inputs: {},
    outputs,
    secretInputs: [],
  };
}

/** Paths of the values the mock engine masked as secrets. */
function maskedPaths(value: unknown, path = ""): string[] {
  if (value === SECRET) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => maskedPaths(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => maskedPaths(v, path ? `${path}.${k}` : k));
  return [];
}

function configFor(p: Policy, options: RunPoliciesOptions): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(p.configSchema?.properties ?? {})
      .filter(([, schema]) => (schema as { default?: unknown }).default !== undefined)
      .map(([k, schema]) => [k, (schema as { default?: unknown }).default]),
  );
  return { ...defaults, ...(options.config?.[p.name] ?? {}) };
}

function call(p: Policy, fn: () => unknown): void {
  const result = fn();
  if (result && typeof (result as Promise<unknown>).then === "function") {
    throw new Error(`policy ${p.name} returned a promise: runPolicies runs synchronous validators only`);
  }
}

/** Runs every policy over the evaluation's resources and stack outputs. Synchronous, pure apart from validators. */
export function runPolicies(evaluation: Evaluation & { scenario?: string }, options: RunPoliciesOptions = {}): PolicyReport {
  const pack = options.policies ?? defaultPolicies;
  const stack = stackResource(evaluation);
  const records = [stack, ...evaluation.resources.map((r) => (r.parent ? r : { ...r, parent: stack.urn }))];
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const results: PolicyResult[] = [];

  for (const p of pack) {
    const configured = options.enforcementLevels?.[p.name] ?? p.enforcementLevel ?? "advisory";
    const level: ReportedLevel = configured === "advisory" ? "advisory" : "mandatory";
    const result: PolicyResult = {
      policy: p.name,
      description: p.description,
      enforcementLevel: configured,
      kind: isStackPolicy(p) ? "stack" : "resource",
      status: "not-applicable",
      checked: 0,
      violations: [],
      notApplicable: [],
      url: p.url,
    };
    results.push(result);
    if (configured === "disabled") {
      result.status = "disabled";
      continue;
    }
    const reasons = new Set<string>();
    const violation = (message: string, r?: RegisteredResource): PolicyViolation => ({
      policy: p.name,
      enforcementLevel: level,
      ...(r ? { urn: r.urn, resourceType: r.type, resourceName: r.name } : {}),
      message,
    });
    const getConfig = <C extends object>() => configFor(p, options) as C;

    if (isStackPolicy(p)) {
      const resources = new Map<string, PolicyResource>();
      for (const r of records) {
        const props = clone(r.outputs);
        // The engine marks secrets on every resource's state; the mock engine records them as the SECRET marker.
        markSecretPaths(props, r === stack ? Object.keys(evaluation.outputs).filter((k) => evaluation.outputs[k].secret) : maskedPaths(props));
        resources.set(r.urn, {
          type: r.type,
          props,
          urn: r.urn,
          name: r.name,
          opts: optionsOf(r),
          provider: providerOf(r.provider),
          dependencies: [],
          propertyDependencies: {},
          isType: isType(r.type),
          asType: ((cls: any) => (isType(r.type)(cls) ? props : undefined)) as PolicyResource["asType"],
        });
      }
      for (const r of records) {
        const pr = resources.get(r.urn)!;
        if (r.parent && resources.has(r.parent)) pr.parent = resources.get(r.parent);
        pr.dependencies = r.dependencies.map((u) => resources.get(u)).filter((x): x is PolicyResource => !!x);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
          pr.propertyDependencies[k] = urns.map((u) => resources.get(u)).filter((x): x is PolicyResource => !!x);
        }
      }
      const args: StackValidationArgs = { resources: [...resources.values()], stackTags, getConfig, notApplicable };
      const report: ReportViolation = (message, urn) => result.violations.push(violation(message, urn ? byUrn.get(urn) ?? ({ urn, type: urnParts(urn).type, name: urnParts(urn).name } as RegisteredResource) : undefined));
      try {
        call(p, () => p.validateStack(args, report));
        result.checked = 1;
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw new Error(`policy ${p.name}: ${(e as Error).message}`, { cause: e });
        reasons.add(e.reason);
      }
    } else {
      const validations = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
      for (const r of records) {
        const props = clone(r.inputs);
        const args: ResourceValidationArgs = {
          type: r.type,
          props,
          urn: r.urn,
          name: r.name,
          opts: optionsOf(r),
          provider: providerOf(r.provider),
          stackTags,
          isType: isType(r.type),
          asType: ((cls: any) => (isType(r.type)(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        // The urn argument is ignored for resource validations, as in @pulumi/policy.
        const report: ReportViolation = (message) => result.violations.push(violation(message, r));
        let applied = false;
        for (const validate of validations) {
          try {
            call(p, () => validate(args, report));
            applied = true;
          } catch (e) {
            if (!(e instanceof NotApplicable)) throw new Error(`policy ${p.name} on ${r.urn}: ${(e as Error).message}`, { cause: e });
            reasons.add(e.reason);
          }
        }
        if (applied) result.checked++;
      }
    }
    result.notApplicable = [...reasons];
    result.status = result.violations.length ? "fail" : result.checked ? "pass" : "not-applicable";
  }

  const violations = results.flatMap((r) => r.violations);
  const scenario = evaluation.scenario ?? (typeof evaluation.outputs.scenario?.value === "string" ? evaluation.outputs.scenario.value : undefined);
  return {
    project: evaluation.project,
    stack: evaluation.stack,
    ...(scenario ? { scenario } : {}),
    results,
    violations,
    summary: {
      ok: !violations.some((v) => v.enforcementLevel === "mandatory"),
      mandatoryViolations: violations.filter((v) => v.enforcementLevel === "mandatory").length,
      advisoryViolations: violations.filter((v) => v.enforcementLevel === "advisory").length,
      passed: results.filter((r) => r.status === "pass").map((r) => r.policy),
      failed: results.filter((r) => r.status === "fail").map((r) => r.policy),
      notApplicable: results.filter((r) => r.status === "not-applicable").map((r) => r.policy),
    },
  };
}

/** One line for a comparison table cell: `pass (13/15 rules, 2 advisory)` or `FAIL: 1 mandatory (apim-tls-hardening)`. */
export function summarizePolicyReport(report: PolicyReport): string {
  const s = report.summary;
  const applied = s.passed.length + s.failed.length;
  const advisory = s.advisoryViolations ? `, ${s.advisoryViolations} advisory` : "";
  if (s.ok) return `pass (${s.passed.length}/${applied} rules${advisory})`;
  const failing = [...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))];
  return `FAIL: ${s.mandatoryViolations} mandatory (${failing.join(", ")})${advisory}`;
}
