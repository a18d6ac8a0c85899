/**
 * The `scenarios plan --json` document: shaped like `pulumi preview --json` (DESIGN.md, "Contracts"), with
 * the stack itself as the first step, real type tokens, secrets masked, and the plan's estimates.
 *
 * Checked against a real document the Pulumi CLI printed (tests/fixtures/pulumi-preview/): the same keys in
 * the same places, `detailedDiff: null` on every step, `provider` omitted (not null) when a resource has
 * none, and resources without an explicit provider referring to their package's default provider
 * (`pulumi:providers:<pkg>::default_<version>::<id>`). Like the real CLI, the document lists no step for a
 * default provider: the engine does not report default-provider steps (pkg/engine, shouldReportStep).
 * What Pulumi's document does not have sits under its own keys: `outputs`, `estimates`, `simulated`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Evaluation, type RegisteredResource, SECRET } from "../mock-engine";
import type { ScenarioEstimate } from "./estimates";
import { SIMULATED_NOTICE } from "./model";

export const STACK_TYPE = "pulumi:pulumi:Stack";

/** A step's `newState`, keys in the order Pulumi writes them (apitype.ResourceV3). */
export interface StepState {
  urn: string;
  custom: boolean;
  id?: string;
  type: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** URN of the parent; absent for the stack itself. */
  parent?: string;
  dependencies: string[];
  /** `<provider URN>::<provider ID>`, for custom resources. */
  provider?: string;
  propertyDependencies: Record<string, string[]>;
}

export interface PreviewStep {
  op: "create";
  urn: string;
  provider?: string;
  newState: StepState;
  /** A create has no diff: Pulumi writes null. */
  detailedDiff: null;
}

export interface PreviewDocument {
  steps: PreviewStep[];
  /** Nanoseconds, as Pulumi writes it: here, how long the offline evaluation took (0 when unknown). */
  duration: number;
  changeSummary: { create: number };
  /** Not in Pulumi's document: the stack outputs, secrets masked. */
  outputs: Record<string, unknown>;
  /** Not in Pulumi's document: spin-up and monthly cost estimates. */
  estimates: ScenarioEstimate & { simulated: true; data: string };
  /** Not in Pulumi's document: what in this document is simulated. */
  simulated: { notice: string };
}

/** The ID a provider reference carries while the provider is still to be created (Pulumi's UnknownID). */
export const UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The name Pulumi gives a package's default provider: `default_<version with underscores>`. */
export function defaultProviderName(version: string): string {
  return `default_${version.replace(/[.+-]/g, "_")}`;
}

const packageVersions = new Map<string, string | undefined>();
/** The installed version of the Pulumi package behind a type token (`azure-native:...` -> @pulumi/azure-native). */
function packageVersion(pkg: string): string | undefined {
  if (!packageVersions.has(pkg)) {
    let version: string | undefined;
    try {
      const file = require.resolve(`@pulumi/${pkg}/package.json`);
      version = (JSON.parse(fs.readFileSync(path.resolve(file), "utf8")) as { version?: string }).version;
    } catch {
      version = undefined;
    }
    packageVersions.set(pkg, version);
  }
  return packageVersions.get(pkg);
}

/**
 * The provider reference of a custom resource: its explicit provider, or the default provider the engine
 * gives a resource without one. Providers themselves and components have none.
 */
export function providerReference(r: Pick<RegisteredResource, "type" | "custom" | "provider">, project: string, stack: string): string | undefined {
  if (r.provider) return r.provider;
  if (!r.custom || r.type.startsWith("pulumi:providers:")) return undefined;
  const pkg = r.type.split(":")[0];
  const version = packageVersion(pkg);
  const name = version ? defaultProviderName(version) : "default";
  return `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::${name}::${UNKNOWN_ID}`;
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

export function previewDocument(evaluation: Evaluation, estimates: ScenarioEstimate, durationMs = 0): PreviewDocument {
  const root = stackUrn(evaluation.project, evaluation.stack);
  const secrets = secretValues(evaluation);
  const outputs = Object.fromEntries(Object.entries(evaluation.outputs).map(([k, o]) => [k, o.secret ? SECRET : o.value]));
  const stackStep: PreviewStep = {
    op: "create",
    urn: root,
    newState: { urn: root, custom: false, type: STACK_TYPE, inputs: {}, outputs, dependencies: [], propertyDependencies: {} },
    detailedDiff: null,
  };
  const steps: PreviewStep[] = [
    stackStep,
    ...evaluation.resources.map((r): PreviewStep => {
      const provider = providerReference(r, evaluation.project, evaluation.stack);
      return {
        op: "create",
        urn: r.urn,
        ...(provider ? { provider } : {}),
        newState: {
          urn: r.urn,
          custom: r.custom,
          ...(r.id ? { id: r.id } : {}),
          type: r.type,
          inputs: r.inputs,
          outputs: r.outputs,
          // The mock engine does not register the stack; Pulumi parents top-level resources to it.
          parent: r.parent ?? root,
          dependencies: r.dependencies,
          ...(provider ? { provider } : {}),
          propertyDependencies: r.propertyDependencies,
        },
        detailedDiff: null,
      };
    }),
  ];
  return maskSecrets(
    {
      steps,
      duration: Math.round(durationMs * 1e6),
      changeSummary: { create: steps.length },
      outputs,
      estimates: { simulated: true as const, data: "data/estimates.json", ...estimates },
      simulated: { notice: SIMULATED_NOTICE },
    },
    secrets,
  );
}
