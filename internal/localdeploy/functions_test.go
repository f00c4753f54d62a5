package localdeploy_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

func platformTemplate(t *testing.T) *localdeploy.Template {
	t.Helper()
	tmpl, err := localdeploy.ReadTemplate(filepath.Join("..", "..", "infra", "templates", "IssueTracker-Platform.json"))
	require.NoError(t, err)
	return tmpl
}

// locals stands in for what make dev makes: pools and clients by logical
// id, the gateway at localhost:1234.
func locals(tmpl *localdeploy.Template) localdeploy.Locals {
	phys := map[string]string{}
	for _, typ := range []string{localdeploy.TypePool, localdeploy.TypeClient, localdeploy.TypeTable} {
		for _, id := range tmpl.IDs(typ) {
			phys[id] = "local-" + id
		}
	}
	for _, id := range tmpl.IDs("AWS::S3::Bucket") {
		phys[id] = "bucket-" + id
	}
	return localdeploy.Locals{Physical: phys, WebDomain: "localhost:1234", APIID: "local",
		URLs: map[string]string{"https://localhost:1234": "http://localhost:1234",
			"https://local.execute-api.us-east-1.amazonaws.com/prod/": "http://localhost:1234/"},
		Literals: map[string]string{"ITR_MAIL_SENDER=ses": "smtp", "ITR_TABLE_PREFIX=issuetracker": "itr-test"}}
}

func TestTheTemplateNamesEachGoFunctionsPackage(t *testing.T) {
	fns, err := platformTemplate(t).Functions()
	require.NoError(t, err)
	var names []string
	for _, f := range fns {
		names = append(names, f.Name)
		assert.Equal(t, "functions/"+f.Name, f.Source)
		assert.Positive(t, f.Timeout)
		assert.Equal(t, 256, f.MemoryMB)
	}
	for _, fn := range append(routes.Functions(), routes.FnAuthorizer, routes.FnOnboarding, routes.FnPreSignUp) {
		assert.Contains(t, names, string(fn))
	}
	assert.Contains(t, names, "stream-activity")
	f, ok := localdeploy.FunctionByLogicalID(fns, "FnonboardingFunction36A02D41")
	require.True(t, ok)
	assert.Equal(t, 120*time.Second, f.Timeout)
}

func TestEveryFunctionsEnvironmentResolvesToLocalNames(t *testing.T) {
	tmpl := platformTemplate(t)
	fns, err := tmpl.Functions()
	require.NoError(t, err)
	l := locals(tmpl)
	for _, f := range fns {
		env, err := l.Env(tmpl, f)
		require.NoError(t, err, f.Name)
		if fn := routes.Function(f.Name); slices.Contains(routes.Functions(), fn) {
			missing, err := envvars.Missing(fn, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			require.NoError(t, err)
			assert.Empty(t, missing, "%s: the template sets the contract", f.Name)
		}
		for _, v := range envvars.CloudFrontDownloads {
			assert.NotContains(t, env, v, "%s: no CloudFront locally, downloads stay presigned GETs of the local S3", f.Name)
		}
		if f.Name == "billing" {
			assert.Equal(t, "http://localhost:1234", env[envvars.CORSOrigins])
			assert.Equal(t, "http://localhost:1234", env[envvars.WebBaseURL])
			assert.Equal(t, "smtp", env[envvars.MailSender])
			assert.Equal(t, "itr-test", env[envvars.TablePrefix])
			assert.Equal(t, "local-TenantPoolUserPool61BBA85A", env[envvars.TenantPoolID])
			assert.Equal(t, "issuetracker", env[envvars.EventBus])
		}
		if f.Name == "stream-activity" {
			assert.Equal(t, "http://localhost:1234/", env[envvars.APIBaseURL])
		}
	}
}

func TestAReferenceTheLocalCloudCannotResolveNamesTheFunctionAndVariable(t *testing.T) {
	tmpl := platformTemplate(t)
	fns, err := tmpl.Functions()
	require.NoError(t, err)
	f, ok := localdeploy.FunctionByLogicalID(fns, "FnissuesFunction52C528E6")
	require.True(t, ok)
	queue := tmpl.IDs("AWS::SQS::Queue")[0]
	f.Env["ITR_SOMETHING"] = map[string]any{"Fn::GetAtt": []any{queue, "Arn"}}
	_, err = locals(tmpl).Env(tmpl, f)
	var ue *localdeploy.ErrUnresolvable
	require.True(t, errors.As(err, &ue), "%v", err)
	assert.Equal(t, "issues", ue.Function)
	assert.Equal(t, "ITR_SOMETHING", ue.Variable)
	assert.Contains(t, err.Error(), "function issues: environment variable ITR_SOMETHING")
	assert.Contains(t, err.Error(), "AWS::SQS::Queue")
}

// The template's API is the route table: the same methods on the same
// functions, the authorizer's TTL and the tier catalog's usage plans.
func TestTheTemplatesAPIIsTheRouteTable(t *testing.T) {
	tmpl := platformTemplate(t)
	api, err := tmpl.API(locals(tmpl))
	require.NoError(t, err)
	got := map[string]localdeploy.APIMethod{}
	for _, m := range api.Methods {
		got[m.Method+" "+m.Path] = m
	}
	for _, rt := range routes.All() {
		m, ok := got[rt.Method+" "+rt.Path]
		if !assert.True(t, ok, "%s %s is not in the template", rt.Method, rt.Path) {
			continue
		}
		assert.Equal(t, string(rt.Function), m.Function, "%s %s", rt.Method, rt.Path)
		assert.Equal(t, rt.Access.Kind != routes.Public, m.Authorized, "%s %s", rt.Method, rt.Path)
		delete(got, rt.Method+" "+rt.Path)
	}
	assert.Empty(t, got, "methods of the template that the route table does not have")
	require.NotNil(t, api.Authorizer)
	assert.Equal(t, "authorizer", api.Authorizer.Function)
	assert.Equal(t, "Authorization", api.Authorizer.IdentityHeader)
	assert.Equal(t, edge.AuthorizerResultTTL, api.Authorizer.ResultTTL)
	assert.Equal(t, "AUTHORIZER", api.APIKeySource)
	for _, tr := range tiers.All() {
		p, ok := api.Plans[fmt.Sprintf("issuetracker-%s", tr.Name)]
		require.True(t, ok, tr.Name)
		assert.Equal(t, tr.RateLimit, p.Rate)
		assert.Equal(t, tr.Burst, p.Burst)
		assert.Equal(t, tr.MonthlyQuota, p.Quota)
	}
	require.NotNil(t, api.CORS)
	assert.Equal(t, "http://localhost:1234", api.CORS.AllowOrigin)
	assert.Contains(t, api.CORS.AllowHeaders, "Idempotency-Key")
	assert.Equal(t, "no-store", api.GatewayResponses["DEFAULT_4XX"]["Cache-Control"])
	assert.Equal(t, "http://localhost:1234", api.GatewayResponses["DEFAULT_5XX"]["Access-Control-Allow-Origin"])
}
