// Package presignupwire wires the shared tenant pool's PreSignUp trigger
// (Google sign-in: internal/federation), which links the SDK's Cognito
// client. Apart from authwire so that the API's authorizer, which needs
// only the pools' MFA state (hand-signed, cognitowire), does not link
// that client (issue 19).
package presignupwire

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/federation"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// ServePreSignUp runs this process as the shared tenant pool's PreSignUp
// trigger (Google sign-in on): a first Google sign-in is linked to the
// person a tenant invited with the same verified email, everyone else is
// refused (internal/federation).
func ServePreSignUp() {
	core.UseLambdaLogging(routes.FnPreSignUp, os.Stdout)
	core.MustHaveEnvironment(routes.FnPreSignUp)
	e, err := core.LoadAWS()
	if err != nil {
		log.Fatalf("presignup: %v", err)
	}
	lambda.Start(federation.Linker{C: cognito.NewClient(e.AWS, e.Endpoints)}.Handle)
}
