// Command registration is the Lambda function that serves public sign-up.
// It imports only its own wiring (internal/app/lifecyclewire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclewire"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
)

func main() { core.Serve(lifecyclewire.Registration) }
