#!/usr/bin/env bash
# Times one synthesis of the platform stack plus N Platinum tenant stacks (20
# by default) in one process, the way `make synth TENANTS=...` runs it. The
# app is compiled first so the figure is synthesis, not compilation; the
# functions' binaries come from the source-hash cache after the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
tenants=$(seq -f 'bench%02g' 1 "$n" | paste -sd, -)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
mkdir -p .local/bin
go build -o .local/bin/infra ./infra
# Warm-up: builds any function binary that is not cached yet.
CDK_OUTDIR="$out/warm" CDK_CONTEXT_JSON="{\"tenants\":\"$tenants\"}" .local/bin/infra >/dev/null
start=$(date +%s.%N)
CDK_OUTDIR="$out/run" CDK_CONTEXT_JSON="{\"tenants\":\"$tenants\"}" .local/bin/infra >/dev/null
end=$(date +%s.%N)
stacks=$(ls "$out/run"/*.template.json | wc -l)
printf 'synthesized %d stacks (platform + %d tenants) in %.1f s\n' "$stacks" "$n" "$(echo "$end - $start" | bc)"
