#!/usr/bin/env bash
# Shares of a CPU profile of the local platform by where each sample's whole
# stack is (docs/performance.md, issue 19's fifth pass). The SDK's middleware
# chain is deeper than the profiler keeps, so shares by the topmost frame
# (pprof -top -cum) put most of a GetItem under middleware frames; here a
# sample with any SDK or SDK-connection frame counts as the SDK's.
#   scripts/profile-shares.sh bin/issuetracker p32.cpu
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 <binary> <cpu profile>" >&2; exit 2; }
go tool pprof -traces "$1" "$2" 2>/dev/null | awk '
function unit(v, u) { return u == "ms" ? v / 1000 : (u == "us" || u == "µs" ? v / 1e6 : v) }
function flush() {
	if (v == 0) return
	if (s ~ /aws-sdk-go-v2|smithy-go|persistConn|internal\/keylog|owntoken|txclaim/) c = "the SDK call and its connection"
	else if (s ~ /gcBgMarkWorker|bgsweep|bgscavenge/) c = "GC"
	else if (s ~ /Gateway\)\.ServeHTTP/) c = "the gateway and the function outside the SDK call"
	else if (s ~ /Floor\)\.ServeHTTP/) c = "the floor handler outside the SDK call"
	else if (s ~ /conn\)\.serve|backgroundRead/) c = "net/http serving the client"
	else if (s ~ /runtime\.mcall|findRunnable|runtime\.schedule/) c = "the scheduler"
	else c = "other"
	share[c] += v; total += v; v = 0; s = ""
}
/^-+\+-+$/ { flush(); next }
/^ *[0-9.]+(ms|us|µs|s) +/ { n = $1; u = n; sub(/[a-zµ]+$/, "", n); sub(/^[0-9.]+/, "", u); v = unit(n + 0, u); s = $0; next }
{ s = s "\n" $0 }
END {
	flush()
	for (c in share) printf "%5.1f%%  %6.2fs  %s\n", 100 * share[c] / total, share[c], c | "sort -rn"
	close("sort -rn"); printf "total %.2fs of samples\n", total
}'
