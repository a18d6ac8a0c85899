import assert from "node:assert/strict";
import { evaluateProgram, type Evaluation } from "../../automation/mock-engine";
import { ofType } from "../helpers/graph";
import { Observability, type ObservabilityArgs } from "../../components/Observability";

const T = {
  component: "apim-aks-ai:monitoring:Observability",
  workspace: "azure-native:operationalinsights:Workspace",
  appInsights: "azure-native:applicationinsights:Component",
} as const;

const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const ARGS: ObservabilityArgs = { resourceGroupName: "rg-mon", location: "swedencentral", tags: TAGS, workspaceName: "log-test", appInsightsName: "appi-test" };

async function build(args: ObservabilityArgs): Promise<Evaluation> {
  return evaluateProgram(() => {
    const o = new Observability("observability", args);
    return {
      resourceId: o.resourceId,
      workspaceCustomerId: o.workspaceCustomerId,
      appInsightsId: o.appInsightsId,
      appInsightsName: o.appInsightsName,
      connectionString: o.appInsightsConnectionString,
      diagnosticsWorkspaceId: o.diagnostics.workspaceId,
    };
  }, { project: "test", stack: "t" });
}

describe("components/Observability", () => {
  let e: Evaluation;
  before(async () => {
    e = await build(ARGS);
  });

  it("registers a workspace and Application Insights under the component", () => {
    const [component] = ofType(e, T.component);
    assert.equal(component.urn, "urn:pulumi:t::test::apim-aks-ai:monitoring:Observability::observability");
    assert.equal(ofType(e, T.workspace).length, 1);
    assert.equal(ofType(e, T.appInsights).length, 1);
    for (const r of e.resources.filter((r) => r.custom)) {
      assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
      assert.deepEqual(r.inputs.tags, TAGS);
      assert.equal(r.inputs.location, ARGS.location);
      assert.equal(r.inputs.resourceGroupName, ARGS.resourceGroupName);
    }
  });

  it("creates a pay-as-you-go workspace with 30 days of retention", () => {
    const [workspace] = ofType(e, T.workspace);
    assert.equal(workspace.inputs.workspaceName, "log-test");
    assert.deepEqual(workspace.inputs.sku, { name: "PerGB2018" });
    assert.equal(workspace.inputs.retentionInDays, 30);
  });

  it("makes Application Insights workspace-based", () => {
    const [workspace] = ofType(e, T.workspace);
    const [appi] = ofType(e, T.appInsights);
    assert.equal(appi.inputs.resourceName, "appi-test");
    assert.equal(appi.inputs.kind, "web");
    assert.equal(appi.inputs.applicationType, "web");
    assert.equal(appi.inputs.workspaceResourceId, workspace.id);
    assert.equal(appi.inputs.ingestionMode, "LogAnalytics");
    assert.ok(appi.dependencies.includes(workspace.urn));
  });

  it("exposes IDs, the workspace for diagnostics, and the connection string only as a secret", () => {
    const [workspace] = ofType(e, T.workspace);
    const [appi] = ofType(e, T.appInsights);
    assert.equal(e.outputs.resourceId.value, workspace.id);
    assert.equal(e.outputs.diagnosticsWorkspaceId.value, workspace.id);
    assert.equal(e.outputs.appInsightsId.value, appi.id);
    assert.equal(e.outputs.appInsightsName.value, "appi-test");
    assert.match(String(e.outputs.workspaceCustomerId.value), /^[0-9a-f-]{36}$/);
    assert.equal(e.outputs.connectionString.secret, true);
    assert.match(String(e.outputs.connectionString.value), /^InstrumentationKey=/);
    for (const key of ["resourceId", "appInsightsId", "appInsightsName"]) assert.equal(e.outputs[key].secret, false, key);
    const [component] = ofType(e, T.component);
    assert.equal(component.outputs.appInsightsConnectionString, "[secret]");
  });

  it("takes another retention when asked", async () => {
    const longer = await build({ ...ARGS, retentionInDays: 90 });
    assert.equal(ofType(longer, T.workspace)[0].inputs.retentionInDays, 90);
  });

  it("caps daily ingestion when asked (issue 19 item 4), and leaves the workspace uncapped otherwise", async () => {
    const capped = await build({ ...ARGS, dailyQuotaGb: 1 });
    assert.deepEqual(ofType(capped, T.workspace)[0].inputs.workspaceCapping, { dailyQuotaGb: 1 });
    assert.equal(ofType(e, T.workspace)[0].inputs.workspaceCapping, undefined);
  });
});
