import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LISTR_OPTIONS, plainRenderer, runWithDisplay, StackBoard } from "../../../automation/driver/lifecycle/progress";
import { installShim, interruptAll, interruptStack, removeShim, runningClis, stackOfArgs } from "../../../automation/driver/interrupt/shim";

describe("automation/driver/lifecycle/progress", () => {
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

describe("automation/driver/lifecycle/progress: one driver, several displays in turn", () => {
  it("prints each event once when a command runs its stacks in several rounds (workshop prepare: the shared stack, then the attendees)", async () => {
    const board = new StackBoard(["public-shared", "public-a01"]);
    const lines: string[] = [];
    const round = (stack: string) =>
      runWithDisplay(board, [stack], "plain", async (s) => {
        board.listener({ stack: s, kind: "phase", phase: "up", at: Date.now() });
        return { ok: true };
      }, (l) => lines.push(l));
    await round("public-shared");
    await round("public-a01");
    await round("public-a01");
    assert.deepEqual(lines.map((l) => l.replace(/ \d\d:\d\d\]/, "]")), ["[public-shared] up", "[public-a01] up", "[public-a01] up"]);
  });
});

describe("automation/driver/lifecycle/progress: listr2 leaves Ctrl-C to the driver", () => {
  it("registers no SIGINT listener of its own (listr2's would call process.exit(127) on the first Ctrl-C)", async () => {
    const { Listr } = await import("listr2");
    const before = process.listenerCount("SIGINT");
    const list = new Listr([{ title: "t", task: async () => {} }], { ...LISTR_OPTIONS, renderer: "silent" } as never);
    assert.equal(process.listenerCount("SIGINT"), before);
    await list.run();
    const withDefaults = new Listr([{ title: "t", task: async () => {} }], { renderer: "silent" } as never);
    assert.equal(process.listenerCount("SIGINT"), before + 1, "listr2's default does register one (what this guards against)");
    await withDefaults.run();
  });
});

describe("automation/driver/interrupt/shim (Ctrl-C reaches the Pulumi CLI only when the driver says so)", function () {
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
      `#!${process.execPath}\nconst fs=require("fs");fs.writeFileSync(process.argv[process.argv.length-1], String(process.pid));process.on("SIGINT",()=>process.exit(42));setTimeout(()=>process.exit(3),30000);\n`,
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the CLI in its own process group, registers it, lets the driver signal it by pid, and passes the exit code on", async () => {
    const shim = installShim(fake)!;
    const shimPath = path.join(shim.root, "bin", "pulumi");
    assert.ok(fs.statSync(shimPath).mode & 0o100, "the shim is executable");
    const pidFile = path.join(dir, "child.pid");
    const child = spawn(shimPath, ["up", "--stack", "s", pidFile], { env: { ...process.env, ...shim.env }, stdio: "ignore" });
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
    removeShim(shim);
  });

  it("lives in a private directory of its own (mkdtemp, 0700), removed by removeShim", () => {
    const a = installShim(fake)!;
    const b = installShim(fake)!;
    try {
      assert.notEqual(a.root, b.root);
      assert.equal(fs.statSync(a.root).mode & 0o777, 0o700);
      assert.equal(fs.statSync(a.pidDir).mode & 0o777, 0o700);
      assert.equal(fs.statSync(a.root).uid, process.getuid!());
      assert.ok(!new RegExp(`scenarios-pulumi-shim-${process.getuid!()}`).test(a.root), "not the old predictable name");
    } finally {
      removeShim(a);
      removeShim(b);
    }
    assert.equal(fs.existsSync(a.root), false);
    assert.equal(fs.existsSync(b.root), false);
  });

  it("ignores SIGINT sent to itself (the terminal's, the SDK's); the driver signals a stack's CLI by pid", async () => {
    const shim = installShim(fake)!;
    const shimPath = path.join(shim.root, "bin", "pulumi");
    const start = (stack: string) => {
      const pidFile = path.join(dir, `${stack}.pid`);
      const child = spawn(shimPath, ["up", "--stack", `org/project/${stack}`, pidFile], { env: { ...process.env, ...shim.env }, stdio: "ignore" });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      return { child, exited };
    };
    try {
      const one = start("one");
      const two = start("two");
      for (let i = 0; i < 100 && runningClis(shim).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(runningClis(shim).map((c) => stackOfArgs(c.args)).sort(), ["one", "two"]);
      one.child.kill("SIGINT");
      two.child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(one.child.exitCode, null, "a SIGINT to the shim does not reach the CLI");
      assert.equal(interruptStack(shim, "one"), 1);
      assert.equal(await one.exited, 42);
      assert.equal(two.child.exitCode, null, "the other stack's CLI was left alone");
      assert.equal(interruptAll(shim), 1);
      assert.equal(await two.exited, 42);
    } finally {
      removeShim(shim);
    }
  });
});
