// Package cognitowire adds the user pools (Cognito) to a function's Deps:
// a Setup step of the functions whose routes use them. Package core does
// not import the Cognito client, so the other functions do not link it
// (issue 19; internal/app/wiring_test.go checks who does).
package cognitowire

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/cognito/signed"
)

// WithCognito adds the Cognito user pools (the pools' users): hand-signed
// calls (cognito/signed), not the SDK's Cognito client. A Setup step.
func WithCognito(_ context.Context, e core.Env, d *core.Deps) error {
	cfg := e.AWS.Copy()
	if e.Endpoints.Cognito != "" {
		cfg.BaseEndpoint = aws.String(e.Endpoints.Cognito)
	}
	d.Cognito = signed.Pools{Config: cfg}
	return nil
}
