// Package runbus starts tenant lifecycle runs with an event on the
// platform bus (the onboarding function runs them). Apart from awsstacks
// (the Platinum stacks' CloudFormation client) so that a function that only
// starts runs, billing, links EventBridge and not CloudFormation.
package runbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
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

// EventPutter is the part of the EventBridge client the driver uses.
type EventPutter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ onboarding.Driver = Driver{}

// Start implements onboarding.Driver.
func (d Driver) Start(ctx context.Context, tenantID string) error {
	detail, _ := json.Marshal(stackevents.Request{TenantID: tenantID})
	out, err := d.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(d.Bus), Source: aws.String(stackevents.SourceLifecycle),
		DetailType: aws.String(stackevents.DetailTypeRunRequested), Detail: aws.String(string(detail)),
	}}})
	if err != nil {
		return fmt.Errorf("request the lifecycle run of %s: %w", tenantID, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		return fmt.Errorf("request the lifecycle run of %s: %s: %s", tenantID,
			aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}
