import assert from "node:assert/strict";
import { DEFAULT_RETRY, resultText, retryDelayMs, retryMessage, retryReason, waitUnlessAborted } from "../../../automation/driver/workshop/retry";

// RECORDED: error texts people posted from real deployments, each with its source.
const RECORDED = {
  // microsoft/aspire#3409: two model deployments on one account, an ARM (Bicep) deployment's error body.
  armDeployment:
    '{"code":"DeploymentFailed","target":"/subscriptions/294ea8c8-3674-4e75-a047-4fb1c279c1bb/resourceGroups/rg-aapowell-eshop-azureified/providers/Microsoft.Resources/deployments/openai","message":"At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.","details":[{"code":"RequestConflict","message":"Another operation is being performed on the parent resource \'/subscriptions/294ea8c8-3674-4e75-a047-4fb1c279c1bb/resourceGroups/rg-aapowell-eshop-azureified/providers/Microsoft.CognitiveServices/accounts/openaihxaqj5hu4jxby\'. Please try again later."}]}',
  // Azure/Vector-Search-AI-Assistant#11: the same refusal as the portal and the Azure CLI print it.
  portal:
    "Another operation is being performed on the parent resource '/subscriptions/xxx-xxx-xxx-xxx-xxx/resourceGroups/CosmosRAG1/providers/Microsoft.CognitiveServices/accounts/jeffmoore-openai'. Please try again later. (Code: RequestConflict)",
};

// IMITATION: what the engine prints when azure-native gets that answer, built from the provider's format
// `Status=%d Code="%s" Message="%s"` (pulumi-azure-native provider/pkg/azure/client_azcore.go,
// PulumiAzcoreResponseError) around the service's message above; not recorded from a run.
const account = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-room/providers/Microsoft.CognitiveServices/accounts/oai-room";
const engine = (line: string) =>
  [
    "code: 255",
    "stdout: Updating (public-a02):",
    "    azure-native:cognitiveservices:Deployment attendee-model creating (1s)",
    `    azure-native:cognitiveservices:Deployment attendee-model creating failed error: ${line}`,
    "Diagnostics:",
    "  azure-native:cognitiveservices:Deployment (attendee-model):",
    `    error: ${line}`,
  ].join("\n");
const IMITATION = {
  parentBusy: engine(`Status=409 Code="RequestConflict" Message="Another operation is being performed on the parent resource '${account}'. Please try again later."`),
  quota: engine('Status=400 Code="InsufficientQuota" Message="This operation require 10 new capacity in quota Tokens Per Minute (thousands) - gpt-4o-mini, which is bigger than the current available capacity 0."'),
  apimConflict: engine('Status=409 Code="PessimisticConcurrencyConflict" Message="Failed to acquire lock on the entity."'),
  otherRequestConflict: engine('Status=409 Code="RequestConflict" Message="The resource is being updated; retry when it completes."'),
  messageWithoutCode: engine(`Status=409 Code="Conflict" Message="Another operation is being performed on the parent resource '${account}'."`),
};

describe("workshop prepare's retry of a busy Azure OpenAI account (automation/driver/workshop/retry.ts)", () => {
  it("retries the account's one-operation lock: recorded ARM and portal texts, and the engine's text of azure-native's error (imitation)", () => {
    for (const [name, text] of Object.entries({ ...RECORDED, engine: IMITATION.parentBusy })) {
      const reason = retryReason(text);
      assert.equal(reason?.code, "RequestConflict", name);
      assert.match(reason!.summary, /409 RequestConflict: another operation on the shared Azure OpenAI account/);
    }
  });

  it("does not retry anything else: quota, an APIM entity conflict, another RequestConflict, the message under another code, nothing", () => {
    for (const text of [IMITATION.quota, IMITATION.apimConflict, IMITATION.otherRequestConflict, IMITATION.messageWithoutCode, "simulated: a02's update refused", "", undefined]) {
      assert.equal(retryReason(text), undefined, String(text));
    }
  });

  it("waits exponentially, capped, with equal jitter: half fixed, half random", () => {
    const policy = { attempts: 5, baseMs: 30_000, maxMs: 120_000 };
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, () => 1)), [30_000, 60_000, 120_000, 120_000]);
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, () => 0)), [15_000, 30_000, 60_000, 60_000]);
    assert.equal(retryDelayMs(2, policy, () => 0.5), 45_000);
    for (let i = 0; i < 50; i++) {
      const d = retryDelayMs(3, policy);
      assert.ok(d >= 60_000 && d <= 120_000, String(d));
    }
    assert.throws(() => retryDelayMs(0, policy), /at least 1/);
    assert.deepEqual(DEFAULT_RETRY, { attempts: 5, baseMs: 30_000, maxMs: 120_000 });
  });

  it("says what it waits for in the live display, and how many updates a row took in the table", () => {
    const reason = retryReason(IMITATION.parentBusy)!;
    assert.equal(retryMessage(reason, 1, DEFAULT_RETRY, 41_600), "409 RequestConflict: another operation on the shared Azure OpenAI account; update 2 of 5 in 42 s");
    assert.equal(resultText({ status: "up" }), "up");
    assert.equal(resultText({ status: "up", attempts: 1 }), "up");
    assert.equal(resultText({ status: "up", attempts: 3 }), "up (3 updates)");
    assert.equal(resultText({ status: "failed", attempts: 5 }), "failed (5 updates)");
  });

  it("a wait ends early when Ctrl-C aborts it, and at once when it was aborted before", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = waitUnlessAborted(10_000, controller.signal);
    setTimeout(() => controller.abort(), 50);
    assert.equal(await waiting, false);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await waitUnlessAborted(10_000, controller.signal), false);
    assert.equal(await waitUnlessAborted(10, new AbortController().signal), true);
  });
});
