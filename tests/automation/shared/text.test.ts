import { strict as assert } from "node:assert";
import { errorText, escapeHtml, firstLine, moduleAndType, typeName } from "../../../automation/shared/text";

describe("automation/shared/text (helpers the plan and the driver share)", () => {
  it("names a type two ways, each under its own name: the last segment, and module with type", () => {
    assert.equal(typeName("azure-native:network:PublicIPAddress"), "PublicIPAddress");
    assert.equal(moduleAndType("azure-native:network:PublicIPAddress"), "network:PublicIPAddress");
    assert.equal(typeName("pulumi:pulumi:Stack"), "Stack");
    assert.equal(moduleAndType("custom"), "custom");
  });

  it("escapes markup and double quotes, and leaves apostrophes readable", () => {
    assert.equal(escapeHtml(`<a href="x">Tom & Jerry's</a>`), "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry's&lt;/a&gt;");
  });

  it("keeps the first non-blank line of an error, cut to the length asked for", () => {
    assert.equal(firstLine("\n  the stack is locked  \nsecond line"), "the stack is locked");
    assert.equal(firstLine(" \n "), "");
    assert.equal(firstLine("x".repeat(400)).length, 300);
    assert.equal(firstLine("y".repeat(200), 160), `${"y".repeat(157)}...`);
    assert.equal(errorText(new Error("boom\nstack")), "boom\nstack");
    assert.equal(errorText("plain"), "plain");
  });
});
