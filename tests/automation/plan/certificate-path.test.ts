import assert from "node:assert/strict";
import { backendCertificate } from "../../../automation/plan/certificate-path";
import { comparisonRows } from "../../../automation/plan/model";
import { SCENARIO_NAMES } from "../../../config/schema";
import { planned, resource } from "./helpers";

const ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const APIM = "azure-native:apimanagement:ApiManagementService";

describe("plan: the certificate path of each scenario (issue 19 item 1)", () => {
  it("the comparison table has a certificate row: the private CA for the classic-tier scenarios, Let's Encrypt's shared limit for consumption", async () => {
    const results = await Promise.all(SCENARIO_NAMES.map(planned));
    const row = comparisonRows(results).find((r) => r.label.trim() === "certificate");
    assert.ok(row, "a certificate row");
    const cells = Object.fromEntries(SCENARIO_NAMES.map((s, i) => [s, row.cells[i]]));
    assert.equal(cells.public.text, "private CA");
    assert.equal(cells.public.tone, "good");
    assert.equal(cells.external.text, "private CA");
    assert.equal(cells.internal.text, "private CA");
    assert.equal(cells.consumption.text, "Let's Encrypt (shared limit)");
    assert.match(cells.consumption.detail!, /50 certificates a week for swedencentral\.cloudapp\.azure\.com, shared by every Azure customer in the region/);
  });

  it("reads the graph: a CA APIM does not trust, Let's Encrypt staging, no issuer", () => {
    const ca = resource(ISSUER, "issuer", { inputs: { spec: { ca: { secretName: "private-ca" } } } });
    assert.equal(backendCertificate([ca, resource(APIM, "apim")], "https://ai.example").summary, "private CA, untrusted");
    assert.equal(backendCertificate([ca, resource(APIM, "apim")], "https://ai.example").present, false);
    const staging = resource(ISSUER, "issuer", { inputs: { spec: { acme: { server: "https://acme-staging-v02.api.letsencrypt.org/directory" } } } });
    assert.equal(backendCertificate([staging], "https://x.westeurope.cloudapp.azure.com").summary, "LE staging");
    const own = resource(ISSUER, "issuer", { inputs: { spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory" } } } });
    assert.equal(backendCertificate([own], "https://ai.contoso.com").summary, "Let's Encrypt");
    assert.equal(backendCertificate([], "").summary, "not in graph");
  });
});
