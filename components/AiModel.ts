import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as cognitiveservices from "@pulumi/azure-native/cognitiveservices";
import * as network from "@pulumi/azure-native/network";
import { addDiagnostics, type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";
import { DEBUG_PUBLIC_ACCESS_TAG, DEBUG_PUBLIC_ACCESS_VALUE, ipRuleValues } from "./model-path";
import { assignRole, COGNITIVE_SERVICES_OPENAI_USER } from "./roles";
import { apiVersionFor, modelFamily, type TokenParameter, tokenParameterFor } from "../config/models";

export type DeploymentSku = "GlobalStandard" | "DataZoneStandard" | "Standard";

export interface AiModelArgs extends AzureScopeArgs {
  /** Name of the Azure OpenAI account, also its custom subdomain (`https://<name>.openai.azure.com/`). */
  accountName: pulumi.Input<string>;
  modelName: string;
  modelVersion: string;
  /** Deployment type; each has its own quota per region. https://learn.microsoft.com/azure/ai-foundry/openai/how-to/deployment-types */
  deploymentSku: DeploymentSku;
  /** Thousands of tokens per minute, counted against the subscription's regional quota for model and SKU. */
  capacity: number;
  diagnostics?: DiagnosticsArgs;
  /** Overrides what the model's family decides (config `openAiTokenParameter`, `openAiApiVersion`). */
  tokenParameter?: TokenParameter;
  apiVersion?: string;
  /**
   * Who may reach the account over the network; everyone else is refused (default action Deny). Entra ID
   * is still required of those admitted.
   */
  network: AiModelNetworkArgs;
  /** A private endpoint in the VNet; with it the public endpoint is off unless `keepPublicAccess`. */
  privateEndpoint?: AiModelPrivateEndpointArgs;
  /**
   * `false`: the account without a deployment, for workshop attendees who each deploy their own
   * (`modelDeployment` with `ExistingModel`, scenarios/workshop.ts). Default true.
   */
  deploy?: boolean;
}

/** What the AI API and its identity need of a model: where to call it, how, and a way to be allowed to. */
export interface ModelAccess {
  readonly endpoint: pulumi.Output<string>;
  /** Undefined where the account has no deployment of its own (`deploy: false`). */
  readonly deploymentName: pulumi.Output<string | undefined>;
  readonly tokenParameter: TokenParameter;
  readonly apiVersion: string;
  grantInference(name: string, principalId: pulumi.Input<string>): authorization.RoleAssignment;
}

/** The deployment a caller of the model must name; fails where the model was built without one. */
export function requiredDeploymentName(model: Pick<ModelAccess, "deploymentName">): pulumi.Output<string> {
  return model.deploymentName.apply((d) => {
    if (!d) throw new Error("the model account has no deployment here: callers need a ModelAccess with one (deploy: false leaves it to workshop attendees)");
    return d;
  });
}

export type ModelDeploymentArgs = Pick<AiModelArgs, "resourceGroupName" | "tags" | "modelName" | "modelVersion" | "deploymentSku" | "capacity"> & {
  accountName: pulumi.Input<string>;
  /** Defaults to the model's name. */
  deploymentName?: pulumi.Input<string>;
};

/** One model deployment on an account; quota errors surface here (explainDeploymentError names the setting). */
export function modelDeployment(name: string, args: ModelDeploymentArgs, opts: pulumi.CustomResourceOptions): cognitiveservices.Deployment {
  return new cognitiveservices.Deployment(
    name,
    {
      accountName: args.accountName,
      resourceGroupName: args.resourceGroupName,
      deploymentName: args.deploymentName ?? args.modelName,
      tags: args.tags,
      sku: { name: args.deploymentSku, capacity: args.capacity },
      properties: {
        model: { format: "OpenAI", name: args.modelName, version: args.modelVersion },
        // Keep the configured version until Azure retires it, rather than move when a new default appears.
        // https://learn.microsoft.com/azure/ai-services/openai/how-to/working-with-models#model-deployment-upgrade-configuration
        versionUpgradeOption: "OnceCurrentVersionExpired",
      },
    },
    opts,
  );
}

export interface AiModelPrivateEndpointArgs {
  /** The private endpoints' subnet. */
  subnetId: pulumi.Input<string>;
  /** Region of the VNet, which the endpoint must share; the account may live elsewhere. */
  location: pulumi.Input<string>;
  /** The `privatelink.openai.azure.com` zone linked to the VNet (OPENAI_PRIVATE_LINK_ZONE). */
  privateDnsZoneId: pulumi.Input<string>;
  /** Config `openAiPublicNetworkAccess`: keep the public endpoint, behind the firewall, for debugging. */
  keepPublicAccess?: boolean;
}

export { DEBUG_PUBLIC_ACCESS_TAG, DEBUG_PUBLIC_ACCESS_VALUE } from "./model-path";

/**
 * Public endpoint on or off: off once a private endpoint exists, unless kept for debugging. With it off the
 * account answers only through its private endpoints and refuses every public call, whatever the firewall
 * rules say. https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks#use-private-endpoints
 */
export function publicNetworkAccessFor(privateEndpoint?: Pick<AiModelPrivateEndpointArgs, "keepPublicAccess">): "Enabled" | "Disabled" {
  return privateEndpoint && !privateEndpoint.keepPublicAccess ? "Disabled" : "Enabled";
}

export interface AiModelNetworkArgs {
  /** Public addresses or ranges (CIDR) admitted, e.g. APIM's outbound addresses. */
  ipRanges: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnets admitted through the Microsoft.CognitiveServices service endpoint, e.g. the AKS nodes' subnet. */
  subnetIds: pulumi.Input<string>[];
}

/**
 * The account's firewall: deny by default, admit the given addresses and subnets, and no bypass for
 * "trusted Azure services" (nothing here needs it). An IP rule takes an address or a CIDR range; a virtual
 * network rule needs the subnet's Microsoft.CognitiveServices service endpoint, and with
 * `ignoreMissingVnetServiceEndpoint: false` ARM refuses the rule when it is missing rather than admit nothing.
 * https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks
 */
export function networkRules(ipRanges: readonly string[], subnetIds: readonly string[]) {
  return {
    defaultAction: "Deny" as const,
    bypass: "None" as const,
    ipRules: ipRuleValues(ipRanges).map((value) => ({ value })),
    virtualNetworkRules: subnetIds.map((id) => ({ id, ignoreMissingVnetServiceEndpoint: false })),
  };
}

/**
 * An Azure OpenAI account reachable only with Entra ID tokens, and one model deployment named after the model.
 * Inference rights are granted through `grantInference`, never with keys.
 */
export class AiModel extends pulumi.ComponentResource {
  /** Name of the Azure OpenAI account. */
  readonly resourceName: pulumi.Output<string>;
  /** Resource ID of the Azure OpenAI account. */
  readonly resourceId: pulumi.Output<string>;
  /** Object ID of the account's system-assigned identity. */
  readonly principalId: pulumi.Output<string>;
  /** `https://<accountName>.openai.azure.com/` */
  readonly endpoint: pulumi.Output<string>;
  /** The name clients put in `/openai/deployments/<name>/...`; undefined with `deploy: false`. */
  readonly deploymentName: pulumi.Output<string | undefined>;
  /** The output-token limit the model takes: `max_completion_tokens` for reasoning models. */
  readonly tokenParameter: TokenParameter;
  /** The data-plane api-version the AI API uses with this model. */
  readonly apiVersion: string;

  constructor(name: string, args: AiModelArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:ai:AiModel`, name, {}, opts);
    const parent = { parent: this };

    // Deleting the account soft-deletes it: creating the same name again fails until it is purged, which the
    // Automation API layer does for ephemeral stacks. https://learn.microsoft.com/azure/ai-services/recover-purge-resources
    const debugPublic = args.privateEndpoint?.keepPublicAccess === true;
    const account = new cognitiveservices.Account(
      name,
      {
        accountName: args.accountName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: debugPublic ? pulumi.output(args.tags).apply((t) => ({ ...t, [DEBUG_PUBLIC_ACCESS_TAG]: DEBUG_PUBLIC_ACCESS_VALUE })) : args.tags,
        kind: "OpenAI",
        sku: { name: "S0" },
        identity: { type: "SystemAssigned" },
        properties: {
          // Entra ID tokens are accepted only on a custom subdomain endpoint.
          // https://learn.microsoft.com/azure/ai-services/authentication#authenticate-with-microsoft-entra-id
          customSubDomainName: args.accountName,
          // No keys: every caller needs a role assignment. https://learn.microsoft.com/azure/ai-services/disable-local-auth
          disableLocalAuth: true,
          // Without a private endpoint: public, but only the admitted addresses and subnets reach it (networkAcls).
          // The rules stay with one too, in force whenever the public endpoint is kept for debugging.
          publicNetworkAccess: publicNetworkAccessFor(args.privateEndpoint),
          networkAcls: pulumi
            .all([pulumi.output(args.network.ipRanges), pulumi.all(args.network.subnetIds)])
            .apply(([ips, subnets]) => networkRules(ips, subnets)),
        },
      },
      parent,
    );

    const deployment = args.deploy === false ? undefined : modelDeployment(`${name}-deployment`, { ...args, accountName: account.name }, parent);

    if (args.diagnostics) addDiagnostics(name, account.id, args.diagnostics, parent);

    if (args.privateEndpoint) {
      // Group ID `account` for an Azure AI services / OpenAI account; the zone group writes the endpoint's A
      // record into the privatelink zone and removes it with the endpoint.
      // https://learn.microsoft.com/azure/private-link/private-endpoint-overview#private-link-resource
      // https://learn.microsoft.com/azure/private-link/private-endpoint-dns#ai--machine-learning
      const pe = new network.PrivateEndpoint(
        `${name}-pe`,
        {
          resourceGroupName: args.resourceGroupName,
          location: args.privateEndpoint.location,
          tags: args.tags,
          privateEndpointName: pulumi.interpolate`pe-${account.name}`,
          subnet: { id: args.privateEndpoint.subnetId },
          privateLinkServiceConnections: [{ name: "account", privateLinkServiceId: account.id, groupIds: ["account"] }],
        },
        parent,
      );
      new network.PrivateDnsZoneGroup(
        `${name}-pe-dns`,
        {
          resourceGroupName: args.resourceGroupName,
          privateEndpointName: pe.name,
          privateDnsZoneGroupName: "default",
          privateDnsZoneConfigs: [{ name: "openai", privateDnsZoneId: args.privateEndpoint.privateDnsZoneId }],
        },
        parent,
      );
    }

    const family = modelFamily(args.modelName, args.modelVersion);
    this.tokenParameter = args.tokenParameter ?? tokenParameterFor(family);
    this.apiVersion = args.apiVersion ?? apiVersionFor(family);
    this.resourceId = account.id;
    this.resourceName = account.name;
    this.principalId = account.identity.apply((i) => i?.principalId ?? "");
    this.endpoint = account.properties.apply((p) => p.endpoint);
    this.deploymentName = deployment ? deployment.name : pulumi.output(undefined);

    this.registerOutputs({
      resourceName: this.resourceName,
      resourceId: this.resourceId,
      principalId: this.principalId,
      endpoint: this.endpoint,
      deploymentName: this.deploymentName,
      tokenParameter: this.tokenParameter,
      apiVersion: this.apiVersion,
    });
  }

  /** Lets a managed identity call the model (Cognitive Services OpenAI User on this account only). */
  grantInference(name: string, principalId: pulumi.Input<string>): authorization.RoleAssignment {
    return assignRole(
      name,
      { scope: this.resourceId, roleGuid: COGNITIVE_SERVICES_OPENAI_USER, principalId, principalType: "ServicePrincipal" },
      { parent: this },
    );
  }
}

export interface ExistingModelArgs {
  /** Resource ID of an account another stack made (a workshop's shared stack). */
  accountId: pulumi.Input<string>;
  endpoint: pulumi.Input<string>;
  deploymentName: pulumi.Input<string>;
  modelName: string;
  modelVersion: string;
  tokenParameter?: TokenParameter;
  apiVersion?: string;
}

/**
 * An account this stack did not create, seen as a `ModelAccess`: its role grants are this stack's, parented
 * to the component given (a workshop attendee's; docs/workshop.md).
 */
export class ExistingModel implements ModelAccess {
  readonly endpoint: pulumi.Output<string>;
  readonly deploymentName: pulumi.Output<string | undefined>;
  readonly tokenParameter: TokenParameter;
  readonly apiVersion: string;
  readonly #accountId: pulumi.Input<string>;
  readonly #parent: pulumi.Resource;

  constructor(args: ExistingModelArgs, parent: pulumi.Resource) {
    const family = modelFamily(args.modelName, args.modelVersion);
    this.endpoint = pulumi.output(args.endpoint);
    this.deploymentName = pulumi.output(args.deploymentName);
    this.tokenParameter = args.tokenParameter ?? tokenParameterFor(family);
    this.apiVersion = args.apiVersion ?? apiVersionFor(family);
    this.#accountId = args.accountId;
    this.#parent = parent;
  }

  /** Cognitive Services OpenAI User on the account, as `AiModel.grantInference`. */
  grantInference(name: string, principalId: pulumi.Input<string>): authorization.RoleAssignment {
    return assignRole(name, { scope: this.#accountId, roleGuid: COGNITIVE_SERVICES_OPENAI_USER, principalId, principalType: "ServicePrincipal" }, { parent: this.#parent });
  }
}

const QUOTA_DOC = "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/quota";
const MODELS_DOC = "https://learn.microsoft.com/azure/ai-foundry/openai/concepts/models";

/**
 * Turns Azure's model deployment errors into one line naming the configuration keys to change, or undefined
 * when the message is not one of them. Messages as Azure returns them, e.g. "InsufficientQuota: This operation
 * require 10 new capacity in quota Tokens Per Minute (thousands) - gpt-4o - GlobalStandard, which is bigger than
 * the current available capacity 0. ..." or "DeploymentModelNotSupported: The model 'Format: OpenAI, Name: x,
 * Version: y' of account deployment is not supported."
 */
export function explainDeploymentError(message: string): string | undefined {
  if (/InsufficientQuota|bigger than (the current )?available capacity/i.test(message)) {
    const available = /available capacity '?(\d+)'?/i.exec(message)?.[1];
    const room = available === undefined ? "" : ` (${available}K tokens per minute left)`;
    return (
      `Azure OpenAI quota is too small for this deployment${room}: lower openAiModelCapacity, ` +
      `or use another region (openAiLocation) or deployment type (openAiDeploymentSku), which have their own quota; ` +
      `or request more quota. ${QUOTA_DOC}`
    );
  }
  if (/specified (SKU|scale type) '?([\w-]+)'? .*not supported/i.test(message)) {
    return (
      `This model and version cannot be deployed with this deployment type here: change openAiDeploymentSku, ` +
      `or openAiLocation, or openAiModelName/openAiModelVersion. ${MODELS_DOC}`
    );
  }
  if (
    /DeploymentModelNotSupported|ServiceModelDeprecated|(has been|is) deprecated|model .*(not found|does not exist|is not (available|supported))/i.test(
      message,
    )
  ) {
    return (
      `This model or version cannot be deployed in this region: check openAiModelName and openAiModelVersion ` +
      `against the models table, or pick another openAiLocation. ${MODELS_DOC}`
    );
  }
  return undefined;
}
