/**
 * What Microsoft published about Azure OpenAI models and Azure regions (data/openai-models.json,
 * data/azure-regions.json), and the checks built on it. Pure functions: "today" is an argument.
 */
import modelData from "../data/openai-models.json";
import regionData from "../data/azure-regions.json";

export type ModelFamily = "reasoning" | "chat";
export type TokenParameter = "max_completion_tokens" | "max_tokens";
export const TOKEN_PARAMETERS: readonly TokenParameter[] = ["max_completion_tokens", "max_tokens"];

export interface ModelEntry {
  name: string;
  version: string;
  family: ModelFamily;
  lifecycle: "GA" | "Preview" | "Deprecated" | "Retired";
  /** From the older table format; kept for reference, does not decide the status. */
  olderTableDeprecation: string | null;
  retirement: string | null;
  deploymentTypes: string[];
  /** Regions per deployment type, only where the whole availability matrix was read. */
  regions?: Record<string, string[]>;
}

export const MODEL_DATA = modelData as unknown as {
  readOn: string;
  sources: Record<string, { title?: string; url?: string; file?: string; commit?: string; msDate?: string; note?: string }>;
  apiVersions: Record<ModelFamily, string>;
  models: ModelEntry[];
};

export const AZURE_REGIONS: readonly string[] = regionData.regions;
export const REGIONS_SOURCE = regionData.source;

export function findModel(name: string, version: string): ModelEntry | undefined {
  return MODEL_DATA.models.find((m) => m.name === name && m.version === version);
}

/**
 * Reasoning models (o-series, gpt-5 and later except the -chat variants) reject `max_tokens` and take
 * `max_completion_tokens`. https://learn.microsoft.com/azure/foundry/openai/how-to/reasoning
 * A model the data file does not know is judged by its name.
 */
export function modelFamily(name: string, version?: string): ModelFamily {
  const known = version === undefined ? MODEL_DATA.models.find((m) => m.name === name) : findModel(name, version);
  if (known) return known.family;
  if (/-chat($|-)/.test(name)) return "chat";
  return /^(o\d|gpt-[5-9])/.test(name) ? "reasoning" : "chat";
}

export function tokenParameterFor(family: ModelFamily): TokenParameter {
  return family === "reasoning" ? "max_completion_tokens" : "max_tokens";
}

export function apiVersionFor(family: ModelFamily): string {
  return MODEL_DATA.apiVersions[family];
}

export type LifecycleStatus = "current" | "preview" | "deprecated" | "retired" | "unknown";

export interface LifecycleVerdict {
  status: LifecycleStatus;
  entry?: ModelEntry;
}

/** Where the model stands on `today` (YYYY-MM-DD): retired once its retirement date has come. */
export function lifecycleOf(name: string, version: string, today: string): LifecycleVerdict {
  const entry = findModel(name, version);
  if (!entry) return { status: "unknown" };
  if (entry.lifecycle === "Retired" || (entry.retirement !== null && entry.retirement <= today)) return { status: "retired", entry };
  if (entry.lifecycle === "Deprecated") return { status: "deprecated", entry };
  if (entry.lifecycle === "Preview") return { status: "preview", entry };
  return { status: "current", entry };
}

/** Models that are current on `today`, offered with `sku` in `region` (where the data knows regions). */
export function currentModels(today: string, sku: string, region?: string): ModelEntry[] {
  return MODEL_DATA.models.filter(
    (m) =>
      lifecycleOf(m.name, m.version, today).status === "current" &&
      m.deploymentTypes.includes(sku) &&
      (region === undefined || m.regions?.[sku] === undefined || m.regions[sku].includes(region)),
  );
}

/** The regions where the data file says `sku` deployments of the model exist, or undefined when it does not say. */
export function knownRegions(name: string, version: string, sku: string): string[] | undefined {
  return findModel(name, version)?.regions?.[sku];
}

export function isAzureRegion(name: string): boolean {
  return AZURE_REGIONS.includes(name);
}

export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
