// Package runbus starts tenant lifecycle runs with an event on the
// platform bus (the onboarding function runs them). Apart from awsstacks
// (the Platinum stacks' CloudFormation client) so that a function that only
// starts runs (billing, registration) links neither CloudFormation nor,
// since PutEvents is hand-signed (awsx/eventbus), the EventBridge client.
package runbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// Driver starts a tenant's lifecycle run with an event on the bus, so the
// onboarding function runs it outside the API request: an offboarding's
// export pages through the tenant's items, which is no request's work (and
// no API Gateway timeout's). The API answers 202 with the status URL.
type Driver struct {
	Events EventPutter
	Bus    string
}

// EventPutter puts an event on the bus (eventbus.Client; fakes in tests).
type EventPutter = eventbus.Putter

var _ onboarding.Driver = Driver{}

// Start implements onboarding.Driver.
func (d Driver) Start(ctx context.Context, tenantID string) error {
	detail, _ := json.Marshal(stackevents.Request{TenantID: tenantID})
	_, err := d.Events.Put(ctx, eventbus.Entry{EventBusName: d.Bus, Source: stackevents.SourceLifecycle,
		DetailType: stackevents.DetailTypeRunRequested, Detail: string(detail)})
	if err != nil {
		return fmt.Errorf("request the lifecycle run of %s: %w", tenantID, err)
	}
	return nil
}
