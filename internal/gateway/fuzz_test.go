package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// FuzzGatewayPath: for any request target and Authorization header that
// Go's HTTP server would hand the gateway, the gateway answers without a
// 5xx, refuses with a problem+json 400, and a request that reaches a
// function carries a path and query of valid UTF-8 without controls.
func FuzzGatewayPath(f *testing.F) {
	for _, s := range []string{"/v1/issues/%00", "/v1/issues/%25", "/v1/issues/a%2Fb", "/v1/issues?limit=%zz", "/health",
		"/v1/issues/caf%C3%A9?q=%C3%A9", "/v1//issues", "/v1/issues/%ff", "/v1/issues/../me", "/v1/search?q=a;b"} {
		f.Add(s, "Bearer ok")
	}
	var reached string
	fn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = r.URL.Path + "?" + r.URL.Query().Encode()
		for _, s := range append([]string{r.URL.Path}, r.URL.Query()["q"]...) {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				w.WriteHeader(599)
				return
			}
		}
		w.WriteHeader(200)
	})
	fns := map[routes.Function]http.Handler{}
	for _, f := range routes.Functions() {
		fns[f] = fn
	}
	gw := gateway.New(gateway.Config{Functions: fns,
		Authorize: func(_ context.Context, h string) (tenancy.Principal, string, error) {
			if h != "Bearer ok" {
				return tenancy.Principal{}, "", errs.Unauthorized("token_malformed", "bad token")
			}
			return tenancy.Principal{TenantID: "t", UserID: "u", Role: roles.User, Tier: tiers.Basic, Table: "x"}, "", nil
		}})
	f.Fuzz(func(t *testing.T, target, authz string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // the HTTP server refuses it with its own 400
		}
		r := &http.Request{Method: "GET", URL: u, Header: http.Header{"Authorization": {authz}}, RequestURI: target, Body: http.NoBody}
		r = r.WithContext(context.Background())
		w := httptest.NewRecorder()
		reached = ""
		gw.ServeHTTP(w, r)
		switch {
		case w.Code >= 500:
			t.Fatalf("%q answered %d (reached %q): %s", target, w.Code, reached, w.Body)
		case w.Code == 400 && w.Header().Get("Content-Type") != "application/problem+json":
			t.Fatalf("%q: a 400 without problem+json", target)
		}
	})
}
