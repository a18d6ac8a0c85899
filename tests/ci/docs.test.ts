/**
 * docs/ci.md cannot drift from what it describes: every `scenarios` command in its shell blocks parses with the
 * CLI's program, the roles its RBAC condition allows are exactly the roles the program assigns
 * (components/roles.ts), and its relative links exist.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as roles from "../../components/roles";
import { expandPlaceholders, parseCli, scenariosArgs, shellPipelines } from "../docs/command-lines";

const ROOT = path.resolve(__dirname, "../..");
const DOC = path.join(ROOT, "docs", "ci.md");
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

const text = fs.readFileSync(DOC, "utf8");
const shellBlocks = [...text.matchAll(/^```bash\n([\s\S]*?)^```/gm)].map((m) => m[1]);

describe("docs/ci.md", () => {
  it("shows scenarios commands the CLI accepts", () => {
    const problems: string[] = [];
    let seen = 0;
    for (const block of shellBlocks) {
      // `<vault>` and other placeholders stand for a value.
      for (const pipeline of shellPipelines(block.replace(/<([A-Za-z][\w .:-]*)>/g, "__placeholder__"))) {
        for (const cmd of pipeline) {
          const invocation = scenariosArgs(cmd);
          if (!invocation) continue;
          seen++;
          if ("error" in invocation) problems.push(invocation.error);
          else for (const args of expandPlaceholders(invocation.args)) {
            const parsed = parseCli(args);
            if (!parsed.ok) problems.push(`scenarios ${args.join(" ")}: ${parsed.error}`);
          }
        }
      }
    }
    assert.ok(seen >= 4, `${seen} scenarios commands`);
    assert.deepEqual(problems, []);
  });

  it("lets the deployer assign exactly the roles components/roles.ts assigns", () => {
    const line = /^ROLES="([^"]+)"$/m.exec(text);
    assert.ok(line, "a ROLES=\"…\" line");
    const documented = new Set(line[1].match(GUID));
    const assigned = new Set(Object.values(roles as Record<string, unknown>).filter((v): v is string => typeof v === "string" && /^[0-9a-f-]{36}$/.test(v)));
    assert.ok(assigned.size >= 4, [...assigned].join(", "));
    assert.deepEqual([...documented].sort(), [...assigned].sort());
    assert.match(text, /--condition "\$CONDITION" --condition-version 2\.0/);
  });

  it("links only to files that exist", () => {
    const relative = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
    assert.ok(relative.length >= 8, relative.join(", "));
    const missing = relative.filter((rel) => !fs.existsSync(path.resolve(path.dirname(DOC), rel)));
    assert.deepEqual(missing, []);
  });
});
