import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { plainRenderer, StackBoard } from "../../../automation/driver/progress";
import { installShim, interruptAll } from "../../../automation/driver/shim";

describe("automation/driver/progress", () => {
  it("shows per stack the phase, the longest-running operation and the elapsed time", () => {
    let now = 0;
    const board = new StackBoard(["public", "internal"], () => now);
    const u = (n: string) => `urn:pulumi:s::p::t::${n}`;
    board.listener({ stack: "public", kind: "phase", phase: "up", at: 0 });
    board.listener({ stack: "public", kind: "resource-start", op: "create", type: "azure-native:apimanagement:ApiManagementService", name: "gateway-service", urn: u("a"), at: 1000 });
    board.listener({ stack: "public", kind: "resource-start", op: "create", type: "azure-native:network:VirtualNetwork", name: "vnet", urn: u("b"), at: 2000 });
    board.listener({ stack: "public", kind: "resource-start", op: "create", type: "random:index:RandomString", name: "suffix", urn: u("c"), at: 2000 });
    board.listener({ stack: "public", kind: "resource-end", op: "create", type: "random:index:RandomString", name: "suffix", urn: u("c"), ok: true, at: 2100 });
    now = 12 * 60_000 + 4000;
    assert.equal(board.line("public"), "up  creating apimanagement:ApiManagementService gateway-service 12m 03s (+1 more) [1 done]  12m 04s");
    assert.equal(board.line("internal"), "waiting  12m 04s");
    assert.deepEqual(board.slow("public", 60_000), ["apimanagement:ApiManagementService gateway-service (12m 03s)", "network:VirtualNetwork vnet (12m 02s)"]);
    board.listener({ stack: "public", kind: "finished", ok: false, summary: "up failed: InsufficientQuota", at: now });
    assert.equal(board.line("public"), "FAILED: up failed: InsufficientQuota (12m 04s)");
  });

  it("writes plain lines for logs: phases, finished operations with durations, errors, results", () => {
    let now = 0;
    const board = new StackBoard(["public"], () => now);
    const lines: string[] = [];
    const r = plainRenderer(board, (l) => lines.push(l), { now: () => now, heartbeatMs: 3_600_000 });
    const urn = "urn:pulumi:s::p::t::vnet";
    board.listener({ stack: "public", kind: "phase", phase: "up", at: 0 });
    board.listener({ stack: "public", kind: "resource-start", op: "create", type: "azure-native:network:VirtualNetwork", name: "vnet", urn, at: 0 });
    now = 8100;
    board.listener({ stack: "public", kind: "resource-end", op: "create", type: "azure-native:network:VirtualNetwork", name: "vnet", urn, ok: true, at: 8100 });
    board.listener({ stack: "public", kind: "resource-end", op: "delete", type: "azure-native:network:Subnet", name: "aks", urn: "u2", ok: false, at: 8100 });
    board.listener({ stack: "public", kind: "message", text: "quota exceeded", level: "error", at: 8200 });
    board.listener({ stack: "public", kind: "finished", ok: true, summary: "create 80", at: 8300 });
    r.stop();
    assert.deepEqual(lines, [
      "[public 00:00] up",
      "[public 00:08] created network:VirtualNetwork vnet (8.1s)",
      "[public 00:08] FAILED to delete network:Subnet aks",
      "[public 00:08] error: quota exceeded",
      "[public 00:08] done: create 80",
    ]);
  });
});

describe("automation/driver/shim (Ctrl-C reaches the Pulumi CLI only when the driver says so)", function () {
  if (process.platform === "win32") {
    before(function () {
      this.skip();
    });
  }
  let dir: string;
  let fake: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shim-"));
    // A stand-in for the CLI that reports its process group and exits 42 on SIGINT. Only the shim is under test.
    fake = path.join(dir, "fake-cli");
    fs.writeFileSync(
      fake,
      `#!${process.execPath}\nconst fs=require("fs");fs.writeFileSync(process.argv[2], String(process.pid));process.on("SIGINT",()=>process.exit(42));setInterval(()=>{},1000);\n`,
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the CLI in its own process group, registers itself, forwards SIGINT and passes the exit code on", async () => {
    const shim = installShim(fake)!;
    const shimPath = path.join(shim.root, "bin", "pulumi");
    assert.ok(fs.statSync(shimPath).mode & 0o100, "the shim is executable");
    const pidFile = path.join(dir, "child.pid");
    const child = spawn(shimPath, [pidFile], { env: { ...process.env, ...shim.env }, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    for (let i = 0; i < 100 && (!fs.existsSync(pidFile) || !fs.readdirSync(shim.pidDir).length); i++) await new Promise((r) => setTimeout(r, 50));
    const cliPid = Number(fs.readFileSync(pidFile, "utf8"));
    const pgid = (pid: number) => Number(execFileSync("ps", ["-o", "pgid=", "-p", String(pid)]).toString().trim());
    assert.equal(pgid(cliPid), cliPid, "the CLI leads its own process group: a terminal's Ctrl-C does not reach it");
    assert.notEqual(pgid(cliPid), pgid(process.pid));
    assert.deepEqual(fs.readdirSync(shim.pidDir), [String(child.pid)]);
    assert.equal(interruptAll(shim), 1);
    assert.equal(await exited, 42, "SIGINT was forwarded and the CLI's exit code passed on");
    assert.deepEqual(fs.readdirSync(shim.pidDir), [], "the shim unregistered itself");
  });
});
