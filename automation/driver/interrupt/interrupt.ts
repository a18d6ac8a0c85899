/**
 * Ctrl-C, the whole policy in one place. First SIGINT (or SIGTERM): running operations are cancelled
 * gracefully (each stack's CLI gets exactly one SIGINT, `cliCancellation`), no new phase starts, and
 * ephemeral stacks are still torn down. Second: the teardown is abandoned too (CLIs already cancelling get
 * their second SIGINT, Pulumi's "terminate", `announceInterrupts`; a teardown's destroy gets its first
 * through `forceSignal`; whatever remains carries `expires-at`, and `scenarios sweep` removes it). Third:
 * exit at once. Exit code 130 when Ctrl-C stopped anything (`CommandFailed`, lifecycle/session.ts).
 * How the CLIs are kept out of the terminal's reach and signalled by pid: shim.ts. Who listens: teardown
 * and the ephemeral lifecycle (lifecycle/orchestrate.ts) read these signals; listr2 is told not to handle
 * SIGINT (lifecycle/progress.ts).
 */
import { SWEEP_HINT } from "../lifecycle/orchestrate";
import { escalate, interruptStack, type Shim } from "./shim";

export class InterruptController {
  private readonly graceful = new AbortController();
  private readonly force = new AbortController();
  private readonly never = new AbortController();
  private count = 0;
  private readonly listeners: ((count: number) => void)[] = [];

  /**
   * @param forwardToCli whether aborting an operation should signal its Pulumi CLI (true when the CLI runs
   *   in its own process group through the shim; false when the terminal already delivered the Ctrl-C).
   */
  constructor(private readonly forwardToCli = true) {}

  /** Aborted by the first interrupt: verification, waiting, new phases. */
  get signal(): AbortSignal {
    return this.graceful.signal;
  }

  /** Passed to stack operations (up, preview): aborting it sends SIGINT to the Pulumi CLI. */
  get operationSignal(): AbortSignal {
    return this.forwardToCli ? this.graceful.signal : this.never.signal;
  }

  /** Aborted by the second interrupt: teardown operations (destroy, purge). */
  get forceSignal(): AbortSignal {
    return this.force.signal;
  }

  get interrupted(): boolean {
    return this.count > 0;
  }

  onInterrupt(listener: (count: number) => void): void {
    this.listeners.push(listener);
  }

  /**
   * What a SIGINT does; tests call it directly. Listeners run before the signals abort, so the second
   * Ctrl-C's listener (escalating CLIs already cancelling) runs before teardown operations get their first.
   */
  trigger(): void {
    this.count++;
    for (const l of this.listeners) l(this.count);
    if (this.count === 1) this.graceful.abort(new Error("interrupted"));
    if (this.count === 2) this.force.abort(new Error("interrupted twice"));
  }

  /** Handles SIGINT and SIGTERM until the returned function is called. */
  install(proc: NodeJS.Process = process, exit: (code: number) => void = (c) => proc.exit(c)): () => void {
    const handler = () => {
      this.trigger();
      if (this.count >= 3) exit(130);
    };
    proc.on("SIGINT", handler);
    proc.on("SIGTERM", handler);
    return () => {
      proc.off("SIGINT", handler);
      proc.off("SIGTERM", handler);
    };
  }
}

/** What the user is told on each Ctrl-C; the second one also escalates the CLIs already cancelling. */
export function announceInterrupts(interrupt: InterruptController, shim: Shim | undefined, say: (line: string) => void): void {
  interrupt.onInterrupt((count) => {
    if (count === 1) say("\ninterrupted: cancelling running operations; ephemeral stacks are still destroyed and purged (Ctrl-C again to abandon that too)");
    if (count === 2) {
      say(`\ninterrupted again: abandoning teardown; what remains carries expires-at, and \`${SWEEP_HINT}\` removes it later (Ctrl-C once more to exit now)`);
      if (shim) escalate(shim);
    }
  });
}

/**
 * What cancels an operation when its AbortSignal fires. Without the shim, the SDK sends the CLI SIGINT.
 * With the shim (which ignores SIGINT), the driver signals the stack's CLI by pid, once; the CLI may not
 * have registered yet when the signal fires, so it looks again until it finds it or the operation ends.
 */
export function cliCancellation(shim: Shim | undefined, stackName: string, signal: AbortSignal | undefined): { sdkSignal?: AbortSignal; done: () => void } {
  if (!shim || !signal) return { sdkSignal: signal, done: () => {} };
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const fire = () => {
    if (finished) return;
    if (interruptStack(shim, stackName) > 0) return;
    timer = setTimeout(fire, 100);
  };
  if (signal.aborted) fire();
  else signal.addEventListener("abort", fire, { once: true });
  return {
    done: () => {
      finished = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener("abort", fire);
    },
  };
}
