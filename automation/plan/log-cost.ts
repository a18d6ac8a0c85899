/**
 * The Log Analytics line of the cost table (issue 19 item 4): ingestion is billed per GB, so it is a usage
 * line, but the workspace's daily cap (workspaceCapping.dailyQuotaGb) gives the month a ceiling a lab can
 * plan with: cap × days × price per GB. It is approximate: "The daily cap can't stop data collection at
 * precisely the specified cap level and some excess data is expected ... it's still billed", and since late
 * 2024 the cap may not trigger at all (https://learn.microsoft.com/azure/azure-monitor/logs/daily-cap).
 * The workspace's cap also bounds workspace-based Application Insights ("the effective daily cap is the
 * minimum of the two settings", same page). The 5 GB free a month is per billing account, so the ceiling
 * does not subtract it. Pure.
 */
export interface LogIngestionLine {
  /** GB a month at the cap; undefined without a cap. */
  gbAtCap?: number;
  /** USD a month at the cap; undefined without a cap or without a price. */
  usdAtCap?: number;
  basis: string;
}

export function logIngestion(dailyQuotaGb: unknown, usdPerGb: number | undefined, hoursPerMonth: number, basis: string): LogIngestionLine {
  const cap = typeof dailyQuotaGb === "number" ? dailyQuotaGb : Number(dailyQuotaGb);
  if (!Number.isFinite(cap) || cap <= 0) return { basis: `${basis}; no daily cap, so no ceiling` };
  const gb = Math.round(((cap * hoursPerMonth) / 24) * 10) / 10;
  if (usdPerGb === undefined) return { gbAtCap: gb, basis: `${basis}; daily cap ${cap} GB: at most about ${gb} GB a month` };
  const usd = Math.round(gb * usdPerGb * 100) / 100;
  return {
    gbAtCap: gb,
    usdAtCap: usd,
    basis: `${basis}; daily cap ${cap} GB: about ${gb} GB and $${usd.toFixed(2)} a month at most if every day reaches it (the cap is approximate; the free 5 GB is per billing account)`,
  };
}
