/** What the commands (automation/commands/*.ts) use of the driver; they load it with `loadDriver` (cli-common.ts). */
export { POLICY_DIR, REPORTS_DIR } from "./stack/env";
export { effectiveSettings, expiresAtFromNow } from "./stack/workspace";
export { errorText, firstLine } from "../shared/text";
export { type DriverContext, emitMessage, type LifecycleResult, runEphemeralLifecycle, runOperation, teardown } from "./lifecycle/orchestrate";
export { CommandFailed, type Driver, type DriverOptions, finish, forEachStack, printJson, table, type Target, targetsFor, validateTargets, withDriver } from "./lifecycle/session";
export { azureTargets, type AzureTarget } from "./preflight/preflight-azure";
export { describePurgeable } from "./cleanup/purge";
export { planEstimates, type EstimatesResult } from "./estimates/estimates";
export { type CompareEntry, type CompareReport, fileStamp, writeReportFiles } from "./report/report";
export { formatDuration } from "./report/timeline";
export { formatVerifyTable, type VerifyOptions, type VerifyReport } from "./verify/verify";
export { verifyStack, vnetOpener } from "./verify/verify-stack";
export { checkSharedStack, prepareWorkshop, refuseSharedStackDestroy, type StackResult, teardownWorkshop, updateRetrying, workshopStatus } from "./workshop/workshop";
export { resultText } from "./workshop/retry";
export { statusDocument, statusSummary, statusTable } from "./workshop/status";

