#!/usr/bin/env bash
# npm run engine:build: builds the real Pulumi CLI from the Go module in tools/pulumi-cli into .engine/bin
# (gitignored), for `npm run test:engine`. Rebuilt only when the tools module (go.mod, go.sum) or the Go
# version changes. Exit codes: 0 built or up to date; 0 with .engine/skip-reason when Go is missing or the
# module proxy refuses a module the build needs (test:engine then skips and prints why); 1 any other failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/tools/pulumi-cli"
# SCENARIOS_ENGINE_DIR and SCENARIOS_ENGINE_NO_AZURITE exist for this script's own test.
ENGINE="${SCENARIOS_ENGINE_DIR:-$ROOT/.engine}"
BIN="$ENGINE/bin"
# The version the CLI reports; PulumiCommand.get cannot parse a CLI without it.
VERSION="v3.274.1"
mkdir -p "$BIN"
rm -f "$ENGINE/skip-reason"

say() { echo "engine:build: $*"; }

write_dynamic_provider() {
  # The engine starts `pulumi-resource-pulumi-nodejs` for dynamic providers; release archives ship it as a
  # script around @pulumi/pulumi's cmd/dynamic-provider. The CLI looks beside its own binary first.
  cat >"$BIN/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
here="$(cd "$(dirname "$0")" && pwd)"
exec "${SCENARIOS_ENGINE_NODE:-node}" "$here/../../node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js" "$@"
EOF
  chmod 0755 "$BIN/pulumi-resource-pulumi-nodejs"
}

install_azurite() {
  # Azurite (Azure Storage emulator) for the azblob:// backend test: its own locked npm tree in tools/azurite.
  local dir="$ROOT/tools/azurite" stamp="$ENGINE/azurite-stamp" hash
  hash="$(sha256sum "$dir/package-lock.json" | cut -c1-16)"
  if [[ -x "$dir/node_modules/.bin/azurite-blob" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
    say "Azurite up to date (tools/azurite, lock $hash)"
  elif npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >"$ENGINE/azurite.log" 2>&1; then
    echo "$hash" >"$stamp"
    say "installed Azurite $(node -p "require('$dir/node_modules/azurite/package.json').version") in tools/azurite"
  else
    say "could not install Azurite (the azblob:// test will skip); npm said:"
    tail -5 "$ENGINE/azurite.log"
  fi
}
[[ -n "${SCENARIOS_ENGINE_NO_AZURITE:-}" ]] || install_azurite

if ! command -v go >/dev/null 2>&1; then
  echo "no Go toolchain on PATH (https://go.dev/dl/); the engine tests need it to build the Pulumi CLI" >"$ENGINE/skip-reason"
  say "skipped: $(cat "$ENGINE/skip-reason")"
  exit 0
fi

GO_VERSION="$(go env GOVERSION)"
HASH="$( (cat "$TOOLS/go.mod" "$TOOLS/go.sum"; echo "$GO_VERSION $VERSION") | sha256sum | cut -c1-16)"
if [[ -x "$BIN/pulumi" && -f "$ENGINE/stamp" && "$(cat "$ENGINE/stamp")" == "$HASH" ]]; then
  write_dynamic_provider
  say "up to date: .engine/bin/pulumi $VERSION (tools module $HASH, $GO_VERSION); pulumi-resource-pulumi-nodejs rewritten"
  exit 0
fi

say "building github.com/pulumi/pulumi/pkg/v3/cmd/pulumi $VERSION with $GO_VERSION (tools module $HASH); a cold build takes minutes"
LOG="$ENGINE/build.log"
START=$(date +%s)
set +e
(cd "$TOOLS" && CGO_ENABLED=0 go build -o "$BIN/pulumi.tmp" \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >"$LOG" 2>&1
RC=$?
set -e
if [[ $RC -ne 0 ]]; then
  rm -f "$BIN/pulumi.tmp"
  # The module proxy refusing a module (403/404/410) is outside this project's control: skip, with go's words.
  if grep -Eq 'reading https?://[^ ]+: (403|404|410) ' "$LOG"; then
    grep -E -A1 'reading https?://[^ ]+: (403|404|410) ' "$LOG" | head -4 >"$ENGINE/skip-reason"
    say "skipped: the Go module proxy refused a module the build needs:"
    cat "$ENGINE/skip-reason"
    exit 0
  fi
  say "FAILED (exit $RC); go said:"
  tail -40 "$LOG"
  exit 1
fi
mv "$BIN/pulumi.tmp" "$BIN/pulumi"
echo "$HASH" >"$ENGINE/stamp"
write_dynamic_provider
say "built .engine/bin/pulumi ($("$BIN/pulumi" version)) in $(($(date +%s) - START))s; wrote .engine/bin/pulumi-resource-pulumi-nodejs"
