// Renders the plan's HTML report to PNG with headless Chromium, to look at it:
//   npx tsx scripts/plan-screenshot.ts [reports/plan/plan-all.html] [out.png] [height]
// Run `npm start` (or `scenarios plan ...`) first. Needs Chromium (`apt-get install -y chromium`).
import * as path from "node:path";
import { findChromium, pngSize, screenshot } from "../automation/plan/screenshot";

async function main([html = "reports/plan/plan-all.html", png, height = "2000"]: string[]) {
  const chromium = findChromium();
  if (!chromium) {
    console.error("no Chromium found (set CHROMIUM or install it: apt-get install -y chromium)");
    process.exit(2);
  }
  const out = png ?? html.replace(/\.html$/, ".png");
  await screenshot(html, out, { chromium, height: Number(height) });
  const size = pngSize(out);
  console.log(`${path.relative(process.cwd(), out)} ${size.width}x${size.height}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
