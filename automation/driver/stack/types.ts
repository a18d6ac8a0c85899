/**
 * The narrow interface between the driver's orchestration and a Pulumi stack. The real implementation
 * (`workspace.ts`) wraps the Automation API; the orchestration (`orchestrate.ts`) only sees this, so its
 * ordering guarantees (teardown in `finally`, cancellation, parallel runs) are testable without a cloud.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";

export type { EngineEvent };

/** Operations that produce engine events. */
export type StackOperation = "update" | "preview" | "destroy" | "refresh";

export interface OperationOptions {
  /** Every engine event, as the Automation API delivers it. */
  onEvent?: (event: EngineEvent) => void;
  /** Aborting sends SIGINT to the Pulumi CLI, which cancels the update gracefully. */
  signal?: AbortSignal;
  /** Policy pack directories (`pulumi up --policy-pack`). */
  policyPacks?: string[];
  /** Refresh pending creates out of the state before destroying (after a cancelled or failed update). */
  clearPendingCreates?: boolean;
}

export type OperationStatus = "succeeded" | "failed" | "cancelled";

export interface OperationResult {
  operation: StackOperation;
  status: OperationStatus;
  /** `create: 3, same: 1, ...` as the engine summarised it; empty when it did not get that far. */
  changes: Record<string, number>;
  /** The engine's last error lines (diagnostics with severity error), or the CLI's message. */
  error?: string;
}

export interface StackOutput {
  value: unknown;
  secret: boolean;
}

export type StackOutputs = Record<string, StackOutput>;

/** One resource of the stack's state (from `pulumi stack export`): what purge and verify need to know. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

/** What the orchestration needs from a stack. Implemented over the Automation API in `workspace.ts`. */
export interface StackHandle {
  readonly name: string;
  up(options?: OperationOptions): Promise<OperationResult>;
  preview(options?: OperationOptions): Promise<OperationResult>;
  destroy(options?: OperationOptions): Promise<OperationResult>;
  outputs(): Promise<StackOutputs>;
  /** Resources in the state, read before destroy so purge knows what was soft-deleted. */
  resources(): Promise<StateResource[]>;
  /**
   * Releases the update lock of an update this process no longer runs (`pulumi cancel`). A running
   * update of this process is cancelled through the operation's `signal` instead.
   */
  cancel(): Promise<void>;
  /** Removes the stack (and, for ephemeral stacks, its stack file). */
  remove(): Promise<void>;
}

/** A soft-deleted Azure resource that blocks re-creating its name until purged. */
export type Purgeable =
  | { kind: "apim"; name: string; location: string }
  | { kind: "cognitive"; name: string; location: string; resourceGroupName: string };

export interface PurgeResult {
  target: Purgeable;
  status: "purged" | "not-found" | "failed";
  error?: string;
}

/** Purges soft-deleted resources. The real implementation uses the Azure SDKs (`purge.ts`). */
export interface Purger {
  purge(target: Purgeable, signal?: AbortSignal): Promise<PurgeResult>;
}

export type Phase = "preflight" | "config" | "preview" | "up" | "verify" | "destroy" | "purge" | "remove" | "outputs" | "done";

/** What the progress display shows; the orchestration emits these, renderers draw them. */
export type ProgressEvent =
  | { stack: string; kind: "phase"; phase: Phase; at: number }
  | { stack: string; kind: "resource-start"; op: string; type: string; name: string; urn: string; at: number }
  | { stack: string; kind: "resource-end"; op: string; type: string; name: string; urn: string; ok: boolean; at: number }
  | { stack: string; kind: "message"; text: string; level: "info" | "warning" | "error"; at: number }
  | { stack: string; kind: "finished"; ok: boolean; summary: string; at: number };

export type ProgressListener = (event: ProgressEvent) => void;
