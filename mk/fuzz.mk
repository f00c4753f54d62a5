# `make fuzz`: every Go fuzz target (path/URL handling in the gateway and the
# Lambda adapter, the JSON request decoder, list cursors, token parsing) for
# FUZZTIME each, one after the other. `make test` runs their seed corpora only.
.PHONY: fuzz
FUZZTIME ?= 30s
fuzz: ## run every Go fuzz target for FUZZTIME each (default 30s)
	@status=0; FUZZTIME=$(FUZZTIME) scripts/fuzz.sh || status=$$?; scripts/stop-test-services.sh; exit $$status
