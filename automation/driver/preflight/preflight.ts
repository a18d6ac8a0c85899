/**
 * Checks made before any stack operation starts, each failure one line that says what to do. Nothing is
 * created, locked or written when a check fails.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../../cli-common";
import { type BackendChoice, type Env, hasPassphrase, secretsRequirement } from "../stack/env";
import { errorText, firstLine } from "../../shared/text";

export type Need = "pulumi" | "secrets" | "azure" | "kubelogin";

/** Raised when a preflight check fails: every problem on its own line, exit code 2, nothing started. */
export class PreflightError extends UsageError {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "PreflightError";
  }
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PreflightDeps {
  env: Env;
  /** Runs a program; resolves undefined when it is not installed. */
  exec(command: string, args: string[], timeoutMs: number): Promise<ExecResult | undefined>;
  /** Gets a token for Azure Resource Manager; rejects with the credential chain's reason. */
  azureToken(timeoutMs: number): Promise<void>;
}

export interface PreflightContext {
  backend: BackendChoice;
  /** Stacks the command will touch (their stack files may name their own secrets provider). */
  stacks: string[];
  secretsProvider?: string;
  stacksDir?: string;
  /**
   * Checks against the subscription (`up`, `compare`: preflight-azure.ts), run once Azure sign-in works;
   * they return problem lines, which join the others so that every problem is reported at once.
   */
  subscriptionChecks?: (subscriptionId: string, found: PreflightResult) => Promise<string[]>;
}

export interface PreflightResult {
  pulumiPath?: string;
  kubeloginPath?: string;
  subscriptionId?: string;
}

/** The first executable called `name` on PATH (PATHEXT on Windows). */
export function findOnPath(name: string, env: Env): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean);
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        const stat = fs.statSync(candidate);
        if (stat.isFile()) {
          fs.accessSync(candidate, fs.constants.X_OK);
          return candidate;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export const FIX = {
  pulumi: "pulumi CLI not found on PATH; install it: curl -fsSL https://get.pulumi.com | sh (or see https://www.pulumi.com/docs/install/)",
  passphrase: (backendUrl: string) =>
    `PULUMI_CONFIG_PASSPHRASE is not set; stacks in ${backendUrl} encrypt secrets with a passphrase: export PULUMI_CONFIG_PASSPHRASE=<passphrase> (or PULUMI_CONFIG_PASSPHRASE_FILE=<file>, or use --secrets-provider)`,
  subscription: "no Azure subscription; run az login (and az account set --subscription <id>) or export AZURE_SUBSCRIPTION_ID=<id>",
  token: (reason: string) =>
    `Azure sign-in failed (${reason}); run az login, or export AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE)`,
  kubelogin:
    "kubelogin not found on PATH; AKS uses Entra ID with local accounts disabled, so its kubeconfig needs kubelogin: az aks install-cli (or https://azure.github.io/kubelogin/install.html)",
} as const;

/** Runs the checks `needs` asks for and returns what they found; throws PreflightError listing every failure. */
export async function preflight(needs: readonly Need[], ctx: PreflightContext, deps: PreflightDeps): Promise<PreflightResult> {
  const problems: string[] = [];
  const result: PreflightResult = {};
  const want = new Set(needs);

  if (want.has("pulumi")) {
    result.pulumiPath = findOnPath("pulumi", deps.env);
    if (!result.pulumiPath) problems.push(FIX.pulumi);
  }
  if (want.has("secrets")) {
    const requirement = secretsRequirement(ctx.backend, ctx.stacks, ctx.secretsProvider, ctx.stacksDir);
    if (requirement.needsPassphrase && !hasPassphrase(deps.env)) problems.push(FIX.passphrase(ctx.backend.url));
  }
  if (want.has("kubelogin")) {
    result.kubeloginPath = findOnPath("kubelogin", deps.env);
    if (!result.kubeloginPath) problems.push(FIX.kubelogin);
  }
  if (want.has("azure")) {
    const fromEnv = deps.env.AZURE_SUBSCRIPTION_ID?.trim() || deps.env.ARM_SUBSCRIPTION_ID?.trim();
    let subscription = fromEnv;
    if (!subscription) {
      const shown = await deps.exec("az", ["account", "show", "--query", "id", "--output", "tsv"], 30_000);
      if (shown && shown.code === 0 && shown.stdout.trim()) subscription = shown.stdout.trim();
    }
    if (!subscription) {
      problems.push(FIX.subscription);
    } else {
      result.subscriptionId = subscription;
      let signedIn = true;
      try {
        await deps.azureToken(45_000);
      } catch (e) {
        signedIn = false;
        problems.push(FIX.token(firstLine(errorText(e), 160) || "unknown error"));
      }
      if (signedIn && ctx.subscriptionChecks) problems.push(...(await ctx.subscriptionChecks(subscription, result)));
    }
  }
  if (problems.length) throw new PreflightError(problems.map((p) => `preflight: ${p}`));
  return result;
}

/** Runs a program with a timeout; undefined when it is not installed. */
export function execProgram(command: string, args: string[], timeoutMs: number, env: Env = process.env): Promise<ExecResult | undefined> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    // Our own timer, not spawn's `timeout` option: that one keeps the process alive when the program is
    // not installed at all.
    const child = spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    timer.unref();
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === "ENOENT" ? undefined : { code: -1, stdout, stderr: e.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Dependencies over the real machine: PATH, `az`, and DefaultAzureCredential. */
export function realPreflightDeps(env: Env = process.env): PreflightDeps {
  return {
    env,
    exec: (command, args, timeoutMs) => execProgram(command, args, timeoutMs, env),
    azureToken: async (timeoutMs) => {
      const { azureCredential } = require("./azure") as typeof import("./azure");
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const token = await azureCredential().getToken("https://management.azure.com/.default", { abortSignal: controller.signal });
        if (!token) throw new Error("no token returned");
      } catch (e) {
        if (controller.signal.aborted) throw new Error(`no token within ${Math.round(timeoutMs / 1000)} s`);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
