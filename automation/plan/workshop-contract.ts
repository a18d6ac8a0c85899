/**
 * The StackReference contract between a host's `shared` stack and the attendee stacks that read it (issue 17
 * part 3; docs/workshop.md). Pure data and checks: the scenarios export these outputs from the shared stack
 * and read them through `pulumi.StackReference` in each attendee stack.
 */

export interface SharedOutput {
  name: string;
  /** Exported with pulumi.secret: encrypted in the shared stack's state and secret in every stack reading it. */
  secret: boolean;
  /** What the attendee stack does with it. */
  use: string;
  /** Required only when another output has this value (the shared deployment exists only when shared). */
  onlyWhen?: { output: string; equals: string };
}

export const SHARED_OUTPUTS: readonly SharedOutput[] = [
  { name: "topology", secret: false, use: "the scenario the shared stack built; an attendee stack of another scenario refuses it" },
  { name: "resourceGroupName", secret: false, use: "where the attendee's Azure resources go" },
  { name: "location", secret: false, use: "region of the attendee's Azure resources" },
  { name: "apimServiceName", secret: false, use: "parent of the attendee's product, APIs, subscription and policies" },
  { name: "apimSku", secret: false, use: "product per attendee, or a workspace per attendee where the tier has workspaces" },
  { name: "apimGatewayUrl", secret: false, use: "base of the attendee's API URL" },
  { name: "apimLoggerId", secret: false, use: "the App Insights logger the attendee's API diagnostics write to" },
  { name: "logAnalyticsWorkspaceId", secret: false, use: "diagnostic settings of the attendee's resources" },
  { name: "aksClusterName", secret: false, use: "role assignments of the attendee's Entra group on its namespace" },
  { name: "aksOidcIssuerUrl", secret: false, use: "issuer of the attendee workload's federated identity credential" },
  { name: "kubeconfig", secret: true, use: "the attendee stack's Kubernetes provider (cluster address and CA; sign-in through Entra ID)" },
  { name: "ingressClassName", secret: false, use: "class of the attendee's Ingress (the shared Traefik)" },
  { name: "clusterIssuerName", secret: false, use: "issuer of the attendee's ingress certificate (the shared cert-manager)" },
  { name: "backendDomain", secret: false, use: "the attendee's ingress host is <attendee>.<backendDomain>" },
  { name: "appImage", secret: false, use: "the AI API image, built once into the shared registry" },
  { name: "openAiAccountName", secret: false, use: "scope of the attendee identity's inference role; parent of a per-attendee deployment" },
  { name: "openAiEndpoint", secret: false, use: "the AI API's model endpoint" },
  { name: "modelDeploymentName", secret: false, use: "the shared deployment, when attendees share one with a token limit each", onlyWhen: { output: "modelSharing", equals: "shared" } },
  // Added with the program (scenarios/workshop.ts): ids the attendee's role assignments are scoped to, the
  // target of its ingress host's DNS record, and whether it shares the deployment or makes its own.
  { name: "aksClusterId", secret: false, use: "scope of the attendee group's Kubernetes roles (<cluster id>/namespaces/ai-<attendee>)" },
  { name: "openAiAccountId", secret: false, use: "scope of the attendee identity's inference role" },
  { name: "ingressTarget", secret: false, use: "what the attendee's host record points to: the ingress's private address, or its Azure DNS name" },
  { name: "modelSharing", secret: false, use: "shared: one deployment, a token limit per subscription; per-attendee: each attendee deploys its own" },
  { name: "apimOutboundAddresses", secret: false, use: "addresses the attendee's ingress admits where only APIM may call it (empty on tiers without dedicated ones)" },
];

/** URL schemes of Pulumi's DIY (self-managed) backends. */
const DIY_SCHEMES = ["file:", "azblob:", "s3:", "gs:", "postgres:"];

/**
 * The name a StackReference takes for the shared stack. DIY backends (file, Azure Blob, S3, GCS) qualify
 * project-scoped stacks with the literal organization `organization`; Pulumi Cloud with the organization's
 * name. https://www.pulumi.com/docs/reference/pkg/nodejs/pulumi/pulumi/functions/automation.fullyQualifiedStackName.html
 */
export function sharedStackReference(backendUrl: string | undefined, project: string, stack: string, organization?: string): string {
  const diy = backendUrl !== undefined && DIY_SCHEMES.some((s) => backendUrl.startsWith(s));
  if (!diy && !organization) throw new Error(`the shared stack ${stack} is in Pulumi Cloud (${backendUrl ?? "default backend"}): name its organization`);
  return `${diy ? "organization" : organization}/${project}/${stack}`;
}

/** What is wrong with a shared stack's outputs: each missing output, and each secret one that is not secret. */
export function sharedOutputProblems(outputs: Record<string, { value: unknown; secret?: boolean }>): string[] {
  const problems: string[] = [];
  for (const o of SHARED_OUTPUTS) {
    const got = outputs[o.name];
    if (o.onlyWhen && outputs[o.onlyWhen.output]?.value !== o.onlyWhen.equals) continue;
    if (!got || got.value === undefined || got.value === null || got.value === "") problems.push(`the shared stack has no output ${o.name} (${o.use})`);
    else if (o.secret && !got.secret) problems.push(`the shared stack's output ${o.name} is not a secret`);
  }
  return problems;
}

/**
 * Why a secret output read through the StackReference is unusable, or undefined when it is a non-empty string.
 * A stack whose passphrase (or secrets provider) cannot decrypt the shared stack's secrets still deploys: the
 * engine hands it the secret as an empty object (seen on the engine, tests/engine/stack-reference.engine.ts),
 * so the attendee program checks each secret it reads.
 */
export function sharedSecretProblem(name: string, value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return undefined;
  return `the shared stack's secret output ${name} could not be read (${value === undefined ? "missing" : `got ${Array.isArray(value) ? "an array" : typeof value}`}): run the attendee stacks with the shared stack's passphrase or secrets provider`;
}
