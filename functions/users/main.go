// Command users is the Lambda function that serves the caller and user management.
// It imports only its own wiring (internal/app/peoplewire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
	"github.com/issuetracker/issuetracker/internal/app/peoplewire"
)

func main() { core.Serve(peoplewire.Users) }
