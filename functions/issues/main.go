// Command issues is the Lambda function that serves the routes the route table gives to "issues" (internal/routes), behind API Gateway's REST proxy,
// and runs its schedule's job (trackerwire.Maintain: abandoned status deletions are resumed).
// It imports only its own wiring (internal/app/trackerwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
)

func main() { trackerwire.ServeIssues() }
