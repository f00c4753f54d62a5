package httpapi

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

// gatewayContextKey carries the API Gateway request context of a request
// the local gateway hands a function's handler in process
// (lambdahttp.Request), without building the proxy event.
type gatewayContextKey struct{}

// WithGatewayContext is ctx carrying rc as the request's API Gateway request
// context, as aws-lambda-go-api-proxy's adapter puts the event's in the
// context of the request it builds. rc is not copied: it must not change.
func WithGatewayContext(ctx context.Context, rc *events.APIGatewayProxyRequestContext) context.Context {
	return context.WithValue(ctx, gatewayContextKey{}, rc)
}

// GatewayContext is the API Gateway request context of the request whose
// context is ctx: the one the in-process gateway put there
// (WithGatewayContext), else the one aws-lambda-go-api-proxy's adapter put
// there from the Lambda event. Every reader of the request context goes
// through it (TestOnlyHTTPAPIReadsTheProxyContext), so a handler sees the
// same values in Lambda, in the template mode's processes and in process.
func GatewayContext(ctx context.Context) (events.APIGatewayProxyRequestContext, bool) {
	if rc, ok := ctx.Value(gatewayContextKey{}).(*events.APIGatewayProxyRequestContext); ok {
		return *rc, true
	}
	return core.GetAPIGatewayContextFromContext(ctx)
}
