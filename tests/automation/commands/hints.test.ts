/**
 * Every command the driver tells the user to run is one the CLI accepts: each hint is parsed by the CLI's
 * own parser (buildProgram) with the real option rules (resolveSelection, targetsFor), actions stubbed.
 */
import assert from "node:assert/strict";
import type { Command } from "commander";
import { buildProgram } from "../../../automation/cli";
import { resolveSelection } from "../../../automation/cli-common";
import { InterruptController } from "../../../automation/driver/interrupt/interrupt";
import { destroyHint, SWEEP_HINT, teardown } from "../../../automation/driver/lifecycle/orchestrate";
import { targetsFor } from "../../../automation/driver/lifecycle/session";
import { upHint } from "../../../automation/driver/stack/workspace";
import { MemoryStack } from "../driver/helpers/memory-stack";

/** Parses `line` ("scenarios destroy public --stack x") as the CLI would; throws what the user would see. */
async function parse(line: string): Promise<string> {
  const words = line.split(/\s+/);
  assert.equal(words[0], "scenarios", line);
  const program = buildProgram();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let ran = "";
  for (const cmd of program.commands as Command[]) {
    cmd.exitOverride();
    cmd.action(async (...args: unknown[]) => {
      const options = args[args.length - 2] as Record<string, unknown> & { config: string[] };
      if (cmd.name() !== "sweep") {
        const selection = resolveSelection(args[0] as string[], options);
        targetsFor(selection, options.stack as string | undefined);
        if (["destroy", "outputs", "verify"].includes(cmd.name()) && Object.keys(selection.overrides).length) throw new Error("--config refused");
      }
      ran = cmd.name();
    });
  }
  await program.parseAsync(words.slice(1), { from: "user" });
  return ran;
}

/** The `scenarios ...` commands quoted in a text. */
function quotedCommands(text: string): string[] {
  return [...text.matchAll(/"(scenarios [^"]+)"|`(scenarios [^`]+)`/g)].map((m) => m[1] ?? m[2]);
}

describe("automation/commands: every hint the driver prints is a valid command line", () => {
  it("the parser used here is strict: the old hint `scenarios destroy --stack public` is refused", async () => {
    await assert.rejects(parse("scenarios destroy --stack public"), /--stack names one stack|name a scenario/);
    assert.equal(await parse("scenarios destroy public --stack public-eph-1a2b3c --remove"), "destroy");
  });

  it("teardown's retry hints, for scenario stacks, other named stacks and ephemeral stacks", async () => {
    for (const [stack, remove] of [["public", false], ["mine", false], ["public-eph-1a2b3c", true]] as const) {
      const ctx = { progress: () => {}, interrupt: new InterruptController() };
      const report = await teardown(new MemoryStack(stack, [], { destroyFails: "InternalServerError" }), ctx, { scenario: "public", purge: false, remove });
      const hints = quotedCommands(report.leftovers.join("\n"));
      assert.ok(hints.length >= 2, report.leftovers.join("\n"));
      for (const h of hints) assert.ok(await parse(h), h);
      assert.ok(hints.includes(destroyHint(stack, "public", remove)));
    }
  });

  it("the hint after a second Ctrl-C (teardown abandoned) names the stack and parses", async () => {
    const interrupt = new InterruptController();
    interrupt.trigger();
    interrupt.trigger();
    const report = await teardown(new MemoryStack("public-eph-1a2b3c", []), { progress: () => {}, interrupt }, { scenario: "public", purge: true, remove: true });
    assert.equal(report.ok, false);
    assert.equal(report.destroy, undefined, "no destroy was started");
    assert.match(report.leftovers[0], /public-eph-1a2b3c remain \(teardown abandoned after a second Ctrl-C\)/);
    for (const h of quotedCommands(report.leftovers[0])) assert.ok(await parse(h), h);
  });

  it("a missing stack's hint, and sweep's", async () => {
    assert.equal(await parse(upHint("public", "public")), "up");
    assert.equal(await parse(upHint("mine", "internal")), "up");
    assert.equal(await parse(SWEEP_HINT), "sweep");
  });

  it("-c is not advertised where it is refused (destroy, outputs, verify), and is where it applies", async () => {
    const program = buildProgram();
    for (const cmd of program.commands as Command[]) {
      const help = cmd.helpInformation();
      const advertised = /-c, --config <key=value>/.test(help);
      assert.equal(advertised, ["plan", "up", "preview", "compare"].includes(cmd.name()), `${cmd.name()} --help`);
    }
    await assert.rejects(parse("scenarios destroy public -c apimSku=Premium"), /--config applies to up, preview and compare, not destroy|refused/);
  });
});
