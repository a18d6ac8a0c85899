/**
 * The `scenarios plan --json` document: shaped like `pulumi preview --json` (DESIGN.md, "Contracts"), with
 * the stack itself as the first step, real type tokens, secrets masked, and the plan's estimates.
 */
import { type Evaluation, SECRET } from "../mock-engine";
import type { ScenarioEstimate } from "./estimates";

export const STACK_TYPE = "pulumi:pulumi:Stack";

export interface StepState {
  type: string;
  urn: string;
  /** URN of the parent; the stack's own is empty. */
  parent: string;
  custom: boolean;
  id?: string;
  provider?: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

export interface PreviewStep {
  op: "create";
  urn: string;
  provider?: string;
  newState: StepState;
}

export interface PreviewDocument {
  steps: PreviewStep[];
  changeSummary: { create: number };
  outputs: Record<string, unknown>;
  estimates: ScenarioEstimate & { simulated: true; data: string };
}

/** The stack's URN as Pulumi forms it: `urn:pulumi:<stack>::<project>::pulumi:pulumi:Stack::<project>-<stack>`. */
export function stackUrn(project: string, stack: string): string {
  return `urn:pulumi:${stack}::${project}::${STACK_TYPE}::${project}-${stack}`;
}

/** Replaces every string that contains one of the secret values with SECRET, deep. */
export function maskSecrets<T>(value: T, secrets: readonly string[]): T {
  if (!secrets.length) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return secrets.some((s) => v.includes(s)) ? SECRET : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** String forms of the secret stack outputs (leaves of objects too), long enough not to match by accident. */
export function secretValues(evaluation: Pick<Evaluation, "outputs">): string[] {
  const out = new Set<string>();
  const collect = (v: unknown) => {
    if (typeof v === "string" || typeof v === "number") {
      const s = String(v);
      if (s.length >= 6 && s !== SECRET) out.add(s);
    } else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  for (const o of Object.values(evaluation.outputs)) if (o.secret) collect(o.value);
  return [...out];
}

export function previewDocument(evaluation: Evaluation, estimates: ScenarioEstimate): PreviewDocument {
  const root = stackUrn(evaluation.project, evaluation.stack);
  const secrets = secretValues(evaluation);
  const outputs = Object.fromEntries(Object.entries(evaluation.outputs).map(([k, o]) => [k, o.secret ? SECRET : o.value]));
  const stackStep: PreviewStep = {
    op: "create",
    urn: root,
    newState: { type: STACK_TYPE, urn: root, parent: "", custom: false, inputs: {}, outputs, dependencies: [], propertyDependencies: {} },
  };
  const steps: PreviewStep[] = [
    stackStep,
    ...evaluation.resources.map(
      (r): PreviewStep => ({
        op: "create",
        urn: r.urn,
        ...(r.provider ? { provider: r.provider } : {}),
        newState: {
          type: r.type,
          urn: r.urn,
          // The mock engine does not register the stack; Pulumi parents top-level resources to it.
          parent: r.parent ?? root,
          custom: r.custom,
          ...(r.id ? { id: r.id } : {}),
          ...(r.provider ? { provider: r.provider } : {}),
          inputs: r.inputs,
          outputs: r.outputs,
          dependencies: r.dependencies,
          propertyDependencies: r.propertyDependencies,
        },
      }),
    ),
  ];
  return maskSecrets(
    {
      steps,
      changeSummary: { create: steps.length },
      outputs,
      estimates: { simulated: true as const, data: "data/estimates.json", ...estimates },
    },
    secrets,
  );
}
