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
