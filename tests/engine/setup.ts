// Loaded by tests/engine/.mocharc.json (npm run test:engine): says which engine runs, or why none does.
import { engineUnavailable, pulumiVersion } from "./harness";

const reason = engineUnavailable();
if (reason) {
  console.log(`engine tests skipped: ${reason}`);
  process.env.SCENARIOS_ENGINE_SKIP = reason;
} else {
  console.log(`engine: pulumi ${pulumiVersion()} (.engine/bin/pulumi), node ${process.version}`);
}
