import assert from "node:assert/strict";
import { COMMON_DEFAULTS, defaultsFor } from "../../config/defaults";
import {
  apiVersionFor,
  AZURE_REGIONS,
  currentModels,
  lifecycleOf,
  MODEL_DATA,
  modelFamily,
  tokenParameterFor,
} from "../../config/models";
import { configWarnings, regionAndModelProblems } from "../../config/rules";
import { formatProblems, resolveConfig } from "../../config/validate";
import type { ScenarioName } from "../../config/schema";

const READ_ON = MODEL_DATA.readOn;

function problemLines(raw: Record<string, unknown>, scenario: ScenarioName = "public"): string[] {
  const result = resolveConfig(scenario, raw);
  return result.ok ? [] : formatProblems(result.problems);
}

describe("config/models: the model lifecycle data file", () => {
  it("records where each fact comes from and when it was read", () => {
    assert.match(READ_ON, /^\d{4}-\d{2}-\d{2}$/);
    for (const key of ["lifecycle", "regions"]) {
      const source = MODEL_DATA.sources[key];
      assert.ok(source.file && source.commit, key);
    }
    for (const m of MODEL_DATA.models) {
      assert.ok(["GA", "Preview", "Deprecated", "Retired"].includes(m.lifecycle), `${m.name} ${m.version}`);
      assert.ok(m.retirement === null || /^\d{4}-\d{2}-\d{2}$/.test(m.retirement), `${m.name} ${m.version}`);
      assert.ok(m.deploymentTypes.length > 0, `${m.name} ${m.version}`);
      for (const regions of Object.values(m.regions ?? {})) for (const r of regions) assert.ok(AZURE_REGIONS.includes(r), r);
    }
  });

  it("the default model is GA, not deprecated, and offered as GlobalStandard in the default region", () => {
    const d = defaultsFor("public");
    const verdict = lifecycleOf(d.openAiModelName, d.openAiModelVersion, READ_ON);
    assert.equal(verdict.status, "current");
    assert.equal(d.openAiDeploymentSku, "GlobalStandard");
    assert.ok(verdict.entry!.regions!.GlobalStandard.includes(d.location));
    assert.deepEqual(configWarnings(d, READ_ON), []);
    assert.deepEqual(regionAndModelProblems(d, READ_ON), []);
  });

  it("rejects a retired model in one line that says since when and what is current", () => {
    const lines = problemLines({ openAiModelName: "gpt-4o-mini", openAiModelVersion: "2024-07-18" });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^openAiModelVersion = "gpt-4o-mini 2024-07-18": is retired since 2026-10-01: .*gpt-5\.4-mini 2026-03-17/);
  });

  it("warns on a deprecated model in one line, and lets it deploy", () => {
    const c = { ...defaultsFor("public"), openAiModelName: "gpt-4.1-mini", openAiModelVersion: "2025-04-14" };
    assert.deepEqual(regionAndModelProblems(c, "2026-09-01"), []);
    const warnings = configWarnings(c, "2026-09-01");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^openAiModelName\/openAiModelVersion = gpt-4\.1-mini 2025-04-14: deprecated, .* retires 2026-10-14/);
    // Past its retirement date the same model is refused.
    assert.equal(regionAndModelProblems(c, "2026-10-14").length, 1);
  });

  it("warns, without refusing, on a model the data file does not know", () => {
    const c = { ...defaultsFor("public"), openAiModelName: "gpt-9-imaginary", openAiModelVersion: "2030-01-01" };
    assert.deepEqual(regionAndModelProblems(c, READ_ON), []);
    assert.match(configWarnings(c, READ_ON)[0], /not in data\/openai-models\.json/);
  });

  it("resolveConfig hands the warnings back with a valid configuration", () => {
    const result = resolveConfig("public", {});
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, configWarnings(result.config));
  });

  it("decides the token parameter and the api-version from the model's family", () => {
    assert.equal(tokenParameterFor(modelFamily("gpt-5.4-mini", "2026-03-17")), "max_completion_tokens");
    assert.equal(tokenParameterFor(modelFamily("o4-mini")), "max_completion_tokens");
    assert.equal(tokenParameterFor(modelFamily("gpt-4o-mini", "2024-07-18")), "max_tokens");
    assert.equal(tokenParameterFor(modelFamily("gpt-5.2-chat", "2025-12-11")), "max_tokens");
    assert.equal(modelFamily("gpt-7-unknown"), "reasoning");
    assert.equal(apiVersionFor("reasoning"), "2025-04-01-preview");
    assert.equal(apiVersionFor("chat"), "2024-10-21");
  });

  it("lists what is current, to suggest a replacement", () => {
    const names = currentModels(READ_ON, "GlobalStandard", "swedencentral").map((m) => m.name);
    assert.ok(names.includes(COMMON_DEFAULTS.openAiModelName));
    assert.ok(!names.includes("gpt-4o-mini"));
  });
});

describe("config/models: regions (issue 12 item 5)", () => {
  it("refuses a location that is not an Azure region, before anything is created", () => {
    const lines = problemLines({ location: "mars" });
    assert.ok(lines.some((l) => /^location = "mars": is not an Azure region/.test(l)), lines.join("\n"));
    const other = problemLines({ openAiLocation: "swedencentrall" });
    assert.ok(other.some((l) => /^openAiLocation = "swedencentrall": is not an Azure region/.test(l)), other.join("\n"));
  });

  it("refuses a region where the data file knows the model is not offered with the deployment type", () => {
    // external: a private endpoint reaches the account in any region, so only the model's offer is checked here
    // (without a VNet the account must share location: tests/scenarios/model-path.test.ts).
    const lines = problemLines({ openAiLocation: "westus2" }, "external");
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^openAiLocation = "westus2": gpt-5\.4-mini 2026-03-17 is not offered as GlobalStandard there; regions: .*swedencentral/);
    // The account may live elsewhere than the rest: only openAiLocation matters for the model.
    assert.deepEqual(problemLines({ location: "westus2", openAiLocation: "swedencentral" }, "external"), []);
  });
});
