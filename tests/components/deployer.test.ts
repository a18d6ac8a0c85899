import assert from "node:assert/strict";
import { deployerPrincipalType } from "../../components/deployer";

const none = () => undefined;

describe("components/deployer: the principal type of the admin grant", () => {
  it("is User when azure-native uses the Azure CLI's user session", () => {
    assert.equal(deployerPrincipalType({ env: {}, providerConfig: none }).type, "User");
  });

  it("is ServicePrincipal for a secret, OIDC (CI) or managed identity sign-in, from ARM_* variables or azure-native config", () => {
    for (const env of [{ ARM_CLIENT_ID: "id", ARM_CLIENT_SECRET: "s" }, { ARM_USE_OIDC: "true", ARM_CLIENT_ID: "id" }, { ARM_USE_MSI: "true" }, { ARM_OIDC_TOKEN: "t" }]) {
      assert.equal(deployerPrincipalType({ env, providerConfig: none }).type, "ServicePrincipal", JSON.stringify(env));
    }
    const fromConfig = deployerPrincipalType({ env: {}, providerConfig: (k) => (k === "clientId" ? "id" : undefined) });
    assert.deepEqual(fromConfig.type, "ServicePrincipal");
    assert.match(fromConfig.reason, /azure-native:clientId/);
  });

  it("ignores switches that are set to false or empty", () => {
    assert.equal(deployerPrincipalType({ env: { ARM_USE_MSI: "false", ARM_USE_OIDC: "" }, providerConfig: none }).type, "User");
  });

  it("lets the deployerPrincipalType setting win over what the sign-in suggests", () => {
    assert.equal(deployerPrincipalType({ configured: "ServicePrincipal", env: {}, providerConfig: none }).type, "ServicePrincipal");
    assert.equal(deployerPrincipalType({ configured: "User", env: { ARM_CLIENT_ID: "id" }, providerConfig: none }).type, "User");
  });
});
