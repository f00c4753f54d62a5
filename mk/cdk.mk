# CDK targets (issue #5). `make synth` needs no AWS account; deploy and diff
# use the credentials of the shell (AWS_PROFILE, ...). See docs/deploy.md.
#   make synth                      platform stack into cdk.out
#   make synth TENANTS=acme,globex  platform + those Platinum tenants
#   make synth TENANT=acme          that tenant's stack alone
#   make deploy [TENANT=acme]       make diff [TENANT=acme]
.PHONY: synth deploy diff destroy-tenant synth-bench

# The CLI is pinned in package.json (aws-cdk 2.1148.1): aws-cdk 3.0.0 is
# deprecated on npm and reads cloud assembly schema 43 at most, while the CDK
# library (v2.276.0) writes schema 55, which needs CLI >= 2.1147.0.
CDK ?= node_modules/.bin/cdk
CDK_OUT ?= cdk.out
CDK_CONTEXT := $(if $(TENANT),-c tenant=$(TENANT)) $(if $(TENANTS),-c tenants=$(TENANTS))
CDK_CONTEXT_JSON := {$(if $(TENANT),"tenant":"$(TENANT)")$(if $(and $(TENANT),$(TENANTS)),$(comma))$(if $(TENANTS),"tenants":"$(TENANTS)")}
comma := ,

synth: $(if $(TENANT),,web-build) ## synthesize offline into cdk.out (TENANT=id or TENANTS=a,b,c); the platform includes the built web app
	rm -rf $(CDK_OUT)
	CDK_OUTDIR=$(CDK_OUT) CDK_CONTEXT_JSON='$(CDK_CONTEXT_JSON)' go run ./infra
	@ls $(CDK_OUT)/*.template.json

deploy: node_modules/.installed $(if $(TENANT),,web-build) ## deploy the platform, or TENANT=id's stack, to the account of your credentials
	$(CDK) deploy $(CDK_CONTEXT) $(if $(TENANT),IssueTracker-Tenant-$(TENANT),--all) --require-approval broadening

diff: node_modules/.installed ## diff the platform, or TENANT=id's stack, against the deployed one
	$(CDK) diff $(CDK_CONTEXT) $(if $(TENANT),IssueTracker-Tenant-$(TENANT),--all)

destroy-tenant: node_modules/.installed ## destroy TENANT=id's stack (its table and user pool are retained)
	@test -n "$(TENANT)" || { echo "usage: make destroy-tenant TENANT=id"; exit 2; }
	$(CDK) destroy -c tenant=$(TENANT) IssueTracker-Tenant-$(TENANT) --force

synth-bench: ## time one synth of the platform stack plus 20 tenant stacks
	scripts/synth-bench.sh
