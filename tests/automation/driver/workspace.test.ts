import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { providerEnv } from "../../../automation/driver/preflight/azure";
import { concise, configStrings, effectiveSettings, ephemeralStackName, expiresAtFromNow, settingsToApply } from "../../../automation/driver/stack/workspace";
import { requireConfig } from "../../../config/validate";

describe("automation/driver/stack/workspace: stack configuration", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.public.yaml"),
      ["config:", "  apim-aks-ai-scenarios:scenario: public", "  apim-aks-ai-scenarios:apimSku: Developer", "  apim-aks-ai-scenarios:openAiModelCapacity: 10", "  azure-native:location: westeurope", ""].join("\n"),
    );
    fs.writeFileSync(path.join(dir, "Pulumi.mine.yaml"), ["encryptionsalt: v1:x", "config:", "  apim-aks-ai-scenarios:apimCapacity: 2", ""].join("\n"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a scenario's own stack gets only the overrides (its stack file already holds the rest), as pulumi up -c does", () => {
    assert.deepEqual(settingsToApply("public", "public", { rateLimitCalls: "10" }, {}, dir), { rateLimitCalls: "10" });
    assert.deepEqual(settingsToApply("public", "public", {}, {}, dir), {});
  });

  it("a new stack is seeded with the scenario's settings, then the overrides, then extra settings", () => {
    const s = settingsToApply("public", "public-eph-1a2b3c", { apimSku: "Premium", tags: { team: "ai" } }, { expiresAt: "2030-01-01T00:00:00Z" }, dir);
    assert.deepEqual(s, {
      scenario: "public",
      apimSku: "Premium",
      openAiModelCapacity: "10",
      tags: '{"team":"ai"}',
      expiresAt: "2030-01-01T00:00:00Z",
    });
    assert.ok(!("azure-native:location" in s) && !("location" in s), "other namespaces are not copied");
  });

  it("an existing stack file without a scenario gets one (index.ts would take the stack name)", () => {
    assert.deepEqual(settingsToApply("public", "mine", {}, {}, dir), { scenario: "public" });
    assert.deepEqual(effectiveSettings("public", "mine", { rateLimitCalls: 5 }, {}, dir), { scenario: "public", apimCapacity: 2, rateLimitCalls: 5 });
  });

  it("what is validated is what the stack will run with", () => {
    const settings = effectiveSettings("public", "public-eph-x", { apimSku: "Bogus" }, { expiresAt: "2030-01-01T00:00:00Z" }, dir);
    assert.throws(() => requireConfig("public", settings), /apimSku = "Bogus"/);
    assert.doesNotThrow(() => requireConfig("public", effectiveSettings("public", "public-eph-x", {}, { expiresAt: "2030-01-01T00:00:00Z" }, dir)));
  });

  it("writes lists and maps as JSON and everything else as text", () => {
    assert.deepEqual(configStrings({ a: 1, b: true, c: ["x"], d: { k: "v" }, e: "s", f: undefined, g: null }), { a: "1", b: "true", c: '["x"]', d: '{"k":"v"}', e: "s" });
  });

  it("names ephemeral stacks uniquely and sets expires-at", () => {
    assert.equal(ephemeralStackName("internal", () => "0a1b2c"), "internal-eph-0a1b2c");
    assert.match(ephemeralStackName("public"), /^public-eph-[0-9a-f]{6}$/);
    assert.notEqual(ephemeralStackName("public"), ephemeralStackName("public"));
    assert.equal(expiresAtFromNow(4, new Date("2025-01-01T09:00:00.789Z")), "2025-01-01T13:00:00Z");
    assert.doesNotThrow(() => requireConfig("public", { expiresAt: expiresAtFromNow(4) }));
  });

  it("shows the engine's errors rather than the whole CLI output", () => {
    const cliError = Object.assign(new Error("code: 255\n stdout: Updating (s)\n...\n stderr: error: update failed\nerror: InsufficientQuota\n"), { name: "CommandError" });
    assert.equal(concise(cliError, []), "error: update failed\nerror: InsufficientQuota");
    assert.equal(concise(cliError, ["azure-native:cognitiveservices:Deployment (model): InsufficientQuota"]), "azure-native:cognitiveservices:Deployment (model): InsufficientQuota");
    const locked = Object.assign(new Error("code: 255\n stderr: error: the stack is currently locked by 1 lock(s)"), { name: "ConcurrentUpdateError" });
    assert.match(concise(locked, []), /^ConcurrentUpdateError: error: the stack is currently locked/);
  });

  it("bridges AZURE_* sign-in variables to the ARM_* ones the azure-native provider reads", () => {
    assert.deepEqual(providerEnv({ AZURE_CLIENT_ID: "c", AZURE_TENANT_ID: "t", AZURE_CLIENT_SECRET: "s" }, "sub"), {
      ARM_SUBSCRIPTION_ID: "sub",
      ARM_CLIENT_ID: "c",
      ARM_TENANT_ID: "t",
      ARM_CLIENT_SECRET: "s",
    });
    assert.deepEqual(providerEnv({ ARM_SUBSCRIPTION_ID: "mine", ARM_CLIENT_ID: "x", AZURE_CLIENT_ID: "y" }, "sub"), {}, "explicit ARM_* settings win");
  });
});
