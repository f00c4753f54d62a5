// Command attachments is the Lambda function of the attachments routes, and the schedule's upload sweep.
// It imports only its own wiring (internal/app/filewire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/filewire"
)

func main() { filewire.ServeAttachments() }
