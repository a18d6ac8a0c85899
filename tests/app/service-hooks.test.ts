/** serviceHooks (tests/app/helpers/service.ts): a failing test still has its upstream and service closed, so mocha exits. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const MOCHA = path.resolve(__dirname, "../../node_modules/mocha/bin/mocha.js");
const SUITES = path.resolve(__dirname, "fixtures/failing-service-suites.ts");

describe("serviceHooks", function () {
  this.timeout(60_000);

  it("closes the upstream and the service after failing tests, in every mode: mocha exits by itself with every failure reported", () => {
    // No --exit: mocha waits for open servers, so a hook that left one open shows as the timeout.
    const run = spawnSync(process.execPath, [MOCHA, "--no-config", "--node-option", "import=tsx", "--reporter", "dot", SUITES], {
      encoding: "utf8",
      timeout: 45_000,
    });
    assert.equal(run.signal, null, `mocha did not exit by itself:\n${run.stdout}${run.stderr}`);
    assert.equal(run.status, 5, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /0 passing/);
    assert.match(run.stdout, /5 failing/);
    for (const message of ["after a call", "after replacing the service", "once", "started by the test", "none started"]) assert.ok(run.stdout.includes(message), message);
  });
});
