/**
 * Text helpers shared by the offline plan (automation/plan) and the driver (automation/driver): one place for
 * each, so the plan's page and the driver's reports escape, shorten and quote the same way.
 */

/**
 * Escapes text for HTML and SVG, in element content and in double-quoted attributes (the only quotes the plan's
 * page and the driver's reports write); an apostrophe stays as it is, so that the pages' text reads as written.
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The last segment of a Pulumi type token: `azure-native:network:PublicIPAddress` -> `PublicIPAddress`. */
export function typeName(type: string): string {
  return type.split(":").pop() ?? type;
}

/** Module and type of a Pulumi type token: `azure-native:apimanagement:ApiManagementService` -> `apimanagement:ApiManagementService`. */
export function moduleAndType(type: string): string {
  const parts = type.split(":");
  return parts.length >= 3 ? parts.slice(1).join(":") : type;
}

/** The name part of a URN: `urn:pulumi:stack::project::azure-native:network:VirtualNetwork::vnet` -> `vnet`. */
export function nameFromUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

/** The message of an error, or the text of anything else thrown. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The first non-blank line of a text, trimmed, cut to `max` characters ("" when there is none). */
export function firstLine(text: string, max = 300): string {
  const line = text.split("\n").map((l) => l.trim()).find(Boolean) ?? "";
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** Text for a Markdown table cell or list item: no pipes that would split the cell, no line breaks, no tags. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
