package infra_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/constructs/waf"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/edge"
)

func webACL(t *testing.T, stack string) (string, map[string]any) {
	t.Helper()
	acls := resources(t, stack, "AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs in %s, want 1", len(acls), stack)
	}
	for id, a := range acls {
		return id, props(a)
	}
	return "", nil
}

func rulesByName(p map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range asList(p["Rules"]) {
		r := r.(map[string]any)
		out[r["Name"].(string)] = r
	}
	return out
}

func TestTheAPIStageIsBehindTheWebACL(t *testing.T) {
	id, p := webACL(t, stacks.PlatformStackName)
	if p["Scope"] != "REGIONAL" || jsonOf(p["DefaultAction"]) != `{"Allow":{}}` {
		t.Errorf("scope %v, default %s: want REGIONAL, allow", p["Scope"], jsonOf(p["DefaultAction"]))
	}
	rules := rulesByName(p)
	order := map[string]float64{waf.RuleRateLimit: 0, waf.RuleBodySize: 1, waf.RuleCommon: 2, waf.RuleKnownBad: 3}
	if len(rules) != len(order) {
		t.Errorf("rules %v, want %v", keys(rules), order)
	}
	for name, prio := range order {
		if r, ok := rules[name]; !ok || r["Priority"] != prio {
			t.Errorf("rule %s missing or not at priority %v: %s", name, prio, jsonOf(r))
		}
	}
	t.Run("one source IP is blocked past its rate", func(t *testing.T) {
		r := rules[waf.RuleRateLimit]
		want := `{"RateBasedStatement":{"AggregateKeyType":"IP","EvaluationWindowSec":300,"Limit":` + fmt.Sprint(waf.DefaultRateLimit) + `}}`
		if got := jsonOf(r["Statement"]); got != want || jsonOf(r["Action"]) != `{"Block":{}}` {
			t.Errorf("rate rule %s / %s, want %s blocking", got, jsonOf(r["Action"]), want)
		}
	})
	t.Run("bodies over the edge's limit are blocked, as the local gateway refuses them", func(t *testing.T) {
		r := rules[waf.RuleBodySize]
		want := fmt.Sprintf(`{"SizeConstraintStatement":{"ComparisonOperator":"GT","FieldToMatch":{"Body":{"OversizeHandling":"MATCH"}},"Size":%d,"TextTransformations":[{"Priority":0,"Type":"NONE"}]}}`, edge.MaxBodyBytes)
		if diff := cmp.Diff(want, jsonOf(r["Statement"])); diff != "" || jsonOf(r["Action"]) != `{"Block":{}}` {
			t.Errorf("size rule (-want +got):\n%s", diff)
		}
		if got := jsonOf(p["AssociationConfig"]); got != `{"RequestBody":{"API_GATEWAY":{"DefaultSizeInspectionLimit":"KB_64"}}}` {
			t.Errorf("WAF inspects %s of a body, less than edge.MaxBodyBytes (%d)", got, edge.MaxBodyBytes)
		}
	})
	t.Run("the managed rule sets block, except the rules the edge replaces or that refuse legitimate issue text", func(t *testing.T) {
		common := rules[waf.RuleCommon]["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)
		var counted []string
		for _, o := range asList(common["RuleActionOverrides"]) {
			o := o.(map[string]any)
			if jsonOf(o["ActionToUse"]) != `{"Count":{}}` {
				t.Errorf("override %s", jsonOf(o))
			}
			counted = append(counted, o["Name"].(string))
		}
		if diff := cmp.Diff(waf.DefaultCountOnly, counted); diff != "" || common["VendorName"] != "AWS" {
			t.Errorf("common rule set overrides (-want +got):\n%s", diff)
		}
		bad := rules[waf.RuleKnownBad]["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)
		if bad["VendorName"] != "AWS" || bad["RuleActionOverrides"] != nil {
			t.Errorf("known bad inputs: %s", jsonOf(bad))
		}
		for _, name := range []string{waf.RuleCommon, waf.RuleKnownBad} {
			if jsonOf(rules[name]["OverrideAction"]) != `{"None":{}}` {
				t.Errorf("%s runs in count mode: %s", name, jsonOf(rules[name]["OverrideAction"]))
			}
		}
	})
	t.Run("the ACL is associated with the API stage", func(t *testing.T) {
		stageID := logicalID(synth.platform.API.Stage.Node().DefaultChild())
		assoc := resources(t, stacks.PlatformStackName, "AWS::WAFv2::WebACLAssociation")
		if len(assoc) != 1 {
			t.Fatalf("%d associations, want 1", len(assoc))
		}
		for _, a := range assoc {
			if ap := props(a); !strings.Contains(jsonOf(ap["ResourceArn"]), stageID) || ref(ap["WebACLArn"]) != id {
				t.Errorf("association %s, want the stage %s and the ACL %s", jsonOf(ap), stageID, id)
			}
		}
	})
	t.Run("its logs redact the Authorization header", func(t *testing.T) {
		logs := resources(t, stacks.PlatformStackName, "AWS::WAFv2::LoggingConfiguration")
		if len(logs) != 1 {
			t.Fatalf("%d logging configurations, want 1", len(logs))
		}
		for _, l := range logs {
			lp := props(l)
			if jsonOf(lp["RedactedFields"]) != `[{"SingleHeader":{"Name":"authorization"}}]` || ref(lp["ResourceArn"]) != id {
				t.Errorf("logging %s", jsonOf(lp))
			}
			if dest := jsonOf(lp["LogDestinationConfigs"]); !strings.Contains(dest, ":log-group:") || strings.HasSuffix(dest, `:*"]`) {
				t.Errorf("log destination %s is not a log group ARN WAF accepts", dest)
			}
		}
	})
	t.Run("cdk-nag finds the stage protected", func(t *testing.T) {
		var msgs *[]*cxapi.SynthesisMessage
		check(t, "annotations", func() {
			msgs = assertions.Annotations_FromStack(synth.platform.Stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-APIG3.*")))
		})
		if msgs != nil && len(*msgs) > 0 {
			t.Errorf("AwsSolutions-APIG3: %v", (*msgs)[0].Entry.Data)
		}
	})
}

// The construct also builds the ACL of a CloudFront distribution (the web
// app's), which AWS takes in us-east-1 only.
func TestTheWebACLCanProtectACloudFrontDistribution(t *testing.T) {
	ready(t)
	out, err := os.MkdirTemp("", "cdk-waf-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(out)
	check(t, "a CloudFront ACL in us-east-1", func() {
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
		st := awscdk.NewStack(app, jsii.String("Web"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(stacks.DefaultAccount), Region: jsii.String("us-east-1")}})
		acl := waf.NewForCloudFront(st, "Waf", &waf.Props{Name: "issuetracker-web", RateLimit: 1000})
		if acl.Arn == nil {
			panic("no ARN to give the distribution")
		}
		tmpl := assertions.Template_FromStack(st, nil)
		tmpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), map[string]any{
			"Scope":             "CLOUDFRONT",
			"AssociationConfig": map[string]any{"RequestBody": map[string]any{"CLOUDFRONT": map[string]any{"DefaultSizeInspectionLimit": "KB_64"}}},
		})
		tmpl.ResourceCountIs(jsii.String("AWS::WAFv2::WebACLAssociation"), jsii.Number(0))
	})
	t.Run("elsewhere it is refused at synth", func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "us-east-1") {
				t.Errorf("a CloudFront ACL in eu-west-1 was accepted: %v", r)
			}
		}()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
		st := awscdk.NewStack(app, jsii.String("WebEU"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(stacks.DefaultAccount), Region: jsii.String("eu-west-1")}})
		waf.NewForCloudFront(st, "Waf", &waf.Props{Name: "issuetracker-web"})
	})
}
