// Command authorizer is the Lambda function that authorizes the API's requests (a Lambda authorizer).
// It imports only its own wiring (internal/app/authwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/authwire"
)

func main() { authwire.ServeAuthorizer() }
