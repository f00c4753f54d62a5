package api_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/constructs/api"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/cfntemplate"
	"github.com/issuetracker/issuetracker/internal/routes"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// newAPI defines the API in a stack of its own, with stand-in functions,
// in an app with the project's feature flags.
func newAPI(t *testing.T, app awscdk.App, name string, props api.Props) *api.API {
	t.Helper()
	stack := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
	fn := func(id string) awslambda.IFunction {
		return awslambda.NewFunction(stack, jsii.String(id), &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_NODEJS_24_X(), Handler: jsii.String("index.handler"),
			Code: awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({})")),
		})
	}
	props.Functions = map[routes.Function]awslambda.IFunction{}
	for _, f := range routes.Functions() {
		props.Functions[f] = fn("Fn" + string(f))
	}
	props.Authorizer = fn("Authorizer")
	return api.New(stack, "Api", &props)
}

func newApp(t *testing.T, outdir string) awscdk.App {
	t.Helper()
	app, err := stacks.NewApp("", outdir)
	require.NoError(t, err)
	return app
}

// deploymentID is the logical id of the stage's deployment.
func deploymentID(a *api.API) string {
	el := a.Deployment.Node().DefaultChild().(awscdk.CfnElement)
	return fmt.Sprint(awscdk.Stack_Of(a.Deployment).Resolve(el.LogicalId()))
}

// API Gateway serves a stage from a deployment, a snapshot of the API: the
// deployment must be a new resource whenever a route, a method option, an
// integration or the authorizer changes, or `cdk deploy` updates the
// nested stacks and leaves the stage on the old routes.
func TestTheDeploymentChangesWithTheAPI(t *testing.T) {
	app := newApp(t, "")
	base := deploymentID(newAPI(t, app, "Base", api.Props{}))
	require.Regexp(t, `^ApiRestApiDeployment[0-9A-F]{8}[0-9a-f]{32}$`, base)
	assert.Equal(t, base, deploymentID(newAPI(t, app, "Same", api.Props{})), "the same API keeps its deployment")

	changed := func(edit func(rs []routes.Route) []routes.Route) api.Props {
		return api.Props{Routes: edit(routes.All())}
	}
	for name, props := range map[string]api.Props{
		"a route's path": changed(func(rs []routes.Route) []routes.Route {
			rs[len(rs)-1].Path += "/v2"
			return rs
		}),
		"a new route": changed(func(rs []routes.Route) []routes.Route {
			return append(rs, routes.Route{Method: "GET", Path: "/v1/issues/{issueId}/links", Function: routes.FnIssues,
				Access: routes.Access{Kind: routes.Tenant}, OperationID: "listIssueLinks"})
		}),
		"a route's access": changed(func(rs []routes.Route) []routes.Route {
			for i := range rs {
				if rs[i].Access.Kind == routes.Public {
					rs[i].Access.Kind = routes.Tenant
					break
				}
			}
			return rs
		}),
		"a route's function": changed(func(rs []routes.Route) []routes.Route {
			if rs[1].Function == routes.FnIssues {
				rs[1].Function = routes.FnUsers
			} else {
				rs[1].Function = routes.FnIssues
			}
			return rs
		}),
		"the authorizer cache":   {AuthorizerCacheTTL: awscdk.Duration_Seconds(jsii.Number(1))},
		"the CORS origins":       {CORSOrigins: []string{"https://app.example.com"}},
		"a group's nested stack": {RouteStacks: map[string]string{"/v1/issues": "Elsewhere"}},
	} {
		t.Run(name+" makes a new deployment", func(t *testing.T) {
			got := deploymentID(newAPI(t, app, "Changed", props))
			assert.NotEqual(t, base, got)
		})
		app = newApp(t, "") // a fresh app: stack names repeat
	}
}

// The parent keeps the routes out: a new route lands in a nested stack, and
// each nested stack has room for about a hundred more routes (the branches
// in flight add projects, saved views, webhooks and an admin console).
func TestTheTemplatesHaveRoomForAHundredMoreRoutes(t *testing.T) {
	dir := t.TempDir()
	app := newApp(t, dir)
	newAPI(t, app, "Today", api.Props{})
	grown := routes.All()
	add := func(n int, fn routes.Function, path func(i int) string) {
		for i := range n {
			grown = append(grown, routes.Route{Method: "GET", Path: path(i), Function: fn,
				Access: routes.Access{Kind: routes.Tenant}, OperationID: fmt.Sprintf("op%d", len(grown))})
		}
	}
	add(30, routes.FnIssues, func(i int) string { return fmt.Sprintf("/v1/roadmaps/{roadmapId}/part%d", i) })
	add(20, routes.FnIssues, func(i int) string { return fmt.Sprintf("/v1/saved-views/{viewId}/part%d", i) })
	add(20, routes.FnTenants, func(i int) string { return fmt.Sprintf("/v1/integrations/{integrationId}/part%d", i) })
	add(30, routes.FnTenants, func(i int) string { return fmt.Sprintf("/v1/admin/console/part%d/{id}", i) })
	newAPI(t, app, "Grown", api.Props{Routes: grown})
	app.Synth(nil)

	count := map[string]int{}
	for _, name := range []string{"Today", "Grown"} {
		s, err := cfntemplate.Load(dir, name)
		require.NoError(t, err)
		for _, n := range s.All() {
			count[n.Name] = len(n.Resources())
			t.Logf("%s: %d resources", n.Name, count[n.Name])
			assert.LessOrEqual(t, count[n.Name], stacks.MaxTemplateResources, n.Name)
			if n.LogicalID != "" {
				assert.Zero(t, cfntemplate.Count(n.Template, "AWS::ApiGateway::RestApi"), "a nested stack imports the API")
			}
		}
		flat, err := s.Flatten()
		require.NoError(t, err)
		assert.Equal(t, 1, cfntemplate.Count(flat, "AWS::ApiGateway::Deployment"))
	}
	// Three new groups get three nested stacks; the routes themselves add
	// nothing to the parent.
	assert.Equal(t, count["Today"]+3, count["Grown"], "the parent grows by a nested stack per new group, not per route")
	for _, name := range []string{"RoutesAdmin", "RoutesRoadmaps", "RoutesSavedViews", "RoutesIntegrations"} {
		assert.Contains(t, count, "Grown/"+name)
	}
	assert.Greater(t, count["Grown/RoutesAdmin"], count["Today/RoutesAdmin"], "admin console routes join the admin group's stack")
}
