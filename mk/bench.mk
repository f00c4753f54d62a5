# `make bench`: per endpoint, DynamoDB round trips and server time outside
# DynamoDB (internal/issue/issueapi/bench_test.go), against DynamoDB Local;
# a cycle's issues at 500 and 5,000 (internal/issue/issuedb/cycles_bench_test.go); a
# project's issues and a parent's sub-issues at 500 and 5,000
# (internal/issue/issueapi/bench_projects_test.go);
# the analytics dashboard at 1,000 and 10,000 issues and the local
# stream-to-rollup lag (internal/analytics/analyticsapi/bench_test.go); event -> first webhook
# attempt and event -> inbox (internal/webhook/webhookapi/bench_test.go);
# the CPU per GET /v1/issues/{id} through the gateway in process against the
# raw GetItem's (internal/gateway/bench_test.go); the SDK's own CPU per
# GetItem call with its defaults and with awsx's client against a stub
# (internal/awsx/getitem_bench_test.go); then gateway-bench.
.PHONY: bench
bench: tools ## benchmarks: round trips and time per endpoint, analytics dashboard, stream lag, gateway vs raw GetItem
	@status=0; go test -run '^$$' -bench BenchmarkEndpoints -benchtime 200x -count 1 ./internal/issue/issueapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkBulkEdit -benchtime 5x -count 1 ./internal/issue/issueapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkCycleIssues -benchtime 20x -count 1 ./internal/issue/issuedb/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkProjectAndParentLists -benchtime 20x -count 1 ./internal/issue/issueapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkImport10k -benchtime 1x -count 1 -timeout 30m -v ./internal/imports/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkDashboard -benchtime 30x -count 1 -timeout 20m ./internal/analytics/analyticsapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkStreamToRollupLag -benchtime 1x -count 1 ./internal/analytics/analyticsapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkEventToWebhookAndInbox -benchtime 1x -count 1 ./internal/webhook/webhookapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkGetIssueCPU -benchtime 2000x -count 1 ./internal/gateway/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkGetItemCall -benchtime 5000x -count 3 -cpu 1 ./internal/awsx/ || status=$$?; \
	scripts/stop-test-services.sh; $(MAKE) --no-print-directory gateway-bench || status=$$?; exit $$status

# `make gateway-bench`: GET /v1/issues/{id} through the whole local path
# (gateway, usage plan, authorizer with its cache, route guard, handler,
# SDK) against the same issues read by raw GetItem calls on the same
# DynamoDB Local, in alternating rounds of one run, at 8 and at 32
# concurrent clients; prints p50/p95/p99 per round and the median ratio
# (cmd/load with -mix read=1 on a fresh platform; tier limits raised by
# configuration, scripts/load.sh). GATEWAY_ROUNDS, GATEWAY_DURATION.
# Each round also runs the floor (cmd/load -floor: a bare net/http server
# in a process of its own with the platform's GetItem, JSON and GOGC, the
# least any HTTP gateway could cost) and the hop (-hop: the gateway path
# answered before any DynamoDB call), and prints floor/raw, platform/floor
# and hop/raw, by throughput and by the CPU every metered process spends
# per answer, and each phase's connections to DynamoDB Local;
# GATEWAY_FLOOR=0 leaves both out.
# Each concurrency runs twice: with every process sharing the CPUs, and
# with DynamoDB Local alone on CPU 0 (LOAD_SPLIT_CPUS=1), as in AWS where
# the functions' CPUs are not DynamoDB's. Each prints the load average
# before and after it; LOAD_BIN=<binary> benches that build of the
# platform instead of this tree's (scripts/load.sh). The status is
# load.sh's (a 5xx, a lost write, a failed start), not grep's.
.PHONY: gateway-bench
gateway-bench: load-tools ## gateway vs raw GetItem throughput at 8 and 32 clients, shared and split CPUs, beside the floor of any HTTP gateway (median ratio of alternating rounds)
	@status=0; floor=$$( [ "$(or $(GATEWAY_FLOOR),1)" = 0 ] || echo "-floor -hop" ); \
	for split in 0 1; do for w in 8 32; do \
	  echo "== $$w clients, CPUs $$( [ $$split = 1 ] && echo 'split (DynamoDB Local alone on CPU 0)' || echo shared) ($$(date -u +%T), load average $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	  LOAD_SPLIT_CPUS=$$split scripts/load.sh -mix read=1 $$floor -workers $$w -rounds $(or $(GATEWAY_ROUNDS),5) -duration $(or $(GATEWAY_DURATION),8s) \
	    | grep -E '^(CPUs split|settled|not settled|floor up|platform:|floor:|hop:|raw DynamoDB:| +read| +CPU ms| +context switches| +connections|round|platform throughput|medians|ledger|FAIL)'; \
	  s=$${PIPESTATUS[0]}; [ $$s = 0 ] || status=$$s; \
	  echo "   ($$(date -u +%T), load average $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	done; done; exit $$status

# `make migration-bench`: a tier migration of 1,000 and 10,000 issues to
# Platinum and back: per run the time of every step, the copy's items/s,
# each catch-up round and wave, and the write-freeze window with its parts
# (internal/app/migration_bench_test.go; figures in docs/performance.md).
# Each size and direction runs in a test process of its own on a DynamoDB
# Local started for it (the test services are stopped after each run): one
# that held an earlier run's tables wrote many times slower. "down" first
# moves the unseeded tenant to Platinum, then seeds its table. The output
# streams as the runs go: `migration-figures` lines are the figures.
# The seed is BatchWriteItem straight into the tenant's home, marked as the
# migration's writes so the stream consumers skip it (MIGRATION_SEED= seeds
# unmarked, and the consumers handle every seeded record first: 85 s for
# 1,000 issues at load 31). MIGRATION_ISSUES and MIGRATION_DIRECTIONS
# (up,down) override.
.PHONY: migration-bench
migration-bench: tools ## tier migration time, per-step times and write-freeze window at 1,000 and 10,000 issues, each direction on a fresh DynamoDB Local
	@status=0; for n in $$(echo $${MIGRATION_ISSUES:-1000,10000} | tr , ' '); do \
	  for d in $$(echo $${MIGRATION_DIRECTIONS:-up,down} | tr , ' '); do \
	    scripts/stop-test-services.sh; \
	    ITR_MIGRATION_ISSUES=$$n ITR_MIGRATION_DIRECTIONS=$$d ITR_MIGRATION_SEED=$${MIGRATION_SEED-marked} go test -run '^TestMigrationFigures$$' -count 1 -v -timeout 120m ./internal/app/ \
	      || status=$$?; \
	  done; \
	done; \
	scripts/stop-test-services.sh; exit $$status

# `make copy-bench`: a migration's copy alone (tenantdata.Store.Sync into
# an empty table) at 1,000 and 3,000 issues, items/s and load average per
# size (internal/tenantdata/copy_bench_test.go). COPY_ISSUES overrides the
# sizes. Each size gets a DynamoDB Local of its own (the test services are
# stopped after each): one that held an earlier size's tables, even
# deleted, wrote the next copy many times slower (docs/performance.md).
.PHONY: copy-bench
copy-bench: tools ## a tier migration's copy alone: items/s at 1,000 and 3,000 issues
	@status=0; for n in $$(echo $${COPY_ISSUES:-1000,3000} | tr , ' '); do \
	  ITR_COPY_ISSUES=$$n go test -run '^TestCopyFigures$$' -count 1 -v -timeout 60m ./internal/tenantdata/ \
	    | grep -E 'copy-figures|^(--- |ok|FAIL)'; s=$${PIPESTATUS[0]}; [ $$s = 0 ] || status=$$s; \
	  scripts/stop-test-services.sh; \
	done; exit $$status

# `make ddblocal-bench`: DynamoDB Local's write rate by what it holds and
# how it runs (internal/localcloud/ddblocal_bench_test.go): each scenario of
# DDBLOCAL_SCENARIOS on a DynamoDB Local started for it on a free port
# (ITR_DDBLOCAL_ITEMS items written, ITR_DDBLOCAL_PREFILL items already
# in another table; docs/performance.md "DynamoDB Local's stream records").
DDBLOCAL_SCENARIOS ?= write+inmemory,write,prefill+write+inmemory,prefill+write,copy,copy+tiered
.PHONY: ddblocal-bench
ddblocal-bench: tools ## DynamoDB Local's write rate with and without streams, the stream-record index, a table of 50,000 items, JVM flags
	@set -o pipefail; ITR_DDBLOCAL_SCENARIOS=$(DDBLOCAL_SCENARIOS) go test -run '^TestDynamoDBLocalWriteFigures$$' -count 1 -v -timeout 120m ./internal/localcloud/ \
	  | grep -E 'ddblocal-bench|^(--- |ok|FAIL)'

# `make walkthrough`: issue 12's "done when" through the HTTP API with the
# issue's 200-row import (internal/project/projectapi/walkthrough_test.go;
# make test runs the same walkthrough with 60 rows).
.PHONY: walkthrough
walkthrough: tools ## issue 12's "done when" walkthrough with a 200-row CSV import
	@status=0; ITR_WALKTHROUGH_ROWS=200 go test -run '^TestIssue12DoneWhen$$' -count 1 -v -timeout 20m ./internal/project/projectapi/ \
	  | grep -E 'walkthrough|^(--- |ok|FAIL)'; s=$${PIPESTATUS[0]}; [ $$s = 0 ] || status=$$s; \
	scripts/stop-test-services.sh; exit $$status

# `make onboarding-bench`: ONBOARDING_RUNS (5) Platinum companies approved
# one after the other on a local platform whose tenant templates are warm
# (as make dev warms them); approval -> active per run and the median
# (internal/devstack/platinum_figures_test.go; docs/performance.md).
.PHONY: onboarding-bench
onboarding-bench: tools ## Platinum onboarding time (approval to active), median of 5 local runs
	@status=0; ITR_PLATINUM_RUNS=$${ONBOARDING_RUNS:-5} go test -run '^TestPlatinumOnboardingFigures$$' -count 1 -v -timeout 20m ./internal/devstack/ \
	  | grep -E '^(onboarding-figures|--- |ok|FAIL)'; s=$${PIPESTATUS[0]}; [ $$s = 0 ] || status=$$s; \
	scripts/stop-test-services.sh; exit $$status
# `make lambda-figures`: every function's binary size as deployed
# (linux/arm64, gofunction's flags) against issue 19's 10 MB, and its Lambda
# init (process start -> first Runtime API /next, median of 15 cold starts)
# beside a minimal aws-lambda-go function (cmd/lambdafigures; figures in
# docs/performance.md). `make lambda-sizes` prints the sizes alone. Both fail
# when a function binary is over 10 MB, or over its ceiling in
# cmd/lambdafigures.Over for the few still over (a ratchet: they may not
# grow). Not part of make test: building the 18 functions for linux/arm64
# takes 30 s warm and minutes cold on the shared machine; the check's own
# logic (TestCheckSizesIsARatchet) is.
.PHONY: lambda-figures lambda-sizes
lambda-figures: ## function binary sizes and Lambda init vs a minimal function (median of 15)
	go run ./cmd/lambdafigures -n 15
lambda-sizes: ## function binary sizes as deployed (linux/arm64); fails over the 10 MB budget (or a listed function's ceiling)
	go run ./cmd/lambdafigures -sizes
