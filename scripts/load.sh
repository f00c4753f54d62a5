#!/usr/bin/env bash
# Starts a fresh local platform (`issuetracker dev`, state in LOAD_STATE) with
# the usage plans raised for the run, runs cmd/load against it, stops it.
#   scripts/load.sh [cmd/load flags]     (make load, make soak)
# LOAD_SPLIT_CPUS=1 puts DynamoDB Local on CPU 0 and everything else (the
# platform, its other services, the load tool) on the other CPUs, as in AWS
# where the functions never share DynamoDB's machines; both sides of the
# comparison run against the same pinned DynamoDB Local.
# LOAD_BIN=<binary> runs that build of the platform instead of building
# this tree's (two builds compared side by side: docs/performance.md);
# LOAD_TOOL=<binary> likewise runs that build of cmd/load.
# Ports follow the make dev variables; their defaults here differ from
# make dev's so both run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
state=${LOAD_STATE:-.local/load}
export ITR_DEV_STATE=$state
export GATEWAY_ADDR=${GATEWAY_ADDR:-127.0.0.1:8090} DYNAMODB_PORT=${DYNAMODB_PORT:-8001} COGNITO_PORT=${COGNITO_PORT:-9230}
export S3_PORT=${S3_PORT:-4580} MAIL_SMTP_PORT=${MAIL_SMTP_PORT:-1030} MAIL_UI_PORT=${MAIL_UI_PORT:-8030} STRIPE_PORT=${STRIPE_PORT:-12113}
export ITR_DEBUG_ADDR=${ITR_DEBUG_ADDR:-127.0.0.1:6061}
# Every tier's throttle and quota raised for the run (configuration, not code).
export ITR_LOCAL_TIER_LIMITS=${ITR_LOCAL_TIER_LIMITS:-*=100000:100000:1000000000}
# The soak judges heap growth from HeapAlloc samples: at dev's GOGC=400
# (cmd/issuetracker: DevGCPercent) the sawtooth between collections is four
# times as tall as at Go's default, which the growth rule's margins were set
# for, so a soak runs the platform at the default unless GOGC is given.
case " $* " in *" -soak "*) export GOGC=${GOGC:-100} ;; esac
rm -rf "$state"
mkdir -p "$state" bin
platform=${LOAD_BIN:-bin/issuetracker}
[ -n "${LOAD_BIN:-}" ] || go build -o bin/issuetracker ./cmd/issuetracker
loadtool=${LOAD_TOOL:-bin/load}
[ -n "${LOAD_TOOL:-}" ] || go build -o bin/load ./cmd/load
"$platform" dev -web "" >"$state/dev.log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
	if [ -f "$state/platform.json" ] && curl -sf "http://$GATEWAY_ADDR/health" >/dev/null; then break; fi
	kill -0 $pid 2>/dev/null || { cat "$state/dev.log"; exit 1; }
	sleep 0.5
done
echo "platform up ($platform, pid $pid, log $state/dev.log; tier limits $ITR_LOCAL_TIER_LIMITS)"
run=()
# Each phase reports the CPU per answer of the platform process, DynamoDB
# Local and the load tool (/proc/<pid>/stat): less sensitive to other work on
# the machine than throughput, and it says where the CPU went.
ddb=$(pgrep -f -- "DynamoDBLocal.jar -port $DYNAMODB_PORT " | head -1 || true)
cpu="platform=$pid,load=self${ddb:+,dynamodb=$ddb}"
if [ "${LOAD_SPLIT_CPUS:-}" = 1 ]; then
	n=$(nproc)
	[ "$n" -ge 2 ] || { echo "LOAD_SPLIT_CPUS needs 2 CPUs or more" >&2; exit 2; }
	[ -n "$ddb" ] || { echo "no DynamoDB Local on port $DYNAMODB_PORT" >&2; exit 1; }
	taskset -a -p -c 0 "$ddb" >/dev/null
	for p in $pid $(pgrep -P "$pid"); do
		[ "$p" = "$ddb" ] || taskset -a -p -c "1-$((n - 1))" "$p" >/dev/null
	done
	run=(taskset -c "1-$((n - 1))")
	echo "CPUs split: DynamoDB Local (pid $ddb) on CPU 0; platform, its services and the load tool on 1-$((n - 1))"
fi
"${run[@]}" "$loadtool" -platform "$state/platform.json" -debug "http://$ITR_DEBUG_ADDR/debug/vars" -cpu "$cpu" "$@"
