package infra_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/constructs/provisioning"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// roleOf is the logical id of a platform function's role.
func roleOf(name string) string {
	return logicalID(synth.platform.Functions[name].Role.Node().DefaultChild())
}

// granted reports whether role has a statement with action whose resources mention resource.
func granted(t *testing.T, roleID, action, resource string) bool {
	for _, s := range statements(t, roleID) {
		if strings.Contains(jsonOf(s["Action"]), `"`+action+`"`) && strings.Contains(jsonOf(s["Resource"]), resource) {
			return true
		}
	}
	return false
}

var runners = []string{string(routes.FnRegistration), string(routes.FnTenants), stacks.OnboardingFunction}

func TestOffboardingExportsGoToAPrivateEncryptedRetainedBucket(t *testing.T) {
	ready(t)
	bucketID := logicalID(synth.platform.Exports.Bucket.Node().DefaultChild())
	keyID := logicalID(synth.platform.Exports.Key.Node().DefaultChild())
	bucket := resources(t, stacks.PlatformStackName, "AWS::S3::Bucket")[bucketID]

	t.Run("the bucket is encrypted with its own rotating KMS key", func(t *testing.T) {
		enc := jsonOf(props(bucket)["BucketEncryption"])
		if !strings.Contains(enc, `"SSEAlgorithm":"aws:kms"`) || !strings.Contains(enc, keyID) {
			t.Errorf("encryption = %s, want aws:kms with %s", enc, keyID)
		}
		key := props(resources(t, stacks.PlatformStackName, "AWS::KMS::Key")[keyID])
		if key["EnableKeyRotation"] != true {
			t.Error("the exports key does not rotate")
		}
	})
	t.Run("the bucket blocks every kind of public access", func(t *testing.T) {
		pab := props(bucket)["PublicAccessBlockConfiguration"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("%s = %v", k, pab[k])
			}
		}
	})
	t.Run("the bucket refuses requests without TLS", func(t *testing.T) {
		found := false
		for _, pol := range resources(t, stacks.PlatformStackName, "AWS::S3::BucketPolicy") {
			p := props(pol)
			doc := jsonOf(p["PolicyDocument"])
			found = found || (ref(p["Bucket"]) == bucketID && strings.Contains(doc, `"aws:SecureTransport":"false"`) && strings.Contains(doc, `"Effect":"Deny"`))
		}
		if !found {
			t.Error("no Deny on aws:SecureTransport=false for the exports bucket")
		}
	})
	t.Run("access logs are delivered by a bucket policy for the exports and attachments buckets only, with ACLs off", func(t *testing.T) {
		logsID := logicalID(synth.platform.Exports.AccessLogs.Node().DefaultChild())
		logs := props(resources(t, stacks.PlatformStackName, "AWS::S3::Bucket")[logsID])
		if logs["AccessControl"] != nil {
			t.Errorf("the log bucket grants the ACL %v", logs["AccessControl"])
		}
		if own := jsonOf(logs["OwnershipControls"]); !strings.Contains(own, "BucketOwnerEnforced") {
			t.Errorf("ownership = %s, want BucketOwnerEnforced (ACLs disabled)", own)
		}
		found := false
		for _, pol := range resources(t, stacks.PlatformStackName, "AWS::S3::BucketPolicy") {
			if ref(props(pol)["Bucket"]) != logsID {
				continue
			}
			for _, s := range asList(props(pol)["PolicyDocument"].(map[string]any)["Statement"]) {
				s := s.(map[string]any)
				if jsonOf(s["Principal"]) != `{"Service":"logging.s3.amazonaws.com"}` {
					continue
				}
				found = true
				cond := jsonOf(s["Condition"])
				// The attachments bucket logs here too, under its own prefix (files_test.go).
				filesID := logicalID(synth.platform.Files.Bucket.Node().DefaultChild())
				source := strings.Contains(cond, bucketID) || (strings.Contains(cond, filesID) && strings.HasSuffix(jsonOf(s["Resource"]), `"/attachments/*"]]}`))
				if s["Action"] != "s3:PutObject" || !source || !strings.Contains(cond, `"aws:SourceAccount":"`+stacks.DefaultAccount+`"`) {
					t.Errorf("log delivery grant is broader than the exports and attachments buckets' logs: %s", jsonOf(s))
				}
			}
		}
		if !found {
			t.Error("no bucket policy lets S3 log delivery write the access logs")
		}
	})
	t.Run("exports move to Glacier, then expire, and the bucket outlives the stack", func(t *testing.T) {
		rules := jsonOf(props(bucket)["LifecycleConfiguration"])
		for _, want := range []string{`"StorageClass":"GLACIER"`, `"ExpirationInDays":400`, `"NoncurrentVersionExpiration"`, `"Status":"Enabled"`} {
			if !strings.Contains(rules, want) {
				t.Errorf("lifecycle lacks %s: %s", want, rules)
			}
		}
		if bucket["DeletionPolicy"] != "Retain" || bucket["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("deletion policy %v / %v, want Retain", bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"])
		}
	})
	t.Run("only the function that runs offboarding may write exports, and none may read or delete them", func(t *testing.T) {
		for _, name := range stacks.FunctionNames() {
			writes := granted(t, roleOf(name), "s3:PutObject", bucketID)
			want := name == stacks.OnboardingFunction
			if writes != want {
				t.Errorf("%s may put exports: %v, want %v", name, writes, want)
			}
			for _, s := range statements(t, roleOf(name)) {
				if strings.Contains(jsonOf(s["Resource"]), bucketID) && jsonOf(s["Action"]) != `"s3:PutObject"` {
					t.Errorf("%s is granted %s on the exports bucket", name, jsonOf(s["Action"]))
				}
			}
		}
	})
	t.Run("the function that runs offboarding is told the bucket and its key", func(t *testing.T) {
		fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
		for _, name := range []string{stacks.OnboardingFunction} {
			env := jsonOf(props(fns[logicalID(synth.platform.Functions[name].Function.Node().DefaultChild())])["Environment"])
			if !strings.Contains(env, `"`+envvars.ExportBucket+`":{"Ref":"`+bucketID+`"}`) || !strings.Contains(env, envvars.ExportKMSKey) {
				t.Errorf("%s environment lacks the exports bucket or key: %s", name, env)
			}
		}
	})
}

func TestStackOutcomesOnTheBusInvokeTheOnboardingFunction(t *testing.T) {
	ready(t)
	busID := logicalID(synth.platform.Provisioning.Bus.Node().DefaultChild())
	fnID := logicalID(synth.platform.Functions[stacks.OnboardingFunction].Function.Node().DefaultChild())
	var ruleID string
	t.Run("one rule on the bus matches both outcomes of the provisioning source and targets the onboarding function", func(t *testing.T) {
		for id, r := range resources(t, stacks.PlatformStackName, "AWS::Events::Rule") {
			p := props(r)
			if !strings.Contains(jsonOf(p["Targets"]), fnID) || p["ScheduleExpression"] != nil {
				continue // the maintenance schedule: below
			}
			if ruleID != "" {
				t.Errorf("two rules target the onboarding function: %s, %s", ruleID, id)
			}
			ruleID = id
			if ref(p["EventBusName"]) != busID {
				t.Errorf("rule on %v, want the platform bus", p["EventBusName"])
			}
			pat := p["EventPattern"].(map[string]any)
			if jsonOf(pat["source"]) != `["`+provisioning.SourceProvisioning+`","`+stackevents.SourceLifecycle+`"]` {
				t.Errorf("source = %s", jsonOf(pat["source"]))
			}
			var dts []string
			for _, d := range asList(pat["detail-type"]) {
				dts = append(dts, d.(string))
			}
			slices.Sort(dts)
			if !slices.Equal(dts, []string{stackevents.DetailTypeRunRequested, provisioning.DetailTypeFailed, provisioning.DetailTypeSucceeded}) {
				t.Errorf("detail-type = %v", dts)
			}
			if !strings.Contains(jsonOf(p["Targets"]), `"MaximumRetryAttempts"`) {
				t.Errorf("the target does not retry: %s", jsonOf(p["Targets"]))
			}
			dlqID := logicalID(synth.platform.OutcomesDLQ.Node().DefaultChild())
			if !strings.Contains(jsonOf(p["Targets"]), `"DeadLetterConfig"`) || !strings.Contains(jsonOf(p["Targets"]), dlqID) {
				t.Errorf("an outcome that exhausts its retries is lost (no dead-letter queue): %s", jsonOf(p["Targets"]))
			}
			alarmed := false
			for _, a := range resources(t, stacks.PlatformStackName, "AWS::CloudWatch::Alarm") {
				if strings.Contains(jsonOf(props(a)["Dimensions"]), dlqID) {
					alarmed = true
				}
			}
			if !alarmed {
				t.Error("no alarm watches the outcomes dead-letter queue")
			}
		}
		if ruleID == "" {
			t.Fatal("no rule targets the onboarding function")
		}
	})
	t.Run("only that rule and the maintenance schedule may invoke the onboarding function", func(t *testing.T) {
		schedule := ""
		for id, r := range resources(t, stacks.PlatformStackName, "AWS::Events::Rule") {
			if p := props(r); p["ScheduleExpression"] != nil && strings.Contains(jsonOf(p["Targets"]), fnID) {
				schedule = id
			}
		}
		n := 0
		for _, perm := range resources(t, stacks.PlatformStackName, "AWS::Lambda::Permission") {
			p := props(perm)
			if ref(p["FunctionName"]) != fnID {
				continue
			}
			n++
			if src := ref(p["SourceArn"]); p["Principal"] != "events.amazonaws.com" || (src != ruleID && src != schedule) {
				t.Errorf("invoke permission for %v from %v", p["Principal"], p["SourceArn"])
			}
		}
		if n != 2 {
			t.Errorf("%d invoke permissions, want 2", n)
		}
	})
	t.Run("the API functions may put only run requests on the bus, the onboarding function only stack requests; only it reads tenant stacks", func(t *testing.T) {
		for _, name := range stacks.FunctionNames() {
			runner := slices.Contains(runners, name)
			// Billing starts the onboarding run of a paid registration (an
			// event); it reads no stack.
			if got, want := granted(t, roleOf(name), "events:PutEvents", busID), runner || name == stacks.BillingFunction; got != want {
				t.Errorf("%s may put events: %v, want %v", name, got, want)
			}
			for _, s := range statements(t, roleOf(name)) {
				if !strings.Contains(jsonOf(s["Action"]), "events:PutEvents") {
					continue
				}
				want := `{"StringEquals":{"events:detail-type":["` + stackevents.DetailTypeRunRequested + `"],"events:source":"` + stackevents.SourceLifecycle + `"}}`
				if name == stacks.OnboardingFunction {
					want = `{"StringEquals":{"events:detail-type":["` + provisioning.DetailTypeDeployRequested + `","` + provisioning.DetailTypeDestroyRequested + `"],"events:source":"` + provisioning.SourceOnboarding + `"}}`
				}
				if got := jsonOf(s["Condition"]); got != want {
					t.Errorf("%s may put %s, want %s (no function may forge the pipeline's outcomes)", name, got, want)
				}
			}
			if got := granted(t, roleOf(name), "cloudformation:DescribeStacks", ":stack/IssueTracker-Tenant-*/*"); got != (name == stacks.OnboardingFunction) {
				t.Errorf("%s may describe tenant stacks: %v", name, got)
			}
			for _, s := range statements(t, roleOf(name)) {
				a := jsonOf(s["Action"])
				if strings.Contains(a, "cloudformation:") && a != `"cloudformation:DescribeStacks"` {
					t.Errorf("%s is granted %s", name, a)
				}
			}
		}
	})
	t.Run("the onboarding function creates API keys; Root's and billing's functions only move them between plans; all three read the plan ids", func(t *testing.T) {
		for _, name := range stacks.FunctionNames() {
			creates := granted(t, roleOf(name), "apigateway:POST", "/apikeys")
			moves := granted(t, roleOf(name), "apigateway:POST", "/usageplans/")
			reads := granted(t, roleOf(name), "ssm:GetParameters", "/usage-plans/")
			want := [3]bool{name == stacks.OnboardingFunction, name == stacks.OnboardingFunction || name == string(routes.FnTenants) || name == stacks.BillingFunction, false}
			want[2] = want[1]
			if got := [3]bool{creates, moves, reads}; got != want {
				t.Errorf("%s creates keys, moves keys, reads plan ids: %v, want %v", name, got, want)
			}
		}
	})
}

// The lifecycle's periodic job (resume runs that died, retire old homes)
// runs in AWS too: a schedule invokes the onboarding function with the
// event its handler takes as "maintenance due".
func TestAScheduleRunsTheLifecycleMaintenance(t *testing.T) {
	ready(t)
	fnID := logicalID(synth.platform.Functions[stacks.OnboardingFunction].Function.Node().DefaultChild())
	found := 0
	for _, r := range resources(t, stacks.PlatformStackName, "AWS::Events::Rule") {
		p := props(r)
		if p["ScheduleExpression"] == nil || !strings.Contains(jsonOf(p["Targets"]), fnID) {
			continue
		}
		found++
		if p["ScheduleExpression"] != fmt.Sprintf("rate(%d minutes)", stacks.MaintenanceMinutes) {
			t.Errorf("schedule %v", p["ScheduleExpression"])
		}
		targets := asList(p["Targets"])
		if len(targets) != 1 {
			t.Fatalf("targets %v", targets)
		}
		var ev awsstacks.Event
		if err := json.Unmarshal([]byte(targets[0].(map[string]any)["Input"].(string)), &ev); err != nil {
			t.Fatalf("input: %v", err)
		}
		if ev.Source != stackevents.SourceLifecycle || ev.DetailType != stackevents.DetailTypeMaintenanceDue {
			t.Errorf("the schedule sends %+v, which the onboarding function does not take as maintenance", ev)
		}
	}
	if found != 1 {
		t.Errorf("%d maintenance schedules target the onboarding function, want 1", found)
	}
}
