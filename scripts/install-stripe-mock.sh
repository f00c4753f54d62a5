#!/usr/bin/env bash
# Installs the official stripe-mock (Stripe's API served from its OpenAPI
# definition: every request is checked against the real API's shape) into
# .local/bin with `go install`. Idempotent: a stamp file records the
# installed version, so a version bump reinstalls. The binary is also kept
# in the user's tool cache (scripts/tool-cache.sh), so another checkout copies
# it instead of linking it again.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v0.203.0
BIN=.local/bin/stripe-mock
STAMP=.local/bin/stripe-mock.version
. scripts/tool-cache.sh
if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; then
  tool_cache_seed stripe-mock "$VERSION" "$BIN"
  exit 0
fi
mkdir -p .local/bin
if tool_cache_get stripe-mock "$VERSION" "$BIN"; then
  echo "$VERSION" > "$STAMP"
  echo "stripe-mock $VERSION copied from the tool cache ($TOOL_CACHE)"
  exit 0
fi
command -v go >/dev/null || { echo "go is required to install stripe-mock" >&2; exit 1; }
echo "installing stripe-mock $VERSION into $BIN (go install) ..."
mkdir -p .local/bin
GOBIN="$PWD/.local/bin" go install "github.com/stripe/stripe-mock@$VERSION"
echo "$VERSION" > "$STAMP"
tool_cache_put stripe-mock "$VERSION" "$BIN"
echo "stripe-mock installed in $BIN"
