//go:build tools

// Package tools pins the Pulumi CLI that the engine tests run (see scripts/engine-build.sh).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
