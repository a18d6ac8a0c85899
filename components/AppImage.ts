import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import { addDiagnostics, type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";
import { ACR_PULL, assignRole } from "./roles";

export interface AppImageArgs extends AzureScopeArgs {
  registryName: pulumi.Input<string>;
  /** Directory that holds `app/` and the lockfile: the build context. */
  projectDir: string;
  /** Principals that pull the image (the cluster's kubelet identity). */
  pullerPrincipalIds: pulumi.Input<string>[];
  diagnostics?: DiagnosticsArgs;
}

/** Files that go into the image (the build context the repository's .dockerignore leaves). */
export const IMAGE_INPUTS = ["package.json", "package-lock.json", "app/package.json", "app/tsconfig.build.json", "app/Dockerfile", "app/src"];

/** A tag derived from the image's inputs: the image is rebuilt exactly when they change. */
export function contentTag(projectDir: string, inputs: readonly string[] = IMAGE_INPUTS): string {
  const hash = crypto.createHash("sha256");
  const add = (rel: string) => {
    const full = path.join(projectDir, rel);
    if (fs.statSync(full).isDirectory()) {
      for (const entry of fs.readdirSync(full).sort()) add(path.posix.join(rel, entry));
    } else {
      hash.update(rel).update("\0").update(fs.readFileSync(full)).update("\0");
    }
  };
  for (const rel of inputs) add(rel);
  return hash.digest("hex").slice(0, 16);
}

/** The ACR Tasks build of the AI API's image, in the given subscription (not the CLI's default one). */
export function acrBuildCommand(o: { subscriptionId: string; registry: string; image: string }): string {
  return `az acr build --subscription ${o.subscriptionId} --registry ${o.registry} --image ${o.image} --file app/Dockerfile --no-logs .`;
}

/**
 * A private registry and the AI API's image built in it by ACR Tasks (`az acr build`), so that deploying needs
 * neither Docker nor a public image. The admin user stays off: the cluster pulls with its kubelet identity.
 * https://learn.microsoft.com/azure/container-registry/container-registry-quickstart-task-cli
 */
export class AppImage extends pulumi.ComponentResource {
  readonly image: pulumi.Output<string>;
  /** Name of the container registry. */
  readonly resourceName: pulumi.Output<string>;
  /** Resource ID of the container registry. */
  readonly resourceId: pulumi.Output<string>;
  readonly registryLoginServer: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:image:AppImage`, name, {}, opts);
    const parent = { parent: this };

    const registry = new containerregistry.Registry(
      `${name}-registry`,
      {
        registryName: args.registryName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        sku: { name: "Basic" },
        adminUserEnabled: false,
      },
      parent,
    );
    if (args.diagnostics) addDiagnostics(name, registry.id, args.diagnostics, parent);
    const pulls = args.pullerPrincipalIds.map((principalId, i) =>
      assignRole(`${name}-pull-${i}`, { scope: registry.id, roleGuid: ACR_PULL, principalId, principalType: "ServicePrincipal" }, parent),
    );

    const tag = contentTag(args.projectDir);
    const repository = "ai-api";
    // Runs on the deploying machine with its `az login` (user or service principal); the build itself runs in
    // Azure. `az` works in its default subscription unless told otherwise, which need not be the stack's: the
    // subscription is the one azure-native deploys to. https://learn.microsoft.com/cli/azure/acr#az-acr-build
    const subscriptionId = authorization.getClientConfigOutput(parent).subscriptionId;
    const build = new command.local.Command(
      `${name}-build`,
      {
        create: pulumi.all([subscriptionId, registry.name]).apply(([sub, reg]) => acrBuildCommand({ subscriptionId: sub, registry: reg, image: `${repository}:${tag}` })),
        // No `dir`: the engine runs the command provider in the project's directory, the build context, so state
        // holds no checkout path and a clone elsewhere (CI) does not rebuild the image.
        triggers: [tag],
      },
      { ...parent, dependsOn: [registry] },
    );

    this.resourceName = registry.name;
    this.resourceId = registry.id;
    this.registryLoginServer = registry.loginServer;
    // The build needs only the registry; users of the image wait for it and for the pull grants.
    this.image = pulumi.all([registry.loginServer, build.stdout, ...pulls.map((p) => p.id)]).apply(([server]) => `${server}/${repository}:${tag}`);
    this.registerOutputs({ image: this.image, resourceName: this.resourceName, resourceId: this.resourceId, registryLoginServer: this.registryLoginServer });
  }
}
