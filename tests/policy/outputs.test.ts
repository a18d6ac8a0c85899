import assert from "node:assert/strict";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { SCENARIO_NAMES } from "../../config/schema";
import { isSensitiveName, secretOutputViolations, stackOutputsOf } from "../../policy/outputs";
import { markSecretPaths, secretPathsOf, trackSecretPaths, wireSecretPaths } from "../../policy/secrets";
import { evaluated } from "./helpers";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const secret = (value: unknown) => ({ [SIG]: SECRET_SIG, value });

describe("secretOutputViolations", () => {
  for (const scenario of SCENARIO_NAMES) {
    it(`finds nothing in the ${scenario} scenario's outputs`, async () => {
      assert.deepEqual(secretOutputViolations((await evaluated(scenario)).outputs), []);
    });
  }

  const sensitive = ["subscriptionKey", "primary_key", "adminPassword", "apiToken", "clientSecret", "appInsightsConnectionString", "kubeconfig", "sasToken", "storageKeys", "dbPwd"];
  const harmless = ["keyVaultName", "keyVaultUri", "tokenEndpoint", "secretName", "subscriptionKeyHeader", "apiBasePath", "gatewayUrl", "keyboard", "monkey", "scenario", "probes"];
  it("reads names as sensitive or not", () => {
    assert.deepEqual(sensitive.filter((n) => !isSensitiveName(n)), []);
    assert.deepEqual(harmless.filter(isSensitiveName), []);
  });

  it("flags plain outputs by name, by content, and inside objects, but not secrets or non-strings", () => {
    const v = secretOutputViolations({
      subscriptionKey: { value: "k3y", secret: false },
      primaryKey: { value: "k3y", secret: true },
      tokenLimitPerMinute: { value: 5000, secret: false },
      cert: { value: "-----BEGIN RSA PRIVATE KEY-----\nMII...\n-----END RSA PRIVATE KEY-----", secret: false },
      blobUrl: { value: "https://x.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbCdEfGhIjKlMnOpQrSt%3D", secret: false },
      bearer: { value: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl", secret: false },
      probes: { value: [{ request: { withSubscriptionKey: true, url: "https://a.example/x" } }], secret: false },
      nested: { value: { creds: [{ password: "p" }], masked: { token: "[secret]" } }, secret: false },
      empty: { value: { apiKey: "" }, secret: false },
    });
    assert.deepEqual(
      v.map((x) => x.path),
      ["subscriptionKey", "cert", "blobUrl", "bearer", "nested.creds[0].password"],
    );
    assert.match(v[0].message, /^stack output "subscriptionKey" looks like a credential by its name but is not secret: export it with pulumi\.secret\(\)\.$/);
    assert.match(v[1].message, /holds a PEM private key/);
    assert.match(v[2].message, /holds a SAS token/);
    assert.match(v[3].message, /holds a JSON Web Token/);
    assert.match(v[4].message, /"nested" \(at nested\.creds\[0\]\.password\)/);
  });

  it("rebuilds outputs from a Stack resource's properties and secret paths", () => {
    const outputs = stackOutputsOf({ key: "k", conn: { primary: "p", secondary: "s" }, url: "https://a.example" }, ["key", "conn.primary"]);
    assert.deepEqual(outputs, {
      key: { value: "[secret]", secret: true },
      conn: { value: { primary: "[secret]", secondary: "s" }, secret: false },
      url: { value: "https://a.example", secret: false },
    });
  });
});

describe("secret paths", () => {
  it("finds secrets in the engine's wire format", () => {
    assert.deepEqual(wireSecretPaths({ a: secret("x"), b: { c: [1, secret(2)] }, d: "plain" }), ["a", "b.c[1]"]);
  });

  it("travels with the properties object without showing up in it", () => {
    const props = markSecretPaths({ a: 1 }, ["a"]);
    assert.deepEqual(secretPathsOf(props), ["a"]);
    assert.deepEqual(Object.keys(props), ["a"]);
    assert.equal(JSON.stringify(props), '{"a":1}');
    assert.equal(secretPathsOf({ a: 1 }), undefined, "unmarked: unknown, not 'no secrets'");
  });

  it("marks what @pulumi/policy deserializes, and survives its unknown-checking proxy", () => {
    assert.equal(trackSecretPaths(), true);
    assert.equal(trackSecretPaths(), true, "installing twice is harmless");
    const { deserializeProperties } = require("@pulumi/policy/deserialize");
    const { unknownCheckingProxy } = require("@pulumi/policy/proxy");
    const struct = Struct.fromJavaScript({ subscriptionKey: secret("k3y") as any, scenario: "public", nested: { token: secret("t") as any } });
    const props = unknownCheckingProxy(deserializeProperties(struct, false));
    assert.equal(props.subscriptionKey, "k3y", "values stay unwrapped for every other policy");
    assert.deepEqual([...secretPathsOf(props)!].sort(), ["nested.token", "subscriptionKey"]);
    assert.deepEqual(secretOutputViolations(stackOutputsOf(props, secretPathsOf(props)!)), []);
  });

  it("reports failure when the SDK's module cannot be hooked", () => {
    assert.equal(trackSecretPaths(() => { throw new Error("moved"); }), false);
    assert.equal(trackSecretPaths(() => ({}) as any), false);
  });
});
