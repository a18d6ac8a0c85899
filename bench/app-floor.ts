// Child process for bench/app.ts: the least a Node proxy can do for the same request (fastify, one
// keep-alive node:http call, no SDK, no validation, no logging). Its cost is the floor for any service here.
// Streamed answers are piped through as they come.
import http from "node:http";
import Fastify from "fastify";
import { CHAT_PATH } from "../app/src/image";

const [upstream, deployment, apiVersion] = process.argv.slice(2);
const target = `${upstream}/openai/deployments/${deployment}/chat/completions?api-version=${apiVersion}`;
const agent = new http.Agent({ keepAlive: true });
const app = Fastify();

app.post(CHAT_PATH, (req, reply) => {
  const body = JSON.stringify({ model: deployment, ...(req.body as object) });
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: "Bearer floor" };
  http
    .request(target, { method: "POST", agent, headers }, (res) => {
      if ((req.body as { stream?: boolean }).stream) {
        void reply.code(res.statusCode ?? 502).header("content-type", "text/event-stream").send(res);
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => void reply.code(res.statusCode ?? 502).send(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    })
    .on("error", () => void reply.code(502).send({}))
    .end(body);
});

app.listen({ host: "127.0.0.1", port: 0 }).then((address) => {
  process.stdout.write(`${JSON.stringify({ url: address })}\n`);
  process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
});
