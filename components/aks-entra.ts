/**
 * Application ID of "Azure Kubernetes Service AAD Server" (AKS-managed Entra ID), the same in every tenant: the
 * audience of the tokens AKS accepts. Kept free of imports so the driver can read it without loading Pulumi.
 * https://azure.github.io/kubelogin/concepts/aks.html
 */
export const AKS_ENTRA_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";
