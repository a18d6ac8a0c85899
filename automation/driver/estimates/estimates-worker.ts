/**
 * Runs one offline evaluation and prints the plan's estimates as one JSON line (see estimates.ts): a
 * process of its own, because the mock engine is global to a process.
 *   node --require tsx/cjs automation/driver/estimates/estimates-worker.ts '{"scenario":"public","overrides":{}}'
 */
import { estimateInThisProcess } from "./estimates";

const input = JSON.parse(process.argv[2] ?? "{}") as { scenario: never; overrides?: Record<string, unknown>; stack?: string };
estimateInThisProcess(input.scenario, input.overrides ?? {}, input.stack).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (e: unknown) => {
    process.stdout.write(`${JSON.stringify({ ok: false, reason: String((e as Error)?.message ?? e) })}\n`);
    process.exit(0);
  },
);
