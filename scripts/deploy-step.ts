/**
 * What the program's local-command steps (scripts/wait-for-aks-access.ts, scripts/release-apim-subnet.ts) share:
 * their settings come from the command's environment, they wait on the real clock and print progress lines
 * that Pulumi shows, and a failure is one line on stderr with exit 1 (the engine reports the step as failed).
 */
export const realClock = {
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  now: () => Date.now(),
  log: (line: string) => console.log(line),
};

/** A setting the step cannot run without. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function runStep(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
