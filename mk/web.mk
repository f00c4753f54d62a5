# The web app (issue #11): web/ is a Vite + React + TypeScript project with
# its own package.json and lock file. See docs/web.md.
#   make web-build     build web/dist (make dev serves it at /)
#   make web-dev       Vite with hot reload, API proxied to a running make dev
#   make web-api       regenerate the typed API client from the OpenAPI document
#   make web-static    build, typecheck, lint, Vitest, client drift (no Go service needed)
#   make web-test      web-static, then the Playwright suite
.PHONY: web-tools web-build web-dev web-api web-api-check web-unit web-static web-e2e web-e2e-cells web-e2e-template web-test web-perf

WEB_NPM := cd web &&

web/node_modules/.installed: web/package.json web/package-lock.json
	$(WEB_NPM) npm ci --no-audit --no-fund --loglevel=error
	echo 'module ignored // keeps `go ./...` out of node_modules' > web/node_modules/go.mod
	touch $@

web-tools: web/node_modules/.installed ## npm ci in web/ and Debian's chromium for the browser tests
	@scripts/install-chromium.sh

# The build's inputs: a make dev with nothing changed in web/ skips the
# build (tsc and vite took 119 s wall, 26 s CPU, at load average 22 on
# 2026-12-01: most of what make dev waited on; docs/performance.md).
WEB_INPUTS := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
	$(wildcard web/tsconfig*.json) web/package.json web/package-lock.json

# The packages are order-only: a new lock file is an input, a touched stamp is not.
web/dist/.built: $(WEB_INPUTS) | web/node_modules/.installed
	$(WEB_NPM) npm run --silent build -- --logLevel warn
	touch $@

web-build: web/dist/.built ## build the web app into web/dist (again when a file of web/ changed)

web-dev: web/node_modules/.installed ## Vite with hot reload on VITE_PORT (5173), API from make dev (GATEWAY_ADDR)
	$(WEB_NPM) npm run dev

web-api: web/node_modules/.installed ## regenerate web/src/api from the API's OpenAPI document
	go run ./cmd/issuetracker openapi > web/src/api/openapi.json
	$(WEB_NPM) npx openapi-typescript src/api/openapi.json -o src/api/schema.d.ts --silent

web-api-check: web/node_modules/.installed ## fail when the web app's generated client drifts from the API
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	go run ./cmd/issuetracker openapi > $$tmp/openapi.json && \
	(cd web && npx openapi-typescript $$tmp/openapi.json -o $$tmp/schema.d.ts --silent) && \
	if ! diff -q $$tmp/openapi.json web/src/api/openapi.json >/dev/null || ! diff -q $$tmp/schema.d.ts web/src/api/schema.d.ts >/dev/null; then \
	  echo "web/src/api is stale: the API changed. Run 'make web-api' and commit the result." >&2; \
	  diff -u web/src/api/openapi.json $$tmp/openapi.json | head -40 >&2; exit 1; \
	fi; echo "web API client: no drift"

web-unit: web/node_modules/.installed ## typecheck, lint and Vitest
	$(WEB_NPM) npx tsc -b && npx eslint . && npx prettier --check . --log-level warn && npx vitest run

# The Playwright suite starts its own platform (bin/issuetracker dev) on the
# E2E_* ports (see web/e2e/env.ts) with its state in .local/e2e. Its tier
# migrations settle 12 s (ITR_MIGRATION_SETTLE), so e2e/migration.spec.ts
# meets the write freeze in the browser.
web-e2e: web-tools web-build ## the Playwright suite in Chromium (starts its own local platform)
	go build -o bin/issuetracker ./cmd/issuetracker
	$(WEB_NPM) ITR_MIGRATION_SETTLE=$${ITR_MIGRATION_SETTLE:-12s} npx playwright test

# The same suite against make dev's template mode (ITR_DEV_MODE=template):
# the synthesized template's functions as Lambda processes behind its API,
# its schedules and event source mappings, Platinum stacks through the
# platform. Not part of make test (a spec alone takes about a minute with
# the platform's start); E2E_SPECS narrows it (e.g. E2E_SPECS=e2e/admin.spec.ts).
web-e2e-template: web-tools web-build ## the Playwright suite against the template-driven platform (functions as Lambda processes)
	go build -o bin/issuetracker ./cmd/issuetracker
	$(WEB_NPM) ITR_DEV_MODE=template ITR_MIGRATION_SETTLE=$${ITR_MIGRATION_SETTLE:-12s} npx playwright test $(E2E_SPECS)

# The two-cell browser spec (e2e/cells.spec.ts, skipped by web-e2e): the
# platform with cell-2 on E2E_CELL2_GATEWAY_ADDR (make dev CELLS=2's setup).
web-e2e-cells: web-tools web-build ## the browser run across two cells: a registration redirected to cell-2, its owner working there
	go build -o bin/issuetracker ./cmd/issuetracker
	$(WEB_NPM) E2E_CELLS=2 npx playwright test e2e/cells.spec.ts

# What needs no Go service: make test runs it beside the Go tests.
web-static: web-build web-unit web-api-check ## the web app's build, typecheck, lint, Vitest and client drift (no Playwright)

web-test: web-static web-e2e ## everything the web app is tested with

web-perf: web-build ## bundle sizes and list first render with 1,000 issues (needs make dev running)
	$(WEB_NPM) node scripts/perf.mjs
