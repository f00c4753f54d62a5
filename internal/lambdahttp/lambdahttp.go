// Package lambdahttp serves a plain http.Handler as an API Gateway REST (v1)
// proxy integration, through aws-lambda-go-api-proxy. The Lambda mains and the
// local gateway both use it, so a handler runs the same way in both homes.
package lambdahttp

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
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
func Start(h http.Handler) { lambda.Start(New(h).Invoke) }
