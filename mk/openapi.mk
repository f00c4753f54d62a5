# `make openapi-lint`: the third-party validator (Redocly CLI, pinned in
# package.json, rules in redocly.yaml) on the OpenAPI document the API serves,
# written by cmd/openapi. `make test` runs it; any problem fails the build.
.PHONY: openapi-lint
openapi-lint: node_modules/.installed ## validate the OpenAPI document with Redocly CLI (zero problems)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	go run ./cmd/openapi > "$$tmp/openapi.json" && \
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint --config redocly.yaml "$$tmp/openapi.json" 2>&1 | grep -v '[║╔╚]'; \
	exit $${PIPESTATUS[0]}
