#!/usr/bin/env bash
# Keeps what the Go tests build outside Go's build cache in the user's tool
# cache (scripts/tool-cache.sh: ITR_TOOL_CACHE, default ~/.cache/issuetracker,
# "off" disables it), so that a fresh clone on the same machine (CI) copies it
# instead of linking it again:
#   .local/gofunction/<fn>-<hash>  the functions as deployed (linux/arm64), built
#       by constructs/gofunction during test/infra's synth, one folder per
#       function and source hash (toolchain, settings, sources): a folder is
#       the binary of any checkout whose sources hash the same.
#   .local/functions/<fn>  the functions for this machine (the template mode:
#       internal/devstack, make dev MODE=template), built with -trimpath, so
#       the same in every checkout of the same sources: go build relinks a file
#       whose embedded build ID does not match the sources, so a stale copy
#       costs nothing but the link it would have saved.
# (.local/bin/infra-synth is not kept: built without -trimpath, its build ID
# names the checkout's folder, so another checkout links it again anyway.)
#   scripts/build-cache.sh restore   copy what this checkout lacks (make test, before go test)
#   scripts/build-cache.sh save      keep this checkout's (make test, after); at most
#                                    KEEP (3) source hashes per function
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tool-cache.sh
[ "$TOOL_CACHE" != off ] || exit 0
C="$TOOL_CACHE/build"
KEEP=${KEEP:-3}

restore() {
  local f
  if [ -d "$C/gofunction" ]; then
    mkdir -p .local/gofunction
    for f in "$C"/gofunction/*/; do
      f=${f%/}
      [ -f "$f/bootstrap" ] && [ ! -e ".local/gofunction/${f##*/}" ] || continue
      # Hard links where the cache and the checkout share a file system:
      # gofunction never writes into a finished folder (it builds into a
      # temporary one and renames it).
      cp -al "$f" ".local/gofunction/${f##*/}" 2>/dev/null || cp -a "$f" ".local/gofunction/${f##*/}"
    done
  fi
  if [ -d "$C/functions" ] && [ ! -e .local/functions ]; then
    cp -a "$C/functions" .local/functions
  fi
  return 0
}

# put copies $1 to $2 through a temporary name (another checkout may save too).
put() {
  rm -rf "$2.tmp.$$" && cp -a "$1" "$2.tmp.$$" && rm -rf "$2" && mv "$2.tmp.$$" "$2"
}

save() {
  local f name
  mkdir -p "$C/gofunction"
  for f in .local/gofunction/*/; do
    f=${f%/}
    [[ ${f##*/} =~ -[0-9a-f]{16}$ ]] && [ -f "$f/bootstrap" ] && [ ! -e "$C/gofunction/${f##*/}" ] || continue
    put "$f" "$C/gofunction/${f##*/}"
  done
  # At most KEEP folders per function, the newest.
  for name in $(ls "$C/gofunction" | sed -nE 's/^(.*)-[0-9a-f]{16}$/\1/p' | sort -u); do
    ls -dt "$C/gofunction/$name"-???????????????? 2>/dev/null | tail -n +$((KEEP + 1)) | xargs -r rm -rf
  done
  if [ -d .local/functions ]; then put .local/functions "$C/functions"; fi
  return 0
}

case "${1:-}" in
restore) restore ;;
save) save ;;
*) echo "usage: $0 restore|save" >&2; exit 2 ;;
esac
