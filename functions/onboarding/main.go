// Command onboarding is the Lambda function that resumes tenant lifecycle runs on the provisioning pipeline's events.
// It imports only its own wiring (internal/app/lifecyclewire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/lifecyclewire"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
)

func main() { lifecyclewire.ServeOnboardingEvents() }
