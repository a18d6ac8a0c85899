import assert from "node:assert/strict";
import { purgeAll, purgeTargets } from "../../../automation/driver/cleanup/purge";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { PROJECT_DIR } from "../../../config/load";
import { PROJECT_NAME, PROJECT_TAG, standardTags } from "../../../config/naming";
import { formatSweep, type GroupInfo, isOurs, OUR_GROUPS_FILTER, planSweep, type ResourceInfo, runSweep, selectExpired, type SweepClient } from "../../../automation/driver/cleanup/sweep";
import type { Purgeable } from "../../../automation/driver/stack/types";
import { apimAndOpenAi, MemoryPurger } from "./helpers/memory-stack";

describe("automation/driver/cleanup/purge", () => {
  it("finds the soft-deletable resources in a stack's state, with programmatic locations", () => {
    const targets = purgeTargets(apimAndOpenAi("public"));
    assert.deepEqual(targets, [
      { kind: "apim", name: "apim-public", location: "swedencentral" },
      { kind: "cognitive", name: "oai-public", location: "swedencentral", resourceGroupName: "rg-public" },
    ]);
  });

  it("falls back to outputs and the resource id, and skips what it cannot name", () => {
    const targets = purgeTargets([
      { urn: "u1", type: "azure-native:apimanagement:ApiManagementService", custom: true, inputs: {}, outputs: { name: "apim-x", location: "Sweden Central" } },
      { urn: "u2", type: "azure-native:cognitiveservices:Account", custom: true, id: "/subscriptions/s/resourceGroups/rg-y/providers/Microsoft.CognitiveServices/accounts/oai-y", inputs: {}, outputs: { name: "oai-y", location: "eastus2" } },
      { urn: "u3", type: "azure-native:apimanagement:ApiManagementService", custom: true, inputs: {}, outputs: {} },
    ]);
    assert.deepEqual(targets, [
      { kind: "apim", name: "apim-x", location: "swedencentral" },
      { kind: "cognitive", name: "oai-y", location: "eastus2", resourceGroupName: "rg-y" },
    ]);
  });

  it("purges everything even when one purge throws", async () => {
    const log: string[] = [];
    const purger = new MemoryPurger(log);
    const throwing = { purge: async (t: Purgeable) => (t.name === "b" ? Promise.reject(new Error("403 Forbidden")) : purger.purge(t)) };
    const results = await purgeAll(throwing, [
      { kind: "apim", name: "a", location: "l" },
      { kind: "apim", name: "b", location: "l" },
    ]);
    assert.deepEqual(results.map((r) => r.status), ["purged", "failed"]);
    assert.equal(results[1].error, "403 Forbidden");
  });
});

class MemorySweepClient implements SweepClient {
  readonly deletedGroups: string[] = [];
  readonly log: string[] = [];
  purger = new MemoryPurger(this.log);
  constructor(
    private readonly groups: GroupInfo[],
    private readonly resources: Record<string, ResourceInfo[]>,
    private readonly deleted: (Purgeable & { originalGroup?: string })[] = [],
    private readonly failDelete: string[] = [],
  ) {}
  async listManagedGroups() {
    return this.groups;
  }
  async listResources(group: string) {
    return this.resources[group] ?? [];
  }
  async listDeleted() {
    return this.deleted;
  }
  async deleteGroup(name: string) {
    this.log.push(`delete:${name}`);
    if (this.failDelete.includes(name)) throw new Error("ResourceGroupDeletionBlocked: lock");
    this.deletedGroups.push(name);
  }
}

const NOW = new Date("2025-06-01T12:00:00Z");
const group = (name: string, tags: Record<string, string>): GroupInfo => ({ name, location: "swedencentral", tags });
/** This project's marks, as standardTags sets them. */
const OURS = { "managed-by": "pulumi", [PROJECT_TAG]: PROJECT_NAME };

describe("automation/driver/cleanup/sweep", () => {
  const groups = [
    group("rg-aiapim-pub-old", { ...OURS, "expires-at": "2025-06-01T08:00:00Z", stack: "public-eph-aaaaaa", scenario: "public" }),
    group("rg-aiapim-int-new", { ...OURS, "expires-at": "2025-06-01T15:00:00Z", stack: "internal-eph-bbbbbb" }),
    group("rg-aiapim-pub-kept", { ...OURS, stack: "public" }),
    group("rg-odd", { ...OURS, stack: "odd", "expires-at": "tomorrow" }),
    group("rg-other", { owner: "someone" }),
  ];
  // Another Pulumi program's expired group: managed-by=pulumi, a stack, a past expires-at, even our
  // scenario's names; only this project's own tag is missing (or names another project).
  const foreign = [
    group("rg-someone-elses-app", { "managed-by": "pulumi", stack: "dev", "expires-at": "2025-06-01T08:00:00Z" }),
    group("rg-aiapim-pub-lookalike", { "managed-by": "pulumi", [PROJECT_TAG]: "another-project", stack: "public-eph-cccccc", "expires-at": "2025-06-01T08:00:00Z" }),
  ];
  const resources: Record<string, ResourceInfo[]> = {
    "rg-aiapim-pub-old": [
      { id: "/x/apim", name: "apim-aiapim-pub-old", type: "Microsoft.ApiManagement/service", location: "Sweden Central" },
      { id: "/x/oai", name: "oai-aiapim-pub-old", type: "Microsoft.CognitiveServices/accounts", location: "swedencentral" },
      { id: "/x/aks", name: "aks", type: "Microsoft.ContainerService/managedClusters", location: "swedencentral" },
    ],
  };

  it("selects only managed groups whose expires-at has passed, and says why the others stay", () => {
    const { expired, kept } = selectExpired(groups, NOW);
    assert.deepEqual(expired.map((g) => g.name), ["rg-aiapim-pub-old"]);
    assert.equal(expired[0].stack, "public-eph-aaaaaa");
    assert.deepEqual(kept, [
      { name: "rg-aiapim-int-new", reason: "expires in 180 min" },
      { name: "rg-aiapim-pub-kept", reason: "no expires-at (long-lived)" },
      { name: "rg-odd", reason: 'expires-at "tomorrow" is not a time' },
      { name: "rg-other", reason: `not this project's (needs ${PROJECT_TAG}=${PROJECT_NAME}, managed-by=pulumi and stack)` },
    ]);
  });

  it("never touches another program's group with managed-by=pulumi and a past expires-at", async () => {
    const client = new MemorySweepClient([...groups, ...foreign], { ...resources, "rg-someone-elses-app": resources["rg-aiapim-pub-old"] });
    const dry = await runSweep(client, { dryRun: true, now: NOW });
    assert.deepEqual(dry.plan.expired.map((g) => g.name), ["rg-aiapim-pub-old"]);
    assert.ok(!formatSweep(dry).some((l) => /^would (delete|purge).*(someone-elses|lookalike)/.test(l)));
    const result = await runSweep(client, { dryRun: false, now: NOW });
    assert.deepEqual(result.deleted.map((d) => d.group), ["rg-aiapim-pub-old"]);
    assert.ok(!client.log.some((l) => /someone-elses|lookalike/.test(l)), client.log.join(", "));
    for (const g of foreign) assert.equal(isOurs(g.tags), false, g.name);
  });

  it("asks Azure only for groups carrying this project's tag, which every resource of the program gets", () => {
    assert.equal(OUR_GROUPS_FILTER, `tagName eq '${PROJECT_TAG}' and tagValue eq '${PROJECT_NAME}'`);
    const pulumiYaml = parseYaml(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as { name: string };
    assert.equal(PROJECT_NAME, pulumiYaml.name);
    const tags = standardTags({ scenario: "public", tags: {}, expiresAt: "2025-06-01T08:00:00Z" }, "public-eph-aaaaaa");
    assert.equal(isOurs(tags), true);
  });

  it("a dry run lists exactly what would go", async () => {
    const result = await runSweep(new MemorySweepClient([...groups, ...foreign], resources), { dryRun: true, now: NOW });
    assert.deepEqual(
      formatSweep(result).filter((l) => l.startsWith("would")),
      [
        "would delete: resource group rg-aiapim-pub-old (swedencentral; stack public-eph-aaaaaa, expired 2025-06-01T08:00:00Z)",
        "would purge: APIM service apim-aiapim-pub-old (swedencentral)",
        "would purge: Azure OpenAI account oai-aiapim-pub-old (swedencentral)",
      ],
    );
  });

  it("plans purges of what was in the swept groups and of soft-deleted resources that came from them", async () => {
    const client = new MemorySweepClient(groups, resources, [
      { kind: "apim", name: "apim-aiapim-pub-older", location: "swedencentral", originalGroup: "RG-AIAPIM-PUB-OLD" },
      { kind: "apim", name: "apim-elsewhere", location: "swedencentral", originalGroup: "rg-someone-else" },
      { kind: "cognitive", name: "oai-aiapim-pub-old", location: "swedencentral", resourceGroupName: "rg-aiapim-pub-old" },
    ]);
    const plan = await planSweep(client, NOW);
    assert.deepEqual(plan.purge.map((p) => `${p.kind}:${p.name}`).sort(), ["apim:apim-aiapim-pub-old", "apim:apim-aiapim-pub-older", "cognitive:oai-aiapim-pub-old"]);
  });

  it("a dry run deletes and purges nothing", async () => {
    const client = new MemorySweepClient(groups, resources);
    const result = await runSweep(client, { dryRun: true, now: NOW });
    assert.deepEqual(client.log, []);
    const lines = formatSweep(result);
    assert.match(lines[0], /^would delete: resource group rg-aiapim-pub-old \(swedencentral; stack public-eph-aaaaaa, expired 2025-06-01T08:00:00Z\)/);
    assert.ok(lines.some((l) => /^would purge: APIM service apim-aiapim-pub-old/.test(l)));
    assert.ok(lines.some((l) => l === "kept: rg-aiapim-pub-kept (no expires-at (long-lived))"));
  });

  it("deletes the expired groups first, then purges; a failed deletion is reported", async () => {
    const client = new MemorySweepClient(groups, resources);
    const result = await runSweep(client, { dryRun: false, now: NOW });
    assert.deepEqual(client.log, ["delete:rg-aiapim-pub-old", "purge:apim:apim-aiapim-pub-old", "purge:cognitive:oai-aiapim-pub-old"]);
    assert.ok(formatSweep(result).some((l) => /pulumi stack rm --force public-eph-aaaaaa/.test(l)));

    const failing = new MemorySweepClient(groups, resources, [], ["rg-aiapim-pub-old"]);
    const r2 = await runSweep(failing, { dryRun: false, now: NOW });
    assert.equal(r2.deleted[0].ok, false);
    assert.match(formatSweep(r2)[0], /NOT deleted \(ResourceGroupDeletionBlocked: lock\)/);
  });

  it("says so when nothing expired", async () => {
    const result = await runSweep(new MemorySweepClient([groups[1]], {}), { dryRun: true, now: NOW });
    assert.match(formatSweep(result)[0], /^nothing expired/);
  });
});
