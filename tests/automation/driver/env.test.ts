import assert from "node:assert/strict";
import { chooseBackend, describeBackend } from "../../../automation/driver/stack/env";

describe("automation/driver/stack/env: the state backend as the commands print it", () => {
  it("prints the local default and a plain blob backend as they are", () => {
    assert.equal(describeBackend(chooseBackend({}, "/work/main/.pulumi-state").url), "file:///work/main/.pulumi-state");
    assert.equal(describeBackend("azblob://state?storage_account=scenariosstate"), "azblob://state?storage_account=scenariosstate");
    assert.equal(describeBackend("s3://bucket/path?region=eu-north-1&profile=dev"), "s3://bucket/path?region=eu-north-1&profile=dev");
    assert.equal(describeBackend("https://api.pulumi.com"), "https://api.pulumi.com");
  });

  it("hides every query value that is not known to be plain, and any user or password in the URL", () => {
    const shown = describeBackend("azblob://state?storage_account=acct&sas_token=sv%3D2024%26sig%3Dsecret-signature&key=secret-key");
    assert.equal(shown, "azblob://state?storage_account=acct&sas_token=[hidden]&key=[hidden]");
    assert.doesNotMatch(shown, /secret/);
    assert.equal(describeBackend("https://user:secret-password@pulumi.example.com/state"), "https://[hidden]@pulumi.example.com/state");
  });
});
