/** Defaults the workshop estimate (workshop.ts) and `scenarios workshop` share; no imports, so the CLI loads it at once. */

/**
 * Attendee stacks deployed at once, in the estimate and in `scenarios workshop prepare`. A choice, not a
 * documented limit: each `pulumi up` is a CLI and a Node.js language host on the host's machine, and all of
 * them write to one subscription's Resource Manager.
 */
export const DEFAULT_CONCURRENCY = 5;
/** Hours the attendees use their stacks, when not given. */
export const DEFAULT_HOURS = 4;
