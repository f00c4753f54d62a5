// Package apitest calls the API in-process the way API Gateway does: it finds
// the owning function in the route table, builds the REST (v1) proxy event
// with the authorizer context of a given principal, and invokes the
// function's handler through the same adapter the Lambda mains use. Tests of
// handlers use it with the real stores on DynamoDB Local.
package apitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
)

// API invokes functions in-process.
type API struct {
	t    testing.TB
	deps app.Deps
	mu   sync.Mutex
	fns  map[routes.Function]*lambdahttp.Adapter
	per  func(routes.Function, app.Deps) app.Deps
	own  map[routes.Function]core.Wiring
}

// Serve serves w's function with w's own wiring (w.Handler, as its Lambda
// main does) instead of the in-process platform's operations: a test of
// what the deployed function links and builds. Call it before any request.
func (a *API) Serve(w core.Wiring) *API {
	if a.own == nil {
		a.own = map[routes.Function]core.Wiring{}
	}
	a.own[w.Fn] = w
	return a
}

// PerFunction gives each function its own deps, made by f from the API's,
// as each Lambda function has its own role in AWS. Call it before any request.
func (a *API) PerFunction(f func(routes.Function, app.Deps) app.Deps) *API {
	a.per = f
	return a
}

// New returns an API over deps. As in the deployed functions, tenant data
// calls made outside a tenant context are refused (tenantcreds).
func New(t testing.TB, deps app.Deps) *API {
	if deps.Cursors.Keys == nil {
		// Tests fix the deployment's cursor key, as make dev and AWS configure one.
		deps.Cursors = list.Codec{Keys: cursorKey(t)}
	}
	if deps.DB != nil && deps.ControlDB == nil {
		deps.ControlDB = deps.DB
		deps.DB = tenantcreds.RequireTenant(deps.DB)
	}
	return &API{t: t, deps: deps, fns: map[routes.Function]*lambdahttp.Adapter{}}
}

func cursorKey(t testing.TB) *list.Keyring {
	k, err := list.StaticKey("apitest-cursor-key-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Response is a function's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v and fails the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %q: %v", r.Status, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Caller sends requests as one principal (nil: anonymous).
type Caller struct {
	api *API
	p   *tenancy.Principal
}

// As returns a caller acting as p.
func (a *API) As(p tenancy.Principal) Caller { return Caller{api: a, p: &p} }

// Anonymous returns a caller without a token.
func (a *API) Anonymous() Caller { return Caller{api: a} }

// Do sends a request. body is marshalled to JSON unless it is a string or
// []byte; headers are pairs "Name", "value".
func (c Caller) Do(method, target string, body any, headers ...string) *Response {
	c.api.t.Helper()
	res, err := c.api.invoke(c.p, method, target, body, headers...)
	if err != nil {
		c.api.t.Fatalf("%s %s: %v", method, target, err)
	}
	return res
}

func (a *API) adapter(fn routes.Function) (*lambdahttp.Adapter, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ad, ok := a.fns[fn]; ok {
		return ad, nil
	}
	d := a.deps
	if a.per != nil {
		d = a.per(fn, d)
	}
	var h http.Handler
	var err error
	if w, ok := a.own[fn]; ok {
		h, err = w.Handler(d)
	} else {
		h, err = app.Function(fn, d)
	}
	if err != nil {
		return nil, err
	}
	ad := lambdahttp.New(h, d.CORSOrigins)
	a.fns[fn] = ad
	return ad, nil
}

func (a *API) invoke(p *tenancy.Principal, method, target string, body any, headers ...string) (*Response, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		if raw, err = json.Marshal(b); err != nil {
			return nil, err
		}
	}
	hdr := http.Header{}
	if raw != nil {
		hdr.Set("Content-Type", "application/json")
	}
	given := map[string]bool{} // a name given twice is sent twice (If-Match twice); once, it replaces a default
	for i := 0; i+1 < len(headers); i += 2 {
		if k := http.CanonicalHeaderKey(headers[i]); given[k] {
			hdr.Add(k, headers[i+1])
		} else {
			given[k] = true
			hdr.Set(k, headers[i+1])
		}
	}
	if hdr.Get("X-Request-Id") == "" {
		hdr.Set("X-Request-Id", "test-"+strings.ReplaceAll(u.Path, "/", "-"))
	}
	rt, params, ok := routes.Match(method, u.Path)
	if !ok { // a missing route, a method the path lacks too, as the gateway answers (a 405 until edge14)
		return &Response{Status: http.StatusNotFound, Header: http.Header{}}, nil
	}
	ad, err := a.adapter(rt.Function)
	if err != nil {
		return nil, err
	}
	out, err := ad.Invoke(context.Background(), lambdahttp.Event(rt, params, authz(p), method, u, raw, hdr))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", rt.Function, err)
	}
	res := &Response{Status: out.StatusCode, Header: http.Header{}}
	for k, v := range out.Headers {
		res.Header.Set(k, v)
	}
	for k, vs := range out.MultiValueHeaders {
		res.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if out.IsBase64Encoded {
		res.Body, err = base64.StdEncoding.DecodeString(out.Body)
		if err != nil {
			return nil, err
		}
	} else {
		res.Body = bytes.Clone([]byte(out.Body))
	}
	return res, nil
}

func authz(p *tenancy.Principal) map[string]any {
	if p == nil {
		return nil
	}
	return p.AuthorizerContext()
}
