/**
 * Probes that must start inside the VNet (the Internal-mode gateway has only a private address) run from a
 * pod in the scenario's AKS cluster.
 *
 * Mechanism, chosen so that no kubeconfig output, kubectl or kubelogin binary is needed on this machine:
 * 1. the cluster is found in the stack's state (`azure-native:containerservice:ManagedCluster`);
 * 2. its user kubeconfig comes from ARM `listClusterUserCredential` (signed in with DefaultAzureCredential);
 *    from it we take the API server address and CA, and the Entra ID server application id;
 * 3. a token for that application (AKS-managed Entra ID, `AKS_ENTRA_SERVER_APP_ID` of components/aks-entra.ts) comes from
 *    DefaultAzureCredential: exactly what `kubelogin convert-kubeconfig -l azurecli` would fetch. The
 *    signed-in identity needs a Kubernetes role that may create namespaces, pods, configmaps and
 *    `pods/proxy` (e.g. "Azure Kubernetes Service RBAC Cluster Admin", or the cluster's admin group);
 * 4. a temporary namespace gets a pod running `probe-http.js --serve` (the same code that sends probes from
 *    this machine) on the public `node:22-alpine` image, non-root, read-only, with a 30-minute deadline;
 * 5. each probe request goes to that pod through the API server's pod proxy
 *    (`/api/v1/namespaces/<ns>/pods/<pod>:8080/proxy/attempt`), so requests, timeouts and the classification
 *    of failures are identical to the local ones. The subscription key travels only inside those requests,
 *    never in a cluster object;
 * 6. the namespace is deleted afterwards (and the pod stops by itself at its deadline if we could not).
 * The API server must be reachable from this machine (the clusters here have a public API server with
 * Entra ID authentication). A private API server would need the AKS Run Command API instead.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { AKS_ENTRA_SERVER_APP_ID } from "../../../components/aks-entra";
import { resourceGroupOf } from "../preflight/azure";
import type { AttemptOutcome, AttemptRequest } from "./probe-http";
import type { StateResource } from "../stack/types";
import type { ProbeTransport } from "./verify";

export const RELAY_IMAGE = process.env.SCENARIOS_VERIFY_IMAGE || "node:22-alpine";
export const RELAY_PORT = 8080;
const ARM_API_VERSION = "2024-09-01";

export interface ClusterRef {
  name: string;
  resourceGroupName: string;
  subscriptionId?: string;
}

/** The AKS cluster of a stack, from its state. */
export function findCluster(resources: StateResource[]): ClusterRef | undefined {
  const cluster = resources.find((r) => r.type === "azure-native:containerservice:ManagedCluster" && r.id);
  if (!cluster) return undefined;
  const name = String(cluster.outputs.name ?? cluster.inputs.resourceName ?? "");
  const resourceGroupName = resourceGroupOf(cluster.id) ?? String(cluster.inputs.resourceGroupName ?? "");
  const subscriptionId = /\/subscriptions\/([^/]+)/i.exec(cluster.id ?? "")?.[1];
  return name && resourceGroupName ? { name, resourceGroupName, subscriptionId } : undefined;
}

/**
 * A cluster another stack made, from its resource ID: a workshop attendee's stack exports the shared cluster's
 * (`aksClusterId`, scenarios/workshop.ts), whose state holds no cluster of its own.
 */
export function clusterFromId(id: unknown): ClusterRef | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i.exec(String(id ?? ""));
  return m ? { subscriptionId: m[1], resourceGroupName: m[2], name: m[3] } : undefined;
}

export interface ClusterAccess {
  server: string;
  ca?: Buffer;
  serverAppId: string;
}

/** API server, CA and Entra ID server application from a kubeconfig (exec/kubelogin or legacy azure format). */
export function parseKubeconfig(text: string): ClusterAccess {
  const doc = parseYaml(text) as {
    clusters?: { cluster?: { server?: string; "certificate-authority-data"?: string } }[];
    users?: { user?: { exec?: { args?: string[] }; "auth-provider"?: { config?: Record<string, string> } } }[];
  };
  const cluster = doc?.clusters?.[0]?.cluster;
  if (!cluster?.server) throw new Error("the cluster's kubeconfig has no server address");
  const user = doc.users?.[0]?.user;
  const args = user?.exec?.args ?? [];
  const i = args.indexOf("--server-id");
  const serverAppId = (i >= 0 ? args[i + 1] : undefined) ?? user?.["auth-provider"]?.config?.["apiserver-id"] ?? AKS_ENTRA_SERVER_APP_ID;
  const caData = cluster["certificate-authority-data"];
  return { server: cluster.server.replace(/\/$/, ""), ca: caData ? Buffer.from(caData, "base64") : undefined, serverAppId };
}

/** Objects of one relay: namespace, the relay script as a ConfigMap, and the pod. */
export function relayManifests(namespace: string, token: string, script: string, image = RELAY_IMAGE) {
  const labels = { "app.kubernetes.io/name": "scenarios-verify-relay", "app.kubernetes.io/managed-by": "scenarios-verify" };
  return {
    namespace: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } },
    configMap: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "probe-relay", namespace, labels }, data: { "probe-http.js": script } },
    pod: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "probe-relay", namespace, labels },
      spec: {
        restartPolicy: "Never",
        // Stops by itself even if this process dies before deleting the namespace.
        activeDeadlineSeconds: 1800,
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "relay",
            image,
            command: ["node", "/relay/probe-http.js", "--serve"],
            env: [
              { name: "PORT", value: String(RELAY_PORT) },
              { name: "RELAY_TOKEN", value: token },
            ],
            ports: [{ containerPort: RELAY_PORT, name: "relay" }],
            readinessProbe: { httpGet: { path: "/healthz", port: RELAY_PORT }, periodSeconds: 2 },
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "relay", mountPath: "/relay", readOnly: true }],
          },
        ],
        volumes: [{ name: "relay", configMap: { name: "probe-relay" } }],
      },
    },
  };
}

interface HttpResponse {
  status: number;
  body: string;
}

function httpsJson(url: string, init: { method: string; headers: Record<string, string>; body?: unknown; ca?: Buffer; timeoutMs?: number }): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
    const req = https.request(url, {
      method: init.method,
      headers: { accept: "application/json", ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}), ...init.headers },
      ca: init.ca,
      timeout: init.timeoutMs ?? 60_000,
    });
    req.on("timeout", () => req.destroy(new Error(`${init.method} ${new URL(url).pathname}: no response within ${(init.timeoutMs ?? 60_000) / 1000} s`)));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.end(payload);
  });
}

/** The relay pod in a cluster, reached through the API server; `dispose()` deletes its namespace. */
export class InClusterTransport implements ProbeTransport {
  readonly description: string;
  private constructor(
    private readonly access: ClusterAccess,
    private token: string,
    private readonly refreshToken: () => Promise<string>,
    readonly namespace: string,
    private readonly relayToken: string,
    cluster: ClusterRef,
  ) {
    this.description = `a pod in AKS cluster ${cluster.name}`;
  }

  /** Signs in, creates the relay and waits until it is ready. */
  static async start(cluster: ClusterRef, subscriptionId: string, options: { readyTimeoutMs?: number; onProgress?: (t: string) => void } = {}): Promise<InClusterTransport> {
    const { azureCredential } = require("../preflight/azure") as typeof import("../preflight/azure");
    const credential = azureCredential();
    const arm = await credential.getToken("https://management.azure.com/.default");
    if (!arm) throw new Error("no Azure Resource Manager token");
    const sub = cluster.subscriptionId ?? subscriptionId;
    const url = `https://management.azure.com/subscriptions/${sub}/resourceGroups/${cluster.resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/${cluster.name}/listClusterUserCredential?api-version=${ARM_API_VERSION}&format=exec`;
    const res = await httpsJson(url, { method: "POST", headers: { authorization: `Bearer ${arm.token}` } });
    if (res.status !== 200) throw new Error(`listClusterUserCredential for ${cluster.name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    const kubeconfigs = (JSON.parse(res.body) as { kubeconfigs?: { value: string }[] }).kubeconfigs ?? [];
    if (!kubeconfigs.length) throw new Error(`listClusterUserCredential for ${cluster.name} returned no kubeconfig`);
    const access = parseKubeconfig(Buffer.from(kubeconfigs[0].value, "base64").toString("utf8"));
    const refresh = async () => {
      const t = await credential.getToken(`${access.serverAppId}/.default`);
      if (!t) throw new Error("no token for the cluster's Entra ID application");
      return t.token;
    };
    const namespace = `scenarios-verify-${randomBytes(3).toString("hex")}`;
    const transport = new InClusterTransport(access, await refresh(), refresh, namespace, randomBytes(16).toString("hex"), cluster);
    try {
      await transport.createRelay(options.readyTimeoutMs ?? 5 * 60_000, options.onProgress);
    } catch (e) {
      await transport.dispose().catch(() => undefined);
      throw e;
    }
    return transport;
  }

  private async kube(method: string, apiPath: string, body?: unknown, timeoutMs?: number): Promise<HttpResponse> {
    const send = () => httpsJson(`${this.access.server}${apiPath}`, { method, headers: { authorization: `Bearer ${this.token}` }, body, ca: this.access.ca, timeoutMs });
    let res = await send();
    if (res.status === 401) {
      this.token = await this.refreshToken();
      res = await send();
    }
    return res;
  }

  private async createRelay(readyTimeoutMs: number, onProgress?: (t: string) => void): Promise<void> {
    const script = fs.readFileSync(path.join(__dirname, "probe-http.js"), "utf8");
    const m = relayManifests(this.namespace, this.relayToken, script);
    const create = async (apiPath: string, body: unknown) => {
      const res = await this.kube("POST", apiPath, body);
      if (res.status === 403) throw new Error(`the signed-in identity may not create ${(body as { kind: string }).kind} objects in the cluster (HTTP 403); grant it "Azure Kubernetes Service RBAC Cluster Admin" on the cluster`);
      if (res.status >= 300 && res.status !== 409) throw new Error(`creating ${(body as { kind: string }).kind}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    };
    onProgress?.(`starting a probe pod in namespace ${this.namespace}`);
    await create("/api/v1/namespaces", m.namespace);
    await create(`/api/v1/namespaces/${this.namespace}/configmaps`, m.configMap);
    await create(`/api/v1/namespaces/${this.namespace}/pods`, m.pod);
    const deadline = Date.now() + readyTimeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      const res = await this.kube("GET", `/api/v1/namespaces/${this.namespace}/pods/probe-relay`);
      if (res.status === 200) {
        const pod = JSON.parse(res.body) as { status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] } };
        if (pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return;
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
        last = waiting?.reason ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}` : (pod.status?.phase ?? "");
        if (waiting?.reason && /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError/.test(waiting.reason)) {
          throw new Error(`the probe pod cannot start (${last}); set SCENARIOS_VERIFY_IMAGE to a Node.js image the cluster can pull`);
        }
        if (pod.status?.phase === "Failed") throw new Error("the probe pod failed to start");
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    throw new Error(`the probe pod was not ready within ${Math.round(readyTimeoutMs / 1000)} s (${last || "no status"})`);
  }

  async attempt(request: AttemptRequest, signal?: AbortSignal): Promise<AttemptOutcome> {
    if (signal?.aborted) throw Object.assign(new Error("verification interrupted"), { name: "AbortError" });
    const proxyPath = `/api/v1/namespaces/${this.namespace}/pods/probe-relay:${RELAY_PORT}/proxy/attempt?token=${this.relayToken}`;
    const res = await this.kube("POST", proxyPath, request, (request.timeoutMs ?? 10_000) + 15_000);
    if (res.status !== 200) throw new Error(`the probe pod did not answer (HTTP ${res.status} ${res.body.slice(0, 200)})`);
    return JSON.parse(res.body) as AttemptOutcome;
  }

  async dispose(): Promise<void> {
    await this.kube("DELETE", `/api/v1/namespaces/${this.namespace}`, { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" });
  }
}
