import type { FastifyInstance } from "fastify";
import { buildApp, cutOpenStreams } from "./app";
import { ConfigError, loadConfig, type AppConfig } from "./config";

/** Time given to error events written to cut streams to leave the process before it exits. */
const FLUSH_MS = 250;

/**
 * Closes the server on SIGTERM/SIGINT, letting in-flight requests finish, then exits. When the timeout
 * fires first, open streams get an error event before the process exits 1.
 */
export function exitGracefully(
  app: FastifyInstance,
  timeoutMs: number,
  exit: (code: number) => void = (code) => process.exit(code),
): (signal: string) => Promise<void> {
  let closing = false;
  let exited = false;
  let timedOut = false;
  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };
  return async (signal) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    const deadline = setTimeout(() => {
      timedOut = true;
      const cut = cutOpenStreams(app);
      app.log.error({ timeoutMs, streamsCut: cut }, "shutdown timed out; exiting with requests still open");
      if (cut === 0) exitOnce(1);
      else setTimeout(() => exitOnce(1), FLUSH_MS);
    }, timeoutMs);
    deadline.unref();
    try {
      await app.close();
      app.log.info("shut down");
      exitOnce(timedOut ? 1 : 0);
    } catch (error) {
      app.log.error({ err: error }, "shutdown failed");
      exitOnce(1);
    } finally {
      clearTimeout(deadline);
    }
  };
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const app = buildApp({ config });
  const shutdown = exitGracefully(app, config.timeouts.shutdownMs);
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  await app.listen({ host: config.host, port: config.port });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
