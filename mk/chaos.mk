# `make chaos`: fault injection against a fresh local platform, about three
# minutes (cmd/chaos): DynamoDB Local SIGKILLed mid-load and restarted on its
# data (ledger verified, 503 + Retry-After during the outage, recovery
# without a platform restart), latency injected between the platform and
# DynamoDB (deadlines hold, no goroutine left behind), cognito-local down
# (tokens keep working from the JWKS cache), the local S3 down (only file
# requests fail, 503), the platform itself SIGKILLed
# mid-load and mid-onboarding and restarted (ledger, the run resumed, its
# services gone with it). Ports: DYNAMODB_PORT,
# COGNITO_PORT, GATEWAY_ADDR, S3_PORT, MAIL_SMTP_PORT, MAIL_UI_PORT,
# STRIPE_PORT, ITR_DEBUG_ADDR (defaults differ from make dev's and make load's).
# CHAOS_DB_KILLS=n runs only the DynamoDB kill, n times in a row on one ledger
# (about a minute each); every acknowledged write is logged to
# .local/chaos/ledger.jsonl, and a loss is classified as DynamoDB Local's or
# the platform's (docs/performance.md, "What DynamoDB Local guarantees").
# CHAOS_MIX=create=3,update=2,comment=1,read=1 weighs the load (make load's mix
# by default).
.PHONY: chaos
chaos: load-tools ## fault injection: database killed mid-load, latency, identity provider down, platform killed mid-onboarding (about 4 minutes)
	@mkdir -p bin
	go build -o bin/issuetracker ./cmd/issuetracker
	go run ./cmd/chaos

# `make chaos-durability`: DynamoDB Local alone, SIGKILLed while writers put
# items with PutItem and TransactWriteItems, restarted on its data; every
# acknowledged write read back (internal/localcloud
# TestDynamoDBLocalDurabilityAcrossSIGKILL). ROUNDS=5 by default.
ROUNDS ?= 5
.PHONY: chaos-durability
chaos-durability: ## DynamoDB Local's durability across SIGKILL: acknowledged PutItems and transactions read back (about 30 s a round)
	ITR_DURABILITY_ROUNDS=$(ROUNDS) go test -count=1 -run TestDynamoDBLocalDurabilityAcrossSIGKILL -v -timeout 60m ./internal/localcloud/
