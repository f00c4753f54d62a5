// Command teams is the Lambda function that serves teams and membership.
// It imports only its own wiring (internal/app/peoplewire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/peoplewire"
)

func main() { core.Serve(peoplewire.Teams) }
