/** `verify` for one stack: its outputs give the probes and the key; VNet probes go through the cluster. */
import { emitMessage, emitPhase, type DriverContext } from "../lifecycle/orchestrate";
import type { Driver } from "../lifecycle/session";
import type { StackHandle } from "../stack/types";
import { ClientCertificateSource } from "./client-certificates";
import { localTransport, parseProbes, type ProbeTransport, runProbes, type Transports, type VerifyOptions, type VerifyReport } from "./verify";

export interface VerifyStackOptions {
  scenario?: string;
  verify?: Partial<VerifyOptions>;
  /**
   * Opens a transport into the VNet of this stack (incluster.ts), or explains why it cannot. Called only
   * when a probe needs it.
   */
  openVnet?: (handle: StackHandle) => Promise<(ProbeTransport & { dispose?: () => Promise<void> }) | { unavailable: string }>;
  internet?: ProbeTransport;
}

export async function verifyStack(handle: StackHandle, ctx: DriverContext, options: VerifyStackOptions = {}): Promise<VerifyReport> {
  emitPhase(ctx, handle.name, "verify");
  const outputs = await handle.outputs();
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
        const vnet = await options.openVnet(handle);
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

/** Opens the in-cluster transport for a stack's VNet probes (needs Azure sign-in; checked here, lazily). */
export function vnetOpener(driver: Driver, ctx: DriverContext = driver.ctx) {
  return async (handle: StackHandle) => {
    const { clusterFromId, findCluster, InClusterTransport } = require("./incluster") as typeof import("./incluster");
    let subscriptionId = driver.subscriptionId;
    if (!subscriptionId) {
      const { preflight, realPreflightDeps } = require("../preflight/preflight") as typeof import("../preflight/preflight");
      const { chooseBackend } = require("../stack/env") as typeof import("../stack/env");
      subscriptionId = (await preflight(["azure"], { backend: chooseBackend(process.env), stacks: [] }, realPreflightDeps())).subscriptionId;
    }
    const cluster = findCluster(await handle.resources()) ?? clusterFromId((await handle.outputs()).aksClusterId?.value);
    if (!cluster) return { unavailable: "the stack has no AKS cluster in its state or outputs (aksClusterId)" };
    return InClusterTransport.start(cluster, subscriptionId!, { onProgress: (t) => emitMessage(ctx, handle.name, t) });
  };
}
