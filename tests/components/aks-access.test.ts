import assert from "node:assert/strict";
import * as net from "node:net";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { ACCESS_REVIEW, clusterEndpoint, reviewAccess, waitForAccess, type WaitDeps } from "../../components/aks-access";

function clock(answers: boolean[]): WaitDeps & { lines: string[]; slept: number[] } {
  let t = 0;
  const lines: string[] = [];
  const slept: number[] = [];
  return {
    lines,
    slept,
    review: async () => answers.shift() ?? false,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    now: () => t,
    log: (l) => lines.push(l),
  };
}

describe("components/aks-access (waiting for the AKS RBAC grant)", () => {
  it("reads the server and certificate authority from the kubeconfig AKS returns", () => {
    const yaml = "clusters: [{name: c, cluster: {server: 'https://x.hcp.example:443/', certificate-authority-data: QUJD}}]\nusers: []\n";
    assert.deepEqual(clusterEndpoint(yaml), { server: "https://x.hcp.example:443", ca: Buffer.from("ABC") });
    assert.throws(() => clusterEndpoint("users: []"), /no cluster server/);
  });

  it("polls until allowed, then says how long it took", async () => {
    const deps = clock([false, false, true]);
    assert.equal(await waitForAccess(deps, 60_000, 10_000), 20);
    assert.deepEqual(deps.slept, [10_000, 10_000]);
    assert.match(deps.lines.at(-1)!, /granted after 20 s \(3 checks\)/);
  });

  it("gives up with what to do instead of waiting forever", async () => {
    const deps = clock([]);
    await assert.rejects(waitForAccess(deps, 60_000, 15_000), /no Kubernetes access after 1 min: .*adminPrincipalId/);
    assert.ok(deps.slept.length <= 4);
  });

  it("asks the API server over verified TLS with a SelfSubjectAccessReview, and reads 403 as not yet", async function () {
    // A local HTTPS server with a throwaway certificate for 127.0.0.1 stands in for the API server.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-access-"));
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")]);
    if (made.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      console.log("      skipped: openssl could not make a test certificate");
      this.skip();
    }
    const cert = fs.readFileSync(path.join(dir, "cert.pem"));
    const seen: { auth?: string; path?: string; body: any }[] = [];
    let answer: { status: number; body: unknown } = { status: 403, body: { kind: "Status" } };
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert }, (req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => {
        seen.push({ auth: req.headers.authorization, path: req.url, body: JSON.parse(text) });
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const endpoint = { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: cert };
      assert.equal(await reviewAccess(endpoint, "token-1"), false, "403: the grant has not arrived");
      answer = { status: 201, body: { status: { allowed: true } } };
      assert.equal(await reviewAccess(endpoint, "token-2"), true);
      answer = { status: 201, body: { status: { allowed: false } } };
      assert.equal(await reviewAccess(endpoint, "token-3"), false);
      answer = { status: 500, body: {} };
      await assert.rejects(reviewAccess(endpoint, "token-4"), /HTTP 500/);
      assert.deepEqual(seen[1], { auth: "Bearer token-2", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: ACCESS_REVIEW });
      // A certificate authority that did not sign the server's certificate is refused.
      await assert.rejects(reviewAccess({ ...endpoint, ca: Buffer.from("") }, "token-5"));
      assert.equal(seen.length, 4, "nothing was sent to an unverified server");
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says that authorized IP ranges may be why the API server cannot be reached", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(reviewAccess({ server: `https://127.0.0.1:${port}`, ca: Buffer.from("") }, "t"), /ECONNREFUSED.*aksApiAuthorizedRanges/);
  });
});
