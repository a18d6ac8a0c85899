import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

/** Type token prefix of every component in this project: `apim-aks-ai:<area>:<Name>`. */
export const TYPE_PREFIX = "apim-aks-ai";

/**
 * What every component takes, the way Azure Verified Modules do: where it lives and how it is tagged.
 * Components pass all three to every Azure child they create.
 */
export interface AzureScopeArgs {
  resourceGroupName: pulumi.Input<string>;
  location: pulumi.Input<string>;
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Where a component sends its platform logs and metrics, when it is asked to. */
export interface DiagnosticsArgs {
  /** Resource ID of the Log Analytics workspace. */
  workspaceId: pulumi.Input<string>;
}

/**
 * Sends all logs (category group `allLogs`) and metrics of a resource to Log Analytics, in resource-specific
 * tables where the service supports them.
 * https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
 */
export function addDiagnostics(
  name: string,
  resourceUri: pulumi.Input<string>,
  diagnostics: DiagnosticsArgs,
  opts: pulumi.CustomResourceOptions,
): monitor.DiagnosticSetting {
  return new monitor.DiagnosticSetting(
    `${name}-diag`,
    {
      name: "to-log-analytics",
      resourceUri,
      workspaceId: diagnostics.workspaceId,
      logAnalyticsDestinationType: "Dedicated",
      logs: [{ categoryGroup: "allLogs", enabled: true }],
      metrics: [{ category: "AllMetrics", enabled: true }],
    },
    opts,
  );
}
