/**
 * The policy pack the Pulumi CLI runs: `pulumi up --policy-pack policy` (see README.md). Constructing a
 * PolicyPack starts the analyzer's gRPC server, so nothing but the CLI (or tests/policy/pack.test.ts, which
 * starts it the same way) loads this file; everything else imports `policies.ts` or `run.ts`.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./policies";
import { trackSecretPaths } from "./secrets";

// Before the server exists: lets `stack-outputs-secret` see which stack outputs are secrets.
trackSecretPaths();

new PolicyPack(POLICY_PACK_NAME, {
  description: "Security invariants of the APIM + AKS + Azure OpenAI scenarios (public, external, internal, consumption).",
  policies,
});
