package infra_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/api"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// resourcePaths resolves every AWS::ApiGateway::Resource to its full path.
func resourcePaths(t *testing.T) map[string]string {
	res := resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Resource")
	paths := map[string]string{}
	var resolve func(id string) string
	resolve = func(id string) string {
		if p, ok := paths[id]; ok {
			return p
		}
		r, ok := res[id]
		if !ok {
			return "" // the API's root resource
		}
		p := resolve(ref(props(r)["ParentId"])) + "/" + props(r)["PathPart"].(string)
		paths[id] = p
		return p
	}
	for id := range res {
		resolve(id)
	}
	return paths
}

func TestEveryRouteIsDeployedWithItsAccessRule(t *testing.T) {
	paths := resourcePaths(t)
	authorizers := resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Authorizer")
	if len(authorizers) != 1 {
		t.Fatalf("want one authorizer, got %d", len(authorizers))
	}
	var authorizerID string
	for id, a := range authorizers {
		authorizerID = id
		if got := props(a)["Type"]; got != "REQUEST" {
			t.Errorf("authorizer type = %v, want REQUEST", got)
		}
		if got, _ := props(a)["AuthorizerResultTtlInSeconds"].(float64); got <= 0 {
			t.Errorf("authorizer result cache TTL = %v, want > 0", got)
		}
	}

	methods := map[string]map[string]any{}
	for _, m := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Method") {
		p := props(m)
		if p["HttpMethod"] == "OPTIONS" {
			continue // CORS preflight
		}
		path := paths[ref(p["ResourceId"])]
		if path == "" {
			path = "/"
		}
		methods[fmt.Sprintf("%s %s", p["HttpMethod"], path)] = p
	}

	want := routes.All()
	if len(methods) != len(want) {
		t.Errorf("deployed %d methods, the route table has %d: %v", len(methods), len(want), keys(methods))
	}
	for _, r := range want {
		key := r.Method + " " + r.Path
		t.Run(fmt.Sprintf("%s is %s", key, r.Access.Kind), func(t *testing.T) {
			m, ok := methods[key]
			if !ok {
				t.Fatalf("route %s is not deployed", key)
			}
			auth, authID := m["AuthorizationType"], ref(m["AuthorizerId"])
			apiKey, _ := m["ApiKeyRequired"].(bool)
			switch r.Access.Kind {
			case routes.Public:
				if auth != "NONE" || authID != "" {
					t.Errorf("public route has authorization %v / authorizer %q, want NONE and none", auth, authID)
				}
			default:
				if auth != "CUSTOM" || authID != authorizerID {
					t.Errorf("route has authorization %v / authorizer %q, want CUSTOM / %s", auth, authID, authorizerID)
				}
			}
			if wantKey := r.Access.Kind == routes.Tenant; apiKey != wantKey {
				t.Errorf("ApiKeyRequired = %v, want %v (tenant routes are metered by the tenant's key)", apiKey, wantKey)
			}
			if integ := m["Integration"].(map[string]any); integ["Type"] != "AWS_PROXY" {
				t.Errorf("integration type = %v, want AWS_PROXY", integ["Type"])
			}
			fn := synth.platform.Functions[string(r.Function)]
			uri := fmt.Sprint(m["Integration"].(map[string]any)["Uri"])
			if id := logicalID(fn.Function.Node().DefaultChild()); !contains(uri, id) {
				t.Errorf("integration %s does not invoke function %s (%s)", uri, r.Function, id)
			}
		})
	}
}

func TestApiMetersTenantsByTheirOwnKey(t *testing.T) {
	tmpl := template(t, stacks.PlatformStackName)
	check(t, "one REST API", func() { tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::RestApi"), jsii.Number(1)) })
	check(t, "API key source", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]any{"ApiKeySourceType": "AUTHORIZER"})
	})
	check(t, "stage has access logs and tracing", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]any{
			"AccessLogSetting": map[string]any{"DestinationArn": assertions.Match_AnyValue(), "Format": assertions.Match_StringLikeRegexp(jsii.String("tenantId"))},
			"TracingEnabled":   true,
		})
	})
}

func TestUsagePlansEqualTheTierCatalog(t *testing.T) {
	tmpl := template(t, stacks.PlatformStackName)
	all := tiers.All()
	check(t, "one plan per tier", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::UsagePlan"), jsii.Number(float64(len(all))))
	})
	plans := map[string]map[string]any{}
	for _, p := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::UsagePlan") {
		plans[props(p)["UsagePlanName"].(string)] = props(p)
	}
	for _, tier := range all {
		t.Run(string(tier.Name)+" plan has the catalog's limits", func(t *testing.T) {
			p, ok := plans[api.UsagePlanName("issuetracker", tier.Name)]
			if !ok {
				t.Fatalf("no usage plan for %s in %v", tier.Name, keys(plans))
			}
			th := p["Throttle"].(map[string]any)
			q := p["Quota"].(map[string]any)
			if th["RateLimit"] != tier.RateLimit || th["BurstLimit"] != float64(tier.Burst) {
				t.Errorf("throttle = %v, want rate %v burst %v", th, tier.RateLimit, tier.Burst)
			}
			if q["Limit"] != float64(tier.MonthlyQuota) || q["Period"] != "MONTH" {
				t.Errorf("quota = %v, want %v per MONTH", q, tier.MonthlyQuota)
			}
			stages, _ := p["ApiStages"].([]any)
			if len(stages) != 1 {
				t.Errorf("plan applies to %d stages, want 1", len(stages))
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
