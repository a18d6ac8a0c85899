import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { PurgeResult } from "../../automation/driver/stack/types";
import { releaseApimSubnet, type ReleaseDeps, subnetHolders } from "../../components/subnet-release";

const APIM_LINK = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-apim/resourceNavigationLinks/apim";

/** A simulated Azure: APIM gone or not, a purge result, and the subnet's holders check by check. */
function simulated(o: { apimExists?: boolean; purge?: PurgeResult["status"]; holders: (string[] | undefined)[] }) {
  let clock = 0;
  const lines: string[] = [];
  const calls: string[] = [];
  let check = 0;
  const deps: ReleaseDeps = {
    apimName: "apim-x",
    subnetName: "snet-apim",
    apimExists: async () => o.apimExists ?? false,
    purge: async () => {
      calls.push("purge");
      return { target: { kind: "apim", name: "apim-x", location: "swedencentral" }, status: o.purge ?? "purged", error: o.purge === "failed" ? "Forbidden" : undefined };
    },
    holders: async () => {
      calls.push("holders");
      return o.holders[Math.min(check++, o.holders.length - 1)];
    },
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
    log: (line) => lines.push(line),
  };
  return { deps, lines, calls };
}

describe("components/subnet-release: destroying a VNet-injected APIM", () => {
  it("reads what holds a subnet from its ipConfigurations and links", () => {
    assert.deepEqual(subnetHolders({}), []);
    assert.deepEqual(subnetHolders({ properties: { resourceNavigationLinks: [{ id: APIM_LINK }], ipConfigurations: [{ id: "ip" }], serviceAssociationLinks: [] } }), ["ip", APIM_LINK]);
  });

  it("purges the soft-deleted service first, then waits with a progress line per check until the subnet is free", async () => {
    const s = simulated({ holders: [[APIM_LINK], [APIM_LINK], []] });
    assert.equal(await releaseApimSubnet(s.deps, 60 * 60_000, 30_000), "released");
    assert.deepEqual(s.calls, ["purge", "holders", "holders", "holders"]);
    assert.deepEqual(s.lines, [
      "purged the soft-deleted APIM service apim-x",
      "waiting for APIM to release subnet snet-apim (check 1, 0 s; held by 1 link)",
      "waiting for APIM to release subnet snet-apim (check 2, 30 s; held by 1 link)",
      "subnet snet-apim released after 60 s",
    ]);
  });

  it("does nothing while APIM exists: the step is then replaced in an update, not destroyed", async () => {
    const s = simulated({ apimExists: true, holders: [[APIM_LINK]] });
    assert.equal(await releaseApimSubnet(s.deps), "skipped");
    assert.deepEqual(s.calls, []);
  });

  it("stops the destroy when the purge fails, before the subnet is deleted", async () => {
    const s = simulated({ purge: "failed", holders: [[]] });
    await assert.rejects(releaseApimSubnet(s.deps), /could not purge the soft-deleted APIM service apim-x: Forbidden/);
  });

  it("gives up after the time limit with what still holds the subnet", async () => {
    const s = simulated({ holders: [[APIM_LINK]] });
    await assert.rejects(releaseApimSubnet(s.deps, 120_000, 30_000), new RegExp(`still in use after 2 min \\(${APIM_LINK.replace(/[/.]/g, "\\$&")}\\)`));
  });

  it("counts a subnet that is already gone as released", async () => {
    const s = simulated({ purge: "not-found", holders: [undefined] });
    assert.equal(await releaseApimSubnet(s.deps), "released");
    assert.match(s.lines[0], /not soft-deleted/);
  });

  it("runs as the destroy step's script, and stops with a clear line when its settings are missing", () => {
    const root = path.resolve(__dirname, "../..");
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/release-apim-subnet.ts"], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stderr.trim(), "SUBSCRIPTION_ID is not set");
  });
});
