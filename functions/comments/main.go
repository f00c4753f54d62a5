// Command comments is the Lambda function that serves the comments, inbox and webhook routes behind API Gateway's REST proxy.
// It imports only its own wiring (internal/app/notifywire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
)

func main() { core.Serve(notifywire.Comments) }
