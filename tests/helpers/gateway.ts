import { COMMON_DEFAULTS } from "../../config/defaults";
import type { GatewayPolicySettings } from "../../components/gateway-policies";

/** Policy settings for component tests of the gateway: the configuration's defaults. */
export const GATEWAY_POLICY_SETTINGS: GatewayPolicySettings = {
  corsAllowedOrigins: [...COMMON_DEFAULTS.corsAllowedOrigins],
  rateLimitCalls: COMMON_DEFAULTS.rateLimitCalls,
  rateLimitPeriodSeconds: COMMON_DEFAULTS.rateLimitPeriodSeconds,
  quotaCalls: COMMON_DEFAULTS.quotaCalls,
  quotaPeriodSeconds: COMMON_DEFAULTS.quotaPeriodSeconds,
  tokenLimitPerMinute: COMMON_DEFAULTS.tokenLimitPerMinute,
  metricNamespace: "ai-gateway",
};
