/**
 * The pack as the Pulumi CLI runs it: `pulumi-analyzer-policy` starts @pulumi/pulumi's run-policy-pack in the
 * pack's folder with the engine address and ".", and talks to the gRPC server the PolicyPack prints the port
 * of. This test does the same, with no CLI and no cloud, and then plays the engine's part: it asks for the
 * pack's description and sends one resource and one stack to analyze, secrets marked as the engine marks them.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { policies, POLICY_PACK_NAME } from "../../policy/policies";

const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

const ROOT = path.resolve(__dirname, "../..");
const PACK = path.join(ROOT, "policy");
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unary<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function resource(type: string, name: string, props: Record<string, unknown>): any {
  const r = new analyzerPb.AnalyzerResource();
  r.setType(type);
  r.setName(name);
  r.setUrn(`urn:pulumi:external::apim-aks-ai-scenarios::${type}::${name}`);
  r.setProperties(Struct.fromJavaScript(props as any));
  r.setOptions(new analyzerPb.AnalyzerResourceOptions());
  return r;
}

describe("policy pack under the CLI's loader", function () {
  this.timeout(60000);
  let child: ChildProcess | undefined;
  let client: any;
  let stderr = "";

  before(async () => {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK] });
    child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d) => (stderr += String(d)));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child!.stdout!.on("data", (d) => {
        out += String(d);
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child!.on("exit", (code) => reject(new Error(`the pack exited with ${code} before serving:\n${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close?.();
    if (child && child.exitCode === null) child.kill();
  });

  it("describes itself with every policy and its enforcement level", async () => {
    const info = await unary<any>(client, "getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), POLICY_PACK_NAME);
    assert.equal(info.getVersion(), require(path.join(PACK, "package.json")).version);
    const listed = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    const level = (l: string | undefined) => (l === "mandatory" ? analyzerPb.EnforcementLevel.MANDATORY : analyzerPb.EnforcementLevel.ADVISORY);
    assert.deepEqual(listed, policies.map((p) => [p.name, level(p.enforcementLevel)]));
  });

  it("checks a resource's inputs", async () => {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType("azure-native:network:NetworkSecurityGroup");
    req.setName("nsg");
    req.setUrn("urn:pulumi:external::apim-aks-ai-scenarios::azure-native:network:NetworkSecurityGroup::nsg");
    req.setProperties(
      Struct.fromJavaScript({
        securityRules: [{ name: "AllowSsh", access: "Allow", direction: "Inbound", protocol: "Tcp", sourceAddressPrefix: "Internet", destinationPortRange: "22", priority: 100 }],
      } as any),
    );
    req.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const res = await unary<any>(client, "analyze", req);
    const found = res.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0][0], "nsg-no-open-inbound");
    assert.equal(found[0][1], analyzerPb.EnforcementLevel.MANDATORY);
    assert.match(found[0][2], /port 22, SSH/);
  });

  it("sees which stack outputs the engine marked secret", async () => {
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList([
      resource("pulumi:pulumi:Stack", "apim-aks-ai-scenarios-external", {
        scenario: "external",
        subscriptionKey: { [SIG]: SECRET_SIG, value: "k3y-that-is-secret" },
        adminPassword: "hunter2",
      }),
    ]);
    const res = await unary<any>(client, "analyzeStack", req);
    const found = res.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getMessage()]);
    const secrets = found.filter(([p]: string[]) => p === "stack-outputs-secret");
    assert.deepEqual(secrets.map(([, m]: string[]) => /"(\w+)"/.exec(m)![1]), ["adminPassword"], JSON.stringify(found));
    assert.ok(!JSON.stringify(found).includes("k3y-that-is-secret"), "secret values never appear in messages");
    assert.equal(stderr.includes("Error"), false, stderr);
  });
});
