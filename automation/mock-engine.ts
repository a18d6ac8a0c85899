/**
 * Runs a Pulumi program in the SDK's mock engine and returns the resource graph it registers: the same
 * program `pulumi up` runs, evaluated offline with simulated provider outputs. The offline plan, the
 * policy pack tests and the scenario tests all read this graph.
 */
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { simulateCall, simulateResource } from "./simulate";

/** Marker that replaces secret values in recorded inputs and outputs. */
export const SECRET = "[secret]";

export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  /** A custom resource (managed by a provider) rather than a component. */
  custom: boolean;
  id?: string;
  parent?: string;
  /** URNs this resource waits for: explicit `dependsOn` plus every resource whose outputs flow into its inputs. */
  dependencies: string[];
  /** Input property name -> URNs its value came from. */
  propertyDependencies: Record<string, string[]>;
  provider?: string;
  /** Inputs as the engine received them; secrets appear as SECRET. */
  inputs: Record<string, unknown>;
  /** Inputs plus simulated outputs (components: their registered outputs); secrets appear as SECRET. */
  outputs: Record<string, unknown>;
  /** Dotted paths of inputs that were secret. */
  secretInputs: string[];
}

export interface ProgramOutput {
  value: unknown;
  secret: boolean;
}

export interface Evaluation {
  project: string;
  stack: string;
  resources: RegisteredResource[];
  /** Stack outputs, resolved; secret ones keep their value here but are flagged. */
  outputs: Record<string, ProgramOutput>;
}

export interface EvaluateOptions {
  project: string;
  stack: string;
  /**
   * The outputs a `pulumi.StackReference` reads, by the referenced stack's fully qualified name: simulated,
   * like provider outputs (a shared stack's evaluated outputs, say). A reference to a stack not listed fails.
   */
  stackReferences?: Record<string, Record<string, ProgramOutput>>;
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/**
 * The state the engine gives a StackReference: `outputs` (secret ones as secrets) and `secretOutputNames`,
 * which the SDK reads to mark each output secret or not (node_modules/@pulumi/pulumi/stackReference.js).
 */
function simulatedStackReference(name: string, references: EvaluateOptions["stackReferences"]): Record<string, unknown> {
  const outputs = references?.[name];
  if (!outputs) throw new Error(`no simulated outputs for the referenced stack ${name}`);
  return {
    name,
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.secret ? pulumi.secret(o.value) : o.value])),
    secretOutputNames: Object.entries(outputs).filter(([, o]) => o.secret).map(([k]) => k),
  };
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Turns the wire form of properties into plain values: secrets masked, resource references as URNs. */
function plain(value: unknown, path: string, secrets: string[]): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map((v, i) => plain(v, `${path}[${i}]`, secrets));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) {
      secrets.push(path);
      return SECRET;
    }
    if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = plain(v, path ? `${path}.${k}` : k, secrets);
    return out;
  }
  return value;
}

interface MonitorLike {
  registerResource(req: any, cb: (err: any, resp: any) => void): unknown;
  registerResourceOutputs(req: any, cb: (err: any, resp: any) => void): unknown;
}

/**
 * Evaluates `program` (which constructs resources and returns stack outputs) in a fresh mock engine.
 * `pulumi.runtime.setMocks` resets the runtime, so evaluations may run one after another in one process,
 * but not concurrently.
 */
export async function evaluateProgram(
  program: () => Record<string, unknown> | Promise<Record<string, unknown>>,
  options: EvaluateOptions,
): Promise<Evaluation> {
  // The SDK records `new Error().stack` for every resource and promise it creates (source positions, leak
  // diagnostics); with tsx's source maps each is a source-mapped stack walk, a large share of an evaluation's
  // time. Evaluations report messages, not stacks, so none are recorded unless DEBUG asks for them.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!process.env.DEBUG) Error.stackTraceLimit = 0;
  try {
    return await evaluate(program, options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function evaluate(program: () => Record<string, unknown> | Promise<Record<string, unknown>>, options: EvaluateOptions): Promise<Evaluation> {
  const byUrn = new Map<string, RegisteredResource>();
  const order: RegisteredResource[] = [];
  let pending = 0;
  const failures: unknown[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.type === STACK_REFERENCE) return { id: String(args.inputs.name), state: simulatedStackReference(String(args.inputs.name), options.stackReferences) };
        const { id, state } = simulateResource(args.type, args.name, args.inputs);
        return { id: args.custom ? id : undefined, state };
      },
      call: (args) => simulateCall(args.token, args.inputs),
    },
    options.project,
    options.stack,
    false,
  );

  // Not a public API: the mock monitor sees the full registration request, including parent and
  // dependencies, which MockResourceArgs does not carry. tests/automation/mock-engine.test.ts guards it.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: (err: any, resp: any) => void) => {
    pending++;
    const secretInputs: string[] = [];
    const record: RegisteredResource = {
      urn: "",
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      dependencies: [...new Set<string>(req.getDependenciesList())],
      propertyDependencies: Object.fromEntries(
        [...req.getPropertydependenciesMap().entries()].map(([k, v]: [string, any]) => [k, v.getUrnsList() as string[]]),
      ),
      provider: req.getProvider() || undefined,
      inputs: plain(req.getObject()?.toJavaScript() ?? {}, "", secretInputs) as Record<string, unknown>,
      outputs: {},
      secretInputs,
    };
    const secretOutputs: string[] = req.getAdditionalsecretoutputsList();
    return register(req, (err, resp) => {
      pending--;
      // The engine, not the SDK, marks `additionalSecretOutputs` (RandomPassword.result, keys) as secret.
      if (!err && secretOutputs.length) markSecret(resp, secretOutputs);
      if (err) failures.push(err);
      else {
        record.urn = resp.getUrn();
        record.id = resp.getId() || undefined;
        record.outputs = plain(resp.getObject()?.toJavaScript() ?? {}, "", []) as Record<string, unknown>;
        byUrn.set(record.urn, record);
        order.push(record);
      }
      cb(err, resp);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, cb: (err: any, resp: any) => void) => {
    const record = byUrn.get(req.getUrn());
    if (record && !record.custom) record.outputs = plain(req.getOutputs()?.toJavaScript() ?? {}, "", []) as Record<string, unknown>;
    return registerOutputs(req, cb);
  };

  const outputs: Record<string, ProgramOutput> = {};
  try {
    const exported = await program();
    for (const [key, value] of Object.entries(exported)) {
      const out = pulumi.output(value);
      const [resolved, secret] = await Promise.all([promiseOf(out), pulumi.isSecret(out)]);
      outputs[key] = { value: resolved, secret };
    }
  } finally {
    // Even when the program throws, let its in-flight registrations finish here: otherwise they would
    // land in the next evaluation's fresh runtime and fail there with "unknown resource".
    await settle(() => pending);
  }
  if (failures.length) throw failures[0];
  return { project: options.project, stack: options.stack, resources: order, outputs };
}

function markSecret(resp: any, keys: string[]): void {
  const state = (resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
  for (const key of keys) {
    if (key in state && !(state[key] !== null && typeof state[key] === "object" && (state[key] as any)[SIG_KEY] === SECRET_SIG)) {
      state[key] = { [SIG_KEY]: SECRET_SIG, value: state[key] };
    }
  }
  resp.setObject(Struct.fromJavaScript(state as any));
}

function promiseOf<T>(out: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => out.apply((v) => resolve(v)));
}

/** Waits until no registration is in flight and the event loop has had a few quiet turns. */
async function settle(pending: () => number): Promise<void> {
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setImmediate(r));
    quiet = pending() === 0 ? quiet + 1 : 0;
  }
}
