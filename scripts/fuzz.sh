#!/usr/bin/env bash
# Runs every Go fuzz target of the repo (func FuzzXxx in a _test.go file),
# one at a time, for FUZZTIME each (default 30s). `make test` runs only their
# seed corpora (go test does that by itself); this runs the fuzzing engine.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
# Minimising a new input is bounded too: on a loaded machine the default
# (60s) can take a whole run.
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
status=0
while IFS=: read -r file line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "== $name ($pkg) for $FUZZTIME"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg"; then
    echo "!! $name found a failing input (see $pkg/testdata/fuzz/$name)"
    status=1
  fi
done < <(grep -rHo --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' --exclude-dir=node_modules --exclude-dir=.local . | sed 's|^\./||')
exit $status
