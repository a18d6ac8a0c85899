/**
 * Deploy-time step of AksCluster (a Pulumi local command): waits until the identity of `az login` may create
 * namespaces in the new cluster. Reads the kubeconfig from AKS_KUBECONFIG (a Pulumi secret in the command's
 * environment, never on disk). See components/aks-access.ts.
 */
import { clusterEndpoint, kubeloginToken, reviewAccess, waitForAccess } from "../components/aks-access";
import { realClock, requiredEnv, runStep } from "./deploy-step";

async function main(): Promise<void> {
  const endpoint = clusterEndpoint(requiredEnv("AKS_KUBECONFIG"));
  await waitForAccess({ review: async () => reviewAccess(endpoint, await kubeloginToken()), ...realClock });
}

runStep(main);
