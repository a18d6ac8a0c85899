/**
 * Records a real `pulumi preview --json` document for tests/fixtures/pulumi-preview/: a tiny inline program
 * (a component, a child dynamic-provider resource that reads another's output, a stack output) previewed by
 * the real CLI on a temporary file backend. `--json` is not an Automation API option, so this starts the
 * inline program's language server itself, as `Stack.preview` does, and runs the CLI with `--client`.
 *
 *   PULUMI=.engine/bin/pulumi npx tsx scripts/record-preview-json.ts > tests/fixtures/pulumi-preview/preview.json
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
// Not public API (and not in the type declarations): the language server Stack.preview starts for inline programs.
const { LanguageServer } = require("@pulumi/pulumi/automation/server") as { LanguageServer: new (program: () => Promise<Record<string, unknown>>) => object };
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "fixture-id", outs: { ...inputs, length: String(inputs.text ?? "").length } };
  },
};

class Text extends pulumi.dynamic.Resource {
  declare readonly length: pulumi.Output<number>;
  constructor(name: string, text: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { text, length: undefined }, opts);
  }
}

class Box extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("fixture:index:Box", name, {}, opts);
    const first = new Text(`${name}-first`, "hello", { parent: this });
    new Text(`${name}-second`, first.length.apply((n) => `length ${n}`), { parent: this });
    this.registerOutputs({});
  }
}

async function main(): Promise<void> {
  const pulumiBin = path.resolve(process.env.PULUMI ?? "pulumi");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-json-"));
  const env = { ...process.env, PULUMI_BACKEND_URL: `file://${dir}`, PULUMI_CONFIG_PASSPHRASE: "fixture", PULUMI_SKIP_UPDATE_CHECK: "1", PATH: `${path.dirname(pulumiBin)}:${process.env.PATH}` };
  Object.assign(process.env, env);
  try {
    const program = async () => {
      new Box("box");
      return { greeting: "hello" };
    };
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", projectName: "fixture", program }, { workDir: dir, envVars: env });
    const server = new grpc.Server();
    server.addService(langrpc.LanguageRuntimeService, new LanguageServer(program) as any);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    try {
      // Asynchronous: the language server answers the CLI from this process's event loop.
      const { stdout } = await promisify(execFile)(pulumiBin, ["preview", "--json", "--stack", stack.name, "--non-interactive", `--client=127.0.0.1:${port}`, "--exec-kind", "auto.inline"], { cwd: dir, env, encoding: "utf8" });
      process.stdout.write(stdout);
    } finally {
      server.forceShutdown();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
