// Package cognitowire adds the user pools (Cognito) to a function's Deps:
// a Setup step of the functions whose routes use them. Package core does
// not import the Cognito client, so the other functions do not link it
// (issue 19; internal/app/wiring_test.go checks who does).
package cognitowire

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/cognito"
)

// WithCognito adds the Cognito user pools (the pools' users). A Setup step.
func WithCognito(_ context.Context, e core.Env, d *core.Deps) error {
	d.Cognito = cognito.Pools{C: cognito.NewClient(e.AWS, e.Endpoints)}
	return nil
}
