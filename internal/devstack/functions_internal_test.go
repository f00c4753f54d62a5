package devstack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

func templateAPI(t *testing.T) (*localdeploy.API, *lambdaproc.Platform) {
	t.Helper()
	tmpl, err := localdeploy.ReadTemplate(filepath.Join("..", "..", PlatformTemplate))
	require.NoError(t, err)
	api, err := tmpl.API(localdeploy.Locals{WebDomain: "localhost:1234", URLs: map[string]string{"https://localhost:1234": "http://localhost:1234"}})
	require.NoError(t, err)
	fns, err := tmpl.Functions()
	require.NoError(t, err)
	p := lambdaproc.New(lambdaproc.Options{})
	t.Cleanup(p.Close)
	for _, f := range fns { // registered, never started
		_, err := p.Add(lambdaproc.Spec{Name: f.Name, Binary: "/nonexistent", Timeout: f.Timeout})
		require.NoError(t, err)
	}
	return api, p
}

func TestTheTemplatesRoutesMatchAsTheRouteTables(t *testing.T) {
	api, _ := templateAPI(t)
	r, err := newTemplateRouter(api.Methods)
	require.NoError(t, err)
	for _, c := range []struct{ method, path string }{
		{"GET", "/health"}, {"GET", "/v1/issues"}, {"GET", "/v1/issues/ACME-42"}, {"POST", "/v1/issues/x/transitions"},
		{"GET", "/v1/admin/tenants"}, {"GET", "/v1/nothing"}, {"DELETE", "/v1/issues"}, {"GET", "/v1/me"},
		{"POST", "/v1/issues/bulk"}, {"GET", "/v1/issues/bulk"}, {"PATCH", "/v1/issues/bulk"},
	} {
		want, wantParams, wantOK := routes.Match(c.method, c.path)
		got, params, ok := r.Match(c.method, c.path)
		assert.Equal(t, wantOK, ok, "%s %s", c.method, c.path)
		if ok {
			assert.Equal(t, want.Path, got.Path)
			assert.Equal(t, want.Function, got.Function)
			assert.Equal(t, wantParams, params)
		}
	}
}

// The gateway's usage plans are the template's: a plan changed in the
// template (as a changed tier catalog synthesizes it) changes the limits.
func TestTheGatewaysUsagePlansAreTheTemplates(t *testing.T) {
	api, p := templateAPI(t)
	plan := api.Plans["issuetracker-basic"]
	plan.Rate, plan.Burst, plan.Quota = 3, 4, 50
	api.Plans["issuetracker-basic"] = plan
	cfg, err := templateGateway(api, p, nil)
	require.NoError(t, err)
	basic, _ := tiers.Get(tiers.Basic)
	got, err := cfg.UsagePlan(basic)
	require.NoError(t, err)
	assert.Equal(t, 3.0, got.RateLimit)
	assert.Equal(t, 4, got.Burst)
	assert.Equal(t, int64(50), got.MonthlyQuota)
	delete(api.Plans, "issuetracker-premium")
	premium, _ := tiers.Get(tiers.Premium)
	_, err = cfg.UsagePlan(premium)
	assert.ErrorContains(t, err, "no usage plan for the premium tier")
	assert.Equal(t, 20*time.Second, cfg.AuthorizerCacheTTL, "the authorizer's result TTL")
	h := cfg.OwnHeaders(404, "")
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	pre := http.Header{}
	cfg.Preflight(pre, "http://localhost:1234")
	assert.Equal(t, "http://localhost:1234", pre.Get("Access-Control-Allow-Origin"))
	for k, v := range edge.SecurityHeaders() { // the template's preflight carries them since edge14
		assert.Equal(t, v, pre.Get(k), "%s on the template's preflight", k)
	}
	pre = http.Header{}
	cfg.Preflight(pre, "https://evil.example")
	assert.Equal(t, "http://localhost:1234", pre.Get("Access-Control-Allow-Origin"), "the template's static value, as API Gateway sends it")
}

// The template mode answers the gateway's own refusals as the template's
// gateway responses make API Gateway answer them: a template that lost its
// UNAUTHORIZED response (and the defaults) answers {"message":"Unauthorized"},
// not the problem the in-process gateway writes.
func TestTheTemplateModesOwnAnswersComeFromTheTemplate(t *testing.T) {
	api, p := templateAPI(t)
	cfg, err := templateGateway(api, p, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(gateway.New(cfg))
	t.Cleanup(srv.Close)
	get := func(method, path string) (*http.Response, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&m))
		return res, m
	}
	res, body := get("GET", "/v1/me")
	assert.Equal(t, 401, res.StatusCode)
	assert.Equal(t, httpapi.ProblemContentType, res.Header.Get("Content-Type"))
	assert.Equal(t, httpapi.Unauthenticated.Code, body["code"])
	assert.Equal(t, res.Header.Get(httpapi.RequestIDHeader), body["request_id"])
	securityHeaders := func(res *http.Response) {
		t.Helper()
		for k, v := range edge.SecurityHeaders() { // the CSP was missing until audit12
			assert.Equal(t, v, res.Header.Get(k), "%s on make dev's %d", k, res.StatusCode)
		}
	}
	securityHeaders(res)
	res, body = get("GET", "/v1/nothing")
	assert.Equal(t, 404, res.StatusCode)
	assert.Equal(t, httpapi.NoRoute.Code, body["code"])
	securityHeaders(res)
	res, body = get("DELETE", "/health")
	assert.Equal(t, 404, res.StatusCode, "API Gateway has no 405: a method a path lacks is a missing route")
	assert.Equal(t, httpapi.NoRoute.Code, body["code"])

	for _, typ := range []string{"UNAUTHORIZED", "DEFAULT_4XX"} {
		delete(api.GatewayBodies, typ)
	}
	res, body = get("GET", "/v1/me")
	assert.Equal(t, 401, res.StatusCode)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, map[string]any{"message": "Unauthorized"}, body)
}

// A local setting a function's code reads comes with the function, not
// with another variable its template happens to set: every stream-activity
// (the platform's and each tenant stack's, which has no mail settings)
// gets make dev's batching window, and only the functions that send mail
// get mailpit.
func TestEveryTemplatesFunctionsGetTheLocalSettingsTheyRead(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "infra", "templates", "IssueTracker-*.json"))
	require.NoError(t, err)
	ls := localSettings{window: 7 * time.Second, smtpAddr: "127.0.0.1:1025"}
	activity := 0
	for _, p := range paths {
		tmpl, err := localdeploy.ReadTemplate(p)
		require.NoError(t, err)
		fns, err := tmpl.Functions()
		if err != nil {
			continue // a stack without Go functions (the directory, a nested stack)
		}
		for _, f := range fns {
			env := map[string]string{}
			for k := range f.Env {
				env[k] = "from the template"
			}
			standIns(f, env, ls)
			where := filepath.Base(p) + " " + f.LogicalID
			if f.Name == string(routes.FnStreamActivity) {
				activity++
				assert.Equal(t, "7s", env["ITR_NOTIFY_WINDOW"], where)
			}
			_, mails := f.Env["ITR_MAIL_SENDER"]
			assert.Equal(t, mails, env["ITR_SMTP_ADDR"] != "", where)
		}
	}
	assert.GreaterOrEqual(t, activity, 3, "the platform's and the tenant stacks' stream-activity")
}
