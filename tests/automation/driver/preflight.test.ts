import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chooseBackend, hasPassphrase, isValidStackName, secretsRequirement } from "../../../automation/driver/stack/env";
import { findOnPath, preflight, PreflightError, type PreflightDeps } from "../../../automation/driver/preflight/preflight";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
}

function executable(dir: string, name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  return file;
}

function deps(env: Record<string, string | undefined>, overrides: Partial<PreflightDeps> = {}): PreflightDeps & { execCalls: string[]; tokenCalls: number } {
  const d = {
    env,
    execCalls: [] as string[],
    tokenCalls: 0,
    exec: async (command: string, args: string[]) => {
      d.execCalls.push([command, ...args].join(" "));
      return undefined; // not installed
    },
    azureToken: async () => {
      d.tokenCalls++;
    },
    ...overrides,
  };
  return d;
}

const fileBackend = chooseBackend({}, "/tmp/state");

describe("automation/driver/preflight/preflight", () => {
  let bin: string;
  let stacksDir: string;
  before(() => {
    bin = tempDir();
    executable(bin, "pulumi");
    executable(bin, "kubelogin");
    fs.writeFileSync(path.join(bin, "not-executable"), "x", { mode: 0o644 });
    stacksDir = tempDir();
  });
  after(() => {
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(stacksDir, { recursive: true, force: true });
  });

  it("finds executables on PATH and nothing else", () => {
    const PATH = ["/nonexistent", bin].join(path.delimiter);
    assert.equal(findOnPath("pulumi", { PATH }), path.join(bin, "pulumi"));
    assert.equal(findOnPath("not-executable", { PATH }), undefined);
    assert.equal(findOnPath("pulumi", { PATH: "/nonexistent" }), undefined);
    assert.equal(findOnPath("pulumi", {}), undefined);
  });

  it("lists every missing prerequisite, one line each, with the fix", async () => {
    const d = deps({ PATH: "/nonexistent" });
    await assert.rejects(
      preflight(["pulumi", "secrets", "azure", "kubelogin"], { backend: fileBackend, stacks: ["public"], stacksDir }, d),
      (e: unknown) => {
        assert.ok(e instanceof PreflightError);
        assert.equal(e.problems.length, 4);
        assert.match(e.problems[0], /^preflight: pulumi CLI not found on PATH; install it: curl -fsSL https:\/\/get\.pulumi\.com \| sh/);
        assert.match(e.problems[1], /^preflight: PULUMI_CONFIG_PASSPHRASE is not set; stacks in file:\/\/\/tmp\/state encrypt secrets/);
        assert.match(e.problems[2], /^preflight: kubelogin not found on PATH; .*az aks install-cli/);
        assert.match(e.problems[3], /^preflight: no Azure subscription; run az login .* AZURE_SUBSCRIPTION_ID/);
        for (const p of e.problems) assert.ok(!p.includes("\n"), "one line per problem");
        return true;
      },
    );
    assert.deepEqual(d.execCalls, ["az account show --query id --output tsv"]);
    assert.equal(d.tokenCalls, 0, "no sign-in attempt without a subscription");
  });

  it("passes when everything is there, and reports what it found", async () => {
    const d = deps({ PATH: bin, PULUMI_CONFIG_PASSPHRASE: "", AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000001" });
    const found = await preflight(["pulumi", "secrets", "azure", "kubelogin"], { backend: fileBackend, stacks: ["public"], stacksDir }, d);
    assert.equal(found.pulumiPath, path.join(bin, "pulumi"));
    assert.equal(found.kubeloginPath, path.join(bin, "kubelogin"));
    assert.equal(found.subscriptionId, "00000000-0000-0000-0000-000000000001");
    assert.equal(d.tokenCalls, 1);
    assert.deepEqual(d.execCalls, [], "the Azure CLI is not asked when the subscription is in the environment");
  });

  it("takes the subscription from the Azure CLI, and reports a failed sign-in with its reason", async () => {
    const d = deps(
      { PATH: bin },
      {
        exec: async () => ({ code: 0, stdout: "sub-from-az\n", stderr: "" }),
        azureToken: async () => {
          throw new Error("AzureCliCredential: Please run 'az login' to set up an account.\nmore detail");
        },
      },
    );
    await assert.rejects(preflight(["azure"], { backend: fileBackend, stacks: [] }, d), (e: unknown) => {
      assert.ok(e instanceof PreflightError);
      assert.deepEqual(e.problems, [
        "preflight: Azure sign-in failed (AzureCliCredential: Please run 'az login' to set up an account.); run az login, or export AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE)",
      ]);
      return true;
    });
  });

  it("joins the subscription checks' problems to the others, once Azure sign-in works", async () => {
    const calls: { subscriptionId: string; pulumiPath?: string }[] = [];
    const subscriptionChecks = async (subscriptionId: string, found: { pulumiPath?: string }) => {
      calls.push({ subscriptionId, pulumiPath: found.pulumiPath });
      return ["resource provider Microsoft.ContainerService is Registering (asynchronous)"];
    };
    const d = deps({ PATH: "/nonexistent", AZURE_SUBSCRIPTION_ID: "sub-1" });
    await assert.rejects(preflight(["pulumi", "azure"], { backend: fileBackend, stacks: [], subscriptionChecks }, d), (e: unknown) => {
      assert.ok(e instanceof PreflightError);
      assert.equal(e.problems.length, 2, "the machine's problem and the subscription's, in one error");
      assert.match(e.problems[0], /^preflight: pulumi CLI not found/);
      assert.equal(e.problems[1], "preflight: resource provider Microsoft.ContainerService is Registering (asynchronous)");
      return true;
    });
    assert.deepEqual(calls, [{ subscriptionId: "sub-1", pulumiPath: undefined }]);

    const failedSignIn = deps({ PATH: bin, AZURE_SUBSCRIPTION_ID: "sub-1" }, { azureToken: async () => Promise.reject(new Error("expired")) });
    await assert.rejects(preflight(["azure"], { backend: fileBackend, stacks: [], subscriptionChecks }, failedSignIn), (e: unknown) => (e as PreflightError).problems.length === 1);
    assert.equal(calls.length, 1, "no subscription checks without a working sign-in");

    const found = await preflight(["pulumi", "azure"], { backend: fileBackend, stacks: [], subscriptionChecks: async () => [] }, deps({ PATH: bin, AZURE_SUBSCRIPTION_ID: "sub-1" }));
    assert.equal(found.subscriptionId, "sub-1");
  });

  it("asks only what the command needs", async () => {
    const found = await preflight(["pulumi"], { backend: fileBackend, stacks: [] }, deps({ PATH: bin }));
    assert.equal(found.pulumiPath, path.join(bin, "pulumi"));
  });

  it("needs a passphrase only for self-managed backends whose stacks use one", () => {
    fs.writeFileSync(path.join(stacksDir, "Pulumi.kv.yaml"), "secretsprovider: azurekeyvault://vault.vault.azure.net/keys/k\nconfig: {}\n");
    fs.writeFileSync(path.join(stacksDir, "Pulumi.pp.yaml"), "encryptionsalt: v1:abc\nconfig: {}\n");
    assert.equal(secretsRequirement(fileBackend, ["pp"], undefined, stacksDir).needsPassphrase, true);
    assert.equal(secretsRequirement(fileBackend, ["new-stack"], undefined, stacksDir).needsPassphrase, true);
    assert.equal(secretsRequirement(fileBackend, ["kv"], undefined, stacksDir).needsPassphrase, false);
    assert.equal(secretsRequirement(fileBackend, ["pp"], "awskms://alias/x", stacksDir).needsPassphrase, false);
    assert.equal(secretsRequirement(chooseBackend({ PULUMI_BACKEND_URL: "https://api.pulumi.com" }), ["pp"], undefined, stacksDir).needsPassphrase, false);
    assert.equal(secretsRequirement(chooseBackend({ PULUMI_BACKEND_URL: "azblob://state" }), ["pp"], undefined, stacksDir).needsPassphrase, true);
    assert.equal(hasPassphrase({ PULUMI_CONFIG_PASSPHRASE: "" }), true, "an empty passphrase is a passphrase");
    assert.equal(hasPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/p" }), true);
    assert.equal(hasPassphrase({}), false);
  });

  it("chooses the backend: PULUMI_BACKEND_URL, else a local file backend in the project", () => {
    assert.deepEqual(chooseBackend({}, "/p/.pulumi-state"), { url: "file:///p/.pulumi-state", selfManaged: true, defaulted: true });
    assert.deepEqual(chooseBackend({ PULUMI_BACKEND_URL: "azblob://c" }), { url: "azblob://c", selfManaged: true, defaulted: false });
    assert.equal(chooseBackend({ PULUMI_BACKEND_URL: "https://api.pulumi.com" }).selfManaged, false);
    assert.equal(isValidStackName("public-eph-1a2b3c"), true);
    assert.equal(isValidStackName("../etc"), false);
    assert.equal(isValidStackName("a b"), false);
  });
});
