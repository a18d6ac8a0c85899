/**
 * A pseudo-terminal for the Ctrl-C tests: tmux on a private socket. `tmux send-keys C-c` types Ctrl-C into
 * the terminal, and the terminal's line discipline sends SIGINT to its whole foreground process group, as
 * a user's keyboard does. And a signal log around the real CLI: a wrapper started in the CLI's place
 * (through PATH) that notes every invocation and every signal it receives, then passes them on to the
 * real CLI, so a test can count the SIGINTs each CLI got.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const WRAPPER = String.raw`
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const log = (line) => fs.appendFileSync(process.env.SCENARIOS_SIGNAL_LOG, process.pid + " " + line + "\n");
const args = process.argv.slice(2);
log("start " + JSON.stringify(args));
const child = spawn(process.env.SCENARIOS_SIGNAL_LOG_REAL, args, { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => { log(sig); try { child.kill(sig); } catch {} });
child.on("exit", (code, signal) => { log("exit " + code); process.exit(code === null ? 128 + (os.constants.signals[signal] || 1) : code); });
`;

/** Writes `<dir>/pulumi`, the signal-logging wrapper; put `dir` first on PATH. */
export function writeSignalLog(dir: string, realPulumi: string): { binDir: string; log: string; env: Record<string, string> } {
  const binDir = path.join(dir, "signal-log-bin");
  fs.mkdirSync(binDir, { recursive: true });
  fs.writeFileSync(path.join(binDir, "pulumi"), `#!${process.execPath}\n${WRAPPER}`, { mode: 0o755 });
  const log = path.join(dir, "signals.log");
  fs.writeFileSync(log, "");
  return { binDir, log, env: { SCENARIOS_SIGNAL_LOG: log, SCENARIOS_SIGNAL_LOG_REAL: realPulumi } };
}

export interface CliRun {
  pid: number;
  args: string[];
  command: string;
  signals: string[];
  exit?: number;
}

export function readSignalLog(log: string): CliRun[] {
  const runs = new Map<number, CliRun>();
  for (const line of fs.readFileSync(log, "utf8").split("\n").filter(Boolean)) {
    const [pidText, word, ...rest] = line.split(" ");
    const pid = Number(pidText);
    if (word === "start") {
      const args = JSON.parse(rest.join(" ")) as string[];
      runs.set(pid, { pid, args, command: args.find((a) => !a.startsWith("-")) ?? "", signals: [] });
    } else if (word === "exit") runs.get(pid)!.exit = Number(rest[0]);
    else runs.get(pid)?.signals.push(word);
  }
  return [...runs.values()];
}

export class Terminal {
  private readonly socket = `scenarios-engine-${randomBytes(4).toString("hex")}`;
  private readonly exitFile: string;
  private readonly outFile: string;

  constructor(
    dir: string,
    command: string[],
    env: Record<string, string>,
    cwd: string,
  ) {
    this.exitFile = path.join(dir, `exit-${this.socket}`);
    this.outFile = path.join(dir, `screen-${this.socket}`);
    const launcher = path.join(dir, `launch-${this.socket}.sh`);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    fs.writeFileSync(
      launcher,
      [
        "#!/bin/bash",
        // The terminal's SIGINT reaches this shell too: a trap (reset to the default in children) keeps it
        // waiting for the driver's exit code instead of dying and closing the terminal.
        "trap : INT",
        "unset CI",
        ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
        `cd ${q(cwd)}`,
        `${command.map(q).join(" ")}`,
        `echo $? > ${q(this.exitFile)}`,
        "sleep 120",
        "",
      ].join("\n"),
      { mode: 0o700 },
    );
    execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", "new-session", "-d", "-x", "160", "-y", "50", "-s", "t", launcher]);
  }

  ctrlC(): void {
    execFileSync("tmux", ["-L", this.socket, "send-keys", "-t", "t", "C-c"]);
  }

  screen(): string {
    try {
      return execFileSync("tmux", ["-L", this.socket, "capture-pane", "-p", "-J", "-S", "-2000", "-t", "t"], { encoding: "utf8" });
    } catch {
      return fs.existsSync(this.outFile) ? fs.readFileSync(this.outFile, "utf8") : "";
    }
  }

  exitCode(): number | undefined {
    if (!fs.existsSync(this.exitFile)) return undefined;
    const text = fs.readFileSync(this.exitFile, "utf8").trim();
    return text ? Number(text) : undefined;
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v as T;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  close(): void {
    try {
      fs.writeFileSync(this.outFile, this.screen());
      execFileSync("tmux", ["-L", this.socket, "kill-server"], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
}
