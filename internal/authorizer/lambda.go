package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/idtoken"
)

// ErrUnauthorized is the one error API Gateway turns into a 401. API
// Gateway writes that answer itself ({"message":"Unauthorized"}), with the
// edge's CORS and security headers (constructs/api gateway responses); the
// local gateway answers the authorizer's problem+json.
var ErrUnauthorized = errors.New("Unauthorized")

// Handle is the Lambda REQUEST authorizer. Allowed callers get an Allow
// policy for the whole API (so the cached result serves every route; the
// functions enforce the route's role), the principal as context, and the
// tenant's API key as usageIdentifierKey. Refused callers get 401, or a Deny
// policy (403) whose context carries the problem code.
func (a *Authorizer) Handle(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	header := ""
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "Authorization") {
			header = v
		}
	}
	p, key, err := a.Authorize(ctx, header)
	if err != nil {
		e := errs.As(err)
		switch e.Kind {
		case errs.KindUnauthorized:
			slog.InfoContext(ctx, "token refused", "code", e.Code)
			return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
		case errs.KindForbidden:
			return events.APIGatewayCustomAuthorizerResponse{
				PrincipalID:    "refused",
				PolicyDocument: policy("Deny", ev.MethodArn),
				Context:        map[string]any{"code": e.Code, "message": e.Message},
			}, nil
		default:
			slog.ErrorContext(ctx, "authorizer failed", "err", err)
			return events.APIGatewayCustomAuthorizerResponse{}, err
		}
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID:        p.UserID,
		PolicyDocument:     policy("Allow", ev.MethodArn),
		Context:            p.AuthorizerContext(),
		UsageIdentifierKey: key,
	}, nil
}

// policy covers every method of the stage: arn:...:api/stage/VERB/path → arn:...:api/stage/*/*.
func policy(effect, methodArn string) events.APIGatewayCustomAuthorizerPolicy {
	resource := methodArn
	if parts := strings.SplitN(methodArn, "/", 3); len(parts) >= 2 {
		resource = parts[0] + "/" + parts[1] + "/*/*"
	}
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{resource},
		}},
	}
}

// ConfigFromEnv reads the static pools from the function's environment
// (internal/envvars): the tenant and provider pools and their client ids,
// and the issuer base (default https://cognito-idp.<AWS_REGION>.amazonaws.com;
// cognito-local: http://localhost:9229).
func ConfigFromEnv() (Config, error) {
	base := os.Getenv(envvars.CognitoIssuerBase)
	if base == "" {
		region := os.Getenv("AWS_REGION")
		if region == "" {
			return Config{}, fmt.Errorf("set %s or AWS_REGION", envvars.CognitoIssuerBase)
		}
		base = "https://cognito-idp." + region + ".amazonaws.com"
	}
	tp, pp := os.Getenv(envvars.TenantPoolID), os.Getenv(envvars.ProviderPoolID)
	if tp == "" || pp == "" {
		return Config{}, fmt.Errorf("%s and %s are required", envvars.TenantPoolID, envvars.ProviderPoolID)
	}
	return Config{
		TenantPool:   PoolFor(base, tp, idtoken.PoolTenant, envvars.List(envvars.TenantClientIDs)...),
		ProviderPool: PoolFor(base, pp, idtoken.PoolProvider, envvars.List(envvars.ProviderClientIDs)...),
	}, nil
}

// PoolFor describes a pool by its issuer base and id.
func PoolFor(issuerBase, poolID string, kind idtoken.PoolKind, clientIDs ...string) idtoken.Pool {
	return idtoken.NewPool(poolID, strings.TrimRight(issuerBase, "/")+"/"+poolID, kind, "", clientIDs...)
}
