// Command presignup is the Lambda function behind the shared pool's PreSignUp trigger (Google sign-in).
// It imports only its own wiring (internal/app/authwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/authwire"
)

func main() { authwire.ServePreSignUp() }
