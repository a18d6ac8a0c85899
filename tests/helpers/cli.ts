/**
 * Runs the `scenarios` CLI's main() in this process and captures what it writes: for cases that deploy and
 * evaluate nothing (refusals, usage errors), where a child process would only add its start-up time.
 */
export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cliInProcess(args: readonly string[]): Promise<InProcessRun> {
  const { main } = await import("../../automation/cli");
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write;
  const err = process.stderr.write;
  const log = console.error;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  console.error = (...a: unknown[]) => void (stderr += `${a.map(String).join(" ")}\n`);
  try {
    const code = await main(["node", "scenarios", ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    console.error = log;
  }
}
