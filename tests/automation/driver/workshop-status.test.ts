/**
 * `workshop status --verify` (automation/driver/workshop/workshop.ts, workshopStatus) reads each attendee
 * stack once and signs in to Azure once for the room. The stacks are in-memory stand-ins for the Automation
 * API's; Azure (the sign-in and the in-cluster transport) is a SIMULATED cloud that counts what it is asked.
 */
import assert from "node:assert/strict";
import type { DriverContext } from "../../../automation/driver/lifecycle/orchestrate";
import type { Driver } from "../../../automation/driver/lifecycle/session";
import type { StackOutputs } from "../../../automation/driver/stack/types";
import { vnetOpener } from "../../../automation/driver/verify/verify-stack";
import { workshopStatus } from "../../../automation/driver/workshop/workshop";

const CLUSTER_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-room/providers/Microsoft.ContainerService/managedClusters/aks-room";

function attendeeOutputs(stack: string): StackOutputs {
  return {
    gatewayUrl: { value: `https://${stack}.example`, secret: false },
    apiBasePath: { value: "ai", secret: false },
    aksClusterId: { value: CLUSTER_ID, secret: false },
    probes: { value: [{ name: "internal", from: "vnet", request: { method: "GET", url: `https://${stack}.example/ai/healthz`, withSubscriptionKey: false }, expect: { status: 401 }, why: "inside the VNet" }], secret: false },
  };
}

describe("workshop status --verify (automation/driver/workshop/workshop.ts)", () => {
  it("reads each attendee stack's outputs once, its state never (the outputs name the cluster), and signs in to Azure once for two attendees", async () => {
    const reads = { outputs: 0, resources: 0 };
    const stacks = ["public-shared", "public-a01", "public-a02"];
    const handle = (name: string) => ({
      name,
      lastOperation: async () => ({ kind: "update", result: "succeeded", endTime: "2026-11-30T20:00:00.000Z" }),
      outputs: async () => {
        reads.outputs++;
        return name === "public-shared" ? {} : attendeeOutputs(name);
      },
      resources: async () => {
        reads.resources++;
        return [];
      },
    });
    const workspace = {
      backend: { url: "file:///nonexistent-workshop-status-test" },
      project: { projectName: "apim-aks-ai-scenarios", workDir: "." },
      listStacks: async () => stacks.map((name) => ({ name, resourceCount: 3 })),
      select: async (name: string) => handle(name),
    };
    const ctx = { progress: () => {}, interrupt: { signal: new AbortController().signal } } as unknown as DriverContext;
    // No subscription: `workshop status` checks no Azure sign-in before it reads stacks.
    const driver = { ctx, workspace, subscriptionId: undefined } as unknown as Driver;
    const cloud = { signIns: 0, transports: [] as string[] };
    const simulated = {
      subscription: async () => {
        cloud.signIns++;
        return "00000000-0000-0000-0000-000000000000";
      },
      start: async (cluster: { name: string }) => {
        cloud.transports.push(cluster.name);
        return { description: "simulated pod", attempt: async () => ({ ok: true as const, status: 401, ms: 1 }) };
      },
    };

    const rows = await workshopStatus(driver, "public", { concurrency: 5, verify: { attempts: 1 }, openVnet: vnetOpener(driver, ctx, simulated) });

    assert.deepEqual(
      rows.map((r) => [r.stack, r.apiUrl, r.verify]),
      [
        ["public-shared", undefined, undefined],
        ["public-a01", "https://public-a01.example/ai", { passed: 1, total: 1 }],
        ["public-a02", "https://public-a02.example/ai", { passed: 1, total: 1 }],
      ],
    );
    assert.deepEqual(reads, { outputs: 2, resources: 0 });
    assert.equal(cloud.signIns, 1);
    assert.deepEqual(cloud.transports, ["aks-room", "aks-room"]);
  });
});
