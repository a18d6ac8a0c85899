/**
 * The driver commands' command line: usage and configuration errors (exit 2, one line each, nothing
 * started) and preflight messages, run as a user runs them: `node bin/scenarios.js ...` in a child process
 * with a controlled PATH and environment.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliInProcess } from "../../helpers/cli";

const ROOT = path.resolve(__dirname, "../../..");
const BIN = path.join(ROOT, "bin", "scenarios.js");

/** An environment without Azure, Pulumi or passphrase settings, and a PATH of our choosing. */
function cleanEnv(PATH: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AZURE_|ARM_|PULUMI_|MSI_|IDENTITY_)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, PATH, HOME: process.env.HOME, CI: "1", ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv = cleanEnv(path.dirname(process.execPath))) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `run`, without blocking, so that several commands run side by side. */
function runAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+\(.+:\d+:\d+\)$/m, "no stack trace");
}

describe("scenarios driver commands: command line and preflight", function () {
  this.timeout(120_000);
  let emptyBin: string;
  let toolsBin: string;
  before(() => {
    emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), "no-tools-"));
    toolsBin = fs.mkdtempSync(path.join(os.tmpdir(), "tools-"));
    // Present on PATH only so that preflight's lookup finds them; preflight stops before running either.
    for (const tool of ["pulumi", "kubelogin"]) fs.writeFileSync(path.join(toolsBin, tool), "#!/bin/sh\necho should-not-run >&2\nexit 99\n", { mode: 0o755 });
  });
  after(() => {
    fs.rmSync(emptyBin, { recursive: true, force: true });
    fs.rmSync(toolsBin, { recursive: true, force: true });
  });

  it("up without the Pulumi CLI on PATH: exit 2, one line per missing prerequisite with its fix, nothing started", () => {
    const r = run(["up", "public"], cleanEnv(emptyBin));
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.match(lines[0], /^preflight: pulumi CLI not found on PATH; install it: curl -fsSL https:\/\/get\.pulumi\.com \| sh/);
    assert.ok(lines.some((l) => /^preflight: PULUMI_CONFIG_PASSPHRASE is not set/.test(l)));
    assert.ok(lines.some((l) => /^preflight: kubelogin not found on PATH/.test(l)));
    assert.ok(lines.some((l) => /^preflight: no Azure subscription; run az login/.test(l)));
    assert.equal(lines.length, 4);
    assertNoStackTrace(r.stderr);
    assert.ok(!fs.existsSync(path.join(ROOT, "stacks", "Pulumi.public.yaml")) || !fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.public.yaml"), "utf8").includes("encryptionsalt"), "no stack was initialised");
  });

  it("with the tools and a passphrase present, only the missing Azure login is reported", () => {
    // A deployment must name the shared ranges a Consumption-tier APIM calls from (the offline plan simulates them).
    const r = run(["compare", "consumption", "--no-estimates", "-c", 'apimSharedSourceRanges=["198.51.100.0/24"]'], cleanEnv(toolsBin, { PULUMI_CONFIG_PASSPHRASE: "" }));
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.stderr.trim().split("\n"), ["preflight: no Azure subscription; run az login (and az account set --subscription <id>) or export AZURE_SUBSCRIPTION_ID=<id>"]);
    assert.doesNotMatch(r.stderr, /should-not-run/);
  });

  it("outputs and verify need only the Pulumi CLI and the passphrase", () => {
    const r = run(["outputs", "public"], cleanEnv(emptyBin));
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n").map((l) => l.split(";")[0]), ["preflight: pulumi CLI not found on PATH", "preflight: PULUMI_CONFIG_PASSPHRASE is not set"]);
    const v = run(["verify", "internal"], cleanEnv(emptyBin, { PULUMI_BACKEND_URL: "https://api.pulumi.com" }));
    assert.equal(v.code, 2);
    assert.deepEqual(v.stderr.trim().split("\n").map((l) => l.split(";")[0]), ["preflight: pulumi CLI not found on PATH"], "the Pulumi Cloud backend encrypts secrets itself");
  });

  it("up, preview, destroy and compare say which state backend they use, without its secrets; outputs does not", async () => {
    // An imitation `az` stands in for the Azure sign-in (AzureCliCredential runs `az account get-access-token`),
    // so preflight passes; the placeholder pulumi then stops the command when the workspace asks its version.
    const signedIn = fs.mkdtempSync(path.join(os.tmpdir(), "imitation-az-"));
    try {
      for (const tool of ["pulumi", "kubelogin"]) fs.copyFileSync(path.join(toolsBin, tool), path.join(signedIn, tool));
      fs.chmodSync(path.join(signedIn, "pulumi"), 0o755);
      fs.chmodSync(path.join(signedIn, "kubelogin"), 0o755);
      const token = JSON.stringify({ accessToken: "imitation-token", expiresOn: "2099-01-01 00:00:00.000000", expires_on: 4070908800, tokenType: "Bearer" });
      fs.writeFileSync(path.join(signedIn, "az"), `#!/bin/sh\ncase "$*" in *get-access-token*) echo '${token}';; *) echo 00000000-0000-0000-0000-000000000000;; esac\n`, { mode: 0o755 });
      const PATH = [signedIn, path.dirname(process.execPath)].join(path.delimiter);
      const backend = "azblob://state?storage_account=scenariosstate&sas_token=secret-signature";
      // The subscription checks would send the imitation token to Azure Resource Manager: skipped here.
      const offline = { SCENARIOS_SKIP_AZURE_PREFLIGHT: "1" };
      const env = cleanEnv(PATH, { PULUMI_CONFIG_PASSPHRASE: "", PULUMI_BACKEND_URL: backend, ...offline });
      const ranges = ["-c", 'apimSharedSourceRanges=["198.51.100.0/24"]'];
      const commands = [["up", "public"], ["preview", "public"], ["destroy", "public"], ["compare", "consumption", "--no-estimates", ...ranges]];
      const runs = await Promise.all(commands.map((args) => runAsync(args, env)));
      runs.forEach((r, i) => {
        const line = r.stderr.split("\n").find((l) => l.startsWith("state: "));
        assert.equal(line, "state: azblob://state?storage_account=scenariosstate&sas_token=[hidden]", `${commands[i].join(" ")}: ${r.stderr}`);
        assert.doesNotMatch(r.stdout + r.stderr, /secret-signature/);
        assert.match(r.stderr, /should-not-run/, "it got past preflight to the workspace");
        if (["up", "compare"].includes(commands[i][0])) assert.match(r.stderr, /subscription checks skipped/, "no request reached Azure Resource Manager");
      });
      const local = await runAsync(["destroy", "public"], cleanEnv(PATH, { PULUMI_CONFIG_PASSPHRASE: "", ...offline }));
      assert.ok(local.stderr.split("\n").includes(`state: file://${path.join(ROOT, ".pulumi-state")}`), local.stderr);
      const outputs = await runAsync(["outputs", "public"], env);
      assert.doesNotMatch(outputs.stderr, /^state: /m);
    } finally {
      fs.rmSync(signedIn, { recursive: true, force: true });
    }
  });

  it("the command line loads no driver module until a command has been parsed (usage errors answer at once)", () => {
    const script = 'require("tsx/cjs"); require("./automation/cli"); process.stdout.write(Object.keys(require.cache).filter((f) => f.includes("/automation/driver/")).join("\\n"))';
    const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
  });

  it("sweep needs only an Azure login", () => {
    const r = run(["sweep", "--dry-run"], cleanEnv(emptyBin));
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split("\n").map((l) => l.split(";")[0]), ["preflight: no Azure subscription"]);
  });

  it("an unknown scenario is a usage error before any preflight", () => {
    const r = run(["up", "publik"], cleanEnv(emptyBin));
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'unknown scenario "publik"; choose from public, external, internal, consumption, integrated or --all');
  });

  it("invalid configuration: exit 2, one line per problem naming key, value and what is allowed, before preflight", () => {
    const r = run(["up", "internal", "-c", "apimSku=Consumption", "-c", "rateLimitCalls=zero"], cleanEnv(emptyBin));
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split("\n");
    assert.ok(lines.some((l) => /^rateLimitCalls = "zero": /.test(l)), r.stderr);
    assert.ok(!lines.some((l) => l.startsWith("preflight:")), "configuration is checked first");
    assertNoStackTrace(r.stderr);
  });

  it("a problem only some of several stacks have names them", () => {
    const r = run(["compare", "--all", "-c", "apimSku=Consumption", "--no-estimates"], cleanEnv(emptyBin));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^external: apimSku = "Consumption": scenario "external" injects APIM into the VNet/m);
    assert.match(r.stderr, /^internal: apimSku = "Consumption"/m);
    assert.doesNotMatch(r.stderr, /^public: apimSku/m);
  });

  it("rejects option combinations that make no sense", () => {
    const cases: [string[], RegExp][] = [
      [["up", "public", "internal", "--stack", "mine"], /^--stack names one stack: give exactly one scenario with it$/],
      [["up", "public", "--stack", "../x"], /^--stack "\.\.\/x": use letters, digits/],
      [["destroy", "public", "-c", "apimSku=Premium"], /^--config applies to up, preview and compare, not destroy$/],
      [["verify", "public", "--timeout", "0"], /^--timeout "0": seconds per request, 1-300$/],
      [["verify", "public", "--attempts", "2.5"], /^--attempts "2\.5": a whole number, 1-50$/],
      [["compare", "public", "--expires-in", "0"], /^--expires-in "0": hours/],
      [["up", "public", "--all"], /^give scenario names or --all, not both$/],
      [["up"], /^name a scenario/],
      [["sweep", "public"], /too many arguments for 'sweep'/],
      [["up", "public", "--bogus"], /unknown option '--bogus'/],
    ];
    for (const [args, expected] of cases) {
      const r = run(args, cleanEnv(emptyBin));
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr.trim().split("\n")[0], expected, args.join(" "));
    }
  });

  // In this process: the help is the program's own text, and a process per command would only add start-up time.
  it("help describes every driver command and its options", async () => {
    const top = await cliInProcess(["--help"]);
    assert.equal(top.code, 0);
    for (const cmd of ["up", "preview", "verify", "outputs", "compare", "destroy", "sweep"]) assert.match(top.stdout, new RegExp(`^  ${cmd} \\[options\\]`, "m"));
    const expectations: Record<string, RegExp[]> = {
      up: [/--stack <name>/, /--policy/, /--record <file>/, /--json/, /-c, --config <key=value>/, /PULUMI_CONFIG_PASSPHRASE/],
      preview: [/--policy/, /--stack <name>/],
      destroy: [/--no-purge/, /--remove/, /--record <file>/],
      outputs: [/--show-secrets/],
      verify: [/--timeout <seconds>/, /--attempts <n>/, /temporary pod in the stack's AKS cluster/],
      compare: [/--expires-in <hours>/, /--no-estimates/, /<scenario>-eph-<random>/],
      sweep: [/--dry-run/, /managed-by=pulumi/],
    };
    for (const [cmd, patterns] of Object.entries(expectations)) {
      const r = await cliInProcess([cmd, "--help"]);
      assert.equal(r.code, 0);
      for (const p of patterns) assert.match(r.stdout, p, `${cmd} --help`);
    }
  });
});
