// Command tenants is the Lambda function that serves the provider's (Root's) administration.
// It imports only its own wiring (internal/app/adminwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/adminwire"
	"github.com/issuetracker/issuetracker/internal/app/core"
)

func main() { core.Serve(adminwire.Tenants) }
