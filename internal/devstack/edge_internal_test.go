package devstack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// edgeOrigin is the web origin both modes allow here (templateAPI's web
// domain).
const edgeOrigin = "http://localhost:1234"

// edgeModes are the local gateway's two modes, serving nothing but their
// edge: the in-process one as make dev builds it (the route table; no
// function is reached by the cases below), and the template mode with the
// committed platform template's API (what `cdk deploy` deploys).
func edgeModes(t *testing.T) map[string]*httptest.Server {
	t.Helper()
	fns := map[routes.Function]http.Handler{}
	for _, f := range routes.Functions() {
		fns[f] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("%s %s reached function %s", r.Method, r.URL.Path, f)
		})
	}
	inProcess := gateway.New(gateway.Config{Functions: fns, AllowedOrigins: []string{edgeOrigin},
		Authorize: func(context.Context, string) (tenancy.Principal, string, error) {
			return tenancy.Principal{}, "", errs.Unauthorized("token_missing", "no token")
		}})
	api, p := templateAPI(t)
	cfg, err := templateGateway(api, p, nil)
	require.NoError(t, err)
	out := map[string]*httptest.Server{"in process": httptest.NewServer(inProcess), "template mode": httptest.NewServer(gateway.New(cfg))}
	for _, s := range out {
		t.Cleanup(s.Close)
	}
	return out
}

// OPTIONS and HEAD answer in every local mode as the deployed REST API
// answers them, CORS included (the template's side: test/infra's
// TestTheDeployedAPIsPreflightsAreTheResources): every resource has a MOCK
// OPTIONS method, which answers 204 whatever the request's headers; a path
// that is no resource has none, so OPTIONS there is API Gateway's missing
// route (MISSING_AUTHENTICATION_TOKEN: 404 route_not_found); no resource
// has a HEAD method (nor ANY), so HEAD is a missing route everywhere, as is
// any method a resource lacks. Before edge14 the local gateway answered a
// preflight on any path (204 on /v1/nothing), OPTIONS without
// Access-Control-Request-Method and HEAD with a 405 in process, and a wrong
// method with a 405 in process.
func TestOPTIONSAndHEADAnswerAsTheDeployedAPI(t *testing.T) {
	preflight := []string{"Origin", edgeOrigin, "Access-Control-Request-Method", "POST"}
	cases := []struct {
		name, method, path string
		hdr                []string
		status             int
	}{
		{"a preflight on a collection", "OPTIONS", "/v1/issues", preflight, 204},
		{"a preflight on an item (a path parameter)", "OPTIONS", "/v1/issues/ACME-42", preflight, 204},
		{"a preflight on a resource with a literal beside a parameter", "OPTIONS", "/v1/issues/bulk", preflight, 204},
		{"a preflight on a resource without methods", "OPTIONS", "/v1/admin", preflight, 204},
		{"a preflight on /v1", "OPTIONS", "/v1", preflight, 204},
		{"a preflight on /health", "OPTIONS", "/health", preflight, 204},
		{"OPTIONS without preflight headers on a resource", "OPTIONS", "/v1/issues", []string{"Origin", edgeOrigin}, 204},
		{"a preflight on a path that is no resource", "OPTIONS", "/v1/nothing", preflight, 404},
		{"a preflight under an item that has no such child", "OPTIONS", "/v1/issues/ACME-42/nothing", preflight, 404},
		{"HEAD on a public GET", "HEAD", "/health", []string{"Origin", edgeOrigin}, 404},
		{"HEAD on a tenant's collection", "HEAD", "/v1/issues", []string{"Origin", edgeOrigin}, 404},
		{"HEAD on an item", "HEAD", "/v1/issues/ACME-42", []string{"Origin", edgeOrigin}, 404},
		{"a method a public resource lacks", "DELETE", "/health", []string{"Origin", edgeOrigin}, 404},
		{"a method a resource lacks", "PUT", "/v1/issues/bulk", []string{"Origin", edgeOrigin}, 404},
		{"GET on a resource without methods", "GET", "/v1/admin", []string{"Origin", edgeOrigin}, 404},
		// Another origin gets API Gateway's static Access-Control-Allow-Origin
		// (the web's), never its own (nothing until edge14).
		{"a preflight from another origin", "OPTIONS", "/v1/issues", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 204},
		{"a missing route asked from another origin", "GET", "/v1/nothing", []string{"Origin", "https://evil.example"}, 404},
		{"a missing route asked without an origin", "GET", "/v1/nothing", nil, 404},
	}
	for mode, srv := range edgeModes(t) {
		for _, c := range cases {
			t.Run(mode+": "+c.name, func(t *testing.T) {
				req, err := http.NewRequest(c.method, srv.URL+c.path, nil)
				require.NoError(t, err)
				for i := 0; i < len(c.hdr); i += 2 {
					req.Header.Set(c.hdr[i], c.hdr[i+1])
				}
				res, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				require.Equal(t, c.status, res.StatusCode, "%s %s: %s", c.method, c.path, b)
				for k, v := range edge.SecurityHeaders() {
					assert.Equal(t, v, res.Header.Get(k), "%s on the %d", k, res.StatusCode)
				}
				assert.Equal(t, edgeOrigin, res.Header.Get("Access-Control-Allow-Origin"), "a browser could not read the %d", res.StatusCode)
				if c.status == 204 {
					assert.Empty(t, b)
					assert.Equal(t, edge.List(edge.CORSAllowMethods), res.Header.Get("Access-Control-Allow-Methods"))
					assert.Equal(t, edge.List(edge.CORSAllowHeaders), res.Header.Get("Access-Control-Allow-Headers"))
					return
				}
				assert.Equal(t, httpapi.ProblemContentType, res.Header.Get("Content-Type"))
				assert.Empty(t, res.Header.Get("Allow"), "API Gateway cannot tell a method a resource lacks from a missing route")
				if c.method == "HEAD" {
					assert.Empty(t, b, "a HEAD answer has no body")
					return
				}
				var m map[string]any
				require.NoError(t, json.Unmarshal(b, &m), "%s", b)
				assert.Equal(t, httpapi.NoRoute.Code, m["code"])
			})
		}
	}
}
