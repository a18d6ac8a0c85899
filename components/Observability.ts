import * as pulumi from "@pulumi/pulumi";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";

export interface ObservabilityArgs extends AzureScopeArgs {
  workspaceName: pulumi.Input<string>;
  appInsightsName: pulumi.Input<string>;
  /** Log Analytics retention; 30 days is included in the PerGB2018 price. */
  retentionInDays?: number;
  /** Ingestion cap per day in GB (-1: none). Past it, ingestion stops until the next day. */
  dailyQuotaGb?: number;
}

/**
 * "Custom metrics with dimensions" (portal: Application Insights > Usage and estimated costs > Custom metrics),
 * which token metrics from APIM need in the metrics store, is the component property below. It is missing from
 * the Microsoft.Insights REST spec, so azure-native's `Component` cannot set it (pulumi/pulumi-azure-native#3545,
 * Azure/bicep-types-az#2048). Until it can, something outside this program must set it after `up`, for example
 * a GET and PUT of the component at this API version. Without it the metrics still arrive, dimensions included,
 * in the `customMetrics` log table; only the pre-aggregated metrics (metrics explorer, metric alerts) lose them.
 * https://learn.microsoft.com/azure/azure-monitor/app/pre-aggregated-metrics-log-metrics#custom-metrics-dimensions-and-pre-aggregation
 */
export const CUSTOM_METRICS_WITH_DIMENSIONS = { property: "CustomMetricsOptedInType", value: "WithDimensions", apiVersion: "2020-02-02" } as const;

/** A Log Analytics workspace for every component's logs and a workspace-based Application Insights for APIM. */
export class Observability extends pulumi.ComponentResource {
  /** Name of the Log Analytics workspace. */
  readonly resourceName: pulumi.Output<string>;
  /** Resource ID of the Log Analytics workspace. */
  readonly resourceId: pulumi.Output<string>;
  /** The workspace's GUID, as queries and agents name it. */
  readonly workspaceCustomerId: pulumi.Output<string>;
  readonly appInsightsId: pulumi.Output<string>;
  readonly appInsightsName: pulumi.Output<string>;
  /** Secret: it carries the instrumentation key. */
  readonly appInsightsConnectionString: pulumi.Output<string>;
  /** Pass to other components so that they send their resource logs here. */
  readonly diagnostics: DiagnosticsArgs;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:monitoring:Observability`, name, {}, opts);
    const parent = { parent: this };

    const workspace = new operationalinsights.Workspace(
      `${name}-workspace`,
      {
        workspaceName: args.workspaceName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        sku: { name: "PerGB2018" },
        retentionInDays: args.retentionInDays ?? 30,
        // https://learn.microsoft.com/azure/azure-monitor/logs/daily-cap
        workspaceCapping: args.dailyQuotaGb === undefined ? undefined : { dailyQuotaGb: args.dailyQuotaGb },
      },
      parent,
    );

    // Workspace-based: classic (standalone) Application Insights is retired.
    // https://learn.microsoft.com/azure/azure-monitor/app/convert-classic-resource
    const appInsights = new applicationinsights.Component(
      `${name}-appinsights`,
      {
        resourceName: args.appInsightsName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        kind: "web",
        applicationType: "web",
        workspaceResourceId: workspace.id,
        ingestionMode: "LogAnalytics",
      },
      parent,
    );

    this.resourceName = workspace.name;
    this.resourceId = workspace.id;
    this.workspaceCustomerId = workspace.customerId;
    this.appInsightsId = appInsights.id;
    this.appInsightsName = appInsights.name;
    this.appInsightsConnectionString = pulumi.secret(appInsights.connectionString);
    this.diagnostics = { workspaceId: workspace.id };

    this.registerOutputs({
      resourceName: this.resourceName,
      resourceId: this.resourceId,
      workspaceCustomerId: this.workspaceCustomerId,
      appInsightsId: this.appInsightsId,
      appInsightsName: this.appInsightsName,
      appInsightsConnectionString: this.appInsightsConnectionString,
      diagnostics: this.diagnostics,
    });
  }
}
