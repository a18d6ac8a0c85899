/**
 * Which failed stack updates `workshop prepare` runs again, and when. Pure: workshop.ts runs the loop.
 *
 * In the tiers without a per-subscription token limit every attendee stack creates its own model deployment on
 * the ONE Azure OpenAI account the shared stack holds (scenarios/workshop.ts modelSharing). Cognitive Services
 * takes one operation at a time on an account: a second deployment created meanwhile fails with 409
 * RequestConflict "Another operation is being performed on the parent resource ... Please try again later."
 * (hashicorp/terraform-provider-azurerm#22607 and #22939, microsoft/aspire#3409, whose fix chains the
 * deployments one after another: microsoft/aspire#4022). pulumi-azure-native retries a 409 only when its code
 * is AnotherOperationInProgress (provider/pkg/azure/client_azcore.go, shouldRetryConflict), so the attendee's
 * update fails. Running that update again creates only what is missing (the deployment), once the account is
 * free: a bounded retry with backoff and jitter, rather than one attendee stack at a time for the whole room,
 * which would hold every attendee's APIM and Kubernetes parts behind the others' deployments.
 */

/** Why a failed update is worth running again; undefined when it is not. */
export interface RetryReason {
  code: string;
  /** Shown in the live display and the final table. */
  summary: string;
}

// azure-native's error text is `Status=409 Code="RequestConflict" Message="..."` (client_azcore.go,
// PulumiAzcoreResponseError.Error); ARM deployments print the JSON body, `"code":"RequestConflict"`.
// The portal and the Azure CLI end the message with `(Code: RequestConflict)`.
const CODE = /\bCode="RequestConflict"|"code"\s*:\s*"RequestConflict"|\(Code:\s*RequestConflict\)/i;
const PARENT_BUSY = /Another operation is being performed on the parent resource/i;

/**
 * Classifies a failed update from the engine's diagnostic text: retryable only for the account's one-operation
 * lock (the code and the message both), nothing else (quota, a bad request, an APIM conflict, a program error).
 */
export function retryReason(diagnostic: string | undefined): RetryReason | undefined {
  if (!diagnostic || !CODE.test(diagnostic) || !PARENT_BUSY.test(diagnostic)) return undefined;
  return { code: "RequestConflict", summary: "409 RequestConflict: another operation on the shared Azure OpenAI account" };
}

export interface RetryPolicy {
  /** Updates per stack in all, the first included. */
  attempts: number;
  /** The wait before the first retry; each next one doubles, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
}

/**
 * Five updates at most, waiting 30 s, 60 s, 120 s, 120 s (each cut by up to half at random). A model
 * deployment's create takes about a minute, so a room's waiting attendee stacks spread out and take turns;
 * one still failing after that is listed as failed, and running prepare again carries on.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 30_000, maxMs: 120_000 };

/**
 * The wait before retry number `retry` (1 for the first): exponential, capped, with "equal jitter" (half fixed,
 * half random) so that stacks refused at the same moment do not all come back at the same moment.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be a whole number of at least 1, not ${retry}`);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(1, Math.max(0, random())));
}

/** The live display's line for a retry about to wait. */
export function retryMessage(reason: RetryReason, attempt: number, policy: RetryPolicy, delayMs: number): string {
  return `${reason.summary}; update ${attempt + 1} of ${policy.attempts} in ${Math.round(delayMs / 1000)} s`;
}

/** Waits `ms`, or less when `signal` aborts (Ctrl-C); true when the wait ran to its end. */
export function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (full: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(full);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The RESULT cell of a stack in prepare's table: its status, and how many updates it took where more than one. */
export function resultText(r: { status: string; attempts?: number }): string {
  return r.attempts && r.attempts > 1 ? `${r.status} (${r.attempts} updates)` : r.status;
}
