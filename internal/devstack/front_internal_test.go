package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What make dev serves in front of the gateway (the local cloud's own
// APIs, the web app, the file proxy) hands every API request to the
// gateway as it came: a path with dot or empty segments is the gateway's
// 400 malformed_path problem, as the gateway alone answers it
// (gateway.TestGatewayRefusesMalformedRequests), never a 307 redirect to
// the cleaned path (an http.ServeMux in front answered these until
// audit11).
func TestLocalAPIsLeaveTheAPIsPathsAlone(t *testing.T) {
	authorized := 0
	gw := gateway.New(gateway.Config{Authorize: func(context.Context, string) (tenancy.Principal, string, error) {
		authorized++
		return tenancy.Principal{}, "", errs.Unauthorized("token_malformed", "bad token")
	}})
	local := 0
	count := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { local++; w.WriteHeader(http.StatusNoContent) })
	front := withLocalAPIs(Web{API: gw, Dir: t.TempDir()}, map[string]http.Handler{
		"/2015-03-31/functions/": count, SQSPath: count, SQSPath + "/": count,
		RedrivePath + "/": count, EventsPath: count, LifecyclePath + "/": count,
	})
	srv := httptest.NewUnstartedServer(Files{Next: front, S3: "http://127.0.0.1:1"})
	srv.Listener = gateway.ProblemListener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)

	for _, target := range []string{
		"/v1/issues/../users", "/v1//issues", "/v1/issues/./x", "/v1/issues/x/..", "/v1/issues/.",
		"/v1/issues/x/../../labels", "/v1/./me", "/v1/registrations/../admin/tenants", "/v1/issues//comments",
		"/v1/issues/%2e%2e/users", "/v1/issues/x/%2E",
	} {
		for _, method := range []string{"GET", "POST", "DELETE"} {
			t.Run(method+" "+target, func(t *testing.T) {
				res, body := rawRequest(t, srv.Listener.Addr().String(), method, target)
				assert.Equal(t, http.StatusBadRequest, res.StatusCode, "%v", body)
				assert.Empty(t, res.Header.Get("Location"))
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				assert.Equal(t, "malformed_path", body["code"])
			})
		}
	}
	assert.Zero(t, authorized, "no malformed path reaches the authorizer")

	for _, target := range []string{"/2015-03-31/functions/f/invocations", SQSPath, SQSPath + "/q", RedrivePath + "/q", EventsPath, LifecyclePath + "/stacks"} {
		before := local
		res, _ := rawRequest(t, srv.Listener.Addr().String(), "POST", target)
		assert.Equal(t, http.StatusNoContent, res.StatusCode, target)
		assert.Equal(t, before+1, local, "%s reaches its local API", target)
	}
}

func rawRequest(t *testing.T, addr, method, target string) (*http.Response, map[string]any) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, method+" "+target+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res, m
}
