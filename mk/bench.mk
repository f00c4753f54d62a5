# `make bench`: per endpoint, DynamoDB round trips and server time outside
# DynamoDB (internal/issue/issueapi/bench_test.go), against DynamoDB Local;
# the analytics dashboard at 1,000 and 10,000 issues and the local
# stream-to-rollup lag (internal/analytics/analyticsapi/bench_test.go); event -> first webhook
# attempt and event -> inbox (internal/webhook/webhookapi/bench_test.go).
.PHONY: bench
bench: tools ## benchmarks: round trips and time per endpoint, analytics dashboard, stream lag
	@status=0; go test -run '^$$' -bench . -benchtime 200x -count 1 ./internal/issue/issueapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkDashboard -benchtime 30x -count 1 -timeout 20m ./internal/analytics/analyticsapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkStreamToRollupLag -benchtime 1x -count 1 ./internal/analytics/analyticsapi/ || status=$$?; \
	go test -run '^$$' -bench BenchmarkEventToWebhookAndInbox -benchtime 1x -count 1 ./internal/webhook/webhookapi/ || status=$$?; \
	scripts/stop-test-services.sh; exit $$status
