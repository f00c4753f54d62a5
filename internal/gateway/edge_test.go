package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raw sends a request line and headers exactly as given (net/http's client
// refuses to send most of these).
func raw(t *testing.T, srv *httptest.Server, target string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	return rawMethod(t, srv, "GET", target, headers...)
}

func rawMethod(t *testing.T, srv *httptest.Server, method, target string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	req := method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	_, err = io.WriteString(c, req+"\r\n")
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res, m
}

// MalformedRequests is the table of requests the edge must refuse with a
// 400 problem before routing, authorization or any handler.
var malformed = []struct {
	name, target string
	headers      []string
	code         string
}{
	{"an encoded NUL in the path, with a token", "/v1/issues/%00", []string{"Authorization: Bearer tiny-user"}, "malformed_path"},
	{"an encoded NUL in the path, without a token", "/v1/issues/%00", nil, "malformed_path"},
	{"an encoded newline in the path", "/v1/issues/%0a", nil, "malformed_path"},
	{"an encoded ESC in the path", "/v1/issues/%1b%5b31m", []string{"Authorization: Bearer tiny-user"}, "malformed_path"},
	{"an encoded '%' (a stray percent after decoding)", "/v1/issues/%25", []string{"Authorization: Bearer tiny-user"}, "malformed_path"},
	{"an encoded '%' on a public route", "/v1/registrations/%25", nil, "malformed_path"},
	{"an encoded slash", "/v1/issues/a%2Fb", []string{"Authorization: Bearer tiny-user"}, "malformed_path"},
	{"invalid UTF-8 in the path", "/v1/issues/%ff%fe", []string{"Authorization: Bearer tiny-user"}, "malformed_path"},
	{"a lone surrogate encoded as CESU in the path", "/v1/issues/%ed%a0%80", nil, "malformed_path"},
	{"a C1 control in the path", "/v1/issues/%c2%85", nil, "malformed_path"},
	{"a dot segment", "/v1/issues/../users", nil, "malformed_path"},
	{"an empty segment", "/v1//issues", nil, "malformed_path"},
	{"an absurdly long path", "/v1/issues/" + strings.Repeat("a", 3000), []string{"Authorization: Bearer tiny-user"}, "malformed_path"},
	{"a bad escape in the query", "/v1/issues?limit=%zz", []string{"Authorization: Bearer tiny-user"}, "malformed_query"},
	{"a NUL in the query", "/v1/issues?q=%00", []string{"Authorization: Bearer tiny-user"}, "malformed_query"},
	{"invalid UTF-8 in the query", "/v1/search?q=%ff", []string{"Authorization: Bearer tiny-user"}, "malformed_query"},
	{"a semicolon separator in the query", "/v1/issues?a=1;b=2", []string{"Authorization: Bearer tiny-user"}, "malformed_query"},
	{"an absurdly long query", "/v1/issues?q=" + strings.Repeat("a", 5000), []string{"Authorization: Bearer tiny-user"}, "malformed_query"},
	{"too many query parameters", "/v1/issues?" + strings.Repeat("a=1&", 70), []string{"Authorization: Bearer tiny-user"}, "malformed_query"},
	{"two Authorization headers", "/v1/me", []string{"Authorization: Bearer tiny-user", "Authorization: Bearer other"}, "duplicate_header"},
	{"two identical Authorization headers", "/v1/issues", []string{"Authorization: Bearer tiny-user", "authorization: Bearer tiny-user"}, "duplicate_header"},
	{"two Authorization headers on a public route", "/health", []string{"Authorization: a", "Authorization: b"}, "duplicate_header"},
	{"two Idempotency-Key headers", "/v1/issues", []string{"Authorization: Bearer tiny-user", "Idempotency-Key: a", "Idempotency-Key: b"}, "duplicate_header"},
	{"invalid UTF-8 in a header", "/v1/issues", []string{"Authorization: Bearer tiny-user", "X-Note: \xff\xfe"}, "malformed_header"},
	{"a C1 control in a header", "/v1/issues", []string{"Authorization: Bearer tiny-user", "X-Note: a\xc2\x85"}, "malformed_header"},
	{"absurdly large headers", "/v1/issues", []string{"Authorization: Bearer tiny-user", "X-Pad: " + strings.Repeat("a", 11000)}, "request_header_too_large"},
}

func TestGatewayRefusesMalformedRequests(t *testing.T) {
	srv, calls, _ := setup(t)
	for _, c := range malformed {
		t.Run(c.name, func(t *testing.T) {
			before := calls.Load()
			res, body := raw(t, srv, c.target, c.headers...)
			assert.Equal(t, 400, res.StatusCode, "%v", body)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			assert.Equal(t, c.code, body["code"])
			assert.NotEmpty(t, body["request_id"])
			assert.Equal(t, before, calls.Load(), "the authorizer must not run for a malformed request")
		})
	}

	t.Run("well-formed escapes still reach the function", func(t *testing.T) {
		res, body := raw(t, srv, "/v1/issues/caf%C3%A9", "Authorization: Bearer tiny-user")
		assert.Equal(t, 404, res.StatusCode, "%v", body)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	})
	// Go's HTTP server refuses what it cannot parse as a request line (a
	// '%' that is no escape, raw control bytes) before the gateway sees it:
	// still a 400 problem (ProblemListener), never text/plain or a 5xx.
	for _, target := range []string{"/v1/issues/%", "/v1/issues/%zz", "/v1/issues/\x01", "/v1/issues?q=%zz\x01"} {
		t.Run(fmt.Sprintf("the server refuses %q", target), func(t *testing.T) {
			before := calls.Load()
			res, body := raw(t, srv, target)
			assert.Equal(t, 400, res.StatusCode)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			assert.Equal(t, "malformed_request", body["code"])
			assert.Equal(t, float64(400), body["status"])
			assert.NotEmpty(t, body["request_id"])
			assert.Equal(t, body["request_id"], res.Header.Get("X-Request-Id"))
			assert.Equal(t, before, calls.Load())
		})
	}
	t.Run("a malformed header line is a problem too", func(t *testing.T) {
		res, body := raw(t, srv, "/v1/me", "Authorization Bearer tiny-user")
		assert.Equal(t, 400, res.StatusCode)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		assert.Equal(t, "malformed_request", body["code"])
	})
}

// Every route of the table, with a bad percent-escape in each of its path
// parameters (or its last segment), answers a 400 problem before the
// authorizer or any function runs, whatever its method: Go's server refuses
// these request lines itself, and ProblemListener makes its answer the
// API's.
func TestEveryRouteRefusesABadEscapeAsAProblem(t *testing.T) {
	srv, calls, _ := setup(t)
	for _, rt := range routes.All() {
		for _, esc := range []string{"%ZZ", "%", "%4"} {
			path := rt.Path
			if strings.Contains(path, "{") {
				segs := strings.Split(path, "/")
				for i, s := range segs {
					if strings.HasPrefix(s, "{") {
						segs[i] = "a" + esc
					}
				}
				path = strings.Join(segs, "/")
			} else {
				path += esc
			}
			t.Run(rt.Method+" "+path, func(t *testing.T) {
				before := calls.Load()
				res, body := rawMethod(t, srv, rt.Method, path, "Authorization: Bearer tiny-user")
				assert.Equal(t, 400, res.StatusCode, "%v", body)
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				assert.Equal(t, "malformed_request", body["code"])
				assert.NotEmpty(t, body["request_id"])
				assert.Equal(t, before, calls.Load(), "the authorizer must not run")
			})
		}
	}
}

// ServerProblem leaves every answer that is not one of net/http's own
// errors as it is, byte for byte.
func TestServerProblemLeavesHandlersAnswersAlone(t *testing.T) {
	for _, b := range []string{
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\n400 Bad Request",
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nok",
		"HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n\r\n{}",
		"{\"HTTP/1.1 400\": 1}",
		"",
	} {
		_, ok := gateway.ServerProblem([]byte(b))
		assert.False(t, ok, "%q", b)
	}
	out, ok := gateway.ServerProblem([]byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"))
	require.True(t, ok)
	res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(out))), nil)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&m))
	assert.Equal(t, 431, res.StatusCode)
	assert.Equal(t, "request_header_too_large", m["code"])
}
