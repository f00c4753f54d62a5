package httpapi

import (
	"encoding/json"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// GatewayAnswer is an answer API Gateway makes itself, before or instead of
// a function: no session, no route, a usage plan's limit, an integration
// that took too long. In AWS its body is the gateway response's template
// (constructs/api); API Gateway's default ({"message":"Unauthorized"}) is
// not problem+json and carries no code. The local gateway (internal/gateway)
// answers the same problem from the same value, so a client sees one
// answer whichever gateway served it.
type GatewayAnswer struct {
	ResponseType string // API Gateway's gateway response type
	Kind         errs.Kind
	Code         string
	Detail       string
}

// Status is the answer's HTTP status.
func (a GatewayAnswer) Status() int { return Status(a.Kind) }

// Err is the answer as the local gateway returns it.
func (a GatewayAnswer) Err() *errs.Error { return errs.E(a.Kind, a.Code, "%s", a.Detail) }

// Template is the body of the answer's gateway response in AWS: the problem
// the local gateway writes, with API Gateway's request id (a gateway
// response template is not VTL; only $context variables are substituted).
func (a GatewayAnswer) Template() string {
	p := ProblemOf(a.Err(), "", "$context.requestId")
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // a Problem of strings and ints always marshals
	}
	return string(b)
}

var (
	// Unauthenticated is every 401: no Authorization header, or a token
	// the authorizer refuses (expired, forged, another pool, an unknown
	// tenant or user). In AWS a Lambda authorizer's 401 is API Gateway's
	// own answer with nothing of the Lambda's reason, so the local gateway
	// does not send its reason either (it logs it); the web app signs the
	// user in again on any 401.
	Unauthenticated = GatewayAnswer{"UNAUTHORIZED", errs.KindUnauthorized, "unauthorized",
		"sign in again: the request has no valid session token"}
	// NoRoute is a path the API does not have. API Gateway answers a
	// method or path without a route 403 "Missing Authentication Token";
	// the gateway response makes it the 404 the local gateway answers.
	NoRoute = GatewayAnswer{"MISSING_AUTHENTICATION_TOKEN", errs.KindNotFound, "route_not_found",
		"the API has no route for this method and path"}
	// Throttled is the usage plan's rate and burst used up.
	Throttled = GatewayAnswer{"THROTTLED", errs.KindRateLimited, "rate_limited_burst",
		"too many requests for the workspace's tier; slow down and retry"}
	// QuotaExceeded is the usage plan's monthly quota used up.
	QuotaExceeded = GatewayAnswer{"QUOTA_EXCEEDED", errs.KindRateLimited, "rate_limited_quota",
		"the monthly request quota of the workspace's tier is used up"}
	// IntegrationTimeout is a function that did not answer within API
	// Gateway's integration timeout (29 s).
	IntegrationTimeout = GatewayAnswer{"INTEGRATION_TIMEOUT", errs.KindTimeout, "integration_timeout",
		"the request took longer than the API allows"}
)

// GatewayAnswers are the answers the deployed API renders as problem+json
// (constructs/api adds one gateway response each).
var GatewayAnswers = []GatewayAnswer{Unauthenticated, NoRoute, Throttled, QuotaExceeded, IntegrationTimeout}

// GatewayDefaultTemplate is the body of every other answer API Gateway makes
// itself (DEFAULT_4XX and DEFAULT_5XX: a malformed request, a body too
// large, an authorizer that failed...): a problem whose detail is API
// Gateway's message and whose status is the response's (not a $context
// variable, so left out, as RFC 9457 allows).
const GatewayDefaultTemplate = `{"type":"` + ProblemTypeBase + `gateway_refused","title":"$context.error.responseType",` +
	`"detail":$context.error.messageString,"code":"gateway_refused","request_id":"$context.requestId"}`
