// Package lambdahttp serves a plain http.Handler as an API Gateway REST (v1)
// proxy integration, through aws-lambda-go-api-proxy. The Lambda mains and the
// local gateway both use it, so a handler runs the same way in both homes.
package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Adapter turns API Gateway proxy events into calls of an http.Handler.
type Adapter struct {
	a *httpadapter.HandlerAdapter
	h http.Handler
	// origins may read the adapter's own answers from a browser (the
	// function's CORS origins, as the handler's answers).
	origins []string
}

// New wraps h. allowedOrigins are the browser origins CORS lets read the
// answers the adapter makes itself (a malformed event, a panic), as the
// handler's own answers carry them (edge.SetCORS); "*" allows any.
func New(h http.Handler, allowedOrigins []string) *Adapter {
	return &Adapter{a: httpadapter.New(h), h: h, origins: allowedOrigins}
}

// Invoke runs one event through the handler. A malformed event (bad path,
// query or headers, two Authorization headers, a body that is not base64)
// is answered with a 400 problem before the handler runs: it never fails the
// function, which API Gateway would turn into a 502.
//
// A handler that panics is answered with a 500 problem carrying the request
// id, and the panic is logged with its stack: one bad request must not take
// the process (the local gateway, a warm Lambda) down with it.
func (a *Adapter) Invoke(ctx context.Context, ev events.APIGatewayProxyRequest) (res events.APIGatewayProxyResponse, err error) {
	origin := originOf(ev)
	defer a.recoverHandler(ctx, &ev, origin, &res, &err)
	if err := httpapi.CheckEdge(EdgeOf(ev)); err != nil {
		return a.problem(ev, origin, err), nil
	}
	res, err = a.a.ProxyWithContext(ctx, ev)
	if err != nil {
		slog.WarnContext(ctx, "refused an event the adapter cannot read", "err", err, "request_id", ev.RequestContext.RequestID)
		return a.problem(ev, origin, errs.Invalid("malformed_request", "the request could not be read")), nil
	}
	return res, nil
}

// recoverHandler answers a handler's panic with a 500 problem and logs it.
func (a *Adapter) recoverHandler(ctx context.Context, ev *events.APIGatewayProxyRequest, origin string, res *events.APIGatewayProxyResponse, err *error) {
	if p := recover(); p != nil {
		slog.ErrorContext(ctx, "handler panicked", "panic", fmt.Sprint(p), "path", ev.Path,
			"request_id", ev.RequestContext.RequestID, "stack", string(debug.Stack()))
		*res, *err = a.problem(*ev, origin, errs.Internal(fmt.Errorf("panic: %v", p))), nil
	}
}

// problem is an answer the adapter makes itself: Problem, with the CORS a
// handler's answer to a request from origin carries. API Gateway passes a
// proxy answer through as it is, so without them a browser on the web
// origin could not read the 400 or the 500 (none before edge14).
func (a *Adapter) problem(ev events.APIGatewayProxyRequest, origin string, err error) events.APIGatewayProxyResponse {
	res := Problem(ev, err)
	h := http.Header{}
	edge.SetCORS(h, origin, a.origins)
	for k := range h {
		res.Headers[k] = h.Get(k)
	}
	return res
}

// originOf is the event's Origin header, whatever its case.
func originOf(ev events.APIGatewayProxyRequest) string {
	for k, vs := range ev.MultiValueHeaders {
		if strings.EqualFold(k, "Origin") && len(vs) > 0 {
			return vs[0]
		}
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "Origin") {
			return v
		}
	}
	return ""
}

// InvokeRequest answers what Invoke answers for the event Event(rt, params,
// authorizer, r.Method, r.URL, body, r.Header) with sourceIP as its
// identity's source IP, without building that event: the handler gets the
// request aws-lambda-go-api-proxy would build of the event (Request), and
// the answer is recorded by the adapter's own response writer. It is the
// in-process gateway's call of a function (the event and the api-proxy's
// conversion of it were a tenth of its CPU per request); the template mode
// hands its processes the event itself. The caller has run httpapi.CheckEdge
// on r (the gateway does before routing): Invoke's own check of the event
// sees the same path, query and headers and is not repeated. Path
// parameters are the event's alone (the adapter does not pass them on).
func (a *Adapter) InvokeRequest(ctx context.Context, rt routes.Route, authorizer map[string]any, r *http.Request, body []byte, sourceIP string) events.APIGatewayProxyResponse {
	rec, res := a.invokeRequest(ctx, rt, authorizer, r, body, sourceIP)
	if rec == nil {
		return res
	}
	return rec.proxyResponse()
}

// AnswerRequest runs the handler as InvokeRequest does and keeps its answer
// as its writer recorded it: Answer.Write writes what WriteProxyResponse
// writes of InvokeRequest's answer, without the proxy response between them
// (no copy of the body into a string, no UTF-8 check, no base64 of a binary
// body and back, no header maps; docs/performance.md, eighth pass).
// TestInvokeRequestIsInvoke holds the two to the same bytes.
func (a *Adapter) AnswerRequest(ctx context.Context, rt routes.Route, authorizer map[string]any, r *http.Request, body []byte, sourceIP string) Answer {
	rec, res := a.invokeRequest(ctx, rt, authorizer, r, body, sourceIP)
	return Answer{rec: rec, res: res}
}

// Answer is a handler's answer recorded in process (AnswerRequest).
type Answer struct {
	rec *recorder                      // the handler's answer
	res events.APIGatewayProxyResponse // else the problem that answers instead
}

// Write writes the answer to w (the error is WriteProxyResponse's).
func (ans Answer) Write(w http.ResponseWriter) error {
	rec := ans.rec
	if rec == nil {
		return WriteProxyResponse(w, ans.res)
	}
	rec.notifyClosed()
	h := w.Header()
	for k, vs := range rec.headers {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
	return nil
}

// invokeRequest runs the handler on the request InvokeRequest describes:
// its recorded answer, or (rec nil) the problem that answers it instead.
func (a *Adapter) invokeRequest(ctx context.Context, rt routes.Route, authorizer map[string]any, r *http.Request, body []byte, sourceIP string) (rec *recorder, res events.APIGatewayProxyResponse) {
	rc := RequestContext(rt, authorizer, r.Method, r.URL.EscapedPath(), r.Header, sourceIP)
	origin := r.Header.Get("Origin")
	req, err := Request(ctx, rc, r.URL, body, r.Header)
	if err != nil { // what the adapter's conversion of such an event fails on
		return nil, a.problem(events.APIGatewayProxyRequest{Path: rc.Path, RequestContext: *rc}, origin, errs.Invalid("malformed_request", "the request could not be read"))
	}
	ev := events.APIGatewayProxyRequest{Path: rc.Path, RequestContext: *rc} // for a panic's answer and log
	var nilErr error
	defer a.recoverHandler(ctx, &ev, origin, &res, &nilErr) // a panic: rec stays nil, res is the 500
	w := &recorder{headers: make(http.Header), status: noStatus}
	a.h.ServeHTTP(w, req)
	if w.status == noStatus { // the handler answered nothing: as Invoke answers it
		w.notifyClosed()
		slog.WarnContext(ctx, "refused an event the adapter cannot read", "err", errNoStatus, "request_id", rc.RequestID)
		return nil, a.problem(ev, origin, errs.Invalid("malformed_request", "the request could not be read"))
	}
	return w, res
}

// recorder records a handler's answer as aws-lambda-go-api-proxy's
// core.ProxyResponseWriter does (the adapter's writer, which Invoke uses):
// the status is the last WriteHeader's, or 200 at the first Write; a body
// written with no Content-Type set gets the sniffed one added; headers
// set after the body count (they are read when the handler is done).
type recorder struct {
	headers   http.Header
	body      bytes.Buffer
	status    int
	observers []chan<- bool
}

const noStatus = -1

var errNoStatus = errors.New("Status code not set on response")

func (r *recorder) Header() http.Header { return r.headers }

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == noStatus {
		r.status = http.StatusOK
	}
	if r.headers.Get("Content-Type") == "" {
		r.headers.Add("Content-Type", http.DetectContentType(b))
	}
	return r.body.Write(b)
}

func (r *recorder) WriteHeader(status int) { r.status = status }

// Flush is a no-op, as the adapter's.
func (r *recorder) Flush() {}

// CloseNotify is the adapter's: the channel is told when the answer is taken.
func (r *recorder) CloseNotify() <-chan bool {
	ch := make(chan bool, 1)
	r.observers = append(r.observers, ch)
	return ch
}

func (r *recorder) notifyClosed() {
	for _, ch := range r.observers {
		ch <- true
	}
}

// proxyResponse is core.ProxyResponseWriter.GetProxyResponse's answer.
func (r *recorder) proxyResponse() events.APIGatewayProxyResponse {
	r.notifyClosed()
	b := r.body.Bytes()
	if utf8.Valid(b) {
		return events.APIGatewayProxyResponse{StatusCode: r.status, MultiValueHeaders: r.headers, Body: string(b)}
	}
	return events.APIGatewayProxyResponse{StatusCode: r.status, MultiValueHeaders: r.headers,
		Body: base64.StdEncoding.EncodeToString(b), IsBase64Encoded: true}
}

// WriteProxyResponse writes a function's proxy response: its headers,
// status and body (decoded when base64; bad base64 writes an empty body and
// is the error returned).
func WriteProxyResponse(w http.ResponseWriter, res events.APIGatewayProxyResponse) error {
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	w.WriteHeader(res.StatusCode)
	if res.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(res.Body)
		_, _ = w.Write(b)
		return err
	}
	_, _ = io.WriteString(w, res.Body)
	return nil
}

// RequestContext is the request context of the event Event builds, its
// identity's source IP set.
func RequestContext(rt routes.Route, authorizer map[string]any, method, escapedPath string, hdr http.Header, sourceIP string) *events.APIGatewayProxyRequestContext {
	return &events.APIGatewayProxyRequestContext{
		ResourcePath: rt.Path, HTTPMethod: method, Path: escapedPath, Stage: "v1",
		RequestID: hdr.Get("X-Request-Id"), Authorizer: authorizer,
		Identity: events.APIGatewayRequestIdentity{SourceIP: sourceIP},
	}
}

// Request is the http.Request aws-lambda-go-api-proxy builds of the event
// Event(..., u, body, hdr) whose request context is rc
// (core.RequestAccessor.EventToRequestWithContext): the method upper-cased,
// the URL https:// + the request context's domain (none) + the escaped path,
// the query encoded again from its decoded values (the adapter's order of
// keys is a map's, so any order is its), every header under its canonical
// name, the body, the source IP as RemoteAddr, and rc in the context (read
// with httpapi.GatewayContext). TestInvokeRequestIsInvoke compares it with
// the adapter's, field by field.
func Request(ctx context.Context, rc *events.APIGatewayProxyRequestContext, u *url.URL, body []byte, hdr http.Header) (*http.Request, error) {
	host := "https://" + rc.DomainName
	if custom, ok := os.LookupEnv(core.CustomHostVariable); ok {
		host = custom
	}
	path := rc.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	target := host + path
	if u.RawQuery != "" {
		if q := u.Query(); len(q) > 0 {
			target += "?" + q.Encode()
		}
	}
	req, err := http.NewRequestWithContext(httpapi.WithGatewayContext(ctx, rc), strings.ToUpper(rc.HTTPMethod), target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = rc.Identity.SourceIP
	req.Header = canonicalHeader(hdr)
	req.RequestURI = req.URL.RequestURI()
	return req, nil
}

// canonicalHeader is h with every name in canonical form, merging the
// values of names that differ only in case (http.Header.Add, as the adapter
// adds them). A net/http server's headers are canonical already: then h
// itself is the request's, not a copy (a copy was 8 of the gateway's ~90
// allocations of its own per request; docs/performance.md, eighth pass).
// The one caller, the in-process gateway, hands over a map that net/http
// made for that request alone and does not change it after the call; a
// handler's changes to its request's headers (none makes any) would reach
// only the gateway's own error answers of that request.
func canonicalHeader(h http.Header) http.Header {
	for k := range h {
		if k != http.CanonicalHeaderKey(k) {
			out := make(http.Header, len(h))
			for k, vs := range h {
				for _, v := range vs {
					out.Add(k, v)
				}
			}
			return out
		}
	}
	if h == nil {
		return http.Header{}
	}
	return h
}

// EdgeOf describes an event for httpapi.CheckEdge with the values the
// adapter will build the request from (multi-value maps when present).
func EdgeOf(ev events.APIGatewayProxyRequest) httpapi.EdgeRequest {
	hdr := ev.MultiValueHeaders
	if hdr == nil {
		hdr = map[string][]string{}
		for k, v := range ev.Headers {
			hdr[k] = []string{v}
		}
	}
	q := ev.MultiValueQueryStringParameters
	if len(q) == 0 {
		q = map[string][]string{}
		for k, v := range ev.QueryStringParameters {
			q[k] = []string{v}
		}
	}
	return httpapi.EdgeRequest{Method: ev.HTTPMethod, EscapedPath: ev.Path, Query: q, Header: hdr}
}

// Problem is the proxy response of a problem+json error, with the security
// headers every answer of the API carries (internal/edge): the adapter
// answers a malformed event or a panic before or without the function's
// own headers.
func Problem(ev events.APIGatewayProxyRequest, err error) events.APIGatewayProxyResponse {
	p := httpapi.ProblemOf(err, ev.Path, ev.RequestContext.RequestID)
	b, _ := json.Marshal(p)
	h := edge.SecurityHeaders()
	h["Content-Type"] = httpapi.ProblemContentType
	if ra := httpapi.RetryAfter(p.Status); ra != "" {
		h["Retry-After"] = ra
	}
	return events.APIGatewayProxyResponse{StatusCode: p.Status, Body: string(b) + "\n", Headers: h}
}

// Start serves h as the Lambda function of this process; allowedOrigins
// are New's.
func Start(h http.Handler, allowedOrigins []string, opts ...lambda.Option) {
	lambda.StartWithOptions(New(h, allowedOrigins).Invoke, opts...)
}

// Event builds the API Gateway REST (v1) proxy event for a request, as API
// Gateway does: resource, the path still percent-encoded, path parameters,
// headers, the decoded query and the authorizer context; bodies are base64
// so binary bodies survive.
func Event(rt routes.Route, params map[string]string, authorizer map[string]any, method string, u *url.URL, body []byte, hdr http.Header) events.APIGatewayProxyRequest {
	path := u.EscapedPath()
	ev := events.APIGatewayProxyRequest{
		Resource:                        rt.Path,
		Path:                            path,
		HTTPMethod:                      method,
		Headers:                         map[string]string{},
		MultiValueHeaders:               map[string][]string{},
		QueryStringParameters:           map[string]string{},
		MultiValueQueryStringParameters: map[string][]string{},
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath: rt.Path, HTTPMethod: method, Path: path, Stage: "v1",
			RequestID: hdr.Get("X-Request-Id"),
		},
	}
	for k, vs := range hdr {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	for k, vs := range u.Query() {
		ev.QueryStringParameters[k] = vs[len(vs)-1]
		ev.MultiValueQueryStringParameters[k] = vs
	}
	ev.RequestContext.Authorizer = authorizer
	if len(body) > 0 {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}
