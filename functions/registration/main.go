// Command registration is the Lambda function that serves public sign-up.
// It imports only its own wiring (internal/app/registrationwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
	"github.com/issuetracker/issuetracker/internal/app/registrationwire"
)

func main() { core.Serve(registrationwire.Registration) }
