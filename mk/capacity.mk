# `make capacity` (issue #20): the capacity model of one cell (one AWS
# account and Region) for the default scenarios: which quota binds first
# and at what tenant count, per tier mix and traffic profile. The design is
# counted from the CDK snapshot templates; docs/scale.md quotes this output.
#   make capacity
#   go run ./cmd/capacity -mix basic=70,standard=20,premium=8,platinum=2 -tenants 5000 -profile typical
.PHONY: capacity
capacity: ## capacity model: AWS quotas, first to bind, headroom (docs/scale.md)
	@go run ./cmd/capacity
