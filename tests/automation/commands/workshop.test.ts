/**
 * `scenarios workshop` and `up --shared` (issue 17 part 3): the rules as plain functions (names, settings,
 * refusals, the room's preflight targets, the status table), and the command line's refusals through the CLI's
 * own `main` (exit 2, one line, before any driver module or preflight runs). The commands' work on real stacks is
 * in tests/engine/workshop.engine.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliInProcess } from "../../helpers/cli";
import { expiresInHours, UsageError } from "../../../automation/cli-common";
import { type AzureTarget, modelQuotaProblems, modelUsageName, type UsageRow, vcpuQuotaProblems, type VmSku } from "../../../automation/driver/preflight/preflight-azure";
import {
  attendeeNames,
  attendeeOfStack,
  attendeeTarget,
  attendeeUp,
  concurrencyOf,
  preparePlan,
  projectName,
  qualifiedShared,
  refuseSharedDestroy,
  roomModelMode,
  roomTargets,
  sharedStackReaders,
  teardownPlan,
  WORKSHOP_EXPIRES_IN_HOURS,
} from "../../../automation/driver/workshop/room";
import { statusDriverOptions } from "../../../automation/commands/workshop";
import { apiUrlOf, isUp, type StatusRow, statusDocument, statusSummary, statusTable } from "../../../automation/driver/workshop/status";
import { expiresAtFromNow } from "../../../automation/driver/stack/workspace";
import { limiter, lockState, sharedStackProblems } from "../../../automation/driver/workshop/workshop";
import { defaultsFor } from "../../../config/defaults";
import { parseCli } from "../../docs/command-lines";
import { APIM_SKUS, type ScenarioName } from "../../../config/schema";
import { modelSharing } from "../../../scenarios/workshop";

const FILE = "file:///tmp/state";

const cli = (...args: string[]) => cliInProcess(args);

function target(scenario: ScenarioName, stack: string): AzureTarget {
  return { scenario, stack, config: defaultsFor(scenario), mayExist: true };
}

describe("workshop mode: names and settings", () => {
  it("attendee names: <prefix>01 … with as many digits as the count needs; refuses a bad count or prefix", () => {
    assert.deepEqual(attendeeNames(3), ["a01", "a02", "a03"]);
    assert.deepEqual(attendeeNames(2, "team"), ["team01", "team02"]);
    assert.equal(attendeeNames(20).at(-1), "a20");
    for (const [n, prefix, message] of [
      [0, "a", /--attendees 0: a whole number from 1 to 99/],
      [100, "a", /--attendees 100/],
      [2.5, "a", /--attendees 2.5/],
      [2, "A", /--prefix "A": a lowercase letter/],
      [2, "1a", /--prefix "1a"/],
      [2, "abcdefghijk", /attendee names such as abcdefghijk01 would be longer than 12 characters/],
    ] as const) {
      assert.throws(() => attendeeNames(n, prefix), (e: Error) => e instanceof UsageError && message.test(e.message), `${n} ${prefix}`);
    }
  });

  it("an attendee stack is <scenario>-<attendee>; the shared stack and other names are not", () => {
    assert.equal(attendeeOfStack("public", "public-a01"), "a01");
    assert.equal(attendeeOfStack("public", "public-shared"), undefined);
    assert.equal(attendeeOfStack("public", "public-eph-1a2b3c"), undefined, "compare's ephemeral stacks are not attendees");
    assert.equal(attendeeOfStack("public", "internal-a01"), undefined);
    assert.equal(attendeeOfStack("public", "public"), undefined);
    assert.equal(attendeeOfStack("public", "public-Ana"), undefined);
  });

  it("prepare gives the shared stack workshopRole=shared and each attendee workshopRole, attendee, the qualified sharedStack and one expiresAt", () => {
    const plan = preparePlan("internal", ["a01", "a02"], { backendUrl: FILE, project: "apim-aks-ai-scenarios", expiresAt: "2026-12-01T20:00:00Z" });
    assert.deepEqual(plan.shared, { stack: "internal-shared", settings: { scenario: "internal", workshopRole: "shared", expiresAt: "2026-12-01T20:00:00Z" } });
    assert.deepEqual(plan.attendees[1], {
      attendee: "a02",
      stack: "internal-a02",
      settings: { scenario: "internal", workshopRole: "attendee", attendee: "a02", sharedStack: "organization/apim-aks-ai-scenarios/internal-shared", expiresAt: "2026-12-01T20:00:00Z" },
    });
  });

  it("the project's name comes from Pulumi.yaml", () => {
    assert.equal(projectName(), "apim-aks-ai-scenarios");
  });

  it("--expires-in and --concurrency: defaults, bounds, one-line refusals", () => {
    assert.equal(expiresInHours(undefined, WORKSHOP_EXPIRES_IN_HOURS), 24);
    assert.equal(expiresInHours(undefined, 4), 4);
    assert.equal(expiresInHours("1.5", WORKSHOP_EXPIRES_IN_HOURS), 1.5);
    for (const bad of ["0", "169", "-1", "soon"]) assert.throws(() => expiresInHours(bad, WORKSHOP_EXPIRES_IN_HOURS), /--expires-in .*: hours, more than 0 and at most 168/);
    assert.equal(concurrencyOf(undefined, 5), 5);
    assert.equal(concurrencyOf("2", 5), 2);
    for (const bad of ["0", "21", "1.5", "x"]) assert.throws(() => concurrencyOf(bad, 5), /--concurrency .*: a whole number from 1 to 20/);
  });
});

describe("up --shared: the attendee stack's settings and the combinations it refuses", () => {
  const base = { scenarios: ["public"], overrides: {}, backendUrl: FILE, project: "apim-aks-ai-scenarios" };

  it("takes the attendee from the stack name, or --attendee, and qualifies the shared stack for the backend", () => {
    assert.equal(attendeeUp({ ...base }), undefined, "without --shared, an ordinary up");
    const now = new Date("2026-11-30T21:00:00.400Z");
    assert.deepEqual(attendeeUp({ ...base, stack: "public-ana", shared: "public-shared", now }), {
      scenario: "public",
      stack: "public-ana",
      sharedStack: "public-shared",
      settings: { workshopRole: "attendee", attendee: "ana", sharedStack: "organization/apim-aks-ai-scenarios/public-shared", scenario: "public", expiresAt: "2026-12-01T21:00:00Z" },
    });
    assert.equal(attendeeUp({ ...base, stack: "room7", shared: "public-shared", attendee: "ben" })!.settings.attendee, "ben");
    // The same expires-at as workshop prepare gives its stacks: 24 hours by default, --expires-in otherwise.
    assert.equal(attendeeUp({ ...base, stack: "public-ana", shared: "public-shared", now })!.settings.expiresAt, expiresAtFromNow(expiresInHours(undefined, WORKSHOP_EXPIRES_IN_HOURS), now));
    assert.equal(attendeeUp({ ...base, stack: "public-ana", shared: "public-shared", expiresIn: "2.5", now })!.settings.expiresAt, "2026-11-30T23:30:00Z");
    const cloud = attendeeUp({ ...base, backendUrl: "https://api.pulumi.com", stack: "public-ana", shared: "contoso/apim-aks-ai-scenarios/public-shared" })!;
    assert.equal(cloud.settings.sharedStack, "contoso/apim-aks-ai-scenarios/public-shared");
    assert.equal(cloud.sharedStack, "public-shared");
  });

  it("refuses each bad combination with one line naming the flag", () => {
    const cases: [Parameters<typeof attendeeUp>[0], RegExp][] = [
      [{ ...base, attendee: "ana" }, /^--attendee needs --shared/],
      [{ ...base, scenarios: ["public", "internal"], stack: "public-ana", shared: "public-shared" }, /^--shared deploys one attendee stack: give exactly one scenario/],
      [{ ...base, shared: "public-shared" }, /^--shared needs --stack public-<attendee>/],
      [{ ...base, stack: "public-shared", shared: "public-shared" }, /^--stack public-shared is the shared stack itself/],
      [{ ...base, stack: "mystack", shared: "public-shared" }, /^--stack mystack: name it public-<attendee>/],
      [{ ...base, stack: "public-ana", shared: "public-shared", attendee: "Ana" }, /^--attendee "Ana": a lowercase letter/],
      [{ ...base, stack: "public-ana", shared: "public-shared", attendee: "ben" }, /^--attendee ben does not match --stack public-ana/],
      [{ ...base, stack: "public-ana", shared: "public-shared", overrides: { sharedStack: "x" } }, /^--config sharedStack: set by --shared and --attendee/],
      [{ ...base, stack: "public-ana", shared: "public-shared", overrides: { expiresAt: "2030-01-01T00:00:00Z" } }, /^--config expiresAt: set by --shared \(use --expires-in\)$/],
      [{ ...base, stack: "public-ana", expiresIn: "4" }, /^--expires-in goes with --shared/],
      [{ ...base, stack: "public-ana", shared: "public-shared", expiresIn: "0" }, /^--expires-in "0": hours, more than 0 and at most 168$/],
      [{ ...base, stack: "public-ana", shared: "-x" }, /^--shared "-x": use letters/],
      [{ ...base, stack: "public-ana", shared: "a/b" }, /^--shared "a\/b": a stack name, or <organization>\/<project>\/<stack>/],
      [{ ...base, backendUrl: "https://api.pulumi.com", stack: "public-ana", shared: "public-shared" }, /^--shared public-shared: .*Pulumi Cloud.*give --shared <organization>\/apim-aks-ai-scenarios\/public-shared/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => attendeeUp(input), (e: Error) => e instanceof UsageError && message.test(e.message) && !e.message.includes("\n"), JSON.stringify(input));
    }
    assert.equal(qualifiedShared("public-shared", "azblob://state", "p"), "organization/p/public-shared");
  });
});

describe("workshop teardown: which stacks, in which order, and what it refuses", () => {
  const existing = ["public-shared", "public-a02", "public-a01", "public-eph-1a2b3c", "internal-a01", "public"];

  it("without --only: every attendee stack of the scenario in the backend, then the shared stack", () => {
    assert.deepEqual(teardownPlan("public", existing), { attendees: ["public-a01", "public-a02"], shared: "public-shared" });
    assert.deepEqual(teardownPlan("public", existing, { keepShared: true }), { attendees: ["public-a01", "public-a02"], shared: undefined });
    assert.deepEqual(teardownPlan("public", ["public-a01"]), { attendees: ["public-a01"], shared: undefined });
    assert.deepEqual(teardownPlan("external", existing), { attendees: [], shared: undefined });
  });

  it("refuses the shared stack while attendee stacks this run does not tear down read it", () => {
    assert.throws(() => teardownPlan("public", existing, { only: ["shared"] }), /refusing to destroy public-shared while attendee stacks read it: public-a01, public-a02; tear them down first or in the same run/);
    assert.throws(() => teardownPlan("public", existing, { only: ["a01", "shared"] }), /attendee stacks read it: public-a02;/);
    assert.deepEqual(teardownPlan("public", existing, { only: ["a01", "a02", "shared"] }), { attendees: ["public-a01", "public-a02"], shared: "public-shared" });
    assert.deepEqual(teardownPlan("public", ["public-shared"], { only: ["shared"] }), { attendees: [], shared: "public-shared" });
    assert.deepEqual(teardownPlan("public", existing, { only: ["a02"] }), { attendees: ["public-a02"], shared: undefined });
  });

  it("destroy and teardown share one check before the shared stack goes: refused with one line naming workshop teardown while the room's attendee stacks exist", () => {
    const refusal = (e: unknown) =>
      e instanceof UsageError && e.message === "refusing to destroy public-shared while attendee stacks read it: public-a01, public-a02; tear them down first or in the same run (scenarios workshop teardown public)";
    assert.throws(() => refuseSharedDestroy("public", existing), refusal);
    assert.deepEqual(sharedStackReaders("public", existing), ["public-a01", "public-a02"], "not the scenario's own stack, an ephemeral one, or another scenario's attendee");
    assert.throws(() => refuseSharedDestroy("public", existing, ["public-a01"]), /read it: public-a02;/);
    refuseSharedDestroy("public", existing, ["public-a01", "public-a02"]);
    refuseSharedDestroy("public", ["public-shared", "public", "internal-a01"]);
    refuseSharedDestroy("external", existing);
  });

  it("refuses names that are not stacks of the room", () => {
    assert.throws(() => teardownPlan("public", existing, { only: ["a03"] }), /no stack public-a03 in the backend; "scenarios workshop status public" lists the stacks/);
    assert.throws(() => teardownPlan("public", existing, { only: ["A1"] }), /--only A1: attendee names/);
    assert.throws(() => teardownPlan("public", ["public-a01"], { only: ["shared", "a01"] }), /no stack public-shared in the backend/);
  });
});

describe("workshop prepare: the room's preflight targets", () => {
  const usages = (usageName: string, free: number): Map<string, UsageRow[]> => new Map([["swedencentral", [{ name: { value: usageName }, currentValue: 0, limit: free }]]]);
  const planned = (targets: AzureTarget[]) => targets.map((t) => ({ ...t, footprint: {} }));

  it("the room's preflight decides the model as the program does, for every tier", () => {
    for (const sku of APIM_SKUS) assert.equal(roomModelMode(sku), modelSharing(sku), sku);
  });

  it("attendees share the model where the tier has azure-openai-token-limit, and get one each where it does not (Consumption)", () => {
    assert.equal(roomModelMode("Developer"), "shared");
    assert.equal(roomModelMode("Premium"), "shared");
    assert.equal(roomModelMode("Consumption"), "per-attendee");
  });

  it("shared model: the room is the shared stack alone; per attendee: N deployments' capacity, and no nodes beyond the shared cluster's", () => {
    const shared = target("public", "public-shared");
    assert.deepEqual(roomTargets(shared, ["public-a01", "public-a02"]), [shared]);
    const consumption = { ...target("consumption", "consumption-shared"), config: { ...defaultsFor("consumption"), location: "swedencentral", openAiLocation: undefined, openAiModelCapacity: 30 } };
    const room = roomTargets(consumption, ["consumption-a01", "consumption-a02", "consumption-a03"]);
    assert.deepEqual(room.map((t) => t.stack), ["consumption-shared", "consumption-a01", "consumption-a02", "consumption-a03"]);
    const usageName = modelUsageName(consumption.config);
    // 3 × 30 needed: 89 free is one short, 90 is enough.
    assert.match(modelQuotaProblems(planned(room), usages(usageName, 89)).join("\n"), /has 89 of 89 .* free, consumption-shared, consumption-a01, consumption-a02, consumption-a03 need 90/);
    assert.deepEqual(modelQuotaProblems(planned(room), usages(usageName, 90)), []);
    // vCPUs: only the shared stack's nodes count.
    const family = "standardDSv5Family";
    const skus = new Map<string, VmSku[]>([["swedencentral", [{ name: consumption.config.aksNodeSize, family, resourceType: "virtualMachines", locations: ["swedencentral"], capabilities: [{ name: "vCPUs", value: "2" }], restrictions: [] }]]]);
    const need = consumption.config.aksNodeCount * 2;
    const cpu = new Map<string, UsageRow[]>([["swedencentral", [{ name: { value: family }, currentValue: 0, limit: need }, { name: { value: "cores" }, currentValue: 0, limit: need }]]]);
    assert.deepEqual(vcpuQuotaProblems(planned(room), skus, cpu), []);
  });

  it("an attendee stack of up --shared needs no nodes, and model capacity only where it deploys its own", () => {
    assert.equal(attendeeTarget(target("public", "public-a01")).config.aksNodeCount, 0);
    assert.equal(attendeeTarget(target("public", "public-a01")).config.openAiModelCapacity, 0);
    assert.equal(attendeeTarget(target("consumption", "consumption-a01")).config.openAiModelCapacity, defaultsFor("consumption").openAiModelCapacity);
  });
});

describe("workshop status: rows and table", () => {
  const now = new Date("2026-11-30T21:00:00Z");
  const rows: StatusRow[] = [
    { stack: "public-shared", role: "shared", exists: true, last: { kind: "update", result: "succeeded", endedAt: "2026-11-30T20:15:00Z" }, resources: 41, lock: "free" },
    { stack: "public-a01", role: "attendee", attendee: "a01", exists: true, last: { kind: "update", result: "succeeded", endedAt: "2026-11-30T20:55:30Z" }, resources: 12, lock: "free", apiUrl: "https://apim.azure-api.net/a01/ai" },
    { stack: "public-a02", role: "attendee", attendee: "a02", exists: true, last: { kind: "update", result: "failed", endedAt: "2026-11-30T20:59:00Z" }, resources: 3, lock: "held" },
    { stack: "public-a03", role: "attendee", attendee: "a03", exists: false, lock: "free" },
  ];

  it("status reads stacks with Pulumi and the passphrase only, and prints the state backend as the deploying commands do", () => {
    const options = statusDriverOptions("public", false);
    assert.deepEqual([options.needs, options.stacks, options.showBackend], [["pulumi", "secrets"], ["public-shared"], true]);
  });

  it("a stack is up when its latest operation is a successful update", () => {
    assert.deepEqual(rows.map(isUp), [true, true, false, false]);
    assert.equal(isUp({ exists: true, last: { kind: "destroy", result: "succeeded" } }), false);
    assert.equal(isUp({ exists: true, last: { kind: "update", result: "in-progress" } }), false);
  });

  it("renders one aligned row per stack, with the latest operation's age, the lock and the API URL", () => {
    const lines = statusTable(rows, { now });
    assert.deepEqual(lines[0].split(/\s{2,}/), ["STACK", "ROLE", "EXISTS", "LAST OPERATION", "RESOURCES", "LOCK", "API URL"]);
    assert.match(lines[1], /^public-shared +shared +yes +update succeeded 45m 00s ago +41 +free +-$/);
    assert.match(lines[2], /^public-a01 +attendee a01 +yes +update succeeded 4m 30s ago +12 +free +https:\/\/apim\.azure-api\.net\/a01\/ai$/);
    assert.match(lines[3], /^public-a02 +attendee a02 +yes +update failed 1m 00s ago +3 +held +-$/);
    assert.match(lines[4], /^public-a03 +attendee a03 +no +- +- +free +-$/);
    const columns = lines.slice(0, 5).map((l) => l.indexOf(l.includes("LOCK") ? "LOCK" : l.match(/ (free|held) /)![1]));
    assert.equal(new Set(columns).size, 1, "the LOCK column is aligned");
    assert.equal(statusSummary("public", rows), 'shared stack up; 1 of 3 attendee stacks up. Run "scenarios workshop prepare public --attendees <n>" to create or retry what is not up.');
  });

  it("with --verify, a VERIFY column; notes under the table; JSON carries up per stack", () => {
    const verified: StatusRow[] = [{ ...rows[1], verify: { passed: 5, total: 5 } }, { ...rows[2], verify: { passed: 0, total: 0, error: "the stack is not up" }, note: "could not read it: locked" }];
    const lines = statusTable(verified, { now, verify: true });
    assert.match(lines[0], / VERIFY$/);
    assert.match(lines[1], / 5\/5 passed$/);
    assert.match(lines[2], / not run: the stack is not up$/);
    assert.equal(lines[3], "public-a02: could not read it: locked");
    assert.deepEqual(statusDocument("public", rows).stacks.map((s) => s.up), [true, true, false, false]);
  });

  it("an attendee's API URL is gatewayUrl + apiBasePath", () => {
    assert.equal(apiUrlOf({ gatewayUrl: { value: "https://x.azure-api.net/" }, apiBasePath: { value: "/a01/ai" } }), "https://x.azure-api.net/a01/ai");
    assert.equal(apiUrlOf({ gatewayUrl: { value: "https://x.azure-api.net" } }), "https://x.azure-api.net");
    assert.equal(apiUrlOf({}), undefined);
  });

  it("the lock: Pulumi Cloud's updateInProgress, a file backend's lock files, unknown elsewhere", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "workshop-lock-"));
    try {
      const url = `file://${root}`;
      assert.equal(lockState(url, "proj", "public-a01"), "free");
      const dir = path.join(root, ".pulumi", "locks", "organization", "proj", "public-a01");
      fs.mkdirSync(dir, { recursive: true });
      assert.equal(lockState(url, "proj", "public-a01"), "free");
      fs.writeFileSync(path.join(dir, "0b1c.json"), "{}");
      assert.equal(lockState(url, "proj", "public-a01"), "held");
      assert.equal(lockState(url, "proj", "public-a02"), "free");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    assert.equal(lockState("https://api.pulumi.com", "proj", "s", { updateInProgress: true }), "held");
    assert.equal(lockState("https://api.pulumi.com", "proj", "s", { updateInProgress: false }), "free");
    assert.equal(lockState("azblob://state", "proj", "s", {}), "unknown");
  });

  it("a shared stack of another topology is refused, besides the contract's own checks", () => {
    const problems = sharedStackProblems("internal", { topology: { value: "public", secret: false } });
    assert.ok(problems.includes("the shared stack was built for public, not internal"), problems.join("\n"));
    assert.ok(problems.some((p) => /has no output apimServiceName/.test(p)));
  });

  it("the limiter runs at most n tasks at once, in order", async () => {
    const limit = limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        limit(async () => {
          running++;
          peak = Math.max(peak, running);
          order.push(i);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
  });
});

describe("scenarios workshop and up --shared on the command line: refusals exit 2 with one line, before preflight", function () {
  this.timeout(30_000);
  const cases: [string[], RegExp][] = [
    [["workshop", "prepare", "public"], /^workshop prepare needs --attendees <n>$/],
    [["workshop", "prepare", "public", "--attendees", "0"], /^--attendees 0: a whole number from 1 to 99$/],
    [["workshop", "prepare", "public", "--attendees", "two"], /^--attendees "two": a whole number from 1 to 99$/],
    [["workshop", "prepare", "public", "--attendees", "3", "--prefix", "A"], /^--prefix "A"/],
    [["workshop", "prepare", "public", "--attendees", "3", "--concurrency", "0"], /^--concurrency "0"/],
    [["workshop", "prepare", "public", "--attendees", "3", "--expires-in", "0"], /^--expires-in "0"/],
    [["workshop", "prepare", "public", "--attendees", "3", "-c", "attendee=x"], /^--config attendee: set by workshop prepare itself/],
    [["workshop", "prepare", "public", "--attendees", "3", "-c", "expiresAt=2030-01-01T00:00:00Z"], /^--config expiresAt: set by workshop prepare itself \(use --expires-in/],
    [["workshop", "prepare", "publik", "--attendees", "3"], /^unknown scenario "publik"/],
    [["workshop", "prepare", "public", "--attendees", "3", "--bogus"], /unknown option '--bogus'/],
    [["workshop", "status", "public", "--prefix", "b"], /^--prefix goes with --attendees <n>$/],
    [["workshop", "status", "public", "--timeout", "5"], /^--timeout and --attempts go with --verify$/],
    [["workshop", "status", "public", "--verify", "--timeout", "0"], /^--timeout "0": seconds per request/],
    [["workshop", "teardown", "public", "-c", "a=b"], /^--config applies to workshop prepare, not teardown$/],
    [["workshop", "teardown", "public", "--only", ","], /^--only needs attendee names and\/or shared$/],
    [["workshop", "teardown", "public", "--only", "shared", "--keep-shared"], /^--only shared and --keep-shared contradict each other$/],
    [["workshop", "teardown", "public", "public"], /too many arguments/],
    [["up", "public", "--shared", "public-shared"], /^--shared needs --stack public-<attendee>/],
    [["up", "public", "--stack", "public-ana", "--attendee", "ana"], /^--attendee needs --shared/],
    [["up", "--all", "--shared", "public-shared"], /^--shared deploys one attendee stack/],
    [["up", "public", "--stack", "public-ana", "--shared", "public-shared", "-c", "workshopRole=shared"], /^--config workshopRole: set by --shared and --attendee/],
    [["up", "public", "--stack", "public-ana", "--expires-in", "4"], /^--expires-in goes with --shared/],
    [["up", "public", "--stack", "public-ana", "--shared", "public-shared", "--expires-in", "200"], /^--expires-in "200": hours/],
  ];
  for (const [args, expected] of cases) {
    it(args.join(" "), async () => {
      const r = await cli(...args);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.match(lines[0], expected);
      assert.doesNotMatch(r.stderr, /preflight:/);
    });
  }
});

describe("the docs' command-line checker sees the workshop subcommands (tests/docs/command-lines.ts)", () => {
  it("parses them with the CLI's own program, with their scenario, and runs no action", () => {
    const ok = parseCli(["workshop", "prepare", "public", "--attendees", "20", "--config", "ingressDomain=labs.contoso.com"]);
    assert.deepEqual([ok.ok, ok.command, ok.scenarios], [true, "prepare", ["public"]]);
    assert.equal(parseCli(["workshop", "teardown", "internal", "--only", "a03"]).command, "teardown");
    assert.equal(parseCli(["up", "public", "--stack", "public-zoe", "--shared", "public-shared"]).ok, true);
    const bad = parseCli(["workshop", "prepare", "public", "--bogus"]);
    assert.equal(bad.ok, false);
    assert.match(String(bad.error), /unknown option '--bogus'/);
    assert.match((parseCli(["workshop", "status", "publik"]) as { error: string }).error, /unknown scenario "publik"/);
  });
});
