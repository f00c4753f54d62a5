// Command webhook-delivery is the Lambda function that delivers the webhook queue's attempts.
// It imports only its own wiring (internal/app/notifywire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
)

func main() { notifywire.ServeWebhookDelivery() }
