/**
 * Deploy-time step of AksCluster (a Pulumi local command): waits until the identity of `az login` may create
 * namespaces in the new cluster. Reads the kubeconfig from AKS_KUBECONFIG (a Pulumi secret in the command's
 * environment, never on disk). See components/aks-access.ts.
 */
import { clusterEndpoint, kubeloginToken, reviewAccess, waitForAccess } from "../components/aks-access";

async function main(): Promise<void> {
  const kubeconfig = process.env.AKS_KUBECONFIG;
  if (!kubeconfig) throw new Error("AKS_KUBECONFIG is not set");
  const endpoint = clusterEndpoint(kubeconfig);
  await waitForAccess({
    review: async () => reviewAccess(endpoint, await kubeloginToken()),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    log: (line) => console.log(line),
  });
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
