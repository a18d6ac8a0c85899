import assert from "node:assert/strict";
import { evaluateProgram, type Evaluation } from "../../automation/mock-engine";
import { ofType } from "../helpers/graph";
import { SIMULATED_SUBSCRIPTION_ID } from "../../automation/simulate";
import { AiModel, type AiModelArgs, explainDeploymentError, networkRules } from "../../components/AiModel";
import { ipRuleValues, MAX_AI_SERVICES_IP_RULES } from "../../components/model-path";

const T = {
  component: "apim-aks-ai:ai:AiModel",
  account: "azure-native:cognitiveservices:Account",
  deployment: "azure-native:cognitiveservices:Deployment",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  diag: "azure-native:monitor:DiagnosticSetting",
} as const;

const OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";
const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const ARGS: AiModelArgs = {
  resourceGroupName: "rg-ai",
  location: "swedencentral",
  tags: TAGS,
  accountName: "oai-test-abc",
  modelName: "gpt-4o-mini",
  modelVersion: "2024-07-18",
  deploymentSku: "GlobalStandard",
  capacity: 10,
  diagnostics: { workspaceId: "/subscriptions/x/workspaces/log" },
  network: { ipRanges: ["203.0.113.10", "198.51.100.0/24"], subnetIds: ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks"] },
};
const PRINCIPAL = "22222222-2222-2222-2222-222222222222";

describe("components/AiModel", () => {
  let e: Evaluation;
  before(async () => {
    e = await evaluateProgram(() => {
      const model = new AiModel("ai-model", ARGS);
      model.grantInference("apim-inference", PRINCIPAL);
      return { endpoint: model.endpoint, resourceName: model.resourceName, deploymentName: model.deploymentName, resourceId: model.resourceId };
    }, { project: "test", stack: "t" });
  });

  it("registers the account, the deployment, diagnostics and the grant under the component", () => {
    const [component] = ofType(e, T.component);
    assert.equal(component.urn, "urn:pulumi:t::test::apim-aks-ai:ai:AiModel::ai-model");
    for (const type of [T.account, T.deployment, T.roleAssignment, T.diag]) assert.equal(ofType(e, type).length, 1, type);
    for (const r of e.resources.filter((r) => r.custom)) assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
  });

  it("creates an OpenAI account without keys, on its custom subdomain, with a system identity", () => {
    const [account] = ofType(e, T.account);
    const props = account.inputs.properties as Record<string, unknown>;
    assert.equal(account.inputs.kind, "OpenAI");
    assert.deepEqual(account.inputs.sku, { name: "S0" });
    assert.equal(account.inputs.accountName, ARGS.accountName);
    assert.equal(props.customSubDomainName, ARGS.accountName);
    assert.equal(props.disableLocalAuth, true);
    assert.equal(props.publicNetworkAccess, "Enabled");
    assert.deepEqual(account.inputs.identity, { type: "SystemAssigned" });
    assert.deepEqual(account.inputs.tags, TAGS);
    assert.equal(account.inputs.location, ARGS.location);
  });

  it("admits only the given addresses and subnets: default Deny, no trusted-service bypass (issue 12 item 7)", () => {
    const [account] = ofType(e, T.account);
    const acls = (account.inputs.properties as { networkAcls: Record<string, unknown> }).networkAcls;
    assert.deepEqual(acls, {
      defaultAction: "Deny",
      bypass: "None",
      ipRules: [{ value: "198.51.100.0/24" }, { value: "203.0.113.10" }],
      virtualNetworkRules: [{ id: ARGS.network.subnetIds[0], ignoreMissingVnetServiceEndpoint: false }],
    });
  });

  it("networkRules merges the region's ranges to the fewest rules and writes a /31 as two addresses (Azure refuses /31 and /32)", () => {
    const values = networkRules(["198.51.100.0/25", "198.51.100.128/25", "198.51.100.7", "203.0.113.8/31"], []).ipRules.map((r) => r.value);
    assert.deepEqual(values, ["198.51.100.0/24", "203.0.113.8", "203.0.113.9"]);
  });
  it("ipRuleValues keeps a region's typical list under the account's 100 rules where the ranges are adjacent", () => {
    const adjacent = Array.from({ length: 256 }, (_, i) => `10.${i}.0.0/16`);
    assert.deepEqual(ipRuleValues(adjacent), ["10.0.0.0/8"]);
    assert.equal(MAX_AI_SERVICES_IP_RULES, 100);
  });
  it("networkRules writes single addresses without /32 and drops duplicates", () => {
    assert.deepEqual(networkRules(["192.0.2.1/32", "192.0.2.1", "192.0.2.64/28"], []).ipRules, [{ value: "192.0.2.1" }, { value: "192.0.2.64/28" }]);
    assert.equal(networkRules([], []).defaultAction, "Deny");
  });

  it("tells the AI API which token parameter and api-version the model takes (issue 12 item 2)", async () => {
    let seen: { tokenParameter: string; apiVersion: string }[] = [];
    await evaluateProgram(() => {
      const models = [
        new AiModel("reasoning", { ...ARGS, modelName: "gpt-5.4-mini", modelVersion: "2026-03-17" }),
        new AiModel("chat", ARGS),
        new AiModel("pinned", { ...ARGS, modelName: "gpt-5.4-mini", modelVersion: "2026-03-17", tokenParameter: "max_tokens", apiVersion: "2024-10-21" }),
      ];
      seen = models.map((m) => ({ tokenParameter: m.tokenParameter, apiVersion: m.apiVersion }));
      return {};
    }, { project: "test", stack: "t" });
    assert.deepEqual(seen, [
      { tokenParameter: "max_completion_tokens", apiVersion: "2025-04-01-preview" },
      { tokenParameter: "max_tokens", apiVersion: "2024-10-21" },
      { tokenParameter: "max_tokens", apiVersion: "2024-10-21" },
    ]);
  });

  it("deploys the configured model, version, SKU and capacity into the account", () => {
    const [account] = ofType(e, T.account);
    const [deployment] = ofType(e, T.deployment);
    assert.equal(deployment.inputs.accountName, ARGS.accountName);
    assert.ok(deployment.dependencies.includes(account.urn));
    assert.equal(deployment.inputs.deploymentName, "gpt-4o-mini");
    assert.deepEqual(deployment.inputs.sku, { name: "GlobalStandard", capacity: 10 });
    const props = deployment.inputs.properties as { model: Record<string, unknown> };
    assert.deepEqual(props.model, { format: "OpenAI", name: "gpt-4o-mini", version: "2024-07-18" });
    assert.deepEqual(deployment.inputs.tags, TAGS);
  });

  it("grantInference assigns Cognitive Services OpenAI User on the account to a service principal", () => {
    const [account] = ofType(e, T.account);
    const [grant] = ofType(e, T.roleAssignment);
    assert.equal(grant.name, "apim-inference");
    assert.equal(grant.inputs.scope, account.id);
    assert.equal(grant.inputs.roleDefinitionId, `/subscriptions/${SIMULATED_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${OPENAI_USER}`);
    assert.equal(grant.inputs.principalId, PRINCIPAL);
    assert.equal(grant.inputs.principalType, "ServicePrincipal");
  });

  it("sends the account's logs to the workspace", () => {
    const [account] = ofType(e, T.account);
    const [diag] = ofType(e, T.diag);
    assert.equal(diag.inputs.resourceUri, account.id);
    assert.equal(diag.inputs.workspaceId, ARGS.diagnostics!.workspaceId);
  });

  it("exposes the endpoint, account and deployment names", () => {
    assert.equal(e.outputs.endpoint.value, "https://oai-test-abc.openai.azure.com/");
    assert.equal(e.outputs.resourceName.value, "oai-test-abc");
    assert.equal(e.outputs.deploymentName.value, "gpt-4o-mini");
    assert.match(String(e.outputs.resourceId.value), /\/providers\/Microsoft\.CognitiveServices\/accounts\/oai-test-abc$/);
  });

  it("creates no diagnostic setting when none is asked for", async () => {
    const bare = await evaluateProgram(() => {
      new AiModel("ai-model", { ...ARGS, diagnostics: undefined });
      return {};
    }, { project: "test", stack: "t" });
    assert.equal(ofType(bare, T.diag).length, 0);
  });
});

describe("explainDeploymentError", () => {
  const cases: [string, string, RegExp[]][] = [
    [
      "quota, current wording",
      "InsufficientQuota: This operation require 10 new capacity in quota Tokens Per Minute (thousands) - gpt-4o-mini - GlobalStandard, which is bigger than the current available capacity 0. The current quota usage is 0 and the quota limit is 0 for quota Tokens Per Minute (thousands) - gpt-4o-mini - GlobalStandard.",
      [/openAiModelCapacity/, /openAiLocation/, /openAiDeploymentSku/, /\b0K tokens per minute left/],
    ],
    [
      "quota, older wording",
      "The specified capacity '60' of account deployment is bigger than available capacity '0' for UsageName 'Tokens Per Minute (thousands) - GPT-35-Turbo'. (Code: InsufficientQuota)",
      [/openAiModelCapacity/],
    ],
    [
      "model and version not offered",
      "DeploymentModelNotSupported: The model 'Format: OpenAI, Name: text-embedding-3-small, Version: 2' of account deployment is not supported.",
      [/openAiModelName/, /openAiModelVersion/, /openAiLocation/],
    ],
    [
      "model no longer deployable",
      "DeploymentModelNotSupported: Creating account deployment is not supported by the model 'gpt-35-turbo'. This is usually because there are better models available for the similar functionality.",
      [/openAiModelName/, /openAiModelVersion/],
    ],
    [
      "version deprecated",
      "The model 'Format: OpenAI, Name: gpt-35-turbo, Version: 0613, Source: , SourceAccount: ' has been deprecated since 02/13/2025",
      [/openAiModelVersion/],
    ],
    [
      "SKU not offered for the model",
      "InvalidResourceProperties: The specified SKU 'Standard' of account deployment is not supported by the model 'gpt-35-turbo' version: '0613'.",
      [/openAiDeploymentSku/, /openAiLocation/],
    ],
  ];
  for (const [label, message, expected] of cases) {
    it(`explains ${label}`, () => {
      const line = explainDeploymentError(message);
      assert.ok(line, message);
      assert.ok(!line.includes("\n"), "one line");
      for (const re of expected) assert.match(line, re);
    });
  }

  it("leaves other errors alone", () => {
    assert.equal(explainDeploymentError("AuthorizationFailed: The client does not have authorization to perform action"), undefined);
    assert.equal(explainDeploymentError("ServiceAlreadyExistsInSoftDeletedState"), undefined);
  });
});
