//go:build tools

// Package tools pins actionlint, which `npm test` runs over .github/workflows (see scripts/actionlint-build.sh).
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
