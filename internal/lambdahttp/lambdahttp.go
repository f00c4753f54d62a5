// Package lambdahttp serves a plain http.Handler as an API Gateway REST (v1)
// proxy integration, through aws-lambda-go-api-proxy. The Lambda mains and the
// local gateway both use it, so a handler runs the same way in both homes.
package lambdahttp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Adapter turns API Gateway proxy events into calls of an http.Handler.
type Adapter struct{ a *httpadapter.HandlerAdapter }

// New wraps h.
func New(h http.Handler) *Adapter { return &Adapter{a: httpadapter.New(h)} }

// Invoke runs one event through the handler. A malformed event (bad path,
// query or headers, two Authorization headers, a body that is not base64)
// is answered with a 400 problem before the handler runs: it never fails the
// function, which API Gateway would turn into a 502.
//
// A handler that panics is answered with a 500 problem carrying the request
// id, and the panic is logged with its stack: one bad request must not take
// the process (the local gateway, a warm Lambda) down with it.
func (a *Adapter) Invoke(ctx context.Context, ev events.APIGatewayProxyRequest) (res events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.ErrorContext(ctx, "handler panicked", "panic", fmt.Sprint(p), "path", ev.Path,
				"request_id", ev.RequestContext.RequestID, "stack", string(debug.Stack()))
			res, err = Problem(ev, errs.Internal(fmt.Errorf("panic: %v", p))), nil
		}
	}()
	if err := httpapi.CheckEdge(EdgeOf(ev)); err != nil {
		return Problem(ev, err), nil
	}
	res, err = a.a.ProxyWithContext(ctx, ev)
	if err != nil {
		slog.WarnContext(ctx, "refused an event the adapter cannot read", "err", err, "request_id", ev.RequestContext.RequestID)
		return Problem(ev, errs.Invalid("malformed_request", "the request could not be read")), nil
	}
	return res, nil
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

// Problem is the proxy response of a problem+json error.
func Problem(ev events.APIGatewayProxyRequest, err error) events.APIGatewayProxyResponse {
	p := httpapi.ProblemOf(err, ev.Path, ev.RequestContext.RequestID)
	b, _ := json.Marshal(p)
	h := map[string]string{"Content-Type": httpapi.ProblemContentType}
	if p.Status == http.StatusServiceUnavailable {
		h["Retry-After"] = httpapi.RetryAfterUnavailable
	}
	return events.APIGatewayProxyResponse{StatusCode: p.Status, Body: string(b) + "\n", Headers: h}
}

// Start serves h as the Lambda function of this process.
func Start(h http.Handler, opts ...lambda.Option) { lambda.StartWithOptions(New(h).Invoke, opts...) }

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
