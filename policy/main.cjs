// Entry the Pulumi CLI loads (package.json "main"). The pack is TypeScript run through tsx, like the rest of the
// project: no build step. @pulumi/policy, @pulumi/pulumi and tsx resolve from the project's node_modules.
require("tsx/cjs");
require("./index.ts");
