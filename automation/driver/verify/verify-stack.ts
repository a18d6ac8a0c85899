/** `verify` for one stack: its outputs give the probes and the key; VNet probes go through the cluster. */
import { emitMessage, emitPhase, type DriverContext } from "../lifecycle/orchestrate";
import type { Driver } from "../lifecycle/session";
import type { StackHandle, StackOutputs } from "../stack/types";
import { ClientCertificateSource } from "./client-certificates";
import type { ClusterRef } from "./incluster";
import { localTransport, parseProbes, type ProbeTransport, runProbes, type Transports, type VerifyOptions, type VerifyReport } from "./verify";

export interface VerifyStackOptions {
  scenario?: string;
  verify?: Partial<VerifyOptions>;
  /**
   * Opens a transport into the VNet of this stack (incluster.ts), or explains why it cannot. Called only
   * when a probe needs it.
   */
  openVnet?: (handle: StackHandle, outputs: StackOutputs) => Promise<(ProbeTransport & { dispose?: () => Promise<void> }) | { unavailable: string }>;
  internet?: ProbeTransport;
  /** The stack's outputs where the caller has read them already; read here otherwise. */
  outputs?: StackOutputs;
}

export async function verifyStack(handle: StackHandle, ctx: DriverContext, options: VerifyStackOptions = {}): Promise<VerifyReport> {
  emitPhase(ctx, handle.name, "verify");
  const outputs = options.outputs ?? (await handle.outputs());
  const probes = parseProbes(outputs.probes?.value);
  const key = outputs.subscriptionKey?.value;
  if (probes.some((p) => p.request.withSubscriptionKey) && typeof key !== "string") throw new Error("the stack output `subscriptionKey` is missing");
  const clientCertificates = ClientCertificateSource.fromOutputs(outputs);
  if (probes.some((p) => p.request.clientCertificate === "issued") && typeof outputs.clientCertificateKeyPem?.value !== "string") {
    throw new Error("the stack outputs `clientCertificatePem` and `clientCertificateKeyPem` are missing (apimClientCertificates)");
  }
  const edgeCa = outputs.edgeCaCertificatePem?.value;
  if (probes.some((p) => p.request.trust === "edge") && typeof edgeCa !== "string") throw new Error("the stack output `edgeCaCertificatePem` is missing (edge)");
  const transports: Transports = { internet: options.internet ?? localTransport() };
  let dispose: (() => Promise<void>) | undefined;
  if (probes.some((p) => p.from === "vnet")) {
    if (!options.openVnet) transports.vnet = { unavailable: "no way into the VNet was configured" };
    else {
      try {
        const vnet = await options.openVnet(handle, outputs);
        transports.vnet = vnet;
        if ("attempt" in vnet) dispose = vnet.dispose?.bind(vnet);
      } catch (e) {
        transports.vnet = { unavailable: (e as Error).message };
      }
    }
  }
  try {
    return await runProbes(
      handle.name,
      probes,
      transports,
      typeof key === "string" ? key : undefined,
      { clientCertificates, trustedCas: typeof edgeCa === "string" ? { edge: edgeCa } : undefined, ...options.verify, signal: options.verify?.signal ?? ctx.interrupt.signal, onProgress: (t) => emitMessage(ctx, handle.name, t) },
      options.scenario,
    );
  } finally {
    if (dispose) {
      await dispose().catch((e: Error) => emitMessage(ctx, handle.name, `could not delete the probe namespace: ${e.message}`, "warning"));
    }
  }
}

/** What the in-cluster transport needs of Azure: the signed-in subscription, and the transport itself (tests: a simulated cloud). */
export interface VnetCloud {
  subscription: () => Promise<string | undefined>;
  start: (cluster: ClusterRef, subscriptionId: string, options: { onProgress?: (t: string) => void }) => Promise<ProbeTransport & { dispose?: () => Promise<void> }>;
}

function realVnetCloud(): VnetCloud {
  return {
    subscription: async () => {
      const { preflight, realPreflightDeps } = require("../preflight/preflight") as typeof import("../preflight/preflight");
      const { chooseBackend } = require("../stack/env") as typeof import("../stack/env");
      return (await preflight(["azure"], { backend: chooseBackend(process.env), stacks: [] }, realPreflightDeps())).subscriptionId;
    },
    start: (cluster, subscriptionId, options) => (require("./incluster") as typeof import("./incluster")).InClusterTransport.start(cluster, subscriptionId, options),
  };
}

/** The Azure sign-in of a driver that did not check it (`workshop status --verify`): once, whatever the number of stacks. */
const signIns = new WeakMap<Driver, Promise<string | undefined>>();

/**
 * Opens the in-cluster transport for a stack's VNet probes (needs Azure sign-in; checked here, lazily, once per
 * driver). The cluster is the one the outputs name (`aksClusterId`), else the one in the stack's state.
 */
export function vnetOpener(driver: Driver, ctx: DriverContext = driver.ctx, cloud: Partial<VnetCloud> = {}) {
  const azure: VnetCloud = { ...realVnetCloud(), ...cloud };
  return async (handle: StackHandle, outputs?: StackOutputs) => {
    const { clusterFromId, findCluster } = require("./incluster") as typeof import("./incluster");
    let subscriptionId = driver.subscriptionId;
    if (!subscriptionId) {
      let signIn = signIns.get(driver);
      if (!signIn) signIns.set(driver, (signIn = azure.subscription()));
      subscriptionId = await signIn;
    }
    const cluster = clusterFromId((outputs ?? (await handle.outputs())).aksClusterId?.value) ?? findCluster(await handle.resources());
    if (!cluster) return { unavailable: "the stack has no AKS cluster in its state or outputs (aksClusterId)" };
    return azure.start(cluster, subscriptionId!, { onProgress: (t) => emitMessage(ctx, handle.name, t) });
  };
}
