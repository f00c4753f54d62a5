package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/constructs/api"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/cfntemplate"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// CloudFormation takes at most 500 resources per template (CDK refuses to
// synthesize more); every template keeps headroom under it, so a feature
// that adds routes or alarms fails here, with the count, before it fails a
// deploy. The platform keeps its alarms and the API's routes in nested
// stacks for this.
func TestEveryTemplateStaysUnderTheResourceLimit(t *testing.T) {
	ready(t)
	for name, tmpl := range synth.files {
		n := len(tmpl["Resources"].(map[string]any))
		t.Logf("%s: %d resources", name, n)
		if n > stacks.MaxTemplateResources {
			t.Errorf("%s has %d resources, more than the %d kept under CloudFormation's 500: move a part into a nested stack", name, n, stacks.MaxTemplateResources)
		}
	}
	if _, ok := synth.files[stacks.PlatformStackName+"/"+stacks.ObservabilityStackID]; !ok {
		t.Error("the platform's alarms are not in their nested stack")
	}
}

// The API's path resources and methods live in the nested stacks of their
// route groups (constructs/api): the parent keeps only the paths every group
// shares (the root and /v1, with their CORS preflights), so a new route
// grows a nested stack, and the parent keeps room for about a hundred more
// routes' worth of resources (a new group adds one nested stack to it).
func TestTheAPIIsSplitAcrossNestedStacks(t *testing.T) {
	ready(t)
	parent := synth.files[stacks.PlatformStackName]
	if n := cfntemplate.Count(parent, "AWS::ApiGateway::Method"); n > 2 {
		t.Errorf("the platform template holds %d API methods, want only the shared paths' CORS preflights (2)", n)
	}
	if n := cfntemplate.Count(parent, "AWS::ApiGateway::Resource"); n > 1 {
		t.Errorf("the platform template holds %d API path resources, want only /v1", n)
	}
	if room := stacks.MaxTemplateResources - len(parent["Resources"].(map[string]any)); room < 100 {
		t.Errorf("the platform template has room for %d more resources, want at least 100", room)
	}
	routeStacks := 0
	for name, tmpl := range synth.files {
		if !strings.HasPrefix(name, stacks.PlatformStackName+"/"+api.RouteStackID("")) {
			continue
		}
		routeStacks++
		n := len(tmpl["Resources"].(map[string]any))
		if n > stacks.MaxTemplateResources/2 {
			t.Errorf("%s has %d resources: more than half of %d leaves too little room for its groups to grow; give a group a stack of its own (api.DefaultRouteStacks)",
				name, n, stacks.MaxTemplateResources)
		}
		if c := cfntemplate.Count(tmpl, "AWS::ApiGateway::RestApi") + cfntemplate.Count(tmpl, "AWS::ApiGateway::Deployment") +
			cfntemplate.Count(tmpl, "AWS::ApiGateway::Authorizer") + cfntemplate.Count(tmpl, "AWS::Lambda::Permission"); c != 0 {
			t.Errorf("%s defines %d RestApi, Deployment, Authorizer or Lambda permission resources: the parent owns them", name, c)
		}
	}
	if routeStacks != len(synth.platform.API.RouteStacks) || routeStacks < 2 {
		t.Errorf("%d route nested stacks in the assembly, the API made %d", routeStacks, len(synth.platform.API.RouteStacks))
	}
	// One deployment for the whole API, after every nested stack.
	deployments := resources(t, stacks.PlatformStackName, "AWS::ApiGateway::Deployment")
	if len(deployments) != 1 {
		t.Fatalf("%d deployments, want 1", len(deployments))
	}
	for _, d := range deployments {
		deps := map[string]bool{}
		list, _ := d["DependsOn"].([]any)
		for _, x := range list {
			deps[x.(string)] = true
		}
		for name, ns := range synth.platform.API.RouteStacks {
			if id := logicalID(ns.NestedStackResource()); !deps[id] {
				t.Errorf("the deployment does not wait for nested stack %s (%s)", name, id)
			}
		}
		if id := logicalID(synth.platform.API.Authorizer.Node().DefaultChild()); !deps[id] {
			t.Errorf("the deployment does not wait for the authorizer")
		}
	}
}

// One invoke permission per routed function, for any method and stage of
// the API (not one per nested stack, nor two per method).
func TestEachRoutedFunctionHasOneAPIPermission(t *testing.T) {
	perms := map[string]int{}
	for _, p := range resources(t, stacks.PlatformStackName, "AWS::Lambda::Permission") {
		pr := props(p)
		src := jsonString(t, pr["SourceArn"])
		if pr["Principal"] != "apigateway.amazonaws.com" || !strings.Contains(src, "/*/*/*") {
			continue
		}
		if !strings.Contains(src, logicalID(synth.platform.API.RestAPI.Node().DefaultChild())) {
			t.Errorf("permission %s is not for the API", src)
		}
		perms[ref(pr["FunctionName"])]++
	}
	seen := map[string]bool{}
	for _, f := range routes.Functions() {
		id := logicalID(synth.platform.Functions[string(f)].Function.Node().DefaultChild())
		seen[id] = true
		if perms[id] != 1 {
			t.Errorf("function %s has %d API invoke permissions, want 1", f, perms[id])
		}
	}
	for id := range perms {
		if !seen[id] {
			t.Errorf("function %s may be invoked by the API but has no route", id)
		}
	}
}
