/**
 * Deploy-blocker review of workshop mode and the integrated scenario (issue 17 part 3, issue 20 part 1): what
 * the mock engine's graph shows that Azure would otherwise refuse or silently drop.
 */
import assert from "node:assert/strict";
import { evaluateScenario } from "../../automation/evaluate";
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
