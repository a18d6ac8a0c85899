/**
 * scripts/azure-oidc-refresh.sh, which keeps the Azure CLI signed in through a long OIDC job: run against a
 * simulated GitHub token endpoint (a local HTTP server) and an imitation `az` that records its arguments.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.resolve(__dirname, "../../scripts/azure-oidc-refresh.sh");
const REQUEST_TOKEN = "simulated-request-token";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  azCalls: string[][];
  requests: { url: string; authorization?: string }[];
  ms: number;
}

/** Serves tokens `oidc-1`, `oidc-2`, … (or 500 when `failing`), runs the script, collects what happened. */
async function runScript(options: { seconds: number; failing?: boolean; env?: Record<string, string> }): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oidc-refresh-"));
  const requests: Run["requests"] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", authorization: req.headers.authorization });
    if (options.failing) {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: `oidc-${requests.length}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const azLog = path.join(dir, "az-calls");
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  // The imitation az: one line per call, arguments separated by tabs.
  fs.writeFileSync(path.join(bin, "az"), `#!/usr/bin/env bash\n(IFS=$'\\t'; echo "$*") >> "${azLog}"\n`, { mode: 0o755 });
  const started = Date.now();
  try {
    const child = spawn("bash", [SCRIPT, String(options.seconds)], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        OIDC_CLIENT_ID: "client-id",
        OIDC_TENANT_ID: "tenant-id",
        OIDC_SUBSCRIPTION_ID: "subscription-id",
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
        AZURE_OIDC_REFRESH_SECONDS: "0.1",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    const azCalls = fs.existsSync(azLog) ? fs.readFileSync(azLog, "utf8").trim().split("\n").map((l) => l.split("\t")) : [];
    return { code, stdout, stderr, azCalls, requests, ms: Date.now() - started };
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("Azure CLI OIDC refresh (scripts/azure-oidc-refresh.sh)", function () {
  this.timeout(30_000);

  before(function () {
    // The script's own tools, present on GitHub's runners where it runs.
    const missing = ["curl", "jq"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0);
    if (missing.length) {
      console.log(`      skipped: ${missing.join(" and ")} not on PATH`);
      this.skip();
    }
  });

  it("asks GitHub for a token for Entra ID's audience and signs the CLI in again with it, without printing it", async () => {
    // Two seconds at a 0.1 s interval: room for two rounds of curl, jq and az on a loaded machine.
    const run = await runScript({ seconds: 2 });
    assert.equal(run.code, 0, run.stderr);
    const logins = run.azCalls.filter((c) => c[0] === "login");
    assert.ok(logins.length >= 2, `${logins.length} logins in 2 s at a 0.1 s interval`);
    assert.ok(run.requests.length >= logins.length);
    for (const r of run.requests) {
      assert.equal(r.authorization, `bearer ${REQUEST_TOKEN}`);
      const url = new URL(r.url, "http://x");
      assert.equal(url.searchParams.get("audience"), "api://AzureADTokenExchange");
      assert.equal(url.searchParams.get("api-version"), "2.0", "keeps the request URL's own query");
    }
    assert.deepEqual(logins[0], ["login", "--service-principal", "--username", "client-id", "--tenant", "tenant-id", "--federated-token", "oidc-1", "--output", "none"]);
    assert.match(logins[1][7], /^oidc-\d+$/);
    assert.notEqual(logins[0][7], logins[1][7], "each login uses a fresh token");
    assert.ok(run.azCalls.some((c) => c.join(" ") === "account set --subscription subscription-id --output none"));
    assert.doesNotMatch(run.stdout + run.stderr, /oidc-\d|simulated-request-token/);
    assert.match(run.stdout, /stopped after 2s/);
  });

  it("stops by itself at its deadline", async () => {
    const run = await runScript({ seconds: 1 });
    assert.equal(run.code, 0);
    // Well before runScript's 15 s kill: a script that ignored its deadline would be killed and exit non-zero.
    assert.ok(run.ms < 10_000, `${run.ms} ms`);
  });

  it("keeps going when GitHub does not answer, and never calls az without a token", async () => {
    const run = await runScript({ seconds: 1, failing: true });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.requests.length >= 1);
    assert.deepEqual(run.azCalls, []);
    assert.match(run.stdout, /could not get an OIDC token from GitHub/);
  });

  it("refuses to start without the OIDC request variables (a job without id-token: write)", async () => {
    const run = await runScript({ seconds: 1, env: { ACTIONS_ID_TOKEN_REQUEST_URL: "" } });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /id-token: write/);
    assert.equal(run.requests.length, 0);
  });
});
