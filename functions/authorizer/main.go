// Command authorizer is the API's Lambda REQUEST authorizer: it verifies the
// Cognito token, confirms tenant and user in the registry and returns the
// policy, the principal and the tenant's API key (internal/authorizer).
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServeAuthorizer() }
