/**
 * Workshop mode's foundation on the real engine (issue 17 part 3, docs/workshop.md): a host's shared stack
 * exports the contract of automation/plan/workshop-contract.ts, and two attendee stacks, deployed at the same
 * time, read it through a real `pulumi.StackReference`, the secret output staying secret on their side. The
 * cloud is the simulated one (tests/engine/simulated-cloud.ts); the engine, the file backend, the passphrase
 * secrets provider and the product's driver are real.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { removeShim } from "../../automation/driver/interrupt/shim";
import { runOperation, teardown } from "../../automation/driver/lifecycle/orchestrate";
import type { StackHandle } from "../../automation/driver/stack/types";
import { DriverWorkspace } from "../../automation/driver/stack/workspace";
import { sharedOutputProblems, sharedSecretProblem, sharedStackReference } from "../../automation/plan/workshop-contract";
import { CONFIG_NAMESPACE } from "../../config/load";
import { listStacks, openWorkspace, readStateFiles, recordingContext, simulated, simulatedSharedOutputs, type TestProject, testProject } from "./harness";
import { SIMULATED_PROJECT, SimulatedResource } from "./simulated-cloud";

/** The host's shared stack in small: an APIM service and a cluster, and every output of the contract. */
function sharedProgram(): PulumiFn {
  return async () => simulatedSharedOutputs("workshop", "public");
}

/**
 * An attendee stack: reads the shared stack named in its configuration and creates only its own parts,
 * checking each secret it reads as the contract says (`checkSecrets: false` shows what happens without).
 */
function attendeeProgram(options: { checkSecrets?: boolean } = {}): PulumiFn {
  return async () => {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const attendee = config.require("attendee");
    const shared = new pulumi.StackReference("shared", { name: config.require("sharedStack") });
    const api = new SimulatedResource(`${attendee}-api`, simulated("api", pulumi.interpolate`${shared.requireOutput("apimServiceName")}/apis/${attendee}`));
    new SimulatedResource(`${attendee}-namespace`, simulated("namespace", pulumi.interpolate`${shared.requireOutput("aksClusterName")}/namespaces/${attendee}`));
    return {
      apiUrl: pulumi.interpolate`${shared.requireOutput("apimGatewayUrl")}/${attendee}`,
      apiValue: api.value,
      kubeconfig: shared.requireOutput("kubeconfig").apply((value: unknown) => {
        const problem = options.checkSecrets === false ? undefined : sharedSecretProblem("kubeconfig", value);
        if (problem) throw new Error(problem);
        return value;
      }),
      sharedSecretNames: shared.secretOutputNames,
    };
  };
}

function workspace(project: TestProject, program: PulumiFn, env: Record<string, string> = {}): Promise<DriverWorkspace> {
  return openWorkspace(project, { program, env });
}

describe("engine: workshop stacks (a shared stack read by two attendee stacks through a StackReference)", function () {
  let project: TestProject;
  const workspaces: DriverWorkspace[] = [];
  before(function () {
    if (process.env.SCENARIOS_ENGINE_SKIP) this.skip();
    project = testProject({ createSeconds: 0, deleteSeconds: 0 });
  });
  after(() => {
    for (const w of workspaces) if (w.shim) removeShim(w.shim);
    project?.cleanup();
  });

  it("two attendees deployed at once read the shared outputs, the kubeconfig secret on both sides; a missing shared stack fails clearly; all destroyed and removed", async () => {
    const host = await workspace(project, sharedProgram());
    const attendees = await workspace(project, attendeeProgram());
    workspaces.push(host, attendees);
    const ref = sharedStackReference(project.env.PULUMI_BACKEND_URL, SIMULATED_PROJECT, "workshop-shared");
    assert.equal(ref, `organization/${SIMULATED_PROJECT}/workshop-shared`);
    const ctx = recordingContext();
    const handles: StackHandle[] = [];
    const names = ["alice", "bob"];
    try {
      const shared = await host.prepare("workshop-shared", "public", {});
      handles.push(shared);
      const up = await runOperation(shared, "update", ctx, { scenario: "public" });
      assert.equal(up.result.status, "succeeded", up.result.error);
      const sharedOutputs = await shared.outputs();
      assert.deepEqual(sharedOutputProblems(sharedOutputs), []);
      const kubeconfig = String(sharedOutputs.kubeconfig.value);
      assert.match(kubeconfig, /^server: https:\/\/cluster\.simulated\.invalid\ntoken: sim-cluster-/);

      const mine = await Promise.all(names.map((attendee) => attendees.prepare(attendee, "public", { sharedStack: ref, attendee })));
      handles.push(...mine);
      const runs = await Promise.all(mine.map((h) => runOperation(h, "update", ctx, { scenario: "public" })));
      for (const run of runs) {
        assert.equal(run.result.status, "succeeded", run.result.error);
        // The stack and its own two resources, none of the shared stack's (the reference is read, not created).
        assert.equal(run.result.changes.create, 3, JSON.stringify(run.result.changes));
      }
      for (const [i, attendee] of names.entries()) {
        const out = await mine[i].outputs();
        assert.equal(out.apiUrl.value, `${sharedOutputs.apimGatewayUrl.value}/${attendee}`);
        assert.equal(out.apiValue.value, `${sharedOutputs.apimServiceName.value}/apis/${attendee}`);
        assert.equal(out.apiUrl.secret, false);
        assert.equal(out.kubeconfig.secret, true, "a secret output is secret in the stack that reads it");
        assert.equal(out.kubeconfig.value, kubeconfig);
        assert.deepEqual(out.sharedSecretNames.value, ["kubeconfig"]);
      }
      const state = readStateFiles(project.stateDir);
      assert.ok(state.includes("ciphertext"));
      assert.ok(!state.includes(kubeconfig.split("\n")[1]), "the kubeconfig's credential is in no stack's state in clear text");

      const stray = await attendees.prepare("carol", "public", { sharedStack: sharedStackReference(project.env.PULUMI_BACKEND_URL, SIMULATED_PROJECT, "no-such-host"), attendee: "carol" });
      handles.push(stray);
      const refused = await runOperation(stray, "update", recordingContext(), { scenario: "public" });
      assert.equal(refused.result.status, "failed");
      assert.match(refused.result.error ?? "", /no-such-host/, refused.result.error);
    } finally {
      // Attendees first: the shared stack goes last, as `scenarios workshop teardown` will do it.
      const order = [...handles.slice(1), ...handles.slice(0, 1)];
      for (const h of order) {
        const report = await teardown(h, recordingContext(), { scenario: "public", purge: false, remove: true });
        assert.deepEqual(report.leftovers, [], h.name);
        assert.equal(report.removed, true, h.name);
      }
    }
    const left = listStacks(project);
    for (const name of ["workshop-shared", ...names, "carol"]) assert.ok(!left.includes(name), `${name} removed: ${left.join(", ")}`);
  });

  it("an attendee stack without the shared stack's passphrase gets the plain outputs but not the secret, and the contract's check stops it", async () => {
    const host = await workspace(project, sharedProgram());
    const stranger = await workspace(project, attendeeProgram({ checkSecrets: false }), { PULUMI_CONFIG_PASSPHRASE: "another-passphrase-entirely" });
    const checked = await workspace(project, attendeeProgram(), { PULUMI_CONFIG_PASSPHRASE: "another-passphrase-entirely" });
    workspaces.push(host, stranger, checked);
    const ref = sharedStackReference(project.env.PULUMI_BACKEND_URL, SIMULATED_PROJECT, "workshop-shared-2");
    const handles: StackHandle[] = [];
    try {
      const shared = await host.prepare("workshop-shared-2", "public", {});
      handles.push(shared);
      const up = await runOperation(shared, "update", recordingContext(), { scenario: "public" });
      assert.equal(up.result.status, "succeeded", up.result.error);
      // Unchecked, the update succeeds and the secret is silently empty.
      const dan = await stranger.prepare("dan", "public", { sharedStack: ref, attendee: "dan" });
      handles.push(dan);
      const silent = await runOperation(dan, "update", recordingContext(), { scenario: "public" });
      assert.equal(silent.result.status, "succeeded", silent.result.error);
      const out = await dan.outputs();
      assert.equal(out.apiUrl.value, "https://service.simulated.invalid/dan", "plain outputs come through");
      assert.equal(out.kubeconfig.secret, true);
      assert.notEqual(typeof out.kubeconfig.value, "string", `the secret is not readable: ${JSON.stringify(out.kubeconfig.value)}`);
      // Checked as the contract says, the update fails and says why.
      const eve = await checked.prepare("eve", "public", { sharedStack: ref, attendee: "eve" });
      handles.push(eve);
      const refused = await runOperation(eve, "update", recordingContext(), { scenario: "public" });
      assert.equal(refused.result.status, "failed");
      assert.match(refused.result.error ?? "", /secret output kubeconfig could not be read .*shared stack's passphrase/, refused.result.error);
    } finally {
      for (const h of [...handles.slice(1), ...handles.slice(0, 1)]) {
        const report = await teardown(h, recordingContext(), { scenario: "public", purge: false, remove: true });
        assert.deepEqual(report.leftovers, [], h.name);
        assert.equal(report.removed, true, h.name);
      }
    }
    const left = listStacks(project);
    for (const name of ["workshop-shared-2", "dan", "eve"]) assert.ok(!left.includes(name), `${name} removed: ${left.join(", ")}`);
  });
});
