/**
 * Deploy-blocker review of the integrated scenario (issue 20 part 1): facts about the installed SDK that the
 * scenario's choices rest on, so that an upgrade that changes them fails here instead of passing unnoticed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { evaluateScenario } from "../../automation/evaluate";
import { one } from "./helpers";

const sdkFile = (path: string) => fs.readFileSync(require.resolve(`@pulumi/azure-native/${path}`), "utf8");

describe("integrated: what the installed azure-native can send", function () {
  this.timeout(120_000);

  it("the Backend's TLS settings are the two flags only at the API version the SDK sends, so a v2 tier can check the name but not pin the private CA", async () => {
    // Backend tls.serverCertificateThumbprints / serverX509Names (v2's "CA certificates referenced in backend
    // entity") exist from REST API 2025-09-01-preview on. When the SDK sends a version that has them, this fails:
    // then trust the ingress's CA through the backend entity instead of checking its name only.
    assert.match(sdkFile("apimanagement/backend.d.ts"), /Uses Azure REST API version 2024-05-01\./);
    const types = sdkFile("types/input.d.ts");
    const tls = /interface BackendTlsPropertiesArgs \{([\s\S]*?)\n {4}\}/.exec(types);
    assert.ok(tls, "BackendTlsPropertiesArgs is declared");
    assert.deepEqual([...tls[1].matchAll(/^\s+(\w+)\?:/gm)].map((m) => m[1]), ["validateCertificateChain", "validateCertificateName"]);
    const e = await evaluateScenario("integrated", { stack: "integrated" });
    const backend = one(e, "azure-native:apimanagement:Backend", (b) => b.inputs.backendId === "ai-api-backend");
    assert.deepEqual(backend.inputs.tls, { validateCertificateChain: false, validateCertificateName: true });
  });
});
