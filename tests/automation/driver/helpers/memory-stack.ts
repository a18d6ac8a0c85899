/**
 * An in-memory implementation of the driver's own `StackHandle` interface, for testing the orchestration's
 * ordering and cancellation. It is not a stand-in for Pulumi or Azure: it only records which calls the
 * orchestration made, in which order, and lets a test decide how each call ends.
 */
import { hostname } from "node:os";
import type { EngineEvent, OperationOptions, OperationResult, Purgeable, Purger, PurgeResult, StackHandle, StackOutputs, StateResource } from "../../../../automation/driver/stack/types";

/** Above Linux's pid_max: no process has it. */
export const DEAD_PID = 2147483646;

export interface Behaviour {
  /** Make `up` fail with this message. */
  upFails?: string;
  /** `up` runs until its signal aborts (then ends as a CLI cancelled by SIGINT would: "cancelled"). */
  upRunsUntilAborted?: boolean;
  /** `destroy` waits this long (or until its signal aborts). */
  destroyMs?: number;
  destroyFails?: string;
  /** The first destroy fails because the stack is locked by an update that is gone. */
  destroyLockedOnce?: boolean;
  resources?: StateResource[];
  resourcesFail?: string;
  outputs?: StackOutputs;
  removeFails?: string;
  /** Resolved when `up` has started (to interrupt at the right moment). */
  onUpStarted?: () => void;
  onDestroyStarted?: () => void;
  /** `up` waits for this before finishing (to prove runs overlap). */
  upGate?: Promise<void>;
}

const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::apim-aks-ai-scenarios::${type}::${name}`;

export function resourceEvents(stack: string, seq: { n: number }, op: "create" | "delete", type: string, name: string, outcome: "ok" | "failed" = "ok"): EngineEvent[] {
  const metadata = { op, urn: urn(stack, type, name), type, provider: "", new: { type, urn: urn(stack, type, name), custom: true, id: "", parent: "", inputs: {}, outputs: {}, provider: "" } };
  const now = Math.floor(Date.now() / 1000);
  return [
    { sequence: seq.n++, timestamp: now, resourcePreEvent: { metadata } } as EngineEvent,
    outcome === "ok"
      ? ({ sequence: seq.n++, timestamp: now, resOutputsEvent: { metadata } } as EngineEvent)
      : ({ sequence: seq.n++, timestamp: now, resOpFailedEvent: { metadata, status: 1, steps: 1 } } as EngineEvent),
  ];
}

function waitForAbort(signal: AbortSignal | undefined, ms = Infinity): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const timer = Number.isFinite(ms) ? setTimeout(() => resolve(false), ms) : undefined;
    signal?.addEventListener("abort", () => {
      if (timer) clearTimeout(timer);
      resolve(true);
    }, { once: true });
  });
}

export class MemoryStack implements StackHandle {
  private destroyCalls = 0;
  private readonly seq = { n: 1 };
  readonly calls: { op: string; options?: OperationOptions }[] = [];

  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly behaviour: Behaviour = {},
  ) {}

  private note(entry: string): void {
    this.log.push(`${this.name}:${entry}`);
  }

  async up(options?: OperationOptions): Promise<OperationResult> {
    this.calls.push({ op: "up", options });
    this.note("up");
    this.behaviour.onUpStarted?.();
    for (const e of resourceEvents(this.name, this.seq, "create", "azure-native:resources:ResourceGroup", "resource-group")) options?.onEvent?.(e);
    if (this.behaviour.upGate) await this.behaviour.upGate;
    if (this.behaviour.upRunsUntilAborted) {
      options?.onEvent?.(resourceEvents(this.name, this.seq, "create", "azure-native:apimanagement:ApiManagementService", "gateway")[0]);
      await waitForAbort(options?.signal);
      this.note("up-cancelled");
      return { operation: "update", status: "cancelled", changes: { create: 1 }, error: "update canceled" };
    }
    if (this.behaviour.upFails) {
      for (const e of resourceEvents(this.name, this.seq, "create", "azure-native:cognitiveservices:Account", "openai", "failed")) options?.onEvent?.(e);
      this.note("up-failed");
      return { operation: "update", status: "failed", changes: {}, error: this.behaviour.upFails };
    }
    options?.onEvent?.({ sequence: this.seq.n++, timestamp: 0, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 1 }, policyPacks: {} } } as EngineEvent);
    this.note("up-done");
    return { operation: "update", status: "succeeded", changes: { create: 1 } };
  }

  async preview(options?: OperationOptions): Promise<OperationResult> {
    this.calls.push({ op: "preview", options });
    this.note("preview");
    return { operation: "preview", status: "succeeded", changes: { create: 1 } };
  }

  async destroy(options?: OperationOptions): Promise<OperationResult> {
    this.calls.push({ op: "destroy", options });
    this.destroyCalls++;
    this.note(`destroy${options?.clearPendingCreates ? "(clear-pending)" : ""}`);
    this.behaviour.onDestroyStarted?.();
    if (this.behaviour.destroyLockedOnce && this.destroyCalls === 1) {
      this.note("destroy-locked");
      return { operation: "destroy", status: "failed", changes: {}, error: `ConcurrentUpdateError: the stack is currently locked by 1 lock(s)\n  file:///state/.pulumi/locks/${this.name}/a.json: created by tester@${hostname()} (pid ${DEAD_PID}) at 2025-06-01T08:00:00Z` };
    }
    for (const e of resourceEvents(this.name, this.seq, "delete", "azure-native:resources:ResourceGroup", "resource-group")) options?.onEvent?.(e);
    const aborted = await waitForAbort(options?.signal, this.behaviour.destroyMs ?? 0);
    if (aborted) {
      this.note("destroy-cancelled");
      return { operation: "destroy", status: "cancelled", changes: {}, error: "destroy canceled" };
    }
    if (this.behaviour.destroyFails) {
      this.note("destroy-failed");
      return { operation: "destroy", status: "failed", changes: {}, error: this.behaviour.destroyFails };
    }
    this.note("destroy-done");
    return { operation: "destroy", status: "succeeded", changes: { delete: 1 } };
  }

  async outputs(): Promise<StackOutputs> {
    this.note("outputs");
    return this.behaviour.outputs ?? {};
  }

  async resources(): Promise<StateResource[]> {
    this.note("resources");
    if (this.behaviour.resourcesFail) throw new Error(this.behaviour.resourcesFail);
    return this.behaviour.resources ?? [];
  }

  async cancel(): Promise<void> {
    this.note("cancel");
  }

  async remove(): Promise<void> {
    this.note("remove");
    if (this.behaviour.removeFails) throw new Error(this.behaviour.removeFails);
  }
}

/** Records purges; fails for names listed in `failing`. */
export class MemoryPurger implements Purger {
  readonly purged: Purgeable[] = [];
  constructor(
    private readonly log: string[],
    private readonly failing: string[] = [],
  ) {}
  async purge(target: Purgeable): Promise<PurgeResult> {
    this.log.push(`purge:${target.kind}:${target.name}`);
    this.purged.push(target);
    if (this.failing.includes(target.name)) return { target, status: "failed", error: "purge refused" };
    return { target, status: "purged" };
  }
}

export function apimAndOpenAi(stack: string): StateResource[] {
  return [
    {
      urn: urn(stack, "azure-native:apimanagement:ApiManagementService", "gateway-service"),
      type: "azure-native:apimanagement:ApiManagementService",
      id: `/subscriptions/s/resourceGroups/rg-${stack}/providers/Microsoft.ApiManagement/service/apim-${stack}`,
      custom: true,
      inputs: { serviceName: `apim-${stack}`, location: "swedencentral" },
      outputs: { name: `apim-${stack}`, location: "Sweden Central" },
    },
    {
      urn: urn(stack, "azure-native:cognitiveservices:Account", "openai"),
      type: "azure-native:cognitiveservices:Account",
      id: `/subscriptions/s/resourceGroups/rg-${stack}/providers/Microsoft.CognitiveServices/accounts/oai-${stack}`,
      custom: true,
      inputs: { accountName: `oai-${stack}`, location: "swedencentral", resourceGroupName: `rg-${stack}` },
      outputs: { name: `oai-${stack}`, location: "swedencentral" },
    },
    { urn: urn(stack, "azure-native:resources:ResourceGroup", "resource-group"), type: "azure-native:resources:ResourceGroup", id: `/subscriptions/s/resourceGroups/rg-${stack}`, custom: true, inputs: {}, outputs: { name: `rg-${stack}` } },
  ];
}
