package infra_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/infra/stacks"
)

// logicalHash is the hash CDK appends to a logical id.
var logicalHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// symbolic renders a template value with references as <LogicalIdWithoutHash>
// and joins as one string, so a grant reads as it will in AWS.
func symbolic(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if id := ref(x); id != "" && len(x) == 1 {
			s := "<" + logicalHash.ReplaceAllString(id, "") + ">"
			if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) > 1 && ga[1] != "Arn" {
				s = "<" + logicalHash.ReplaceAllString(id, "") + "." + fmt.Sprint(ga[1]) + ">"
			}
			return s
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(x) == 1 && len(j) == 2 {
			var b strings.Builder
			for _, p := range asList(j[1]) {
				fmt.Fprint(&b, symbolic(p))
			}
			return b.String()
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = symbolic(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = symbolic(e)
		}
		return out
	}
	return v
}

// grantsOf lists every permission of a role, one line per resource and
// condition: "resource [condition]: action action...", sorted.
func grantsOf(t *testing.T, roleID string) []string {
	byTarget := map[string][]string{}
	for _, s := range statements(t, roleID) {
		if s["Effect"] != "Allow" {
			t.Errorf("unexpected %v statement %s", s["Effect"], jsonOf(s))
		}
		cond := ""
		if c, ok := s["Condition"]; ok {
			b, _ := json.Marshal(symbolic(c))
			cond = " " + string(b)
		}
		actions, resources := asList(s["Action"]), asList(s["Resource"])
		if a, ok := s["Action"].(string); ok {
			actions = []any{a}
		}
		if _, ok := s["Resource"].([]any); !ok {
			resources = []any{s["Resource"]}
		}
		for _, r := range resources {
			target := fmt.Sprintf("%v%s", symbolic(r), cond)
			for _, a := range actions {
				byTarget[target] = append(byTarget[target], a.(string))
			}
		}
	}
	var out []string
	for target, actions := range byTarget {
		sort.Strings(actions)
		out = append(out, target+": "+strings.Join(actions, " "))
	}
	sort.Strings(out)
	return out
}

// Helpers that spell the allow-list below.
func leading(patterns ...string) string {
	return `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["` + strings.Join(patterns, `","`) + `"]},"Null":{"dynamodb:LeadingKeys":"false"}}`
}

func plans() []string {
	var out []string
	for _, tier := range []string{"basic", "platinum", "premium", "standard"} {
		plan := "arn:aws:apigateway:us-east-1::/usageplans/<ApiRestApiPlan" + tier + ">/keys"
		out = append(out, plan+"/*: apigateway:DELETE apigateway:GET", plan+": apigateway:POST")
	}
	return out
}

func planIDs() []string {
	var out []string
	for _, tier := range []string{"basic", "platinum", "premium", "standard"} {
		out = append(out, "arn:aws:ssm:us-east-1:123456789012:parameter/issuetracker/usage-plans/"+tier+": ssm:GetParameters")
	}
	return out
}

const (
	xray      = "*: xray:PutTelemetryRecords xray:PutTraceSegments"
	asTenant  = "<TenantAccessRole>: sts:AssumeRole sts:TagSession"
	userAdmin = "cognito-idp:AdminAddUserToGroup cognito-idp:AdminCreateUser cognito-idp:AdminDeleteUser cognito-idp:AdminDisableUser cognito-idp:AdminEnableUser cognito-idp:AdminGetUser cognito-idp:AdminListGroupsForUser cognito-idp:AdminRemoveUserFromGroup cognito-idp:AdminSetUserPassword cognito-idp:AdminUpdateUserAttributes cognito-idp:ListUsers"
	// Dedicated pools of this cell only (its tenant stacks' cell tag).
	dedicated   = `arn:aws:cognito-idp:us-east-1:123456789012:userpool/* {"StringEquals":{"aws:ResourceTag/issuetracker:cell":"cell-1","aws:ResourceTag/issuetracker:tenant-pool":"true"}}: `
	runRequests = `<ProvisioningBus> {"StringEquals":{"events:detail-type":["Tenant Lifecycle Run Requested"],"events:source":"issuetracker.lifecycle"}}: events:PutEvents`
	// Every route function signs list cursors with the deployment's key.
	cursorKey = "<CursorKey>: secretsmanager:DescribeSecret secretsmanager:GetSecretValue"
	// The mail senders send from the configured identity and address only.
	sendMail = `arn:aws:ses:us-east-1:123456789012:identity/example.com {"StringEquals":{"ses:FromAddress":"no-reply@example.com"}}: ses:SendEmail`
	// ... with the configuration set that publishes bounces and complaints.
	sendMailSet = `arn:aws:ses:us-east-1:123456789012:configuration-set/issuetracker-mail {"StringEquals":{"ses:FromAddress":"no-reply@example.com"}}: ses:SendEmail`
	// Mail senders first ask whether the address is suppressed.
	readSuppressed = "<ControlTable> " + `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["SUPPRESSED#*"]},"Null":{"dynamodb:LeadingKeys":"false"}}` + ": dynamodb:GetItem"
)

// Every function serving tenants' users meters their usage: it adds to the
// tenant's usage items and reads the tenant to mail a threshold notice.
var (
	readTenant = "<ControlTable> " + leading("TENANT#*") + ": dynamodb:GetItem"
	meterUsage = "<ControlTable> " + leading("USAGE#*") + ": dynamodb:PutItem dynamodb:UpdateItem"
)

// idemMarker: a write's transaction commits the caller's Idempotency-Key
// record (internal/idempotency/txclaim): its state and token only.
func idemMarker(prefix string) string {
	return `<ControlTable> {"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","state","token","wtok"]},"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["` + prefix + `"]},"Null":{"dynamodb:LeadingKeys":"false"},"StringEqualsIfExists":{"dynamodb:ReturnValues":["NONE","UPDATED_OLD","UPDATED_NEW"]}}: dynamodb:UpdateItem`
}

func logsOf(fn string) string { return "<Fn" + fn + "Logs>: logs:CreateLogStream logs:PutLogEvents" }

// allowed is every permission of every function, reviewed by hand: a
// function that gains a grant (or loses one) fails this test until the list
// says so. Least privilege as the platform runs in AWS: the API functions
// request lifecycle runs on the bus and the onboarding function runs them,
// so it alone administers users and keys for new tenants, deploys stacks
// and offboards; the comments function cannot touch the control table at
// all, and the workspace function can change a tenant's branding but not
// its tier.
var allowed = map[string][]string{
	"meta": {xray, logsOf("meta"), cursorKey},
	// Its periodic job resumes abandoned status deletions (as each tenant,
	// through the tenant access role): the heartbeats' partition only, and
	// of a heartbeat's attributes it updates the time and runner only.
	"issues": {xray, logsOf("issues"), cursorKey, asTenant, readTenant, meterUsage,
		"<ControlTable> " + leading("JOBS#STATUSDEL") + ": dynamodb:DeleteItem dynamodb:PutItem dynamodb:Query",
		`<ControlTable> {"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","at","runner","wtok"]},"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["JOBS#STATUSDEL"]},"Null":{"dynamodb:LeadingKeys":"false"},"StringEqualsIfExists":{"dynamodb:ReturnValues":["NONE","UPDATED_OLD","UPDATED_NEW"]}}: dynamodb:UpdateItem`,
	},
	// Comments also redeliver webhooks: they queue an attempt.
	"comments": {xray, logsOf("comments"), cursorKey, asTenant, readTenant, meterUsage,
		"arn:aws:sqs:us-east-1:123456789012:issuetracker-webhooks: sqs:SendMessage"},
	"teams":     {xray, logsOf("teams"), cursorKey, asTenant, readTenant, meterUsage},
	"analytics": {xray, logsOf("analytics"), cursorKey, asTenant, readTenant, meterUsage},
	// No bucket grant: files are reached through tenant sessions only
	// (files_test.go). It reads the download distribution's signing key
	// (downloads_test.go), and lists the tenants for its upload sweep.
	"attachments": {xray, logsOf("attachments"), cursorKey, asTenant, readTenant, meterUsage,
		"<ControlTable>/index/gsi1 " + leading("TENANTS") + ": dynamodb:Query",
		"<DownloadKeyfc7828da4a14>: secretsmanager:DescribeSecret secretsmanager:GetSecretValue"}, // the signer's (testdata/downloads-next.pub.pem)
	"users": {xray, logsOf("users"), cursorKey, asTenant, sendMail, sendMailSet, readSuppressed, readTenant, meterUsage,
		"<ControlTable> " + leading("AUDIT#*") + ": dynamodb:PutItem dynamodb:Query",
		"<TenantPoolUserPool>: " + userAdmin,
		dedicated + userAdmin,
	},
	"workspace": {xray, logsOf("workspace"), cursorKey, readTenant, meterUsage,
		`<ControlTable> {"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","branding","updated_at","version","wtok"]},"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["TENANT#*"]},"Null":{"dynamodb:LeadingKeys":"false"},"StringEqualsIfExists":{"dynamodb:ReturnValues":["NONE","UPDATED_OLD","UPDATED_NEW"]}}: dynamodb:UpdateItem`,
		"<ControlTable> " + leading("AUDIT#*") + ": dynamodb:PutItem",
	},
	"registration": {xray, logsOf("registration"), cursorKey, runRequests, sendMail, sendMailSet, readSuppressed,
		"<ControlTable> " + leading("RATE#*") + ": dynamodb:UpdateItem",
		`<ControlTable> {"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","attempts","salt","wtok"]},"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["TENANT#*"]},"Null":{"dynamodb:LeadingKeys":"false"},"StringEqualsIfExists":{"dynamodb:ReturnValues":["NONE","UPDATED_OLD","UPDATED_NEW"]}}: dynamodb:UpdateItem`,
		"<ControlTable> " + leading("TENANT#*", "SETTINGS") + ": dynamodb:GetItem",
		"<ControlTable> " + leading("TENANT#*", "AUDIT#*", "PUBLIC#IDEM#*") + ": dynamodb:PutItem",
		"<ControlTable> " + leading("TENANT#*", "PUBLIC#IDEM#*") + ": dynamodb:DeleteItem",
		idemMarker("PUBLIC#IDEM#*"),
	},
	"tenants": append(append([]string{xray, logsOf("tenants"), cursorKey, asTenant, runRequests,
		"<ControlTable> " + leading("TENANT#*", "SETTINGS") + ": dynamodb:GetItem",
		"<ControlTable> " + leading("TENANT#*", "ISSUER#*", "AUDIT#*", "ROOT#IDEM#*", "SETTINGS") + ": dynamodb:PutItem",
		// The platform health page: this deployment's alarms only.
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:issuetracker-*: cloudwatch:DescribeAlarms",
		"<ControlTable> " + leading("ROOT#IDEM#*") + ": dynamodb:DeleteItem",
		idemMarker("ROOT#IDEM#*"),
		"<ControlTable> " + leading("AUDIT#*") + ": dynamodb:Query",
		"<ControlTable>/index/gsi1 " + leading("TENANTS") + ": dynamodb:Query",
		// The tenants table: a page of rows, then their tenants and usage.
		"<ControlTable>/index/gsi2 " + leading("TENANTROWS#*") + ": dynamodb:Query",
		"<ControlTable> " + leading("USAGE#*", "TENANT#*") + ": dynamodb:BatchGetItem",
		// Root signs out everywhere (when Root's sessions ended).
		"<ControlTable> " + leading("ROOTSESSIONS#*") + ": dynamodb:UpdateItem",
		// Root's mail suppression list: a page of it, and lifting one.
		// A lift reads the entry, then deletes it (maildb.Lift).
		"<ControlTable> " + leading("SUPPRESSED#*") + ": dynamodb:DeleteItem dynamodb:GetItem",
		"<ControlTable>/index/gsi1 " + leading("SUPPRESSIONS") + ": dynamodb:Query",
	}, plans()...), planIDs()...),
	// Stripe's secrets are the billing function's alone; it changes plans
	// and statuses (through the tenant's lifecycle), claims Stripe's events,
	// runs the hourly and monthly jobs over every account, and meters.
	"billing": append(append([]string{xray, logsOf("billing"), cursorKey, asTenant, runRequests, sendMail, sendMailSet, readSuppressed,
		"<Billingapikey>: secretsmanager:DescribeSecret secretsmanager:GetSecretValue",
		"<Billingwebhooksigningsecret>: secretsmanager:DescribeSecret secretsmanager:GetSecretValue",
		"<ControlTable> " + leading("AUDIT#*") + ": dynamodb:PutItem dynamodb:Query",
		"<ControlTable> " + leading("BILLINGCLOSE") + ": dynamodb:PutItem dynamodb:Query",
		"<ControlTable> " + leading("BILLINGCUSTOMER#*", "BILLINGEVENT#*") + ": dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem",
		"<ControlTable> " + leading("PUBLIC#IDEM#*") + ": dynamodb:DeleteItem dynamodb:PutItem",
		idemMarker("PUBLIC#IDEM#*"),
		"<ControlTable> " + leading("RATE#*") + ": dynamodb:UpdateItem",
		"<ControlTable> " + leading("TENANT#*") + ": dynamodb:BatchWriteItem dynamodb:ConditionCheckItem dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem",
		"<ControlTable> " + leading("USAGE#*") + ": dynamodb:BatchGetItem dynamodb:PutItem dynamodb:UpdateItem",
		"<ControlTable>/index/gsi1 " + leading("BILLING", "USAGEMONTH#*", "TENANTS") + ": dynamodb:Query",
	}, plans()...), planIDs()...),
	"onboarding": append(append([]string{xray, logsOf("onboarding"), asTenant, sendMail, sendMailSet, readSuppressed,
		"<ControlTable> " + leading("TENANT#*") + ": dynamodb:GetItem",
		"<ControlTable> " + leading("TENANT#*", "ISSUER#*", "AUDIT#*") + ": dynamodb:PutItem",
		"<ControlTable> " + leading("ISSUER#*", "TENANT#*", "BILLINGCUSTOMER#*") + ": dynamodb:DeleteItem",
		"<ControlTable>/index/gsi1 " + leading("TENANTS") + ": dynamodb:Query",
		"<TenantPoolUserPool>: " + userAdmin,
		dedicated + userAdmin,
		`<ProvisioningBus> {"StringEquals":{"events:detail-type":["Tenant Stack Deploy Requested","Tenant Stack Destroy Requested"],"events:source":"issuetracker.onboarding"}}: events:PutEvents`,
		"arn:aws:cloudformation:us-east-1:123456789012:stack/IssueTracker-Tenant-*/*: cloudformation:DescribeStacks",
		"arn:aws:apigateway:us-east-1::/apikeys: apigateway:GET",
		`arn:aws:apigateway:us-east-1::/apikeys {"ForAllValues:StringEquals":{"aws:TagKeys":["issuetracker:tenant"]},"Null":{"aws:RequestTag/issuetracker:tenant":"false"}}: apigateway:POST`,
		`arn:aws:apigateway:us-east-1::/apikeys/* {"Null":{"aws:ResourceTag/issuetracker:tenant":"false"}}: apigateway:DELETE`,
		"<PooledTable>: dynamodb:Scan",
		"arn:aws:dynamodb:us-east-1:123456789012:table/issuetracker-tenant-*: dynamodb:Scan",
		"<ExportsBucket>/*: s3:PutObject",
		"<ExportsKey>: kms:GenerateDataKey",
	}, plans()...), planIDs()...),
	"authorizer": {xray, logsOf("authorizer"), asTenant,
		"<ControlTable> " + leading("TENANT#*", "ISSUER#*", "ROOTSESSIONS#*") + ": dynamodb:GetItem", // and Root's sign-out
		// Ends the sessions of a root user the provider pool disabled, and
		// asks that pool whether a root user is enabled.
		`<ControlTable> {"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","sessions_ended_at","wtok"]},"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["ROOTSESSIONS#*"]},"Null":{"dynamodb:LeadingKeys":"false"},"StringEqualsIfExists":{"dynamodb:ReturnValues":["NONE","UPDATED_OLD","UPDATED_NEW"]}}: dynamodb:UpdateItem`,
		"<ProviderPoolUserPool>: cognito-idp:AdminGetUser",
		"<TenantPoolUserPool>: cognito-idp:AdminGetUser",
		dedicated + "cognito-idp:AdminGetUser",
	},
	"usermigration": {xray, logsOf("usermigration"),
		"<ControlTable> " + leading("TENANT#*", "ISSUER#*") + ": dynamodb:GetItem",
		"<TenantPoolUserPool>: cognito-idp:AdminGetUser cognito-idp:AdminInitiateAuth",
		dedicated + "cognito-idp:AdminGetUser cognito-idp:AdminInitiateAuth",
	},
}

func TestEachFunctionHasExactlyItsAllowedGrants(t *testing.T) {
	ready(t)
	if len(allowed) != len(stacks.FunctionNames()) {
		t.Errorf("the allow-list covers %d functions, the platform has %d", len(allowed), len(stacks.FunctionNames()))
	}
	for _, name := range stacks.FunctionNames() {
		t.Run(name, func(t *testing.T) {
			want := append([]string(nil), allowed[name]...)
			sort.Strings(want)
			if diff := cmp.Diff(want, grantsOf(t, roleOf(name))); diff != "" {
				t.Errorf("grants of %s differ from its allow-list (-allowed +granted); review the change, then update the list:\n%s", name, diff)
			}
		})
	}
}

// PRINT_GRANTS=1 go test -run TestPrintGrants -v ./test/infra prints the
// grants as the allow-list spells them, to review a change.
func TestPrintGrants(t *testing.T) {
	if os.Getenv("PRINT_GRANTS") == "" {
		t.Skip("set PRINT_GRANTS=1 to print every function's grants")
	}
	for _, name := range stacks.FunctionNames() {
		fmt.Printf("%q: {\n", name)
		for _, g := range grantsOf(t, roleOf(name)) {
			fmt.Printf("\t%q,\n", g)
		}
		fmt.Println("},")
	}
}
