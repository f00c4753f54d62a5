package infra_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/telemetry"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

func TestEveryFunctionIsAGravitonGoBinaryWithItsThreeAlarms(t *testing.T) {
	ready(t)
	fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
	for id := range fns {
		if strings.HasPrefix(id, "CustomCDKBucketDeployment") {
			delete(fns, id) // CDK's own handler that uploads the web app (constructs/webapp), not ours
		}
	}
	alarms := resources(t, stacks.PlatformStackName, "AWS::CloudWatch::Alarm")
	if want := len(stacks.FunctionNames()) + 4; len(fns) != want { // + Google sign-in's trigger, the stream-analytics and stream-activity consumers, webhook delivery
		t.Errorf("%d functions, want %d", len(fns), want)
	}
	for _, name := range stacks.FunctionNames() {
		t.Run(name, func(t *testing.T) {
			fn := synth.platform.Functions[name]
			id := logicalID(fn.Function.Node().DefaultChild())
			p := props(fns[id])
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || jsonOf(p["Architectures"]) != `["arm64"]` {
				t.Errorf("runtime %v handler %v arch %v, want provided.al2023 bootstrap arm64", p["Runtime"], p["Handler"], p["Architectures"])
			}
			if tc, _ := p["TracingConfig"].(map[string]any); tc["Mode"] != "Active" {
				t.Errorf("tracing = %v, want Active", p["TracingConfig"])
			}
			if lc, _ := p["LoggingConfig"].(map[string]any); lc == nil || lc["LogGroup"] == nil {
				t.Errorf("no explicit log group: %v", p["LoggingConfig"])
			}
			if !strings.HasSuffix(jsonOf(p["Code"]), `.zip"}`) || !strings.Contains(jsonOf(p["Code"]), fn.AssetHash[:16]) && !strings.Contains(jsonOf(p["Code"]), "S3Key") {
				t.Errorf("code is not a zip asset: %v", p["Code"])
			}
			metrics := map[string]bool{}
			for _, a := range alarms {
				ap := props(a)
				if strings.Contains(jsonOf(ap["Dimensions"]), id) && len(asList(ap["AlarmActions"])) > 0 {
					metrics[ap["MetricName"].(string)+"/"+strOr(ap["ExtendedStatistic"], ap["Statistic"])] = true
				}
			}
			for _, want := range []string{"Errors/Sum", "Throttles/Sum", "Duration/p99"} {
				if !metrics[want] {
					t.Errorf("no %s alarm with an action (has %v)", want, metrics)
				}
			}
		})
	}
}

func strOr(a, b any) string {
	if s, ok := a.(string); ok {
		return s
	}
	s, _ := b.(string)
	return s
}

func TestAlarmsCoverTheApiTablesAndThePlatinumTenant(t *testing.T) {
	platform := template(t, stacks.PlatformStackName)
	check(t, "API 5XX rate", func() {
		platform.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"AlarmName": "issuetracker-api-issuetracker-5xx-rate", "Metrics": assertions.Match_AnyValue()})
	})
	check(t, "API p99 latency", func() {
		platform.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"AlarmName": "issuetracker-api-issuetracker-p99-latency", "ExtendedStatistic": "p99", "MetricName": "Latency"})
	})
	for _, table := range []string{"app", "control"} {
		for _, kind := range []string{"throttles", "system-errors"} {
			check(t, table+" "+kind, func() {
				platform.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"AlarmName": "issuetracker-table-" + table + "-" + kind})
			})
		}
	}
	check(t, "one dashboard", func() { platform.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1)) })
	check(t, "alert topic encrypted", func() {
		platform.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{"TopicName": "issuetracker-alerts", "KmsMasterKeyId": assertions.Match_AnyValue()})
	})

	tenant := template(t, stacks.TenantStackName(tenantID))
	prefix := "issuetracker-tenant-" + tenantID
	// The table's and the tenant's 5XX, and the analytics and activity consumers' five each
	// (errors, throttles, duration, failed batch, iterator age).
	check(t, "tenant alarms", func() { tenant.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(13)) })
	for _, name := range []string{prefix + "-table-app-throttles", prefix + "-table-app-system-errors", prefix + "-tenant-" + tenantID + "-5xx",
		prefix + "-stream-stream-analytics-iterator-age", prefix + "-queue-stream-analytics-failures-not-empty"} {
		check(t, name, func() {
			tenant.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"AlarmName": name,
				// The platform's topic, by name (partition literal: the region is known).
				"AlarmActions": []any{"arn:aws:sns:" + stacks.DefaultRegion + ":" + stacks.DefaultAccount + ":issuetracker-alerts"},
			})
		})
	}
	check(t, "the tenant 5xx alarm watches the metric the functions emit", func() {
		tenant.ResourcePropertiesCountIs(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"AlarmName":  prefix + "-tenant-" + tenantID + "-5xx",
			"Namespace":  telemetry.Namespace,
			"MetricName": telemetry.MetricServerErrors,
			"Dimensions": []any{map[string]any{"Name": telemetry.DimTenant, "Value": tenantID}},
			"Statistic":  "Sum",
		}, jsii.Number(1))
	})
	check(t, "tenant stack notifies the platform topic", func() {
		if !strings.Contains(jsonOf(synth.raw[stacks.TenantStackName(tenantID)]), ":issuetracker-alerts") {
			panic("no reference to the issuetracker-alerts topic")
		}
	})
}

func TestSynthTenantWritesATemplateTheLocalDeployerCanRead(t *testing.T) {
	ready(t)
	path, err := stacks.SynthTenant(t.TempDir(), "globex", stacks.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, "IssueTracker-Tenant-globex.template.json") {
		t.Errorf("template path = %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"AWS::DynamoDB::Table"`, `"TableName": "` + schema.Names{}.Silo("globex") + `"`, `"AWS::Cognito::UserPool"`, `"AWS::Cognito::UserPoolClient"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("template lacks %s", want)
		}
	}
	if _, err := stacks.SynthTenant(t.TempDir(), "Not_Valid", stacks.Config{}); err == nil {
		t.Error("SynthTenant accepted an invalid tenant id")
	}

	// The local cloud's cache (the synth worker's): the sentinel tenant's
	// template with the id replaced is globex's own synth, byte for byte.
	cache := &stacks.TenantTemplates{Dir: t.TempDir()}
	cached, err := cache.Synth(t.TempDir(), "globex")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(cached) != filepath.Base(path) {
		t.Errorf("cached template file %s, synthesized %s", filepath.Base(cached), filepath.Base(path))
	}
	c, err := os.ReadFile(cached)
	if err != nil {
		t.Fatal(err)
	}
	if string(c) != string(b) {
		t.Errorf("the cached template differs from globex's synth:\n%s", firstDifference(string(c), string(b)))
	}
	if _, err := cache.Synth(t.TempDir(), "Not_Valid"); err == nil {
		t.Error("the cache accepted an invalid tenant id")
	}
}

// firstDifference shows where two texts part.
func firstDifference(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	from := max(0, n-200)
	return fmt.Sprintf("at byte %d:\n--- cached\n%s\n--- synthesized\n%s", n, a[from:min(len(a), n+200)], b[from:min(len(b), n+200)])
}

func TestTheDashboardShowsEveryTiersTrafficFromTheFunctionsMetrics(t *testing.T) {
	ready(t)
	var body string
	for _, d := range resources(t, stacks.PlatformStackName, "AWS::CloudWatch::Dashboard") {
		body += jsonOf(props(d)["DashboardBody"])
	}
	for _, tr := range tiers.All() {
		for _, m := range []string{telemetry.MetricRequests, telemetry.MetricServerErrors, telemetry.MetricLatency} {
			want := fmt.Sprintf(`\"%s\",\"%s\",\"%s\",\"%s\"`, telemetry.Namespace, m, telemetry.DimTier, tr.Name)
			if !strings.Contains(body, want) {
				t.Errorf("the dashboard has no %s of tier %s (looked for %s)", m, tr.Name, want)
			}
		}
	}
}

// The local cloud's warm synth worker (`infra synth-worker`) writes the same
// templates as the CDK app run per tenant, keeps serving after a bad
// request, and answers the next tenant without starting node again.
func TestTheSynthWorkerServesTenantAfterTenant(t *testing.T) {
	ready(t)
	root, err := gofunction.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	w := &localdeploy.SynthWorker{Root: root}
	defer w.Close()
	for i, id := range []string{"globex", "Not_Valid", "initech"} {
		start := time.Now()
		path, err := w.Synth(t.TempDir(), id)
		if id == "Not_Valid" {
			if err == nil {
				t.Error("the worker accepted an invalid tenant id")
			}
			continue
		}
		if err != nil {
			t.Fatalf("synth %s: %v", id, err)
		}
		t.Logf("synth %d (%s): %v", i+1, id, time.Since(start).Round(time.Millisecond))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := `"TableName": "` + (schema.Names{}).Silo(id) + `"`
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: template lacks %s", id, want)
		}
	}
}
