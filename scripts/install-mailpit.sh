#!/usr/bin/env bash
# Installs mailpit (the local stand-in for Amazon SES: an SMTP catcher with a
# web UI and an HTTP API) into .local/bin, WITH its web UI.
#
# mailpit's Go module does not contain its built web UI (server/ui/dist), so a
# plain `go install` gives a binary whose UI page is blank. This script copies
# the module source (from the Go proxy) to .local/build/, installs the UI's npm
# packages pinned in tools/mailpit-ui/ (versions served by our npm registry:
# pure-JS sass instead of sass-embedded, rapidoc 9 for the API docs page),
# bundles the UI with tools/mailpit-ui/build.mjs (esbuild, mirroring mailpit's
# esbuild.config.mjs) and `go build`s mailpit from that copy.
#
# Idempotent: a stamp file records "<version>+ui<hash of tools/mailpit-ui>", so a
# version bump or a change of the UI build reinstalls. Any failure stops the
# script with an error (no silent fallback to a UI-less binary).
#
# A build is also kept in the user's cache (ITR_TOOL_CACHE, default
# ~/.cache/issuetracker), keyed by that stamp, so another checkout on the same
# machine (a fresh clone, a git worktree) copies it instead of building again,
# as Go's own build cache does. ITR_TOOL_CACHE=off disables it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.33.1
BIN=.local/bin/mailpit
STAMP=.local/bin/mailpit.version
UI=tools/mailpit-ui
WANT="$VERSION+ui-$(cat "$UI/package.json" "$UI/package-lock.json" "$UI/build.mjs" | sha256sum | cut -c1-12)"
if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  exit 0
fi
CACHE=${ITR_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/issuetracker}
CACHED="$CACHE/mailpit-$WANT"
mkdir -p .local/bin
if [ "$CACHE" != off ] && [ -x "$CACHED" ]; then
  cp "$CACHED" "$BIN.new" && mv -f "$BIN.new" "$BIN"
  echo "$WANT" > "$STAMP.new" && mv -f "$STAMP.new" "$STAMP"
  echo "mailpit $VERSION with its web UI copied from the tool cache ($CACHED)"
  exit 0
fi
for tool in go node npm; do
  command -v "$tool" >/dev/null || { echo "install-mailpit: $tool is required to build mailpit with its web UI" >&2; exit 1; }
done
start=$SECONDS
echo "installing mailpit $VERSION with its web UI into $BIN (go module + npm + esbuild + go build; a few minutes the first time) ..."
SRC=$(go mod download -json "github.com/axllent/mailpit@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$SRC/server/ui-src" ] || { echo "install-mailpit: no mailpit source at '$SRC'" >&2; exit 1; }
BUILD=.local/build/mailpit-$VERSION
rm -rf "$BUILD"
mkdir -p .local/build .local/bin
cp -R "$SRC" "$BUILD"
chmod -R u+w "$BUILD" # the module cache is read-only
cp "$UI/package.json" "$UI/package-lock.json" "$UI/build.mjs" "$BUILD/"
(
  cd "$BUILD"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  node build.mjs
)
for f in app.js app.css docs.js; do
  [ -s "$BUILD/server/ui/dist/$f" ] || { echo "install-mailpit: the UI build did not produce server/ui/dist/$f" >&2; exit 1; }
done
# Write to a new file and move it over the old one: .local/bin/mailpit may be a
# hard link shared with another checkout.
(cd "$BUILD" && CGO_ENABLED=0 go build -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=$VERSION" -o "$OLDPWD/$BIN.new" .)
mv -f "$BIN.new" "$BIN"
echo "$WANT" > "$STAMP.new" && mv -f "$STAMP.new" "$STAMP"
rm -rf "$BUILD"
if [ "$CACHE" != off ]; then
  mkdir -p "$CACHE" && cp "$BIN" "$CACHED.new" && mv -f "$CACHED.new" "$CACHED"
fi
echo "mailpit $VERSION with its web UI installed in $BIN ($((SECONDS - start)) s)"
