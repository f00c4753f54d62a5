package lambdahttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handler records what reached it.
type handler struct {
	calls atomic.Int32
	last  atomic.Pointer[http.Request]
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	h.last.Store(r)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// event is a REST (v1) proxy event as API Gateway sends it: the path still
// percent-encoded, the query decoded, multi-value headers.
func event(path string, mod ...func(*events.APIGatewayProxyRequest)) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource: "/v1/issues/{issueId}", Path: path, HTTPMethod: "GET",
		Headers:           map[string]string{"Authorization": "Bearer t"},
		MultiValueHeaders: map[string][]string{"Authorization": {"Bearer t"}},
		RequestContext:    events.APIGatewayProxyRequestContext{RequestID: "req-1", Stage: "prod", Path: "/prod" + path},
	}
	for _, m := range mod {
		m(&ev)
	}
	return ev
}

func query(k, v string) func(*events.APIGatewayProxyRequest) {
	return func(ev *events.APIGatewayProxyRequest) {
		ev.QueryStringParameters = map[string]string{k: v}
		ev.MultiValueQueryStringParameters = map[string][]string{k: {v}}
	}
}

func header(k string, vs ...string) func(*events.APIGatewayProxyRequest) {
	return func(ev *events.APIGatewayProxyRequest) {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
}

func TestAdapterRefusesMalformedEvents(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   events.APIGatewayProxyRequest
		code string
	}{
		{"an encoded NUL in the path", event("/v1/issues/%00"), "malformed_path"},
		{"an encoded newline in the path", event("/v1/issues/%0A"), "malformed_path"},
		{"an encoded '%'", event("/v1/issues/%25"), "malformed_path"},
		{"a '%' that is no escape", event("/v1/issues/%"), "malformed_path"},
		{"a bad escape", event("/v1/issues/%zz"), "malformed_path"},
		{"a raw control byte", event("/v1/issues/a\x01"), "malformed_path"},
		{"a '?' smuggled into the path", event("/v1/issues/x?admin=true"), "malformed_path"},
		{"a '#' in the path", event("/v1/issues/x#y"), "malformed_path"},
		{"invalid UTF-8 in the path", event("/v1/issues/%C3%28"), "malformed_path"},
		{"a dot segment", event("/v1/issues/%2e%2e/users"), "malformed_path"},
		{"an absurdly long path", event("/v1/issues/" + strings.Repeat("a", 4000)), "malformed_path"},
		{"a NUL in a query value", event("/v1/issues", query("q", "a\x00")), "malformed_query"},
		{"invalid UTF-8 in a query key", event("/v1/issues", query("q\xff", "a")), "malformed_query"},
		{"an absurdly long query value", event("/v1/issues", query("q", strings.Repeat("a", 5000))), "malformed_query"},
		{"two Authorization headers (multiValueHeaders)", event("/v1/me", header("Authorization", "Bearer a", "Bearer b")), "duplicate_header"},
		{"Authorization under two spellings", event("/v1/me", header("authorization", "Bearer b")), "duplicate_header"},
		{"two Authorization headers in the single-value map only", event("/v1/me", func(ev *events.APIGatewayProxyRequest) {
			ev.MultiValueHeaders = nil
			ev.Headers["authorization"] = "Bearer b"
		}), "duplicate_header"},
		{"a control character in a header", event("/v1/me", header("X-Note", "a\x1b[31m")), "malformed_header"},
		{"a header name that is no token", event("/v1/me", header("X Note", "a")), "malformed_header"},
		{"a body that is not base64", event("/v1/issues", func(ev *events.APIGatewayProxyRequest) {
			ev.HTTPMethod, ev.Body, ev.IsBase64Encoded = "POST", "!!!not base64", true
		}), "malformed_request"},
		{"a method that is no token", event("/v1/issues", func(ev *events.APIGatewayProxyRequest) { ev.HTTPMethod = "GE T" }), "malformed_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &handler{}
			res, err := lambdahttp.New(h, nil).Invoke(context.Background(), c.ev)
			require.NoError(t, err, "a malformed event must not fail the function (API Gateway would answer 502)")
			assert.Equal(t, 400, res.StatusCode, res.Body)
			assert.Equal(t, "application/problem+json", res.Headers["Content-Type"])
			var p map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.Body), &p))
			assert.Equal(t, c.code, p["code"])
			assert.Equal(t, "req-1", p["request_id"])
			assert.Zero(t, h.calls.Load(), "the handler must not run")
			for k, v := range edge.SecurityHeaders() { // as on every answer (none until audit12)
				assert.Equal(t, v, res.Headers[k], k)
			}
		})
	}
}

func TestAdapterServesWellFormedEvents(t *testing.T) {
	h := &handler{}
	res, err := lambdahttp.New(h, nil).Invoke(context.Background(), event("/v1/issues/caf%C3%A9", query("q", "naïve words")))
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
	r := h.last.Load()
	require.NotNil(t, r)
	assert.Equal(t, "/v1/issues/café", r.URL.Path)
	assert.Equal(t, "naïve words", r.URL.Query().Get("q"))
	assert.Equal(t, "Bearer t", r.Header.Get("Authorization"))
}

// FuzzAdapterEvent: whatever path, query and header an event carries, the
// adapter never fails the function or panics; it answers the handler's 200
// or a 400 problem, and a request that reaches the handler has a path and
// query of valid UTF-8 without control characters and one Authorization.
func FuzzAdapterEvent(f *testing.F) {
	for _, s := range [][3]string{{"/v1/issues/%00", "", ""}, {"/v1/issues/%25", "q", "x"}, {"/v1/issues/%zz", "a\x00", ""},
		{"/v1/issues/x?y", "", "Bearer a"}, {"/v1/issues/caf%C3%A9", "q", "ok"}, {"/", "", ""}, {"", "", ""}, {"/v1/%2e%2e", "", "\xff"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, path, q, hv string) {
		h := &handler{}
		ev := event(path, query("q", q), header("X-Fuzz", hv), header("Authorization", "Bearer "+hv))
		res, err := lambdahttp.New(h, nil).Invoke(context.Background(), ev)
		if err != nil {
			t.Fatalf("Invoke(%q, %q, %q) failed the function: %v", path, q, hv, err)
		}
		switch res.StatusCode {
		case 200:
			r := h.last.Load()
			for _, s := range []string{r.URL.Path, r.URL.Query().Get("q")} {
				if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Fatalf("handler got %q from %q", s, path)
				}
			}
			if len(r.Header.Values("Authorization")) != 1 {
				t.Fatalf("handler got Authorization %q", r.Header.Values("Authorization"))
			}
		case 400:
			if res.Headers["Content-Type"] != "application/problem+json" {
				t.Fatalf("400 without problem+json: %v", res.Headers)
			}
		default:
			t.Fatalf("Invoke(%q, %q, %q) = %d", path, q, hv, res.StatusCode)
		}
	})
}

// The answers the adapter makes itself, before or instead of the handler's
// (a malformed event, a method that is no token, a handler's panic, a
// handler that answers nothing), carry the CORS a handler's answer carries:
// API Gateway passes a proxy answer through, so a browser on the web origin
// could not read them otherwise (none did before edge14). Both ways in:
// the event (Invoke: AWS and the template mode) and the in-process
// gateway's request (AnswerRequest).
func TestTheAdaptersOwnAnswersCarryCORS(t *testing.T) {
	const web = "https://app.example.com"
	origins := []string{web}
	panics := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	withOrigin := func(o string) func(*events.APIGatewayProxyRequest) { return header("Origin", o) }
	for _, c := range []struct {
		name   string
		h      http.Handler
		ev     events.APIGatewayProxyRequest
		status int
	}{
		{"a malformed path", &handler{}, event("/v1/issues/%00", withOrigin(web)), 400},
		{"a body that is not base64", &handler{}, event("/v1/issues", withOrigin(web), func(ev *events.APIGatewayProxyRequest) {
			ev.HTTPMethod, ev.Body, ev.IsBase64Encoded = "POST", "!!!not base64", true
		}), 400},
		{"a handler's panic", panics, event("/v1/issues/x", withOrigin(web)), 500},
		{"the origin in a lower-case header", panics, event("/v1/issues/x", header("origin", web)), 500},
	} {
		t.Run(c.name+" (Invoke)", func(t *testing.T) {
			res, err := lambdahttp.New(c.h, origins).Invoke(context.Background(), c.ev)
			require.NoError(t, err)
			require.Equal(t, c.status, res.StatusCode, res.Body)
			assert.Equal(t, web, res.Headers["Access-Control-Allow-Origin"])
			assert.Equal(t, edge.List(edge.CORSExposeHeaders), res.Headers["Access-Control-Expose-Headers"])
			assert.Equal(t, "Origin", res.Headers["Vary"])
			for k, v := range edge.SecurityHeaders() {
				assert.Equal(t, v, res.Headers[k], k)
			}
		})
	}
	t.Run("another origin gets no CORS (Invoke)", func(t *testing.T) {
		res, err := lambdahttp.New(panics, origins).Invoke(context.Background(), event("/v1/issues/x", withOrigin("https://evil.example")))
		require.NoError(t, err)
		assert.Equal(t, 500, res.StatusCode)
		assert.Empty(t, res.Headers["Access-Control-Allow-Origin"])
		assert.Equal(t, "Origin", res.Headers["Vary"])
	})
	for name, h := range map[string]http.Handler{"a handler's panic": panics, "a handler that answers nothing": silent} {
		t.Run(name+" (AnswerRequest)", func(t *testing.T) {
			u, err := url.ParseRequestURI("/v1/issues/x")
			require.NoError(t, err)
			r := &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{"Origin": {web}, "X-Request-Id": {"req-1"}}}
			rt := routes.Route{Method: http.MethodGet, Path: "/v1/issues/{issueId}"}
			w := httptest.NewRecorder()
			require.NoError(t, lambdahttp.New(h, origins).AnswerRequest(context.Background(), rt, nil, r, nil, "203.0.113.9").Write(w))
			assert.GreaterOrEqual(t, w.Code, 400)
			assert.Equal(t, web, w.Header().Get("Access-Control-Allow-Origin"))
			assert.Equal(t, problemJSON, w.Header().Get("Content-Type"))
		})
	}
}

const problemJSON = "application/problem+json"
