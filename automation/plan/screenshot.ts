/**
 * Renders an HTML file to PNG with headless Chromium, offline: no network, no profile, no sandbox (for
 * containers), so a test can check that the plan page really renders. Chromium is optional: callers check
 * `findChromium()` and skip when it is missing.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium binary: $CHROMIUM if set, else the first candidate that exists. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM) return fs.existsSync(env.CHROMIUM) ? env.CHROMIUM : undefined;
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
}

export interface ScreenshotOptions {
  chromium: string;
  width?: number;
  height?: number;
  timeoutMs?: number;
}

/** Writes a PNG of `htmlFile` to `pngFile`; resolves with Chromium's stderr (it is chatty even on success). */
export async function screenshot(htmlFile: string, pngFile: string, options: ScreenshotOptions): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "plan-chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    `--screenshot=${pngFile}`,
    `--window-size=${options.width ?? 1400},${options.height ?? 2000}`,
    pathToFileURL(path.resolve(htmlFile)).href,
  ];
  try {
    return await new Promise<string>((resolve, reject) => {
      const child = spawn(options.chromium, args, { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`chromium did not finish within ${options.timeoutMs ?? 60000} ms`));
      }, options.timeoutMs ?? 60000);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        if (code === 0 && fs.existsSync(pngFile)) resolve(stderr);
        else reject(new Error(`chromium exited with ${code}: ${stderr.split("\n").slice(-5).join(" ")}`));
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(file: string): { width: number; height: number } {
  const head = Buffer.alloc(24);
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, head, 0, 24, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString("latin1", 1, 4) !== "PNG") throw new Error(`${file} is not a PNG`);
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
