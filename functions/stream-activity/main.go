// Command stream-activity is the Lambda function that consumes a tenant table's stream for notifications and webhooks.
// It imports only its own wiring (internal/app/activitywire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/activitywire"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
)

func main() { activitywire.ServeActivityStream() }
