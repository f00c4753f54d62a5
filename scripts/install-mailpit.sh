#!/usr/bin/env bash
# Installs mailpit (the local stand-in for Amazon SES: an SMTP catcher with a
# web UI and an HTTP API) into .local/bin with `go install`. Idempotent: a
# stamp file records the installed version, so a version bump reinstalls.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.33.1
BIN=.local/bin/mailpit
STAMP=.local/bin/mailpit.version
if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "go is required to install mailpit" >&2; exit 1; }
echo "installing mailpit $VERSION into $BIN (go install, about 45 s the first time) ..."
mkdir -p .local/bin
GOBIN="$PWD/.local/bin" go install "github.com/axllent/mailpit@$VERSION"
echo "$VERSION" > "$STAMP"
echo "mailpit installed in $BIN"
