// Package lambdahttp serves a plain http.Handler as an API Gateway REST (v1)
// proxy integration, through aws-lambda-go-api-proxy. The Lambda mains and the
// local gateway both use it, so a handler runs the same way in both homes.
package lambdahttp

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Adapter turns API Gateway proxy events into calls of an http.Handler.
type Adapter struct{ a *httpadapter.HandlerAdapter }

// New wraps h.
func New(h http.Handler) *Adapter { return &Adapter{a: httpadapter.New(h)} }

// Invoke runs one event through the handler.
func (a *Adapter) Invoke(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return a.a.ProxyWithContext(ctx, ev)
}

// Start serves h as the Lambda function of this process.
func Start(h http.Handler, opts ...lambda.Option) { lambda.StartWithOptions(New(h).Invoke, opts...) }

// Event builds the API Gateway REST (v1) proxy event for a request, as API
// Gateway does: resource, path parameters, headers, query and the
// authorizer context; bodies are base64 so binary bodies survive.
func Event(rt routes.Route, params map[string]string, authorizer map[string]any, method string, u *url.URL, body []byte, hdr http.Header) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource:                        rt.Path,
		Path:                            u.Path,
		HTTPMethod:                      method,
		Headers:                         map[string]string{},
		MultiValueHeaders:               map[string][]string{},
		QueryStringParameters:           map[string]string{},
		MultiValueQueryStringParameters: map[string][]string{},
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath: rt.Path, HTTPMethod: method, Path: u.Path, Stage: "v1",
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
