/**
 * A SIMULATED cloud for the engine tests: a Pulumi dynamic provider whose resources exist only in the
 * stack's state, and whose create / update / delete take the number of seconds the stack's configuration
 * says, or fail when told to. The engine, the CLI, the state backend, secrets and the driver are real; only
 * the cloud is imitated. The program is inline (LocalWorkspace `program`): it runs in the test's process,
 * so no Node.js language host is needed (see README, "Engine tests").
 */
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE } from "../../config/load";

export const SIMULATED_PROJECT = "scenarios-engine-test";

interface SimulatedInputs {
  kind: string;
  value: string;
  createSeconds: number;
  updateSeconds: number;
  deleteSeconds: number;
  /** "create" | "update" | "delete": that operation fails. */
  failOn: string;
}

// Everything the provider does is inside its methods: Pulumi serializes them into the state and runs them
// in the dynamic-provider process (pulumi-resource-pulumi-nodejs).
const simulatedCloud: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds: SimulatedInputs, news: SimulatedInputs) {
    const changed = (["value", "failOn", "createSeconds", "updateSeconds", "deleteSeconds"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0, replaces: olds.kind !== news.kind ? ["kind"] : [] };
  },
  async create(inputs: SimulatedInputs) {
    await new Promise((r) => setTimeout(r, inputs.createSeconds * 1000));
    if (inputs.failOn === "create") throw new Error(`simulated cloud: ${inputs.kind} refused (QuotaExceeded)`);
    return { id: `sim-${inputs.kind}-${Math.random().toString(16).slice(2, 8)}`, outs: { ...inputs, endpoint: `https://${inputs.kind}.simulated.invalid` } };
  },
  async update(_id, _olds: SimulatedInputs, news: SimulatedInputs) {
    await new Promise((r) => setTimeout(r, news.updateSeconds * 1000));
    if (news.failOn === "update") throw new Error(`simulated cloud: ${news.kind} update refused`);
    return { outs: { ...news, endpoint: `https://${news.kind}.simulated.invalid` } };
  },
  async delete(_id, props: SimulatedInputs) {
    await new Promise((r) => setTimeout(r, props.deleteSeconds * 1000));
    if (props.failOn === "delete") throw new Error(`simulated cloud: ${props.kind} delete refused (ResourceLocked)`);
  },
};

export class SimulatedResource extends pulumi.dynamic.Resource {
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly value: pulumi.Output<string>;
  constructor(name: string, args: { [K in keyof SimulatedInputs]: pulumi.Input<SimulatedInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
    super(simulatedCloud, name, { ...args, endpoint: undefined }, opts, "simulated");
  }
}

class SimulatedComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`scenarios:simulated:${type}`, name, {}, opts);
  }
}

/** Settings the program reads (namespace `apim-aks-ai-scenarios`, like the real program's). */
export interface SimulatedSettings {
  createSeconds?: number;
  updateSeconds?: number;
  deleteSeconds?: number;
  /** `<resource>:<operation>`, e.g. `api:create`. */
  fail?: string;
  greeting?: string;
}

/**
 * Two components like the real scenarios' (gateway with service and API, backend with cluster), the API
 * depending on the service; outputs of the real contract's shape, the key as a secret.
 */
export function simulatedProgram(): PulumiFn {
  return async () => {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const seconds = (key: string) => Number(config.get(key) ?? "0");
    const fail = config.get("fail") ?? "";
    const inputs = (kind: string) => ({
      kind,
      value: config.get("greeting") ?? "hello",
      createSeconds: seconds("createSeconds"),
      updateSeconds: seconds("updateSeconds"),
      deleteSeconds: seconds("deleteSeconds"),
      failOn: fail.startsWith(`${kind}:`) ? fail.slice(kind.length + 1) : "",
    });
    const gateway = new SimulatedComponent("Gateway", "gateway");
    const service = new SimulatedResource("service", inputs("service"), { parent: gateway });
    const api = new SimulatedResource("api", inputs("api"), { parent: gateway, dependsOn: [service] });
    const backend = new SimulatedComponent("Backend", "backend");
    const cluster = new SimulatedResource("cluster", inputs("cluster"), { parent: backend });
    return {
      scenario: config.require("scenario"),
      gatewayUrl: service.endpoint,
      apiValue: api.value,
      backendHost: cluster.endpoint,
      subscriptionKey: pulumi.secret(pulumi.interpolate`key-${api.id}`),
      probes: [],
    };
  };
}
