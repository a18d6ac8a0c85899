/**
 * Deploy-blocker review of workshop mode and the integrated scenario (issue 17 part 3, issue 20 part 1): what
 * the mock engine's graph shows that Azure would otherwise refuse or silently drop.
 */
import assert from "node:assert/strict";
import { evaluateScenario, offlineSettings } from "../../automation/evaluate";
import { evaluateProgram } from "../../automation/mock-engine";
import { CONFIG_NAMESPACE } from "../../config/load";
import { requireConfig } from "../../config/validate";
import { buildProgram } from "../../scenarios";
import { ROOM_SETTINGS, roomSettingMismatches } from "../../scenarios/workshop";
import { APIM_PRIVATE_LINK_ZONE } from "../../scenarios/build";
import { ofType, one, T } from "./helpers";

const PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const FEDERATION = "azure-native:managedidentity:FederatedIdentityCredential";

describe("workshop mode: the integrated scenario's shared half", function () {
  this.timeout(120_000);

  it("integratedPrivateGateway builds the gateway's private endpoint in the shared stack, the one that owns the service (not silently dropped)", async () => {
    const e = await evaluateScenario("integrated", { overrides: { workshopRole: "shared", integratedPrivateGateway: "true" }, stack: "integrated-shared" });
    const apim = one(e, T.apim);
    const pe = one(e, PRIVATE_ENDPOINT, (p) => p.name === "gateway-pe");
    const connection = (pe.inputs.privateLinkServiceConnections as { privateLinkServiceId: string; groupIds: string[] }[])[0];
    assert.deepEqual(connection.groupIds, ["Gateway"]);
    assert.equal(connection.privateLinkServiceId, apim.id);
    assert.equal(ofType(e, T.zone).filter((z) => z.inputs.privateZoneName === APIM_PRIVATE_LINK_ZONE).length, 1);
    // Without the setting the shared half has no such endpoint.
    const plain = await evaluateScenario("integrated", { overrides: { workshopRole: "shared" }, stack: "integrated-shared" });
    assert.equal(ofType(plain, PRIVATE_ENDPOINT).filter((p) => p.name === "gateway-pe").length, 0);
  });
});

describe("workshop mode: attendee stacks deployed at the same time", function () {
  this.timeout(120_000);

  it("each attendee's federated credential is the only one on its own identity, so parallel attendee stacks never write two credentials on one identity", async () => {
    // "Creating multiple federated identity credentials under the same user-assigned managed identity concurrently
    // triggers concurrency detection logic, which causes requests to fail with 409-conflict ... Federated identity
    // credentials under different managed identities can be created in parallel without any restrictions."
    // https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations
    const names: string[] = [];
    for (const who of ["a01", "a02"]) {
      const e = await evaluateScenario("integrated", {
        overrides: { workshopRole: "attendee", attendee: who, sharedStack: "organization/apim-aks-ai-scenarios/integrated-shared" },
        stack: `integrated-${who}`,
      });
      const identity = one(e, IDENTITY);
      const federation = one(e, FEDERATION);
      assert.equal(federation.inputs.resourceName, identity.inputs.resourceName);
      assert.equal(federation.inputs.subject, `system:serviceaccount:ai-${who}:ai-api`);
      assert.deepEqual(federation.inputs.audiences, ["api://AzureADTokenExchange"]);
      names.push(String(identity.inputs.resourceName));
    }
    assert.notEqual(names[0], names[1]);
  });
});

describe("APIM writes that lock the same entity go one after another", function () {
  this.timeout(120_000);

  it("the product's API links wait for each other and for their API's operations and policy (a link locks both the product and the API); the subscription comes last", async () => {
    // Azure/azure-api-management-devops-resource-kit#432: "The resource that associates the API and the product
    // ... locks both resources; so if another API tries to create an association with the same product
    // simultaneously, there will be a conflict" (409 PessimisticConcurrencyConflict), which azure-native does not
    // retry: it retries 409 AnotherOperationInProgress only (provider/pkg/azure/client_azcore.go).
    const attendee = { workshopRole: "attendee", attendee: "a01", sharedStack: "organization/apim-aks-ai-scenarios/integrated-shared" };
    for (const [stack, overrides] of [["integrated", {}], ["integrated-a01", attendee]] as const) {
      const e = await evaluateScenario("integrated", { overrides, stack });
      const links = ofType(e, "azure-native:apimanagement:ProductApiLink");
      assert.equal(links.length, 2, stack);
      const [first, second] = links.sort((a, b) => (a.dependencies.includes(b.urn) ? 1 : b.dependencies.includes(a.urn) ? -1 : 0));
      assert.ok(second.dependencies.includes(first.urn), `${stack}: ${second.name} waits for ${first.name}`);
      const productPolicy = one(e, "azure-native:apimanagement:ProductPolicy");
      assert.ok(first.dependencies.includes(productPolicy.urn), `${stack}: ${first.name} waits for the product's policy`);
      assert.ok(one(e, T.subscription).dependencies.includes(second.urn), `${stack}: the subscription waits for the product's last link`);
      for (const link of links) {
        const api = one(e, T.api, (a) => link.propertyDependencies.apiId?.includes(a.urn) ?? false);
        const underApi = e.resources.filter(
          (r) => (r.type === "azure-native:apimanagement:ApiOperation" || r.type === "azure-native:apimanagement:ApiPolicy") && r.dependencies.includes(api.urn),
        );
        assert.ok(underApi.length >= 2, `${stack}: ${api.name} has operations and a policy`);
        for (const r of underApi) assert.ok(link.dependencies.includes(r.urn), `${stack}: ${link.name} waits for ${r.name}`);
      }
    }
  });
});

describe("workshop mode: an attendee stack deployed by hand (up --shared) takes the room's settings", function () {
  this.timeout(120_000);
  const SHARED = "organization/apim-aks-ai-scenarios/integrated-shared";
  const attendeeOverrides = { workshopRole: "attendee", attendee: "zoe", sharedStack: SHARED };

  it("names each setting that differs from the shared stack's, with the --config that fixes it; nothing for an older shared stack", () => {
    const config = requireConfig("integrated", offlineSettings("integrated", attendeeOverrides));
    const same = Object.fromEntries(ROOM_SETTINGS.map((k) => [k, config[k]]));
    assert.deepEqual(roomSettingMismatches(config, same), []);
    assert.deepEqual(roomSettingMismatches(config, { ...same, privateEndpointSubnetPrefix: "10.42.4.0/28" }), [
      `privateEndpointSubnetPrefix is 10.42.4.0/28 on the shared stack and ${config.privateEndpointSubnetPrefix} here: give the attendee stack --config privateEndpointSubnetPrefix=10.42.4.0/28`,
    ]);
    assert.deepEqual(roomSettingMismatches(config, { ...same, openAiApiVersion: "2025-04-01-preview" }), [
      `openAiApiVersion is 2025-04-01-preview on the shared stack and ${config.openAiApiVersion === undefined ? "not set here" : `${config.openAiApiVersion} here`}: give the attendee stack --config openAiApiVersion=2025-04-01-preview`,
    ]);
    assert.deepEqual(roomSettingMismatches(config, { ...same, apimSharedSourceRanges: undefined }).length, config.apimSharedSourceRanges === undefined ? 0 : 1);
    assert.deepEqual(roomSettingMismatches(config, undefined), [], "a shared stack that exports no room settings");
  });

  it("refuses, before creating anything, a shared stack whose model endpoints' subnet differs: the pods' egress policy would miss the model", async () => {
    const shared = await evaluateScenario("integrated", { overrides: { workshopRole: "shared", privateEndpointSubnetPrefix: "10.42.4.0/28" }, stack: "integrated-shared" });
    assert.equal((shared.outputs.roomSettings.value as Record<string, unknown>).privateEndpointSubnetPrefix, "10.42.4.0/28");
    const config = requireConfig("integrated", offlineSettings("integrated", attendeeOverrides));
    const run = evaluateProgram(() => buildProgram(config, "integrated-zoe"), { project: CONFIG_NAMESPACE, stack: "integrated-zoe", stackReferences: { [SHARED]: shared.outputs } });
    await assert.rejects(run, /shared stack organization\/apim-aks-ai-scenarios\/integrated-shared: privateEndpointSubnetPrefix is 10\.42\.4\.0\/28 on the shared stack/);
  });
});
