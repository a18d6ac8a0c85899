/**
 * Workshop mode (issue 17 part 3; docs/workshop.md): the host's `shared` stack builds a scenario's slow,
 * shareable parts once, and each attendee's stack reads them through a StackReference and builds only its own.
 * Both halves come from the scenario's traits and the same components as the whole scenario.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dns from "@pulumi/azure-native/dns";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as k8s from "@pulumi/kubernetes";
import { SHARED_OUTPUTS, sharedOutputProblems, sharedSecretProblem } from "../automation/plan/workshop-contract";
import { certificatePath } from "../config/certificates";
import { plannedIngressIp, publicIpFqdn, standardTags } from "../config/naming";
import { hasDedicatedOutboundAddresses } from "../config/rules";
import type { ApimSku, ScenarioConfig } from "../config/schema";
import { AiBackend } from "../components/AiBackend";
import { ExistingModel, modelDeployment } from "../components/AiModel";
import { GatewayApis, publicationIds } from "../components/ApiGateway";
import { ExistingIngress } from "../components/IngressController";
import { supportsPolicy } from "../components/policies";
import type { PrivateDnsZoneSpec } from "../components/PrivateDns";
import { AKS_CLUSTER_USER, AKS_RBAC_WRITER, assignRole } from "../components/roles";
import {
  admitsApimOnly,
  APIM_BACKEND_USERNAME,
  apimOnlySourceRanges,
  apimSourceAddresses,
  appImageFor,
  backendCredential,
  backendTrust,
  buildFoundation,
  buildGateway,
  buildKubernetesPlatform,
  gatewayPolicySettings,
  modelPrivateSubnetPrefix,
  NAMESPACES,
  probeSettings,
  ScenarioRoot,
  type ScenarioOutputs,
} from "./foundation";
import { gatewayPrivateEndpoint, privateDns } from "./build";
import { type Probe, probesFor } from "./probes";
import { gatewayReach, type ScenarioDefinition } from "./traits";

export type ModelSharing = "shared" | "per-attendee";

/**
 * One deployment for the room with a token limit per attendee subscription where the tier runs
 * azure-openai-token-limit (counted by `@(context.Subscription.Id)`, components/gateway-policies.ts); else a
 * deployment per attendee. https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy
 */
export function modelSharing(sku: ApimSku): ModelSharing {
  return supportsPolicy(sku, "azure-openai-token-limit") ? "shared" : "per-attendee";
}

/**
 * Settings an attendee stack must have as its shared stack has them: the model the shared deployment serves (a
 * per-attendee deployment copies it), and the subnets the attendee's NetworkPolicy, ingress admission and probes
 * name. `workshop prepare` gives every stack of the room the same settings; `up --shared` only those typed, so
 * the shared stack exports these (`roomSettings`) and an attendee stack that differs refuses to start.
 */
export const ROOM_SETTINGS = [
  "openAiModelName",
  "openAiModelVersion",
  "openAiTokenParameter",
  "openAiApiVersion",
  "privateEndpointSubnetPrefix",
  "aksSubnetPrefix",
  "apimSharedSourceRanges",
] as const satisfies readonly (keyof ScenarioConfig)[];

export function roomSettings(config: ScenarioConfig): Record<string, unknown> {
  return Object.fromEntries(ROOM_SETTINGS.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

/** Each room setting the attendee's config has otherwise than the shared stack's `roomSettings` (none if it exports none). */
export function roomSettingMismatches(config: ScenarioConfig, shared: unknown): string[] {
  if (!shared || typeof shared !== "object") return [];
  const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return ROOM_SETTINGS.flatMap((k) => {
    const theirs = (shared as Record<string, unknown>)[k];
    const ours = config[k];
    if (JSON.stringify(theirs ?? null) === JSON.stringify(ours ?? null)) return [];
    const here = ours === undefined ? "not set here" : `${text(ours)} here`;
    const fix = theirs === undefined ? `leave ${k} unset on the attendee stack` : `give the attendee stack --config ${k}=${text(theirs)}`;
    return [`${k} is ${theirs === undefined ? "not set" : text(theirs)} on the shared stack and ${here}: ${fix}`];
  });
}

/** The attendee's namespace on the shared cluster. */
export const attendeeNamespace = (attendee: string) => `ai-${attendee}`;

/** The attendee's deployment on the shared account, where attendees do not share one. */
export const attendeeDeploymentName = (modelName: string, attendee: string) => `${modelName}-${attendee}`;

/**
 * The host's stack: the scenario without what each attendee makes (product, APIs and subscription; the AI API
 * workload with its identity and inference role; the deployment where attendees make their own), exporting
 * SHARED_OUTPUTS. Attendees' hosts are `<attendee>.<backendDomain>`, each with its own DNS record (attendee
 * side) pointing at `ingressTarget`.
 */
export function buildShared(definition: ScenarioDefinition, config: ScenarioConfig, stack: string): ScenarioOutputs {
  const sharing = modelSharing(config.apimSku);
  const f = buildFoundation(config, stack, definition, { deployModel: sharing === "shared" });
  const platform = buildKubernetesPlatform(f);
  const ca = platform.certManager.caCertificatePem;

  let backendDomain: pulumi.Output<string>;
  let ingressTarget: pulumi.Output<string>;
  let backendZone: PrivateDnsZoneSpec | undefined;
  if (f.traits.publicIngress) {
    // Attendees' CNAMEs go in the user's zone under the load balancer's label (config/workshop-rules.ts).
    backendDomain = f.names.apply((n) => `${n.ingressDnsLabel}.${config.ingressDomain!}`);
    ingressTarget = f.names.apply((n) => publicIpFqdn(n.ingressDnsLabel, config.location));
  } else {
    backendDomain = f.names.apply((n) => n.privateZone);
    ingressTarget = pulumi.output(plannedIngressIp(config.ingressSubnetPrefix));
    backendZone = { key: "backend", zoneName: backendDomain, records: [] };
  }
  const gateway = buildGateway(f, {
    // Unused without the APIs: each attendee's API calls https://<attendee>.<backendDomain>.
    aiApiBackendUrl: pulumi.interpolate`https://${backendDomain}`,
    ...backendTrust(config.apimSku, ca !== undefined, ca),
    publishApis: false,
  });
  // The gateway's inbound private endpoint belongs to the service, so the half that owns the service builds it.
  if (config.integratedPrivateGateway) gatewayPrivateEndpoint(f, gateway);
  privateDns(f, backendZone, gatewayReach(f.traits) === "vnet" ? gateway : undefined);

  const outputs: ScenarioOutputs = {
    topology: config.scenario,
    resourceGroupName: f.resourceGroupName,
    location: config.location,
    apimServiceName: gateway.resourceName,
    apimSku: config.apimSku,
    apimGatewayUrl: gateway.gatewayUrl,
    apimLoggerId: gateway.loggerId,
    logAnalyticsWorkspaceId: pulumi.output(f.observability.diagnostics.workspaceId),
    aksClusterName: f.aks.resourceName,
    aksClusterId: f.aks.resourceId,
    aksOidcIssuerUrl: f.aks.oidcIssuerUrl,
    kubeconfig: pulumi.secret(f.aks.kubeconfig),
    ingressClassName: pulumi.output(platform.ingress.ingressClassName),
    clusterIssuerName: pulumi.output(platform.certManager.issuerName),
    backendDomain,
    ingressTarget,
    appImage: pulumi.output(appImageFor(f)),
    openAiAccountName: f.model.resourceName,
    openAiAccountId: f.model.resourceId,
    openAiEndpoint: f.model.endpoint,
    modelSharing: sharing,
    ...(sharing === "shared" ? { modelDeploymentName: f.model.deploymentName } : {}),
    apimOutboundAddresses: hasDedicatedOutboundAddresses(config.apimSku) ? apimSourceAddresses(config, gateway) : pulumi.output([]),
    roomSettings: pulumi.output(roomSettings(config)),
  };
  f.root.complete(outputs);
  return outputs;
}

export type SharedValues = Record<string, { value: unknown; secret: boolean }>;

/**
 * Why an attendee stack of `scenario` refuses these shared outputs, or nothing: a secret it cannot decrypt
 * (another passphrase), a shared stack of another topology, an output missing.
 */
export function sharedStackRefusals(scenario: string, outputs: SharedValues): string[] {
  const problems: string[] = [];
  for (const o of SHARED_OUTPUTS.filter((s) => s.secret)) {
    const problem = outputs[o.name] ? sharedSecretProblem(o.name, outputs[o.name].value) : undefined;
    if (problem) problems.push(problem);
  }
  const topology = outputs.topology?.value;
  if (topology !== undefined && topology !== scenario) {
    problems.push(`the shared stack built the ${String(topology)} scenario, not ${scenario}: an attendee stack reads the shared stack of its own scenario`);
  }
  if (problems.length) return problems;
  return sharedOutputProblems(outputs);
}

async function readShared(reference: pulumi.StackReference): Promise<SharedValues> {
  const entries = await Promise.all(
    SHARED_OUTPUTS.map(async (o) => {
      const details = await reference.getOutputDetails(o.name);
      const secret = "secretValue" in details && details.secretValue !== undefined;
      return [o.name, { value: secret ? details.secretValue : details.value, secret }] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * One attendee's stack: reads `sharedStack` and refuses it (before creating anything) when it cannot use it;
 * then its product, APIs and subscription on the shared APIM service, its AI API in `ai-<attendee>` on the
 * shared cluster with its own identity and inference role, its host's DNS record, its own deployment where
 * the tier cannot limit tokens per subscription, and its group's Kubernetes roles on its namespace.
 */
export async function buildAttendee(definition: ScenarioDefinition, config: ScenarioConfig, stack: string): Promise<ScenarioOutputs> {
  const attendee = config.attendee!;
  const traits = definition.traits;
  const root = new ScenarioRoot(config.scenario);
  const parent = { parent: root };
  const reference = new pulumi.StackReference("shared", { name: config.sharedStack! }, parent);
  const shared = await readShared(reference);
  const refusals = sharedStackRefusals(config.scenario, shared);
  if (refusals.length) throw new pulumi.RunError(`shared stack ${config.sharedStack}: ${refusals.join("; ")}`);
  const mismatches = roomSettingMismatches(config, (await reference.getOutputDetails("roomSettings")).value);
  if (mismatches.length) throw new pulumi.RunError(`shared stack ${config.sharedStack}: ${mismatches.join("; ")}`);
  const text = (key: string) => String(shared[key].value);

  const tags = standardTags(config, stack);
  const resourceGroupName = text("resourceGroupName");
  const location = text("location");
  const sku = text("apimSku") as ApimSku;
  const namespace = attendeeNamespace(attendee);
  // Signs in like the shared stack's own provider: kubelogin with the Azure CLI session (components/AksCluster.ts).
  const provider = new k8s.Provider("shared-cluster", { kubeconfig: pulumi.secret(text("kubeconfig")), deleteUnreachable: true }, parent);

  const deploymentName =
    text("modelSharing") === "shared"
      ? text("modelDeploymentName")
      : modelDeployment(
          "model-deployment",
          {
            accountName: text("openAiAccountName"),
            resourceGroupName,
            tags,
            deploymentName: attendeeDeploymentName(config.openAiModelName, attendee),
            modelName: config.openAiModelName,
            modelVersion: config.openAiModelVersion,
            deploymentSku: config.openAiDeploymentSku,
            capacity: config.openAiModelCapacity,
          },
          parent,
        ).name;
  const model = new ExistingModel(
    {
      accountId: text("openAiAccountId"),
      endpoint: text("openAiEndpoint"),
      deploymentName,
      modelName: config.openAiModelName,
      modelVersion: config.openAiModelVersion,
      tokenParameter: config.openAiTokenParameter,
      apiVersion: config.openAiApiVersion,
    },
    root,
  );

  const host = hostRecord(config, traits.publicIngress, attendee, text("backendDomain"), text("ingressTarget"), resourceGroupName, root, stack);
  const credential = backendCredential({ traits, root });
  const apis = new GatewayApis(
    "gateway-apis",
    {
      resourceGroupName,
      serviceName: text("apimServiceName"),
      sku,
      policies: gatewayPolicySettings(config, credential ? `${attendee}-ingress-password` : undefined),
      aiApiBackendUrl: pulumi.interpolate`https://${host}`,
      // The private CA is the shared stack's: the attendee's APIs take only what the tier checks without it.
      aiApiBackendTls: backendTrust(sku, certificatePath(config, traits).path !== "letsencrypt").aiApiBackendTls,
      openAiEndpoint: text("openAiEndpoint"),
      backendPassword: credential?.result,
      attendee,
    },
    parent,
  );

  const sourceRanges = apimOnlySourceRanges(traits, sku, shared.apimOutboundAddresses.value as string[], config.apimSharedSourceRanges);
  const modelPrivateSubnet = modelPrivateSubnetPrefix(traits, config);
  new AiBackend(
    "ai-backend",
    {
      resourceGroupName,
      location,
      tags,
      provider,
      namespace,
      identityName: `id-${config.namePrefix}-${definition.short}-${attendee}-ai-api`,
      oidcIssuerUrl: text("aksOidcIssuerUrl"),
      model,
      modelPrivateSubnets: modelPrivateSubnet ? [modelPrivateSubnet] : undefined,
      image: text("appImage"),
      replicas: config.appReplicas,
      host,
      issuerName: text("clusterIssuerName"),
      ingress: new ExistingIngress(
        { namespace: NAMESPACES.ingress, ingressClassName: text("ingressClassName"), provider, websecureFromAllowListOnly: admitsApimOnly(traits), objectPrefix: attendee },
        root,
      ),
      admit: sourceRanges
        ? { sourceRanges, basicAuth: credential === undefined ? undefined : { username: APIM_BACKEND_USERNAME, passwordBcryptHash: credential.bcryptHash } }
        : undefined,
    },
    parent,
  );

  if (config.attendeeGroupObjectId) {
    // Writer on the namespace only, and the kubeconfig: no cluster-wide role (docs/workshop.md, "How attendees
    // are kept apart"). https://learn.microsoft.com/azure/aks/manage-azure-rbac#create-role-assignments-for-users-to-access-the-cluster
    const clusterId = text("aksClusterId");
    const group = { principalId: config.attendeeGroupObjectId, principalType: "Group" as const };
    assignRole("attendee-namespace-writer", { ...group, scope: `${clusterId}/namespaces/${namespace}`, roleGuid: AKS_RBAC_WRITER }, parent);
    assignRole("attendee-cluster-user", { ...group, scope: clusterId, roleGuid: AKS_CLUSTER_USER }, parent);
  }

  const ids = publicationIds(attendee);
  const gatewayUrl = text("apimGatewayUrl");
  const probes: pulumi.Output<Probe[]> = pulumi.all([host, deploymentName]).apply(([backendHost, deployment]) =>
    probesFor(
      probeSettings(config, traits, {
        apimSku: sku,
        gatewayUrl,
        paths: ids.paths,
        backendHost,
        openAiEndpoint: text("openAiEndpoint"),
        model: { deployment, apiVersion: model.apiVersion, tokenParameter: model.tokenParameter },
      }),
    ),
  );
  const outputs: ScenarioOutputs = {
    scenario: config.scenario,
    attendee,
    gatewayUrl: pulumi.output(gatewayUrl),
    apiBasePath: pulumi.output(ids.paths.ai),
    subscriptionKey: apis.subscriptionKey,
    openAiEndpoint: pulumi.output(text("openAiEndpoint")),
    backendHost: host,
    resourceGroupName: pulumi.output(resourceGroupName),
    namespace: pulumi.output(namespace),
    // Where `verify` runs the attendee's in-VNet probes: the shared cluster (automation/driver/verify/incluster.ts).
    aksClusterId: pulumi.output(text("aksClusterId")),
    probes,
  };
  root.complete(outputs);
  return outputs;
}

/**
 * The attendee's host and its DNS record: an A record in the shared private zone for an internal ingress, or a
 * CNAME in the user's zone to the load balancer's Azure name for a public one. The host resolves through the
 * record, so the certificate and the route wait for it.
 */
function hostRecord(
  config: ScenarioConfig,
  publicIngress: boolean,
  attendee: string,
  backendDomain: string,
  ingressTarget: string,
  resourceGroupName: string,
  root: ScenarioRoot,
  stack: string,
): pulumi.Output<string> {
  const host = `${attendee}.${backendDomain}`;
  if (publicIngress) {
    if (!config.ingressDomain || !backendDomain.endsWith(`.${config.ingressDomain}`)) {
      throw new pulumi.RunError(`the shared stack's backendDomain ${backendDomain} is not under ingressDomain ${config.ingressDomain}: give attendee stacks the shared stack's ingressDomain`);
    }
    const record = new dns.RecordSet(
      "ingress-host-cname",
      {
        resourceGroupName: config.ingressDomainResourceGroup!,
        zoneName: config.ingressDomain,
        relativeRecordSetName: host.slice(0, -(config.ingressDomain.length + 1)),
        recordType: "CNAME",
        ttl: 300,
        cnameRecord: { cname: ingressTarget },
        metadata: { scenario: config.scenario, stack },
      },
      { parent: root },
    );
    return record.id.apply(() => host);
  }
  const record = new privatedns.PrivateRecordSet(
    "ingress-host-a",
    { resourceGroupName, privateZoneName: backendDomain, relativeRecordSetName: attendee, recordType: "A", ttl: 300, aRecords: [{ ipv4Address: ingressTarget }] },
    { parent: root },
  );
  return record.id.apply(() => host);
}
