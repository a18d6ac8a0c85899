// Child process for bench/app.ts: the loopback Azure OpenAI stub, on its own event loop.
import { startUpstream } from "../tests/app/helpers/upstream";

startUpstream({ record: false }).then((stub) => {
  process.stdout.write(`${JSON.stringify({ url: stub.url, deployment: stub.deployment })}\n`);
  process.once("SIGTERM", () => void stub.close().then(() => process.exit(0)));
});
