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
import { checkSharedStack, refuseSharedStackDestroy, workshopStatus } from "../../../automation/driver/workshop/workshop";
import type { DriverWorkspace } from "../../../automation/driver/stack/workspace";

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

describe("the backend's stacks by short name (automation/driver/workshop/workshop.ts)", () => {
  // Pulumi Cloud lists fully qualified names; the workspace selects the last part.
  const workspace = {
    backend: { url: "https://api.pulumi.com" },
    listStacks: async () => ["org/apim-aks-ai-scenarios/public-shared", "org/apim-aks-ai-scenarios/public-a01", "org/apim-aks-ai-scenarios/internal"].map((name) => ({ name })),
  } as unknown as DriverWorkspace;

  it("destroy refuses the shared stack while a listed attendee stack reads it, and lets another scenario's stack go", async () => {
    await assert.rejects(refuseSharedStackDestroy(workspace, [{ scenario: "public", stack: "public-shared" }]), /refusing to destroy public-shared while attendee stacks read it: public-a01/);
    await refuseSharedStackDestroy(workspace, [{ scenario: "internal", stack: "internal" }, { scenario: "internal", stack: "internal-shared" }]);
  });

  it("up --shared refuses a shared stack the backend does not list", async () => {
    await assert.rejects(checkSharedStack(workspace, "internal", "internal-shared", "internal-a01"), /the shared stack internal-shared does not exist in https:\/\/api\.pulumi\.com/);
  });
});
