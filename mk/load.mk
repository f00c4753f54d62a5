# `make load`: the mixed workload through a fresh local platform, then the
# same operations raw against its DynamoDB Local; the ratio, percentiles,
# errors by status and code, 429s per tier, the ledger read back
# (cmd/load, scripts/load.sh; docs/performance.md).
# `make soak`: the same workload for DURATION (10m) sampling the platform's
# memory and goroutines; fails when they grow without bound.
.PHONY: load soak load-tools
WORKERS ?= 16
MIX ?=
ROUNDS ?= 1
load-tools: node_modules/.installed
	@scripts/install-dynamodb-local.sh
	@scripts/install-mailpit.sh
	@scripts/install-stripe-mock.sh

load: load-tools ## load test: platform vs raw DynamoDB throughput, p50/p95/p99, errors, ledger (DURATION=20s WORKERS=16 ROUNDS=1)
	scripts/load.sh -duration $(or $(DURATION),20s) -workers $(WORKERS) -rounds $(ROUNDS) -mix "$(MIX)"

soak: load-tools ## soak test: DURATION (10m) of load, memory and goroutines sampled; fails on unbounded growth
	scripts/load.sh -soak -duration $(or $(DURATION),10m) -workers $(WORKERS) -sample $(or $(SAMPLE),15s)
