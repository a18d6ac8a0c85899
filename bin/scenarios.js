#!/usr/bin/env node
// The `scenarios` CLI. TypeScript sources run through tsx, as the Pulumi program and the tests do.
// Node 22's compile cache keeps V8's compiled code of the SDKs between runs (in the OS temp directory).
require("node:module").enableCompileCache?.();
require("tsx/cjs");
require("../automation/cli")
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
