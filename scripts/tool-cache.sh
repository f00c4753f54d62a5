# Sourced by the install scripts: the user's tool cache (ITR_TOOL_CACHE,
# default ~/.cache/issuetracker; "off" disables it), where a tool built by
# one checkout is kept under its version so that another checkout on the
# same machine (a fresh clone, CI, a git worktree) copies it instead of
# building it again, as Go's build cache does for packages.
#
#   tool_cache_get NAME KEY BIN   copy NAME-KEY from the cache to BIN; fails when absent
#   tool_cache_put NAME KEY BIN   keep BIN in the cache as NAME-KEY
#   tool_cache_seed NAME KEY BIN  tool_cache_put unless the cache has NAME-KEY
#                                 (a checkout installed before the cache existed)
TOOL_CACHE=${ITR_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/issuetracker}

tool_cache_get() {
  local cached="$TOOL_CACHE/$1-$2"
  [ "$TOOL_CACHE" != off ] && [ -x "$cached" ] || return 1
  cp "$cached" "$3.new" && mv -f "$3.new" "$3"
}

tool_cache_put() {
  [ "$TOOL_CACHE" != off ] || return 0
  local cached="$TOOL_CACHE/$1-$2"
  mkdir -p "$TOOL_CACHE" && cp "$3" "$cached.new.$$" && mv -f "$cached.new.$$" "$cached"
}

tool_cache_seed() {
  [ "$TOOL_CACHE" = off ] || [ -x "$TOOL_CACHE/$1-$2" ] || tool_cache_put "$@"
}
