/**
 * Ephemeral stacks for tests and `compare`: a unique name (`<scenario>-eph-<random>`), `expiresAt` set so
 * every resource carries `expires-at` (sweep's safety net), and, whatever happens, destroy + purge + stack
 * removal in `finally`. The model is Pulumi's own automation tests (random stack names, destroy and remove
 * in finally).
 *
 *   await withEphemeral("public", {}, async (stack, outputs) => { ... });
 */
import type { ScenarioName } from "../../../config/schema";
import { InterruptController } from "../interrupt/interrupt";
import { errorText } from "../../shared/text";
import { type DriverContext, type LifecycleResult, runEphemeralLifecycle } from "./orchestrate";
import { openDriver, validateTargets } from "./session";
import type { ProgressListener, StackHandle, StackOutputs } from "../stack/types";
import { type DriverWorkspace, effectiveSettings, expiresAtFromNow } from "../stack/workspace";

export interface EphemeralOptions {
  /** Settings replacing the scenario's stack file values, like `--config`. */
  overrides?: Record<string, unknown>;
  /** Hours until `expires-at` (default 4). */
  expiresInHours?: number;
  policyPacks?: string[];
  /** Purge soft-deleted APIM / Azure OpenAI after destroy (default true). */
  purge?: boolean;
  /** Progress events (default: none). */
  progress?: ProgressListener;
  /** An open workspace and context (compare passes its own); otherwise preflight runs and one is opened. */
  workspace?: DriverWorkspace;
  ctx?: DriverContext;
}

/** Creates an ephemeral stack (validated settings, `expiresAt`); the caller must tear it down. */
export async function createEphemeral(workspace: DriverWorkspace, scenario: ScenarioName, options: Pick<EphemeralOptions, "overrides" | "expiresInHours"> = {}): Promise<StackHandle> {
  const expiresAt = expiresAtFromNow(options.expiresInHours ?? 4);
  const overrides = options.overrides ?? {};
  validateTargets([{ scenario, stack: scenario }], () => effectiveSettings(scenario, scenario, overrides, { expiresAt }));
  return workspace.createEphemeral(scenario, { overrides, expiresAt });
}

/** Thrown by `withEphemeral` when anything failed; `result` has every phase's outcome. */
export class EphemeralError extends Error {
  constructor(readonly result: LifecycleResult<unknown>) {
    const leftovers = result.teardown?.leftovers ?? [];
    super(`${result.stack ?? result.scenario}: ${result.error ?? "failed"}${leftovers.length ? `\nleft behind:\n- ${leftovers.join("\n- ")}` : ""}`);
    this.name = "EphemeralError";
  }
}

/**
 * Brings `scenario` up on a new ephemeral stack, runs `body` with the stack and its outputs, then always
 * destroys, purges and removes it. Returns what `body` returned; throws EphemeralError if up, body or
 * teardown failed (after tearing down).
 */
export async function withEphemeral<T>(
  scenario: ScenarioName,
  options: EphemeralOptions,
  body: (stack: StackHandle, outputs: StackOutputs) => Promise<T>,
): Promise<T> {
  let workspace = options.workspace;
  let ctx = options.ctx;
  let close = () => {};
  if (!workspace || !ctx) {
    const driver = await openDriver({ needs: ["pulumi", "secrets", "azure", "kubelogin"], stacks: [], json: true, saveRuns: true });
    workspace ??= driver.workspace;
    ctx ??= { ...driver.ctx, progress: options.progress ?? (() => {}) };
    close = driver.close;
  }
  if (!workspace) throw new Error("no Pulumi workspace");
  const ws = workspace;
  try {
    const result = await runEphemeralLifecycle(
      () => createEphemeral(ws, scenario, options),
      ctx ?? { progress: options.progress ?? (() => {}), interrupt: new InterruptController() },
      { scenario, policyPacks: options.policyPacks, purge: options.purge },
      async (handle) => body(handle, await handle.outputs()),
    );
    if (!result.ok) throw new EphemeralError(result);
    return result.body!.value as T;
  } catch (e) {
    if (e instanceof EphemeralError) throw e;
    throw new Error(`${scenario}: ${errorText(e)}`);
  } finally {
    close();
  }
}
