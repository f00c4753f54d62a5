package infra_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/telemetry"
)

// Stripe's two secrets are readable by the billing function only, which
// finds them by ARN in its environment; no other function learns of them.
func TestStripeSecretsAreReadableByTheBillingFunctionOnly(t *testing.T) {
	ready(t)
	b := synth.platform.BillingParts
	if b == nil {
		t.Fatal("no billing parts")
	}
	secrets := resources(t, stacks.PlatformStackName, "AWS::SecretsManager::Secret")
	ids := map[string]string{logicalID(b.APIKey.Node().DefaultChild()): billing.EnvStripeAPIKeySecretARN,
		logicalID(b.WebhookSecret.Node().DefaultChild()): billing.EnvStripeWebhookSecretARN}
	fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
	for id, env := range ids {
		s, ok := secrets[id]
		if !ok {
			t.Fatalf("no secret %s", id)
		}
		if s["DeletionPolicy"] != "Retain" {
			t.Errorf("secret %s is not retained: %v", id, s["DeletionPolicy"])
		}
		if props(s)["SecretString"] != nil {
			t.Errorf("secret %s has a value in the template", id)
		}
		for _, name := range stacks.FunctionNames() {
			var reads []string
			for _, st := range statements(t, roleOf(name)) {
				if strings.Contains(jsonOf(st["Resource"]), `"Ref":"`+id+`"`) {
					reads = append(reads, jsonOf(st["Action"]))
				}
			}
			fnEnv := jsonOf(props(fns[logicalID(synth.platform.Functions[name].Function.Node().DefaultChild())])["Environment"])
			if name != stacks.BillingFunction {
				if len(reads) > 0 || strings.Contains(fnEnv, env) {
					t.Errorf("%s may read or knows the secret %s: %v", name, id, reads)
				}
				continue
			}
			if len(reads) != 1 || (reads[0] != `["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"]` && reads[0] != `["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"]`) {
				t.Errorf("billing reads %s with %v, want GetSecretValue and DescribeSecret only", id, reads)
			}
			if !strings.Contains(fnEnv, `"`+env+`":{"Ref":"`+id+`"}`) {
				t.Errorf("billing's environment lacks %s = the secret's ARN: %s", env, fnEnv)
			}
		}
	}
}

// The webhook is public in API Gateway (no authorizer, no API key): Stripe
// has no token, the function checks its signature.
func TestTheStripeWebhookHasNoAuthorizer(t *testing.T) {
	platform := template(t, stacks.PlatformStackName)
	m := synth.platform.API.Methods["POST /v1/billing/webhook"]
	if m == nil {
		t.Fatal("no webhook method")
	}
	check(t, "webhook method", func() {
		platform.HasResourceProperties(jsii.String("AWS::ApiGateway::Method"), map[string]any{
			"HttpMethod": "POST", "AuthorizationType": "NONE", "ApiKeyRequired": assertions.Match_Absent(),
			"OperationName": "stripeWebhook",
		})
	})
}

// EventBridge Scheduler invokes the billing function every hour and on the
// 1st of every month (UTC), with the job as input, a retry policy and a
// dead-letter queue watched by an alarm; its role may invoke that function
// only.
func TestBillingJobsAreScheduled(t *testing.T) {
	ready(t)
	schedules := resources(t, stacks.PlatformStackName, "AWS::Scheduler::Schedule")
	fnID := logicalID(synth.platform.Functions[stacks.BillingFunction].Function.Node().DefaultChild())
	want := map[string]string{"rate(1 hour)": `{"job":"` + billing.JobHourly + `"}`, "cron(5 0 1 * ? *)": `{"job":"` + billing.JobMonthlyClose + `"}`}
	if len(schedules) != len(want) {
		t.Fatalf("%d schedules, want %d", len(schedules), len(want))
	}
	dlqID := logicalID(synth.platform.BillingParts.JobsDLQ.Node().DefaultChild())
	for _, s := range schedules {
		p := props(s)
		expr, _ := p["ScheduleExpression"].(string)
		input, ok := want[expr]
		if !ok {
			t.Errorf("unexpected schedule %s", expr)
			continue
		}
		if expr != "rate(1 hour)" && p["ScheduleExpressionTimezone"] != "Etc/UTC" {
			t.Errorf("%s runs in %v, want Etc/UTC", expr, p["ScheduleExpressionTimezone"])
		}
		tg := p["Target"].(map[string]any)
		if ref(tg["Arn"]) != fnID || tg["Input"] != input {
			t.Errorf("%s targets %v with %v, want the billing function with %s", expr, tg["Arn"], tg["Input"], input)
		}
		if ref(tg["DeadLetterConfig"].(map[string]any)["Arn"]) != dlqID {
			t.Errorf("%s has no dead-letter queue", expr)
		}
		role := ref(tg["RoleArn"])
		for _, st := range statements(t, role) {
			a := jsonOf(st["Action"])
			if a != `"lambda:InvokeFunction"` && a != `"sqs:SendMessage"` {
				t.Errorf("the scheduler's role may %s", a)
			}
			if a == `"lambda:InvokeFunction"` && !strings.Contains(jsonOf(st["Resource"]), fnID) {
				t.Errorf("the scheduler's role may invoke %s", jsonOf(st["Resource"]))
			}
		}
	}
	alarms := resources(t, stacks.PlatformStackName, "AWS::CloudWatch::Alarm")
	found := false
	for _, a := range alarms {
		found = found || props(a)["AlarmName"] == "issuetracker-queue-billing-jobs-dlq-not-empty"
	}
	if !found {
		t.Error("no alarm on the jobs' dead-letter queue")
	}
}

// The functions that admit registrations know billing is on; the billing
// function may change a tenant's API key plan (tier changes) and mail.
func TestBillingIsWiredIntoTheLifecycle(t *testing.T) {
	ready(t)
	fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
	for _, name := range stacks.FunctionNames() {
		env := jsonOf(props(fns[logicalID(synth.platform.Functions[name].Function.Node().DefaultChild())])["Environment"])
		on := strings.Contains(env, `"`+billing.EnvProvider+`":"stripe"`)
		if on != slices.Contains(stacks.BillingAdmitters, name) {
			t.Errorf("%s: billing provider set %v", name, on)
		}
	}
	role := roleOf(stacks.BillingFunction)
	if !granted(t, role, "apigateway:POST", "/usageplans/") || !granted(t, role, "apigateway:DELETE", "/usageplans/") || !granted(t, role, "ssm:GetParameters", "/usage-plans/") {
		t.Error("billing cannot move a tenant's API key to another usage plan")
	}
	if !slices.Contains(stacks.MailSenders, string(routes.FnBilling)) {
		t.Error("billing does not mail")
	}
}

// The dashboard shows every tenant's requests and 5XX (a SEARCH over the
// TenantId dimension) and the top tenants from the functions' logs.
func TestTheDashboardShowsPerTenantUsage(t *testing.T) {
	ready(t)
	var body string
	for _, d := range resources(t, stacks.PlatformStackName, "AWS::CloudWatch::Dashboard") {
		body += jsonOf(props(d)["DashboardBody"])
	}
	for _, want := range []string{`SEARCH('{` + telemetry.Namespace + `,` + telemetry.DimTenant + `} MetricName=\\\"` + telemetry.MetricRequests,
		`top tenants by requests`, `by ` + telemetry.DimTenant} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}
