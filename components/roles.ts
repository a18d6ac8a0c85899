import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

/**
 * Built-in role definition IDs, the same in every subscription, each checked against Microsoft's
 * "Azure built-in roles" pages (the `name` of each role's JSON definition).
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */

/** Inference with Entra ID, no keys, no deployment management: least privilege for calling a model. */
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning#cognitive-services-openai-user
export const COGNITIVE_SERVICES_OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";

// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/networking#network-contributor
export const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";

/** Every Kubernetes resource in the cluster, through Azure RBAC for Kubernetes authorization. */
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers#azure-kubernetes-service-rbac-cluster-admin
export const AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

/**
 * Read and write of most objects in the namespace (or cluster) it is scoped to, no roles or role bindings:
 * a workshop attendee's rights on its own namespace, scoped to `<cluster id>/namespaces/<namespace>`.
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers#azure-kubernetes-service-rbac-writer
 * https://learn.microsoft.com/azure/aks/manage-azure-rbac#create-role-assignments-for-users-to-access-the-cluster
 */
export const AKS_RBAC_WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb";

/**
 * listClusterUserCredential only: fetches a kubeconfig, grants nothing inside the cluster.
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers#azure-kubernetes-service-cluster-user-role
 * https://learn.microsoft.com/azure/aks/control-kubeconfig-access
 */
export const AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f";

/** Pull images, nothing else. */
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers#acrpull
export const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

export type PrincipalType = "ServicePrincipal" | "User" | "Group";

export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

export interface RoleGrant {
  /** Resource ID the role applies to. */
  scope: pulumi.Input<string>;
  roleGuid: string;
  /** Object ID of the principal (for a managed identity, its principalId). */
  principalId: pulumi.Input<string>;
  /** Managed identities are service principals. */
  principalType: PrincipalType;
  /** A GUID; azure-native generates one when omitted. */
  roleAssignmentName?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
}

/**
 * Creates a role assignment the one way this project does it: role definition in the deploying subscription,
 * explicit principal type (the API defaults to `User`; for a service principal that can fail with
 * PrincipalNotFound while the new identity replicates in Entra ID).
 * https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal
 */
export function assignRole(name: string, grant: RoleGrant, opts: pulumi.CustomResourceOptions = {}): authorization.RoleAssignment {
  const subscriptionId = authorization.getClientConfigOutput({ parent: opts.parent, provider: opts.provider }).subscriptionId;
  return new authorization.RoleAssignment(
    name,
    {
      scope: grant.scope,
      roleDefinitionId: subscriptionId.apply((id) => roleDefinitionId(id, grant.roleGuid)),
      principalId: grant.principalId,
      principalType: grant.principalType,
      roleAssignmentName: grant.roleAssignmentName,
      description: grant.description,
    },
    opts,
  );
}
