/**
 * Room size against APIM's per-service limits (config/apim-limits.ts): the data, the largest room per tier, the
 * refusal of `workshop prepare`, and the per-attendee counts checked against what each scenario's attendee half
 * really creates (evaluated with the mock engine, reading a simulated shared stack).
 */
import assert from "node:assert/strict";
import { cliInProcess } from "../helpers/cli";
import { evaluateScenario } from "../../automation/evaluate";
import { APIM_SERVICE_LIMITS, ATTENDEE_USE, type LimitedEntity, roomFitProblem, roomLimit, roomLimitText, SERVICE_USE } from "../../config/apim-limits";
import { SCENARIO_TRAITS } from "../../config/defaults";
import { APIM_SKUS, type ScenarioName } from "../../config/schema";
import { latecomerRoomProblem, MAX_ATTENDEES } from "../../automation/driver/workshop/room";
import { SCENARIO_CATALOG } from "../../scenarios/catalog";

const cli = (...args: string[]) => cliInProcess(args);

describe("APIM service limits and the size of a workshop room (config/apim-limits.ts)", () => {
  it("has the 2026 table's limits for every tier this project deploys", () => {
    assert.deepEqual(Object.keys(APIM_SERVICE_LIMITS).sort(), [...APIM_SKUS].sort());
    assert.deepEqual(
      APIM_SKUS.map((t) => [t, APIM_SERVICE_LIMITS[t].Products, APIM_SERVICE_LIMITS[t].Subscriptions, APIM_SERVICE_LIMITS[t]["API operations"]]),
      [
        ["Consumption", 100, undefined, 3000],
        ["Developer", 100, 10000, 3000],
        ["Basic", 200, 15000, 10000],
        ["Standard", 500, 25000, 50000],
        ["Premium", 2000, 75000, 75000],
        ["BasicV2", 200, 15000, 10000],
        ["StandardV2", 500, 25000, 50000],
      ],
    );
  });

  it("the largest room per tier: products run out first, two sample products counted", () => {
    assert.deepEqual(
      APIM_SKUS.map((t) => [t, roomLimit(t).entity, roomLimit(t).largestRoom]),
      [
        ["Consumption", "Products", 98],
        ["Developer", "Products", 98],
        ["Basic", "Products", 198],
        ["Standard", "Products", 498],
        ["Premium", "Products", 1998],
        ["BasicV2", "Products", 198],
        ["StandardV2", "Products", 498],
      ],
    );
    assert.equal(roomLimitText(roomLimit("Developer")), "Products are limited to 100 per service in Developer (2 sample products and 1 per attendee), so the largest room is 98");
  });

  it("refuses a room that does not fit with one line naming the limit, the tier and the largest room; a room that fits passes", () => {
    assert.equal(roomFitProblem("Developer", 98), undefined);
    assert.equal(roomFitProblem("Consumption", 98), undefined);
    assert.equal(roomFitProblem("BasicV2", MAX_ATTENDEES), undefined);
    assert.equal(
      roomFitProblem("Developer", 99),
      "a room of 99 does not fit one APIM Developer service: Products are limited to 100 per service in Developer (2 sample products and 1 per attendee), so the largest room is 98 (https://learn.microsoft.com/azure/api-management/service-limits)",
    );
    assert.match(roomFitProblem("Consumption", 99) ?? "", /^a room of 99 does not fit one APIM Consumption service: .*largest room is 98 /);
    assert.match(roomFitProblem("StandardV2", 499) ?? "", /Products are limited to 500 per service in StandardV2 .*largest room is 498/);
    assert.ok(!(roomFitProblem("Developer", 99) ?? "").includes("\n"));
  });

  describe("workshop prepare refuses the room before preflight (exit 2, one line)", function () {
    this.timeout(30_000);
    for (const [scenario, tier, extra] of [
      ["internal", "Developer", []],
      // Consumption needs the region's shared ranges (config/rules.ts) and, with its public ingress, a zone (config/workshop-rules.ts).
      ["consumption", "Consumption", ["-c", "apimSharedSourceRanges=20.91.0.0/16", "-c", "ingressDomain=labs.contoso.com", "-c", "ingressDomainResourceGroup=rg-dns"]],
    ] as const) {
      it(`${scenario} (${tier}) --attendees 99`, async () => {
        const r = await cli("workshop", "prepare", scenario, "--attendees", "99", ...extra);
        assert.equal(r.code, 2, r.stderr);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines[0], `a room of 99 does not fit one APIM ${tier} service: Products are limited to 100 per service in ${tier} (2 sample products and 1 per attendee), so the largest room is 98 (https://learn.microsoft.com/azure/api-management/service-limits)`);
        assert.doesNotMatch(r.stderr, /preflight:/);
      });
    }
  });

  describe("an attendee stack creates what ATTENDEE_USE counts, in every scenario", function () {
    this.timeout(120_000);
    const TYPES: Record<LimitedEntity, string> = {
      Products: "azure-native:apimanagement:Product",
      Subscriptions: "azure-native:apimanagement:Subscription",
      "API operations": "azure-native:apimanagement:ApiOperation",
    };
    for (const { name } of SCENARIO_CATALOG) {
      it(name, async () => {
        const s = name as ScenarioName;
        const zone = SCENARIO_TRAITS[s].publicIngress ? { ingressDomain: "labs.contoso.com", ingressDomainResourceGroup: "rg-dns" } : {};
        const attendee = await evaluateScenario(s, { overrides: { ...zone, workshopRole: "attendee", attendee: "a01", sharedStack: `organization/apim-aks-ai-scenarios/${s}-shared` }, stack: `${s}-a01` });
        const shared = await evaluateScenario(s, { overrides: { ...zone, workshopRole: "shared" }, stack: `${s}-shared` });
        for (const entity of Object.keys(TYPES) as LimitedEntity[]) {
          assert.equal(attendee.resources.filter((r) => r.type === TYPES[entity]).length, ATTENDEE_USE[entity], `${entity} of an attendee`);
          if (entity !== "Products") assert.equal(shared.resources.filter((r) => r.type === TYPES[entity]).length, SERVICE_USE[entity], `${entity} of the shared stack`);
        }
        assert.equal(shared.resources.filter((r) => r.type === TYPES.Products).length, 0, "the shared stack makes no product of its own");
      });
    }
  });
});

describe("up --shared for a latecomer: the room with this stack must still fit (latecomerRoomProblem)", () => {
  const existing = (n: number) => ["internal-shared", "public-a01", ...Array.from({ length: n }, (_, i) => `internal-a${String(i + 1).padStart(2, "0")}`)];
  it("refuses the 99th attendee stack on Developer, naming how many the room has", () => {
    assert.equal(
      latecomerRoomProblem("internal", "Developer", existing(98), "internal-late"),
      "internal-late: a room of 99 does not fit one APIM Developer service: Products are limited to 100 per service in Developer (2 sample products and 1 per attendee), so the largest room is 98 (https://learn.microsoft.com/azure/api-management/service-limits); internal-shared already has 98 attendee stacks",
    );
  });
  it("lets in the 98th, an attendee stack already in the room (an update), and another scenario's stacks do not count", () => {
    assert.equal(latecomerRoomProblem("internal", "Developer", existing(97), "internal-late"), undefined);
    assert.equal(latecomerRoomProblem("internal", "Developer", existing(98), "internal-a05"), undefined);
    assert.equal(latecomerRoomProblem("internal", "BasicV2", existing(98), "internal-late"), undefined);
    assert.equal(latecomerRoomProblem("internal", undefined, existing(98), "internal-late"), undefined, "a shared stack without apimSku is refused by sharedOutputProblems instead");
  });
});
