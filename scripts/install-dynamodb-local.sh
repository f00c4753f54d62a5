#!/usr/bin/env bash
# Installs the official DynamoDB Local into .local/dynamodb-local. The jar
# ships inside the npm package amplify-dynamodb-simulator (folder emulator/);
# we fetch only that package's tarball, not its dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=amplify-dynamodb-simulator@2.9.30
DEST=.local/dynamodb-local
[ -f "$DEST/DynamoDBLocal.jar" ] && exit 0
command -v npm >/dev/null || { echo "npm is required to fetch DynamoDB Local (install Node.js 20+)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching DynamoDB Local from $PKG ..."
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/emulator
mkdir -p .local
rm -rf "$DEST.partial"
mv "$tmp/package/emulator" "$DEST.partial"
mv "$DEST.partial" "$DEST"
echo "DynamoDB Local installed in $DEST"
