// Command presignup is the Lambda function behind the shared pool's PreSignUp trigger (Google sign-in).
// It imports only its own wiring (internal/app/presignupwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/presignupwire"
)

func main() { presignupwire.ServePreSignUp() }
