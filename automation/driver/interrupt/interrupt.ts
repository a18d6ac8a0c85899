/**
 * Ctrl-C handling for the driver. First SIGINT (or SIGTERM): running operations are cancelled gracefully,
 * no new phase starts, and ephemeral stacks are still torn down. Second: the teardown is abandoned too
 * (whatever remains carries `expires-at`; `scenarios sweep` removes it). Third: exit at once.
 */
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
