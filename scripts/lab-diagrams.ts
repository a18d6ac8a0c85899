// Writes the workshop labs' diagrams from the offline plan's own renderer (automation/plan/svg.ts):
//   npx tsx scripts/lab-diagrams.ts [scenario...]      default: every scenario
// For each scenario: docs/labs/img/<scenario>-path.svg (request path, trust boundaries, protections per
// hop) and docs/labs/img/<scenario>-timeline.svg (estimated spin-up). SIMULATED, like the plan: re-run it
// when the resource graph changes. Offline: no Azure, no Pulumi CLI.
import * as fs from "node:fs";
import * as path from "node:path";
import { readStackSettings } from "../config/load";
import { SCENARIO_NAMES, type ScenarioName } from "../config/schema";
import { isScenarioName } from "../config/validate";
import { simulatedSettings } from "../automation/evaluate";
import { planScenarios } from "../automation/plan/run";
import { timelineSvg, topologySvg } from "../automation/plan/svg";

export const LAB_IMAGE_DIR = path.resolve(__dirname, "..", "docs", "labs", "img");

/** The plan's SVGs have no background of their own; a lab page may be shown on a dark theme. */
function withBackground(svg: string): string {
  return svg.replace(/(<svg\b[^>]*>)/, `$1\n<rect x="-100%" y="0" width="300%" height="100%" fill="#ffffff"/>`);
}

/**
 * The timeline right-aligns its labels at a fixed x, and the longest (`private-dns-apim-management-link ·
 * VirtualNetworkLink`) run past the left edge: widen the view to the left instead of cutting them.
 */
export const TIMELINE_LEFT_MARGIN = 70;
function withLeftMargin(svg: string, margin = TIMELINE_LEFT_MARGIN): string {
  return svg.replace(/viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)" width="(\d+(?:\.\d+)?)"/, (_m, w: string, h: string) => {
    const width = Number(w) + margin;
    return `viewBox="${-margin} 0 ${width} ${h}" width="${width}"`;
  });
}

/** Variants a lab shows beside its scenario's own diagram: `<scenario>-<name>-path.svg` with these settings. */
export const LAB_VARIANTS: { scenario: ScenarioName; name: string; settings: Record<string, unknown> }[] = [
  // Lab 03's optional section: the gateway published through Application Gateway's WAF.
  { scenario: "internal", name: "edge", settings: { edge: "appgw-waf" } },
];

export async function writeLabDiagrams(scenarios: readonly ScenarioName[], dir = LAB_IMAGE_DIR): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const scenario of scenarios) {
    // Settings only a deployment can know (e.g. consumption's shared source ranges) are simulated, as the plan does.
    const overrides = simulatedSettings(scenario, readStackSettings(scenario));
    const [result] = await planScenarios([scenario], overrides);
    const files: [string, string][] = [
      [`${scenario}-path.svg`, topologySvg({ scenario, analysis: result.analysis, resources: result.evaluation.resources })],
      [`${scenario}-timeline.svg`, withLeftMargin(timelineSvg(result.estimate, scenario))],
    ];
    for (const variant of LAB_VARIANTS.filter((v) => v.scenario === scenario)) {
      const [v] = await planScenarios([scenario], { ...overrides, ...variant.settings });
      files.push([`${scenario}-${variant.name}-path.svg`, topologySvg({ scenario, analysis: v.analysis, resources: v.evaluation.resources })]);
    }
    for (const [name, svg] of files) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `${withBackground(svg)}\n`);
      written.push(file);
    }
  }
  return written;
}

async function main(args: string[]): Promise<void> {
  const unknown = args.filter((a) => !isScenarioName(a));
  if (unknown.length) {
    console.error(`unknown scenario ${unknown.join(", ")}; choose from ${SCENARIO_NAMES.join(", ")}`);
    process.exit(2);
  }
  const scenarios = args.length ? (args as ScenarioName[]) : [...SCENARIO_NAMES];
  for (const file of await writeLabDiagrams(scenarios)) console.log(`${path.relative(process.cwd(), file)} (simulated)`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
