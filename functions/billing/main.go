// Command billing is the Lambda function of the billing routes (usage, plans, Stripe) and its scheduled jobs.
// It imports only its own wiring (internal/app/billingwire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/billingwire"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire" // it sends mail
)

func main() { billingwire.ServeBilling() }
