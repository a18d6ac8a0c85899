#!/usr/bin/env node
// The `scenarios` CLI. TypeScript sources run through tsx, as the Pulumi program and the tests do.
require("tsx/cjs");
require("../automation/cli")
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
