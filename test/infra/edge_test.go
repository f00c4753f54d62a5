package infra_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/constructs/api"
	"github.com/issuetracker/issuetracker/constructs/tenantaccess"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// webOrigin is the platform's web origin as the template spells it (symbolic):
// the web app's CloudFront distribution (constructs/webapp), never localhost.
const webOrigin = "https://<WebDistribution.DomainName>"

func quoted(s string) string { return "'" + s + "'" }

// The revocation promise (docs/people.md, README): a revoked user or a
// suspended tenant is refused within authorizer.RevocationDelay (30 s). The
// deployed authorizer cache is part of that delay.
func TestTheDeployedAuthorizerCachesForTheEdgeTTL(t *testing.T) {
	for _, a := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Authorizer") {
		got, _ := props(a)["AuthorizerResultTtlInSeconds"].(float64)
		if want := edge.AuthorizerResultTTL.Seconds(); got != want {
			t.Errorf("authorizer result TTL = %v s, want edge.AuthorizerResultTTL = %v s", got, want)
		}
		if delay := authorizer.RegistryCacheTTL.Seconds() + got; delay > authorizer.RevocationDelay.Seconds() {
			t.Errorf("a revocation takes up to %v s in AWS, the runtime promises %v", delay, authorizer.RevocationDelay)
		}
	}
}

func TestCORSPreflightsAreTheEdges(t *testing.T) {
	want := map[string]any{
		"method.response.header.Access-Control-Allow-Origin":  quoted(webOrigin),
		"method.response.header.Access-Control-Allow-Headers": quoted(edge.List(edge.CORSAllowHeaders)),
		"method.response.header.Access-Control-Allow-Methods": quoted(edge.List(edge.CORSAllowMethods)),
		"method.response.header.Access-Control-Max-Age":       quoted(strconv.Itoa(int(edge.CORSMaxAge.Seconds()))),
		"method.response.header.Vary":                         quoted("Origin"),
	}
	// The preflight is an answer of the API like any other: the security
	// headers every answer carries (none before edge14).
	declared := map[string]any{}
	for k := range want {
		declared[k] = true
	}
	for k, v := range edge.SecurityHeaders() {
		want["method.response.header."+k] = quoted(v)
		declared["method.response.header."+k] = true
	}
	n := 0
	for id, m := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Method") {
		p := props(m)
		if p["HttpMethod"] != "OPTIONS" {
			continue
		}
		n++
		integ := p["Integration"].(map[string]any)
		got := symbolic(asList(integ["IntegrationResponses"])[0].(map[string]any)["ResponseParameters"])
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("preflight %s (-edge +template):\n%s", id, diff)
		}
		// API Gateway sends only the headers the method response declares.
		if diff := cmp.Diff(declared, asList(p["MethodResponses"])[0].(map[string]any)["ResponseParameters"]); diff != "" {
			t.Errorf("preflight %s's method response (-edge +template):\n%s", id, diff)
		}
	}
	if n == 0 {
		t.Fatal("no CORS preflight methods")
	}
}

// API Gateway's own answers (401 from the authorizer, 429 from a usage
// plan, WAF blocks...) must carry CORS, or a browser cannot read them, and
// the same security headers as the functions' answers.
func TestGatewayResponsesCarryTheEdgeHeaders(t *testing.T) {
	want := map[string]any{
		"gatewayresponse.header.Access-Control-Allow-Origin":   quoted(webOrigin),
		"gatewayresponse.header.Access-Control-Expose-Headers": quoted(edge.List(edge.CORSExposeHeaders)),
		"gatewayresponse.header.Vary":                          quoted("Origin"),
	}
	for k, v := range edge.SecurityHeaders() {
		want["gatewayresponse.header."+k] = quoted(v)
	}
	var types []string
	for _, r := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::GatewayResponse") {
		p := props(r)
		types = append(types, p["ResponseType"].(string))
		if diff := cmp.Diff(want, symbolic(p["ResponseParameters"])); diff != "" {
			t.Errorf("gateway response %s (-edge +template):\n%s", p["ResponseType"], diff)
		}
	}
	sort.Strings(types)
	wantTypes := []string{"ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"}
	for _, g := range httpapi.GatewayAnswers {
		wantTypes = append(wantTypes, g.ResponseType)
	}
	sort.Strings(wantTypes)
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("gateway responses (-want +template):\n%s", diff)
	}
}

// Every answer API Gateway makes itself is problem+json: the ones the local
// gateway makes too (httpapi.GatewayAnswers: no session, no route, a usage
// plan's limit, a timeout) are, filled as API Gateway fills them, the local
// gateway's problem with the same status; the rest carry API Gateway's
// message. API Gateway's default bodies ({"message":"Unauthorized"}, a 403
// "Missing Authentication Token" for an unknown path) are neither.
func TestAPIGatewaysOwnAnswersAreTheLocalGatewaysProblems(t *testing.T) {
	byType := map[string]map[string]any{}
	for _, r := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::GatewayResponse") {
		p := props(r)
		byType[p["ResponseType"].(string)] = p
	}
	for _, g := range httpapi.GatewayAnswers {
		p := byType[g.ResponseType]
		if p == nil {
			t.Errorf("%s: no gateway response", g.ResponseType)
			continue
		}
		if p["StatusCode"] != strconv.Itoa(g.Status()) {
			t.Errorf("%s: status %v, want %d", g.ResponseType, p["StatusCode"], g.Status())
		}
		tmpl, _ := p["ResponseTemplates"].(map[string]any)[httpapi.ProblemContentType].(string)
		var got httpapi.Problem
		if err := json.Unmarshal([]byte(strings.ReplaceAll(tmpl, "$context.requestId", "req-1")), &got); err != nil {
			t.Fatalf("%s: the filled template is not JSON: %v\n%s", g.ResponseType, err, tmpl)
		}
		if diff := cmp.Diff(httpapi.ProblemOf(g.Err(), "", "req-1"), got); diff != "" {
			t.Errorf("%s differs from the local gateway's problem (-local +AWS):\n%s", g.ResponseType, diff)
		}
	}
	for _, typ := range []string{"DEFAULT_4XX", "DEFAULT_5XX"} {
		tmpl, _ := byType[typ]["ResponseTemplates"].(map[string]any)[httpapi.ProblemContentType].(string)
		body := strings.NewReplacer("$context.error.responseType", "BAD_REQUEST_BODY",
			"$context.error.messageString", `"Invalid request body"`, "$context.requestId", "req-1").Replace(tmpl)
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: the filled template is not JSON: %v\n%s", typ, err, body)
		}
		if got["code"] != "gateway_refused" || got["detail"] != "Invalid request body" || got["request_id"] != "req-1" {
			t.Errorf("%s: %v", typ, got)
		}
	}
}

// The authorizer's Deny renders as the problem the local gateway answers:
// the template, filled as API Gateway fills it from the Deny's context
// (authorizer.Handle), is the same problem+json.
func TestTheAuthorizersDenyIsAProblemWithItsCode(t *testing.T) {
	var tmpl string
	for _, r := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::GatewayResponse") {
		if p := props(r); p["ResponseType"] == "ACCESS_DENIED" {
			tmpl, _ = p["ResponseTemplates"].(map[string]any)[httpapi.ProblemContentType].(string)
			if p["StatusCode"] != "403" {
				t.Errorf("ACCESS_DENIED status %v", p["StatusCode"])
			}
		}
	}
	refusal := errs.Forbidden("tenant_in_other_cell", "this workspace lives in cell-2: call https://two.example/prod")
	body := strings.NewReplacer("$context.authorizer.code", refusal.Code, "$context.authorizer.message", refusal.Message,
		"$context.requestId", "req-1").Replace(tmpl)
	var got httpapi.Problem
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("the filled template is not JSON: %v\n%s", err, body)
	}
	if diff := cmp.Diff(httpapi.ProblemOf(refusal, "", "req-1"), got); diff != "" {
		t.Errorf("the 403 differs from the local gateway's problem (-local +AWS):\n%s", diff)
	}
}

// The environment contract: each function gets exactly the variables the
// runtime requires of it (internal/envvars.For), with the values the rest of
// the stack uses.
func TestEachFunctionGetsTheEnvironmentTheRuntimeRequires(t *testing.T) {
	fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
	for _, name := range stacks.FunctionNames() {
		t.Run(name, func(t *testing.T) {
			fn := synth.platform.Functions[name]
			env, _ := props(fns[logicalID(fn.Function.Node().DefaultChild())])["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			want, ok := envvars.For(routes.Function(name))
			if !ok {
				t.Fatalf("no contract for %s", name)
			}
			// Set only with a download key (downloads_test.go).
			if envvars.StoresFiles(routes.Function(name)) && synth.platform.Downloads != nil {
				want = append(want, envvars.CloudFrontDownloads...)
				slices.Sort(want)
			}
			if diff := cmp.Diff(want, keys(vars)); diff != "" {
				t.Errorf("environment (-contract +template):\n%s", diff)
			}
			literal := map[string]string{
				envvars.TablePrefix:      "issuetracker",
				envvars.TenantSessionTag: tenantaccess.DefaultTagKey,
				envvars.CORSOrigins:      webOrigin,
			}
			for k, v := range literal {
				if got, ok := vars[k]; ok && symbolic(got) != v {
					t.Errorf("%s = %v, want %s", k, got, v)
				}
			}
			if prefix, ok := vars[envvars.UsagePlanParameterPrefix].(string); ok {
				for _, tier := range tiers.All() {
					if p := api.UsagePlanParameterName("issuetracker", tier.Name); !strings.HasPrefix(p, prefix) {
						t.Errorf("the plan id of %s is at %s, outside %s", tier.Name, p, prefix)
					}
				}
			}
		})
	}
}

// The deployed API's side of the local gateway's OPTIONS and HEAD answers
// (internal/devstack's TestOPTIONSAndHEADAnswerAsTheDeployedAPI): the
// resources with a preflight (an OPTIONS MOCK method) are exactly
// routes.ResourcePaths(), which the in-process gateway answers OPTIONS on,
// so OPTIONS elsewhere is API Gateway's missing route in every mode; and no
// method is HEAD or ANY, so HEAD (and any method a resource lacks) is a
// missing route too, never a function's answer.
func TestTheDeployedAPIsPreflightsAreTheResources(t *testing.T) {
	paths := resourcePaths(t)
	var preflights []string
	for id, m := range resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Method") {
		p := props(m)
		switch p["HttpMethod"] {
		case "OPTIONS":
			if integ, _ := p["Integration"].(map[string]any); integ["Type"] != "MOCK" {
				t.Errorf("OPTIONS %s is integrated with %v, not the MOCK preflight", id, integ["Type"])
			}
			path := paths[ref(p["ResourceId"])]
			if path == "" {
				path = "/"
			}
			preflights = append(preflights, path)
		case "HEAD", "ANY":
			t.Errorf("method %s is %v: the local gateway answers it as a missing route", id, p["HttpMethod"])
		}
	}
	sort.Strings(preflights)
	if diff := cmp.Diff(routes.ResourcePaths(), preflights); diff != "" {
		t.Errorf("the API's preflights (-routes.ResourcePaths +template):\n%s", diff)
	}
}
