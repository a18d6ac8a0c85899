/**
 * The Automation API side of `StackHandle`: a LocalWorkspace over this project's own program (`index.ts`)
 * and stack files (`stacks/`, through `stackConfigDir`).
 *
 * State: `PULUMI_BACKEND_URL` when set, otherwise a file backend in `<project>/.pulumi-state/`, passed to
 * every CLI call as `PULUMI_BACKEND_URL` (no `pulumi login` needed, nothing written to ~/.pulumi/credentials).
 * Secrets: the backend's default provider (a passphrase for file/blob backends, from
 * PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE) unless `--secrets-provider` names another.
 *
 * Stack configuration. The CLI honours `stackConfigDir: stacks` for `pulumi config set`, but the SDK's
 * stackSettings helpers read and write `Pulumi.<stack>.yaml` beside Pulumi.yaml and ignore it. So the driver
 * never uses those helpers; it writes configuration with `stack.setAllConfig` (which runs
 * `pulumi config set-all` and so lands in `stacks/Pulumi.<stack>.yaml`):
 *  - a scenario's own stack (`public`, ...) already has its readable stack file; `--config key=value`
 *    overrides are written into it before the update, exactly as `pulumi up -c key=value` does (which also
 *    saves them to the stack's config file);
 *  - another stack name (`--stack`, ephemeral stacks) without a stack file is seeded with the scenario's
 *    settings from its stack file, then the overrides, then (ephemeral) `expiresAt`;
 *  - settings are validated (config/validate.ts) before any of this; invalid configuration never reaches
 *    a stack.
 * Ephemeral stacks are removed with their stack file; named stacks are removed with `--preserve-config`
 * so the committed stack file stays.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type * as automation from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE, PROJECT_DIR, readStackSettings, STACKS_DIR } from "../../../config/load";
import type { ScenarioName } from "../../../config/schema";
import { providerEnv } from "../preflight/azure";
import { type BackendChoice, chooseBackend, type Env, LOCAL_STATE_DIR, stackConfigPath } from "./env";
import { plainMessage } from "../report/timeline";
import { cliCancellation } from "../interrupt/interrupt";
import { installShim, type Shim } from "../interrupt/shim";
import type { EngineEvent, OperationOptions, OperationResult, StackHandle, StackOutputs, StateResource } from "./types";

type Automation = typeof automation;

/**
 * The Pulumi project the workspace drives. By default this project: `index.ts` through the Node.js
 * language host, stack files in `stacks/`. The engine tests (tests/engine) give another directory with its
 * own Pulumi.yaml and an inline program (LocalWorkspace `program`), which runs in this process and needs no
 * language host.
 */
export interface ProjectSource {
  workDir: string;
  stacksDir: string;
  /** An inline program; `projectName` must then match the Pulumi.yaml in `workDir`. */
  program?: automation.PulumiFn;
  projectName?: string;
}

export const THIS_PROJECT: ProjectSource = { workDir: PROJECT_DIR, stacksDir: STACKS_DIR };

export interface WorkspaceOptions {
  pulumiPath: string;
  project?: ProjectSource;
  /** More variables for every CLI call (PULUMI_HOME, ...). */
  extraEnv?: Record<string, string>;
  subscriptionId?: string;
  secretsProvider?: string;
  env?: Env;
  backend?: BackendChoice;
  /** Use the process-group shim for precise Ctrl-C handling (default on POSIX). */
  shim?: boolean;
}

/** Settings as `pulumi config` strings: lists and maps as JSON, everything else as text. */
export function configStrings(settings: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** A unique ephemeral stack name: `<scenario>-eph-<6 hex>`. */
export function ephemeralStackName(scenario: string, random: () => string = () => randomBytes(3).toString("hex")): string {
  return `${scenario}-eph-${random()}`;
}

/** `expiresAt` for an ephemeral stack: now plus `hours`, whole seconds, ISO with Z. */
export function expiresAtFromNow(hours: number, now = new Date()): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + hours * 3600_000).toISOString().replace(".000Z", "Z");
}

/**
 * The settings a stack is given on creation or before an update: for a stack that has its own stack file,
 * only the overrides; otherwise the scenario's stack file settings, then the overrides, then `extra`.
 */
export function settingsToApply(
  scenario: ScenarioName,
  stack: string,
  overrides: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  stacksDir = STACKS_DIR,
): Record<string, string> {
  const file = stackConfigPath(stack, stacksDir);
  const hasOwnFile = fs.existsSync(file);
  // A stack not named after its scenario must say which one it builds (index.ts falls back to the stack name).
  const base = hasOwnFile ? (stack !== scenario && readStackSettingsFile(file).scenario === undefined ? { scenario } : {}) : { ...readStackSettings(scenario, stacksDir), scenario };
  return configStrings({ ...base, ...overrides, ...extra });
}

/** The settings a stack will run with (for validation before anything happens). */
export function effectiveSettings(scenario: ScenarioName, stack: string, overrides: Record<string, unknown>, extra: Record<string, unknown> = {}, stacksDir = STACKS_DIR): Record<string, unknown> {
  const file = stackConfigPath(stack, stacksDir);
  const own = fs.existsSync(file) ? { scenario, ...readStackSettingsFile(file) } : { ...readStackSettings(scenario, stacksDir), scenario };
  return { ...own, ...overrides, ...extra };
}

function readStackSettingsFile(file: string): Record<string, unknown> {
  const { parse } = require("yaml") as typeof import("yaml");
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const prefix = `${CONFIG_NAMESPACE}:`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc?.config ?? {})) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** The engine's error diagnostics, or the CLI's `error:` lines, rather than the whole command output. */
export function concise(e: unknown, diagnostics: string[]): string {
  if (diagnostics.length) return [...new Set(diagnostics)].slice(-3).join("\n");
  const text = e instanceof Error ? e.message : String(e);
  const errorLines = text
    .split("\n")
    .map((l) => /(?:^|\s)(error:\s.*)$/i.exec(l.trim())?.[1])
    // The SDK's own "Error: Command failed with exit code N: <command line>" says nothing the CLI did not.
    .filter((l): l is string => Boolean(l) && !/^error: command failed with exit code/i.test(l!));
  const name = e instanceof Error && e.name !== "Error" && e.name !== "CommandError" ? `${e.name}: ` : "";
  // A self-managed backend's lock error names each holder on a line of its own: keep those.
  const holders = text.split("\n").map((l) => l.trim()).filter((l) => /: created by \S+@\S+ \(pid \d+\)/.test(l));
  if (errorLines.length) return name + [...new Set([...errorLines.slice(-3), ...holders])].join("\n");
  return name + (text.split("\n").find((l) => l.trim()) ?? text).trim();
}

export class DriverWorkspace {
  private constructor(
    private readonly auto: Automation,
    readonly backend: BackendChoice,
    private readonly pulumiCommand: automation.PulumiCommand,
    readonly envVars: Record<string, string>,
    readonly secretsProvider: string | undefined,
    readonly shim: Shim | undefined,
    readonly project: ProjectSource,
  ) {}

  static async create(options: WorkspaceOptions): Promise<DriverWorkspace> {
    const env = options.env ?? process.env;
    const backend = options.backend ?? chooseBackend(env);
    if (backend.defaulted) fs.mkdirSync(LOCAL_STATE_DIR, { recursive: true });
    const auto = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
    const shim = options.shim === false ? undefined : installShim(options.pulumiPath);
    const pulumiCommand = shim
      ? await auto.PulumiCommand.get({ root: shim.root })
      : await auto.PulumiCommand.get({ root: undefined });
    const envVars: Record<string, string> = {
      PULUMI_BACKEND_URL: backend.url,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      ...providerEnv(env, options.subscriptionId),
      ...(shim?.env ?? {}),
      ...(options.extraEnv ?? {}),
    };
    return new DriverWorkspace(auto, backend, pulumiCommand, envVars, options.secretsProvider, shim, options.project ?? THIS_PROJECT);
  }

  private workspaceOptions(): automation.LocalWorkspaceOptions {
    return {
      workDir: this.project.workDir,
      envVars: this.envVars,
      pulumiCommand: this.pulumiCommand,
      ...(this.secretsProvider ? { secretsProvider: this.secretsProvider } : {}),
    };
  }

  private stackArgs(stackName: string): automation.LocalProgramArgs {
    const { program, projectName, workDir } = this.project;
    // The SDK tells the two kinds apart at run time (`workDir` in the arguments means a local program).
    return (program ? { stackName, projectName: projectName!, program } : { stackName, workDir }) as unknown as automation.LocalProgramArgs;
  }

  private handle(stack: automation.Stack, scenario: string, ephemeral: boolean): AutomationStackHandle {
    return new AutomationStackHandle(stack, scenario, ephemeral, this.shim);
  }

  /** An existing stack; a clear error when it does not exist. */
  async select(stackName: string, scenario: string, ephemeral = false): Promise<AutomationStackHandle> {
    try {
      const stack = await this.auto.LocalWorkspace.selectStack(this.stackArgs(stackName), this.workspaceOptions());
      return this.handle(stack, scenario, ephemeral);
    } catch (e) {
      if (e instanceof this.auto.StackNotFoundError) {
        throw new Error(`stack ${stackName} does not exist in ${this.backend.url}; create it with "${upHint(stackName, scenario)}"`);
      }
      throw e;
    }
  }

  /** The project's stacks in the backend, as `pulumi stack ls --json` lists them (workshop status and teardown). */
  async listStacks(): Promise<automation.StackSummary[]> {
    const ws = await this.auto.LocalWorkspace.create({ ...this.workspaceOptions(), ...(this.project.program ? { program: this.project.program } : {}) });
    return ws.listStacks();
  }

  /** Creates or selects a stack and writes its settings (see the file comment). */
  async prepare(stackName: string, scenario: ScenarioName, overrides: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<AutomationStackHandle> {
    const settings = settingsToApply(scenario, stackName, overrides, extra, this.project.stacksDir);
    const stack = await this.auto.LocalWorkspace.createOrSelectStack(this.stackArgs(stackName), this.workspaceOptions());
    if (Object.keys(settings).length) await stack.setAllConfig(namespaced(settings));
    return this.handle(stack, scenario, false);
  }

  /** A new ephemeral stack: unique name, the scenario's settings, the overrides, and `expiresAt`. */
  async createEphemeral(scenario: ScenarioName, options: { overrides?: Record<string, unknown>; expiresAt: string; name?: string }): Promise<AutomationStackHandle> {
    const stackName = options.name ?? ephemeralStackName(scenario);
    const settings = settingsToApply(scenario, stackName, options.overrides ?? {}, { expiresAt: options.expiresAt }, this.project.stacksDir);
    const stack = await this.auto.LocalWorkspace.createStack(this.stackArgs(stackName), this.workspaceOptions());
    try {
      await stack.setAllConfig(namespaced(settings));
    } catch (e) {
      // Nothing was deployed: do not leave an empty stack and its stack file behind.
      await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
      throw e;
    }
    return this.handle(stack, scenario, true);
  }
}

/** The command that creates a missing stack (checked against the CLI's parser in tests). */
export function upHint(stack: string, scenario: string): string {
  return `scenarios up ${scenario}${stack === scenario ? "" : ` --stack ${stack}`}`;
}

function namespaced(settings: Record<string, string>): automation.ConfigMap {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${CONFIG_NAMESPACE}:${k}`, { value: v, secret: false }]));
}

/** `StackHandle` over an Automation API `Stack`. */
export class AutomationStackHandle implements StackHandle {
  constructor(
    private readonly stack: automation.Stack,
    readonly scenario: string,
    readonly ephemeral: boolean,
    private readonly shim?: Shim,
  ) {}

  get name(): string {
    return this.stack.name;
  }

  private capture(options: OperationOptions | undefined): { onEvent: (e: EngineEvent) => void; errors: string[] } {
    const errors: string[] = [];
    return {
      errors,
      onEvent: (e) => {
        if (e.diagnosticEvent?.severity === "error") {
          const text = plainMessage(e.diagnosticEvent.message);
          if (text) errors.push(text);
        }
        options?.onEvent?.(e);
      },
    };
  }

  private failure(operation: OperationResult["operation"], e: unknown, errors: string[], signal?: AbortSignal): OperationResult {
    return { operation, status: signal?.aborted ? "cancelled" : "failed", changes: {}, error: concise(e, errors) };
  }

  async up(options?: OperationOptions): Promise<OperationResult> {
    const { onEvent, errors } = this.capture(options);
    const cancel = cliCancellation(this.shim, this.stack.name, options?.signal);
    try {
      const r = await this.stack.up({ onEvent, signal: cancel.sdkSignal, policyPacks: options?.policyPacks, color: "never", suppressProgress: true, suppressOutputs: true });
      return { operation: "update", status: r.summary.result === "succeeded" ? "succeeded" : "failed", changes: { ...(r.summary.resourceChanges ?? {}) } as Record<string, number> };
    } catch (e) {
      return this.failure("update", e, errors, options?.signal);
    } finally {
      cancel.done();
    }
  }

  async preview(options?: OperationOptions): Promise<OperationResult> {
    const { onEvent, errors } = this.capture(options);
    const cancel = cliCancellation(this.shim, this.stack.name, options?.signal);
    try {
      const r = await this.stack.preview({ onEvent, signal: cancel.sdkSignal, policyPacks: options?.policyPacks, color: "never", suppressProgress: true });
      return { operation: "preview", status: "succeeded", changes: { ...r.changeSummary } as Record<string, number> };
    } catch (e) {
      return this.failure("preview", e, errors, options?.signal);
    } finally {
      cancel.done();
    }
  }

  async destroy(options?: OperationOptions): Promise<OperationResult> {
    const { onEvent, errors } = this.capture(options);
    const cancel = cliCancellation(this.shim, this.stack.name, options?.signal);
    try {
      if (options?.clearPendingCreates) {
        // After a cancelled or failed update the state may hold pending creates, which block destroy in a
        // non-interactive run. Whatever they created lives in the stack's resource group (deleted with it)
        // or carries `expires-at` (swept).
        await this.stack.refresh({ clearPendingCreates: true, color: "never", suppressProgress: true, signal: cancel.sdkSignal });
      }
      const r = await this.stack.destroy({ onEvent, signal: cancel.sdkSignal, color: "never", suppressProgress: true });
      return { operation: "destroy", status: r.summary.result === "succeeded" ? "succeeded" : "failed", changes: { ...(r.summary.resourceChanges ?? {}) } as Record<string, number> };
    } catch (e) {
      return this.failure("destroy", e, errors, options?.signal);
    } finally {
      cancel.done();
    }
  }

  async outputs(): Promise<StackOutputs> {
    const out = await this.stack.outputs();
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { value: v.value, secret: v.secret }]));
  }

  async resources(): Promise<StateResource[]> {
    const exported = await this.stack.exportStack();
    const resources = (exported.deployment?.resources ?? []) as {
      urn: string;
      type: string;
      id?: string;
      custom?: boolean;
      inputs?: Record<string, unknown>;
      outputs?: Record<string, unknown>;
    }[];
    return resources.map((r) => ({ urn: r.urn, type: r.type, id: r.id, custom: Boolean(r.custom), inputs: r.inputs ?? {}, outputs: r.outputs ?? {} }));
  }

  /** The stack's latest operation (update, destroy, refresh, ...) from its history, or undefined when it has none. */
  async lastOperation(): Promise<automation.UpdateSummary | undefined> {
    return (await this.stack.history(1))[0];
  }

  async cancel(): Promise<void> {
    await this.stack.cancel();
  }

  async remove(): Promise<void> {
    await this.stack.workspace.removeStack(this.stack.name, { preserveConfig: !this.ephemeral });
  }
}
