/**
 * The security invariants of every scenario, as a CrossGuard policy list. `index.ts` serves them as the policy
 * pack `apim-aks-ai-security`; `run.ts` runs them over the mock engine's graph (offline plan, tests). Mandatory
 * rules are what must never ship; advisory rules name what the `public` baseline knowingly lacks.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { azurePolicies } from "./azure";
import { edgePolicies } from "./edge";
import { exposurePolicies } from "./exposure";
import { kubernetesPolicies } from "./kubernetes";
import { modelPolicies } from "./model";
import { stackOutputsSecret } from "./outputs";

export const POLICY_PACK_NAME = "apim-aks-ai-security";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

export const policies: Policy[] = [...azurePolicies, ...kubernetesPolicies, stackOutputsSecret, ...exposurePolicies, ...modelPolicies, ...edgePolicies];

export function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}
