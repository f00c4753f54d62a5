# IssueTracker developer commands. `make dev` runs the platform locally,
# `make test` proves it. Tool installs are idempotent and live under .local/.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

# Every go command make runs builds with -trimpath (added to the user's own
# GOFLAGS, once): Go's build cache keys a package built without it on its
# folder, so a second checkout of the same sources (CI's fresh clone) built
# every package of the module again; with it, the second checkout reuses
# the first one's builds. Measured: go vet ./... in a fresh clone after
# this worktree's, CPU before/after in docs/performance.md ("make test's
# time, ninth pass"). No test may read a file by runtime.Caller's path (it
# names the module path then): they read by the package folder's relative
# path, go test's working directory (docs/testing.md).
export GOFLAGS := $(strip $(filter-out -trimpath,$(shell go env GOFLAGS)) -trimpath)

.PHONY: tools test unit vet dev dev-reset bench
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	echo 'module ignored // keeps `go ./...` out of node_modules' > node_modules/go.mod
	touch $@

tools: node_modules/.installed web-tools ## install the pinned npm tools, DynamoDB Local, mailpit, versitygw (the local S3), stripe-mock, the web app's packages and Chromium
	@scripts/install-dynamodb-local.sh
	@scripts/install-mailpit.sh
	@scripts/install-versitygw.sh
	@scripts/install-stripe-mock.sh

vet: ## go vet
	go vet ./...

# go test runs with -vet=off: the vet prerequisite has already run every
# analyzer (go test's own vet is a subset of them) on the same packages.
# scripts/build-cache.sh gives a fresh clone the function binaries another
# checkout of the same sources built (the user's tool cache), and keeps this
# run's.
# The web app's checks that need no Go service (web-static: build, tsc,
# ESLint, Prettier, Vitest, client drift) run beside the Go tests, which
# wait on the local services more than they compute (docs/performance.md,
# "make test's time"); their output goes to WEB_STATIC_LOG, printed whole
# (each line prefixed "web | ") when they fail.
# Every Go test runs once: the race set (RACE_PKGS) only under -race, the
# other packages without it (GO_TEST_PKGS), so no package is built, linked
# and run twice. Once web-static is done, the race set's packages and tests
# are compiled with -race (go list -export: into Go's build cache, nothing
# linked or run) beside the rest of the first pass, in the CPU its tests
# leave idle waiting on the services: the race pass then only links
# (docs/performance.md, "make test's time, fifth pass"). web-static's
# status is still its own; a compile error shows in the race pass.
# The Playwright suite (it needs web/dist, bin/issuetracker and its own
# platform on the E2E_* ports) starts beside the race pass, but only its
# platform does: its specs wait for E2E_GATE (e2e/gate.ts), written when
# the race pass has passed, and run alone after it. Specs beside the race
# pass on 2 cores missed their own timeouts (docs/performance.md, "Every
# Go test once"), and a flaky make test lands nothing. When the first
# pass or web-static failed, the suite does not start; when the race pass
# failed, the gate says so and the suite stops before its first spec.
WEB_STATIC_LOG := .local/web-static.log
E2E_GATE := .local/e2e-gate
# GO_TEST_P: how many builds and test binaries the first pass runs at once
# (go test's -p), 2 as before. With 2, under load, a quarter of the pass
# had no test binary running (the slots were building and linking). 4
# fills that time, but at load average 28 the tests took twice as long and
# four packages failed on their timings (one at 2); not the default until
# an idle run shows it green (docs/performance.md, "make test's time,
# fourth pass").
GO_TEST_P ?= 2
# go test starts the test binaries in the order it is given them, two at a
# time: in go list's order test/infra (104 s in the idle fresh clone) came
# last, and ran alone once the other lane had run dry; the longest packages
# (GO_TEST_FIRST, by the last idle fresh clone's times: app 153 s, devstack
# 138, analyticsapi 116, test/infra 94, issueapi 45) start first, and the
# short ones fill the lanes after them (docs/performance.md, "make test's
# time, fourth pass" and "fifth pass").
GO_TEST_FIRST := ./internal/app/ ./internal/devstack/ ./internal/analytics/analyticsapi/ ./test/infra/ ./internal/issue/issueapi/
GO_TEST_PKGS = $$(go list $(GO_TEST_FIRST); go list ./... | grep -vxF "$$(go list $(RACE_PKGS) $(GO_TEST_FIRST))")
test: tools vet openapi-lint ## Go tests (they start DynamoDB Local, cognito-local, versitygw, mailpit and stripe-mock) with the web app's static checks and Vitest beside them, the race pass with the Playwright platform's start beside it, then the Playwright specs
	@scripts/build-cache.sh restore || echo "build cache: not restored (the tests build the functions)"
	@mkdir -p $(dir $(WEB_STATIC_LOG)); \
	( $(MAKE) --no-print-directory web-static >$(WEB_STATIC_LOG) 2>&1; s=$$?; \
	  go list -e -export -race -test $(RACE_PKGS) >/dev/null 2>&1; exit $$s ) & web=$$!; \
	echo "web-static (build, tsc, ESLint, Prettier, Vitest, client drift): beside the Go tests, log $(WEB_STATIC_LOG)"; \
	status=0; go test -vet=off -count=1 -p $(GO_TEST_P) -timeout 12m $(GO_TEST_PKGS) || status=$$?; \
	if wait $$web; then echo "web-static: ok ($$(sed 's/\x1b\[[0-9;]*m//g' $(WEB_STATIC_LOG) | grep -E '^ +Tests +[0-9]' | tr -s ' ' | sed 's/^ //'))"; \
	else status=1; echo "web-static FAILED; its log ($(WEB_STATIC_LOG)):"; sed 's/^/web | /' $(WEB_STATIC_LOG); fi; \
	e2e=; if [ $$status = 0 ]; then rm -f $(E2E_GATE); \
	  E2E_START_WHEN=$(CURDIR)/$(E2E_GATE) $(MAKE) --no-print-directory web-e2e & e2e=$$!; fi; \
	go test -vet=off -race -count=1 -timeout 6m $(RACE_PKGS) || status=$$?; \
	scripts/stop-test-services.sh; scripts/build-cache.sh save; \
	if [ -n "$$e2e" ]; then \
	  if [ $$status = 0 ]; then echo go; else echo "the race pass failed"; fi >$(E2E_GATE).new; mv $(E2E_GATE).new $(E2E_GATE); \
	  wait $$e2e || status=1; rm -f $(E2E_GATE); fi; \
	exit $$status

# `make template-test`: the template mode's Go tests (internal/devstack:
# the template-driven platform end to end, a broken template, webhooks
# through the queue mapping, a Platinum sign-up) with every platform
# starting its own CDK synth worker (ITR_OWN_SYNTH=1), as make dev
# MODE=template does. make test runs the same tests, but its Platinum
# sign-ups share one warm worker: the second tenant stack is the first
# one's synth with the id replaced (test/infra proves that equal to a
# synth), which saves a CDK app start and a synth.
.PHONY: template-test
template-test: tools ## the template mode's Go tests, each platform synthesizing with a CDK worker of its own (make test shares one)
	@status=0; ITR_OWN_SYNTH=1 go test -count=1 -timeout 20m -run 'Template' ./internal/devstack/ || status=$$?; \
	scripts/stop-test-services.sh; exit $$status

# The race detector on the packages with concurrency: the gateway (usage
# plans, authorizer cache) under the short load, the authorizer's caches,
# the fault-injection proxy, idempotency leases, the onboarding machine's
# leases and resumption, and the local cloud (Lambda processes and their
# Runtime API, the service processes). Longest first, as GO_TEST_FIRST (the
# last idle fresh clone: onboarding 39 s, idempotency 26, loadtest 25,
# lambdaproc 18, localcloud 11, the rest 6 or less).
RACE_PKGS := ./internal/onboarding/ ./internal/idempotency/... ./internal/loadtest/ ./internal/lambdaproc/ \
	./internal/localcloud/ ./internal/gateway/ ./internal/authorizer/ ./internal/chaos/

-include mk/*.mk

dev: tools web-build ## run the whole platform locally on http://localhost:8080 (web app at /, API at /v1) as the synthesized template deploys it, functions as Lambda processes; MODE=in-process runs every handler in one process; CELLS=2 runs cell-1 and cell-2 side by side (cell-2 on CELL2_GATEWAY_ADDR)
	go build -o bin/issuetracker ./cmd/issuetracker
	bin/issuetracker dev -mode $(or $(MODE),$(ITR_DEV_MODE),template) $(if $(CELLS),-cells $(CELLS))

dev-reset: ## wipe the local platform's state (.local/dev)
	go run ./cmd/issuetracker reset
