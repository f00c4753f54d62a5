# `make bench`: per endpoint, DynamoDB round trips and server time outside
# DynamoDB (internal/issue/issueapi/bench_test.go), against DynamoDB Local.
.PHONY: bench
bench: tools ## benchmarks: DynamoDB round trips and server time per endpoint
	@status=0; go test -run '^$$' -bench . -benchtime 200x -count 1 ./internal/issue/issueapi/ || status=$$?; scripts/stop-test-services.sh; exit $$status
