// Command workspace is the Lambda function that serves the tenant's workspace settings (branding).
// It imports only its own wiring (internal/app/workspacewire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/workspacewire"
)

func main() { core.Serve(workspacewire.Workspace) }
