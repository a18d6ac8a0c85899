/**
 * A SIMULATED program that keeps the workshop contract (docs/workshop.md), for the engine tests of
 * `scenarios workshop`: `workshopRole=shared` exports every SHARED_OUTPUTS output, an attendee stack reads them
 * through a real StackReference named by its `sharedStack` setting and exports the scenario outputs (gatewayUrl,
 * apiBasePath, subscriptionKey, probes). Its resources are the simulated cloud's (simulated-cloud.ts).
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { sharedSecretProblem } from "../../automation/plan/workshop-contract";
import { CONFIG_NAMESPACE } from "../../config/load";
import { simulated, simulatedSharedOutputs } from "./harness";
import { SimulatedResource } from "./simulated-cloud";

// A model deployment whose create fails with the cloud's error text when told to: the provider's error, as a
// real deployment's would be, so that the engine reports it in its diagnostics. Pulumi serializes the provider
// into the state; the text travels as an input.
const simulatedDeployments: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { refusal: string }) {
    if (inputs.refusal) throw new Error(inputs.refusal);
    return { id: `sim-deployment-${Math.random().toString(16).slice(2, 8)}`, outs: inputs };
  },
  async diff(_id, olds: { refusal: string }, news: { refusal: string }) {
    return { changes: olds.refusal !== news.refusal, replaces: [] };
  },
};

class SimulatedDeployment extends pulumi.dynamic.Resource {
  constructor(name: string, refusal: string, opts?: pulumi.CustomResourceOptions) {
    super(simulatedDeployments, name, { refusal }, opts, "simulated-deployment");
  }
}

/**
 * The contract's two roles in one program, as the real index.ts chooses by `workshopRole`. `refuse` names
 * attendees whose program fails; `refusals` gives an attendee the cloud's answers to its model deployment's
 * create, one per update (taken in order; an empty queue creates it).
 */
export function workshopProgram(refuse: Set<string>, refusals: Map<string, string[]> = new Map()): PulumiFn {
  return async () => {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const seconds = Number(config.get("createSeconds") ?? "0");
    const role = config.require("workshopRole");
    if (role === "shared") {
      return simulatedSharedOutputs("room", config.require("scenario"), seconds);
    }
    assert.equal(role, "attendee");
    const attendee = config.require("attendee");
    if (refuse.has(attendee)) throw new Error(`simulated: ${attendee}'s update refused`);
    const shared = new pulumi.StackReference("shared", { name: config.require("sharedStack") });
    const api = new SimulatedResource(`${attendee}-api`, simulated("api", pulumi.interpolate`${shared.requireOutput("apimServiceName")}/apis/${attendee}`, seconds));
    new SimulatedResource(`${attendee}-namespace`, simulated("namespace", pulumi.interpolate`${shared.requireOutput("aksClusterName")}/namespaces/ai-${attendee}`, seconds));
    const queue = refusals.get(attendee);
    if (queue) new SimulatedDeployment(`${attendee}-model`, queue.shift() ?? "");
    return {
      scenario: config.require("scenario"),
      gatewayUrl: shared.requireOutput("apimGatewayUrl"),
      apiBasePath: attendee,
      subscriptionKey: pulumi.secret(pulumi.interpolate`key-${api.id}`),
      kubeconfigReadable: shared.requireOutput("kubeconfig").apply((v: unknown) => sharedSecretProblem("kubeconfig", v) === undefined),
      probes: [],
    };
  };
}
