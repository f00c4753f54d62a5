package lambdahttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen is everything of a request a handler can read.
type seen struct {
	Method, Scheme, URLHost, Path, RawPath, RequestURIPath string
	QueryPairs                                             []string // the raw query's pairs, sorted: the adapter's order of keys is a map's
	Query                                                  url.Values
	Proto                                                  string
	ProtoMajor, ProtoMinor                                 int
	Header                                                 http.Header
	Body                                                   string
	ContentLength                                          int64
	GetBody                                                bool
	Host, RemoteAddr                                       string
	TransferEncoding                                       []string
	Close                                                  bool
	Gateway                                                events.APIGatewayProxyRequestContext
	HasGateway                                             bool
}

func see(r *http.Request) seen {
	b, _ := io.ReadAll(r.Body)
	uri, _, _ := strings.Cut(r.RequestURI, "?")
	var pairs []string
	if r.URL.RawQuery != "" {
		pairs = strings.Split(r.URL.RawQuery, "&")
		slices.Sort(pairs)
	}
	rc, ok := httpapi.GatewayContext(r.Context())
	if vs := r.Header["X-Lower"]; len(vs) > 1 {
		// Sent as "x-lower" and "X-Lower": the adapter adds the two names'
		// values in a map's order, so their order is any.
		slices.Sort(vs)
	}
	return seen{Method: r.Method, Scheme: r.URL.Scheme, URLHost: r.URL.Host, Path: r.URL.Path, RawPath: r.URL.RawPath,
		RequestURIPath: uri, QueryPairs: pairs, Query: r.URL.Query(), Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
		Header: r.Header, Body: string(b), ContentLength: r.ContentLength, GetBody: r.GetBody != nil, Host: r.Host,
		RemoteAddr: r.RemoteAddr, TransferEncoding: r.TransferEncoding, Close: r.Close, Gateway: rc, HasGateway: ok}
}

// both runs one request through Invoke (the event Event builds, as the
// template mode and Lambda get it) and through InvokeRequest (the
// in-process gateway's call), and returns what the handler saw and what
// each answered.
func both(t *testing.T, answer func(w http.ResponseWriter, r *http.Request), method, target string, hdr http.Header, body []byte) (viaEvent, direct seen, resEvent, resDirect events.APIGatewayProxyResponse) {
	t.Helper()
	var got []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, see(r))
		answer(w, r)
	})
	u, err := url.ParseRequestURI(target)
	require.NoError(t, err)
	rt := routes.Route{Method: strings.ToUpper(method), Path: "/v1/issues/{issueId}"}
	authz := map[string]any{"tenantId": "t1", "userId": "u1", "role": "user"}
	ad := lambdahttp.New(h, nil)
	ev := lambdahttp.Event(rt, map[string]string{"issueId": "x"}, authz, method, u, body, hdr)
	ev.RequestContext.Identity.SourceIP = "192.0.2.7"
	resEvent, err = ad.Invoke(context.Background(), ev)
	require.NoError(t, err)
	r := &http.Request{Method: method, URL: u, Header: hdr}
	resDirect = ad.InvokeRequest(context.Background(), rt, authz, r, body, "192.0.2.7")
	if len(got) == 2 {
		return got[0], got[1], resEvent, resDirect
	}
	require.Empty(t, got, "the handler ran for one path and not the other")
	return seen{}, seen{}, resEvent, resDirect
}

func TestInvokeRequestIsInvoke(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{"X-Request-Id": {"req-9"}, "Authorization": {"Bearer t"}}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return h
	}
	requests := []struct {
		method, target string
		hdr            http.Header
		body           []byte
	}{
		{"GET", "/v1/issues/ISS-1", hdr(), nil},
		{"GET", "/v1/issues/caf%C3%A9", hdr(), nil},
		{"GET", "/v1/issues/%41bc", hdr(), nil}, // an escape net/url would not write: RawPath kept
		{"GET", "/v1/issues/a%20b", hdr(), nil},
		{"GET", "/v1/issues/a+b;c:d@e", hdr(), nil},
		{"GET", "/v1/issues/%7Euser", hdr(), nil},
		{"GET", "/v1/issues?q=na%C3%AFve+words&limit=5", hdr(), nil},
		{"GET", "/v1/issues?a=1&a=2&b=&c", hdr(), nil},
		{"GET", "/v1/issues?x=%2B%26%3D%20", hdr(), nil},
		{"GET", "/v1/issues?&&", hdr(), nil},
		{"GET", "/v1/issues?", hdr(), nil},
		{"GET", "/v1/issues/ISS-1", hdr("X-Tag", "a", "X-Tag", "b", "Origin", "https://app.example", "Accept", "*/*"), nil},
		{"GET", "/v1/issues/ISS-1", hdr("x-lower", "1", "X-Lower", "2"), nil}, // names the adapter merges
		{"POST", "/v1/issues", hdr("Content-Type", "application/json"), []byte(`{"title":"naïve"}`)},
		{"PATCH", "/v1/issues/ISS-1?x=1", hdr("If-Match", `"3"`), []byte("\xff\xfe binary \x00")},
		{"patch", "/v1/issues/ISS-1", hdr(), []byte("x")},
		{"DELETE", "/v1/issues/ISS-1", http.Header{}, nil},
		{"GET", "/v1/issues/ISS-1", nil, nil},
	}
	answers := map[string]func(w http.ResponseWriter, r *http.Request){
		"json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Accept")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"ok":true}`)
		},
		"sniffed": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html>hi</html>") },
		"binary":  func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte{0xff, 0x00, 0xfe, 'x'}) },
		"empty":   func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		"nothing": func(w http.ResponseWriter, r *http.Request) {},
		"panic":   func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Half", "1"); panic("boom") },
		"late": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "a")
			w.Header().Set("X-Late", "1")
		},
		"twice": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			w.WriteHeader(409)
			_, _ = io.WriteString(w, "b")
		},
		"twoparts": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "{")
			_, _ = io.WriteString(w, "}")
		},
	}
	for _, rq := range requests {
		for name, answer := range answers {
			t.Run(rq.method+" "+rq.target+" "+name, func(t *testing.T) {
				viaEvent, direct, resEvent, resDirect := both(t, answer, rq.method, rq.target, rq.hdr, rq.body)
				assert.Equal(t, viaEvent, direct, "what the handler saw")
				assert.Equal(t, resEvent, resDirect, "the answer")
				assert.True(t, direct.HasGateway, "the request context reaches the handler")
				assert.Equal(t, "192.0.2.7", direct.Gateway.Identity.SourceIP)
				assert.Equal(t, "t1", direct.Gateway.Authorizer["tenantId"])
				served, written := serveBoth(t, answer, rq.method, rq.target, rq.hdr, rq.body)
				assert.Equal(t, written.Code, served.Code, "AnswerRequest's status")
				assert.Equal(t, written.Header(), served.Header(), "AnswerRequest's headers")
				assert.Equal(t, written.Body.Bytes(), served.Body.Bytes(), "AnswerRequest's body")
			})
		}
	}
}

// FuzzInvokeRequestIsInvoke: for any request the gateway lets through its
// edge check, the handler sees the same request and the caller gets the
// same answer through InvokeRequest as through the event.
func FuzzInvokeRequestIsInvoke(f *testing.F) {
	for _, s := range [][4]string{{"/v1/issues/caf%C3%A9", "q=a+b&q=c", "X-Note", "x"}, {"/v1/issues/%41", "a&b=", "x-lower", "v"},
		{"/v1/issues/a%20b", "x=%2B", "Origin", "https://a.example"}, {"/", "", "A", ""}, {"/v1/a;b", "%zz", "B", "\xff"}} {
		f.Add(s[0], s[1], s[2], s[3], []byte("body"))
	}
	f.Fuzz(func(t *testing.T, path, rawQuery, hk, hv string, body []byte) {
		target := path
		if rawQuery != "" {
			target += "?" + rawQuery
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Host != "" || u.Scheme != "" {
			return
		}
		hdr := http.Header{"X-Request-Id": {"req-1"}}
		hdr[hk] = append(hdr[hk], hv)
		if httpapi.CheckEdge(httpapi.EdgeRequest{Method: "POST", EscapedPath: u.EscapedPath(), RawQuery: u.RawQuery, Header: hdr}) != nil {
			return // the gateway answers a 400 itself
		}
		viaEvent, direct, resEvent, resDirect := both(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Path", r.URL.Path)
			_, _ = io.WriteString(w, r.URL.Query().Encode())
		}, "POST", target, hdr, body)
		if !assert.Equal(t, viaEvent, direct) || !assert.Equal(t, resEvent, resDirect) {
			t.Fatalf("%q %q %q=%q", path, rawQuery, hk, hv)
		}
	})
}

// A net/http server's request (canonical header names) hands its header
// map to the handler's request as it is, not a copy; names that differ
// from their canonical form still get a merged copy (TestInvokeRequestIsInvoke).
func TestInvokeRequestHandsOverACanonicalHeaderMap(t *testing.T) {
	var got http.Header
	ad := lambdahttp.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header
		w.WriteHeader(http.StatusNoContent)
	}), nil)
	u, err := url.ParseRequestURI("/v1/issues/x")
	require.NoError(t, err)
	rt := routes.Route{Method: http.MethodGet, Path: "/v1/issues/{issueId}"}
	hdr := http.Header{"Authorization": {"Bearer t"}, "X-Request-Id": {"req-1"}}
	res := ad.InvokeRequest(context.Background(), rt, nil, &http.Request{Method: http.MethodGet, URL: u, Header: hdr}, nil, "192.0.2.7")
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	assert.Equal(t, reflect.ValueOf(hdr).UnsafePointer(), reflect.ValueOf(got).UnsafePointer(), "the same map")

	lower := http.Header{"x-lower": {"a"}, "Authorization": {"Bearer t"}}
	_ = ad.InvokeRequest(context.Background(), rt, nil, &http.Request{Method: http.MethodGet, URL: u, Header: lower}, nil, "192.0.2.7")
	assert.NotEqual(t, reflect.ValueOf(lower).UnsafePointer(), reflect.ValueOf(got).UnsafePointer())
	assert.Equal(t, http.Header{"X-Lower": {"a"}, "Authorization": {"Bearer t"}}, got)
}

// serveBoth answers one request with AnswerRequest, and with
// WriteProxyResponse of InvokeRequest's answer (what the gateway wrote
// before AnswerRequest), each into a recorder.
func serveBoth(t *testing.T, answer func(w http.ResponseWriter, r *http.Request), method, target string, hdr http.Header, body []byte) (served, written *httptest.ResponseRecorder) {
	t.Helper()
	ad := lambdahttp.New(http.HandlerFunc(answer), nil)
	u, err := url.ParseRequestURI(target)
	require.NoError(t, err)
	rt := routes.Route{Method: strings.ToUpper(method), Path: "/v1/issues/{issueId}"}
	authz := map[string]any{"tenantId": "t1", "userId": "u1", "role": "user"}
	served, written = httptest.NewRecorder(), httptest.NewRecorder()
	require.NoError(t, ad.AnswerRequest(context.Background(), rt, authz, &http.Request{Method: method, URL: u, Header: hdr.Clone()}, body, "192.0.2.7").Write(served))
	require.NoError(t, lambdahttp.WriteProxyResponse(written, ad.InvokeRequest(context.Background(), rt, authz, &http.Request{Method: method, URL: u, Header: hdr.Clone()}, body, "192.0.2.7")))
	return served, written
}
