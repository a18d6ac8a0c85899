/**
 * What the engine tests share: the real Pulumi CLI built by `npm run engine:build` (.engine/bin), a
 * temporary project (Pulumi.yaml with `stackConfigDir: stacks`, the scenario's stack file), a file backend
 * and PULUMI_HOME in a temporary directory, a passphrase for secrets, and the product's own
 * `DriverWorkspace` over it with the simulated cloud's inline program.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../../config/load";
import { InterruptController } from "../../automation/driver/interrupt/interrupt";
import type { DriverContext, OperationRun } from "../../automation/driver/lifecycle/orchestrate";
import type { ProgressEvent } from "../../automation/driver/stack/types";
import { DriverWorkspace } from "../../automation/driver/stack/workspace";
import { SHARED_OUTPUTS } from "../../automation/plan/workshop-contract";
import { SIMULATED_PROJECT, SimulatedResource, simulatedProgram, type SimulatedSettings } from "./simulated-cloud";
import { hasTmux, readSignalLog, Terminal, writeSignalLog } from "./terminal";

export const ENGINE_DIR = path.join(PROJECT_DIR, ".engine");
export const ENGINE_BIN = path.join(ENGINE_DIR, "bin");
export const PULUMI = path.join(ENGINE_BIN, "pulumi");

/** Why the engine tests cannot run here, or undefined when they can. */
export function engineUnavailable(): string | undefined {
  const skip = path.join(ENGINE_DIR, "skip-reason");
  if (fs.existsSync(skip)) return `npm run engine:build skipped: ${fs.readFileSync(skip, "utf8").trim()}`;
  if (!fs.existsSync(PULUMI)) return "no engine in .engine/bin: run `npm run engine:build` first (needs Go)";
  return undefined;
}

export interface TestProject {
  root: string;
  workDir: string;
  stacksDir: string;
  stateDir: string;
  env: Record<string, string>;
  cleanup(): void;
}

/**
 * A fresh temporary project. `backendUrl` defaults to a file backend in the temporary directory. The
 * scenario `public`'s stack file holds the simulated settings, as a real scenario's does.
 */
export function testProject(settings: SimulatedSettings = {}, backendUrl?: string): TestProject {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "scenarios-engine-"));
  const workDir = path.join(root, "project");
  const stacksDir = path.join(workDir, "stacks");
  const stateDir = path.join(root, "state");
  const home = path.join(root, "pulumi-home");
  for (const d of [stacksDir, stateDir, home]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), [`name: ${SIMULATED_PROJECT}`, "runtime: nodejs", "stackConfigDir: stacks", ""].join("\n"));
  writeStackFile(stacksDir, "public", { scenario: "public", ...settings });
  const env: Record<string, string> = {
    PULUMI_BACKEND_URL: backendUrl ?? `file://${stateDir}`,
    PULUMI_HOME: home,
    PULUMI_CONFIG_PASSPHRASE: `engine-test-${randomBytes(6).toString("hex")}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  return { root, workDir, stacksDir, stateDir, env, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function writeStackFile(stacksDir: string, stack: string, settings: Record<string, unknown>): void {
  const lines = ["config:", ...Object.entries(settings).map(([k, v]) => `  apim-aks-ai-scenarios:${k}: ${JSON.stringify(String(v))}`), ""];
  fs.writeFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), lines.join("\n"));
}

/** The product's workspace over the test project, through the shim as `scenarios` runs it. */
export async function openWorkspace(
  project: TestProject,
  options: { shim?: boolean; program?: PulumiFn; env?: Record<string, string> } = {},
): Promise<DriverWorkspace> {
  // PulumiCommand.get runs `pulumi version` with this process's environment; the CLI's plugins (the
  // dynamic provider) are found beside it.
  Object.assign(process.env, project.env);
  const { chooseBackend } = await import("../../automation/driver/stack/env");
  return DriverWorkspace.create({
    pulumiPath: PULUMI,
    env: { ...process.env, ...project.env },
    backend: chooseBackend(project.env),
    extraEnv: { ...project.env, ...options.env, PATH: `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}` },
    project: { workDir: project.workDir, stacksDir: project.stacksDir, program: options.program ?? simulatedProgram(), projectName: SIMULATED_PROJECT },
    shim: options.shim,
  });
}

/** A driver context that keeps every progress event and operation run. */
export function recordingContext(interrupt = new InterruptController(true)): DriverContext & { events: ProgressEvent[]; runs: OperationRun[] } {
  const events: ProgressEvent[] = [];
  const runs: OperationRun[] = [];
  return { progress: (e) => events.push(e), interrupt, onRun: (r) => void runs.push(r), events, runs };
}

/** Stacks in the backend, via the CLI itself. */
export function listStacks(project: TestProject): string[] {
  const out = execFileSync(PULUMI, ["stack", "ls", "--json", "--all"], { cwd: project.workDir, env: { ...process.env, ...project.env }, encoding: "utf8" });
  return (JSON.parse(out) as { name: string }[]).map((s) => s.name.split("/").pop()!);
}

export function pulumiVersion(): string {
  return execFileSync(PULUMI, ["version"], { encoding: "utf8" }).trim();
}

/** Removes every stack of the test project's backend by force, resources or not (what a test left behind). */
export function forceRemoveStacks(project: TestProject): void {
  for (const stack of listStacks(project)) {
    execFileSync(PULUMI, ["stack", "rm", "--force", "--yes", "--stack", stack], { cwd: project.workDir, env: { ...process.env, ...project.env }, stdio: "ignore" });
  }
}

/** Every file of a file backend's state, concatenated (for "is this in clear text" checks). */
export function readStateFiles(stateDir: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(fs.readFileSync(p, "utf8"));
    }
  };
  walk(stateDir);
  return out.join("\n");
}

/** Skips the suite of a `before` hook where the engine tests are off or there is no tmux for a terminal. */
export function skipWithoutTerminal(suite: Mocha.Context): void {
  if (process.env.SCENARIOS_ENGINE_SKIP) suite.skip();
  if (!hasTmux()) {
    console.log("    (skipped: no tmux for a pseudo-terminal)");
    suite.skip();
  }
}

const DRIVE = path.join(PROJECT_DIR, "tests", "engine", "drive.ts");

/** Starts tests/engine/drive.ts in a terminal (tmux), with the signal log around the real CLI (the Ctrl-C tests). */
export function driveInTerminal(project: TestProject, args: string[], extraEnv: Record<string, string> = {}) {
  const signals = writeSignalLog(project.root, PULUMI);
  const result = path.join(project.root, `result-${Date.now()}.json`);
  const env = {
    ...project.env,
    ...signals.env,
    ...extraEnv,
    PATH: `${signals.binDir}${path.delimiter}${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
    HOME: process.env.HOME ?? "/root",
    TERM: "xterm-256color",
    SCENARIOS_ENGINE_WORKDIR: project.workDir,
    SCENARIOS_ENGINE_STACKS: project.stacksDir,
    SCENARIOS_DRIVE_RESULT: result,
  };
  const terminal = new Terminal(project.root, [process.execPath, "--import", "tsx", DRIVE, ...args], env, PROJECT_DIR);
  return {
    terminal,
    runs: () => readSignalLog(signals.log),
    result: <R = { stack?: string; ok: boolean; up?: string; destroy?: string; removed?: boolean; leftovers: string[] }>() => JSON.parse(fs.readFileSync(result, "utf8")) as { interrupted: boolean; results: R[] },
  };
}

/** A simulated resource's inputs: created and updated in `seconds`, deleted at once, refused never. */
export function simulated(kind: string, value: pulumi.Input<string>, seconds = 0) {
  return { kind, value, createSeconds: seconds, updateSeconds: seconds, deleteSeconds: 0, failOn: "" };
}

/**
 * What a host's shared stack exports (the workshop contract's SHARED_OUTPUTS, the secret ones as secrets) from a
 * simulated APIM service and cluster, `room` naming the rest. Outputs the contract gains later get a simulated
 * value of their own name. Called inside a Pulumi program.
 */
export function simulatedSharedOutputs(room: string, topology: string, seconds = 0): Record<string, pulumi.Output<unknown>> {
  const service = new SimulatedResource("apim-service", simulated("service", "developer", seconds));
  const cluster = new SimulatedResource("aks", simulated("cluster", room, seconds));
  const values: Record<string, pulumi.Input<string> | string[]> = {
    topology,
    resourceGroupName: `rg-${room}`,
    location: "swedencentral",
    apimServiceName: service.id,
    apimSku: "Developer",
    apimGatewayUrl: service.endpoint,
    apimLoggerId: pulumi.interpolate`${service.id}/loggers/appinsights`,
    logAnalyticsWorkspaceId: "/subscriptions/simulated/workspaces/law",
    aksClusterName: cluster.id,
    aksOidcIssuerUrl: pulumi.interpolate`${cluster.endpoint}/oidc`,
    ingressClassName: "traefik",
    clusterIssuerName: `${room}-ca`,
    backendDomain: `ai.${room}.internal`,
    appImage: "simulated.azurecr.io/ai-api:1",
    openAiAccountName: `oai-${room}`,
    openAiEndpoint: `https://oai-${room}.openai.azure.com/`,
    modelDeploymentName: "chat",
    aksClusterId: pulumi.interpolate`/simulated/managedClusters/${cluster.id}`,
    openAiAccountId: `/simulated/accounts/oai-${room}`,
    ingressTarget: "10.42.3.200",
    modelSharing: "shared",
    apimOutboundAddresses: ["198.51.100.7"],
  };
  return Object.fromEntries(
    SHARED_OUTPUTS.map((o) => [
      o.name,
      o.secret ? pulumi.secret(pulumi.interpolate`server: ${cluster.endpoint}\ntoken: ${cluster.id}-credential`) : pulumi.output(values[o.name] ?? `simulated-${o.name}`),
    ]),
  );
}
