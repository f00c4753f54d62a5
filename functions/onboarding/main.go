// Command onboarding is the Lambda function that the platform bus invokes
// with the provisioning pipeline's outcomes (Tenant Stack Succeeded /
// Failed): it resumes or fails the tenant's waiting onboarding or
// offboarding run (internal/onboarding/awsstacks).
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServeOnboardingEvents() }
