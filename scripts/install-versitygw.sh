#!/usr/bin/env bash
# Installs versitygw (the local S3: an S3-compatible gateway over a folder
# that verifies SigV4 signatures, presigned URLs and their expiry as S3 does)
# into .local/bin with `go install`. Idempotent: a stamp file records the
# installed version, so a version bump reinstalls. The binary is also kept
# in the user's tool cache (scripts/tool-cache.sh), so another checkout copies
# it instead of linking it again.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.8.0
BIN=.local/bin/versitygw
STAMP=.local/bin/versitygw.version
. scripts/tool-cache.sh
if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; then
  tool_cache_seed versitygw "$VERSION" "$BIN"
  exit 0
fi
mkdir -p .local/bin
if tool_cache_get versitygw "$VERSION" "$BIN"; then
  echo "$VERSION" > "$STAMP"
  echo "versitygw $VERSION copied from the tool cache ($TOOL_CACHE)"
  exit 0
fi
command -v go >/dev/null || { echo "go is required to install versitygw" >&2; exit 1; }
echo "installing versitygw $VERSION into $BIN (go install, a few minutes the first time) ..."
mkdir -p .local/bin
GOBIN="$PWD/.local/bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSION"
echo "$VERSION" > "$STAMP"
tool_cache_put versitygw "$VERSION" "$BIN"
echo "versitygw installed in $BIN"
