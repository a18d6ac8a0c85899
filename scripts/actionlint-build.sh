#!/usr/bin/env bash
# Builds actionlint (github.com/rhysd/actionlint, pinned in tools/actionlint/go.mod) into
# .engine/actionlint/actionlint (gitignored), for tests/ci/actionlint.test.ts. Rebuilt only when the tools
# module or the Go version changes. Exit codes: 0 built or up to date; 0 with .engine/actionlint/skip-reason
# when there is no Go toolchain (the test then skips and prints why); 1 when the build fails.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/tools/actionlint"
OUT="$ROOT/.engine/actionlint"
mkdir -p "$OUT"
rm -f "$OUT/skip-reason"

say() { echo "actionlint:build: $*"; }

if ! command -v go >/dev/null 2>&1; then
  echo "no Go toolchain on PATH (https://go.dev/dl/); actionlint is built from its Go module" >"$OUT/skip-reason"
  say "skipped: $(cat "$OUT/skip-reason")"
  exit 0
fi

GO_VERSION="$(go env GOVERSION)"
HASH="$( (cat "$TOOLS/go.mod" "$TOOLS/go.sum"; echo "$GO_VERSION") | sha256sum | cut -c1-16)"
if [[ -x "$OUT/actionlint" && -f "$OUT/stamp" && "$(cat "$OUT/stamp")" == "$HASH" ]]; then
  say "up to date: .engine/actionlint/actionlint (tools module $HASH, $GO_VERSION)"
  exit 0
fi

START=$(date +%s)
if ! (cd "$TOOLS" && CGO_ENABLED=0 go build -o "$OUT/actionlint.tmp" github.com/rhysd/actionlint/cmd/actionlint) >"$OUT/build.log" 2>&1; then
  rm -f "$OUT/actionlint.tmp"
  say "FAILED; go said:"
  tail -40 "$OUT/build.log"
  exit 1
fi
mv "$OUT/actionlint.tmp" "$OUT/actionlint"
echo "$HASH" >"$OUT/stamp"
say "built .engine/actionlint/actionlint ($("$OUT/actionlint" -version | head -1)) with $GO_VERSION in $(($(date +%s) - START))s"
