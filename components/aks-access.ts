/**
 * Waits until the deploying identity may create objects in a new AKS cluster. With Azure RBAC for
 * Kubernetes authorization, a role assignment can take minutes to reach the API server, and until it does
 * every call is refused with 403: without this wait the first `up` of a scenario fails on its first
 * namespace. https://learn.microsoft.com/azure/aks/manage-azure-rbac#create-role-assignments-for-users-to-access-the-cluster
 *
 * Run at deploy time by scripts/wait-for-aks-access.ts (a local command the AksCluster creates); the token
 * comes from kubelogin with the Azure CLI session, the same way the Kubernetes provider gets its own.
 */
import { execFile } from "node:child_process";
import * as https from "node:https";
import { parse as parseYaml } from "yaml";
import { AKS_ENTRA_SERVER_APP_ID } from "./aks-entra";

export interface ClusterEndpoint {
  server: string;
  ca: Buffer;
}

export function clusterEndpoint(kubeconfigYaml: string): ClusterEndpoint {
  const config = parseYaml(kubeconfigYaml) as { clusters?: { cluster?: { server?: string; "certificate-authority-data"?: string } }[] } | null;
  const cluster = config?.clusters?.[0]?.cluster;
  if (!cluster?.server || !cluster["certificate-authority-data"]) throw new Error("kubeconfig has no cluster server or certificate authority");
  return { server: cluster.server.replace(/\/$/, ""), ca: Buffer.from(cluster["certificate-authority-data"], "base64") };
}

/** "May I create namespaces?": the first thing the scenario does in the cluster. */
export const ACCESS_REVIEW = {
  apiVersion: "authorization.k8s.io/v1",
  kind: "SelfSubjectAccessReview",
  spec: { resourceAttributes: { verb: "create", resource: "namespaces" } },
} as const;

export interface WaitDeps {
  /** true when allowed; false when refused (403 or not allowed yet); throws on anything else. */
  review(): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

/** Polls `review` until it allows, or gives up after `timeoutMs` with an error that says what to do. */
export async function waitForAccess(deps: WaitDeps, timeoutMs = 15 * 60_000, intervalMs = 15_000): Promise<number> {
  const started = deps.now();
  for (let attempt = 1; ; attempt++) {
    if (await deps.review()) {
      const seconds = Math.round((deps.now() - started) / 1000);
      deps.log(`Kubernetes access granted after ${seconds} s (${attempt} ${attempt === 1 ? "check" : "checks"})`);
      return seconds;
    }
    if (deps.now() - started + intervalMs > timeoutMs) {
      throw new Error(
        `no Kubernetes access after ${Math.round(timeoutMs / 60_000)} min: check that your az login identity is the cluster's admin (AksCluster adminPrincipalId), then run up again`,
      );
    }
    deps.log(`waiting for the AKS RBAC role assignment to reach the API server (check ${attempt})`);
    await deps.sleep(intervalMs);
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} failed: ${(stderr || error.message).trim().split("\n")[0]}`)) : resolve(stdout),
    ),
  );
}

/** A token for the AKS server application from the Azure CLI session, through kubelogin. */
export async function kubeloginToken(): Promise<string> {
  const out = JSON.parse(await run("kubelogin", ["get-token", "--login", "azurecli", "--server-id", AKS_ENTRA_SERVER_APP_ID])) as { status?: { token?: string } };
  if (!out.status?.token) throw new Error("kubelogin returned no token");
  return out.status.token;
}

/**
 * Connection failures that an API server limited to authorized IP ranges produces for a caller outside them (the
 * connection is dropped or refused, not answered with 403). https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges
 */
const UNREACHABLE = ["ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH"];
export const UNREACHABLE_HINT = "the API server cannot be reached from here; with aksApiAuthorizedRanges set, this machine's address must be in it";

/** One SelfSubjectAccessReview against the cluster. */
export function reviewAccess(endpoint: ClusterEndpoint, token: string): Promise<boolean> {
  const body = JSON.stringify(ACCESS_REVIEW);
  const url = new URL(`${endpoint.server}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: "POST", ca: endpoint.ca, timeout: 30_000, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          if (res.statusCode === 401 || res.statusCode === 403) return resolve(false);
          if (res.statusCode !== 201 && res.statusCode !== 200) return reject(new Error(`access review: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          resolve(Boolean((JSON.parse(text) as { status?: { allowed?: boolean } }).status?.allowed));
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("access review timed out"), { code: "ETIMEDOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => reject(UNREACHABLE.includes(e.code ?? "") ? new Error(`${e.message}: ${UNREACHABLE_HINT}`) : e));
    req.end(body);
  });
}
