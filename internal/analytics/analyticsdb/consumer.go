package analyticsdb

import (
	"context"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
)

// ConsumerName names the analytics consumer of the change stream (its
// function, its checkpoints locally).
const ConsumerName = changes.ConsumerAnalytics

// Filter is the records the analytics consumer reads: issues, status
// history and comments, and the tier migrations' freeze barriers (which
// changes.HomeOnly acknowledges and does not pass on). Its own rollup
// items never pass, so its writes to the same table do not come back to
// it.
var Filter = issuedb.ChangeFilter.WithBarriers()

// Consumer is the analytics consumer: it decodes changes into events and
// applies them per tenant and table. It implements changes.Consumer.
type Consumer struct{ Service *analytics.Service }

var _ changes.Consumer = Consumer{}

// Handle implements changes.Consumer.
func (c Consumer) Handle(ctx context.Context, batch []changes.Change) error {
	byTenant := map[tenancy.Scope][]analytics.Event{}
	var order []tenancy.Scope
	for _, ch := range batch {
		e, ok, err := EventOf(ch)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		w := tenancy.Scope{Table: ch.Table, TenantID: ch.TenantID}
		if _, seen := byTenant[w]; !seen {
			order = append(order, w)
		}
		byTenant[w] = append(byTenant[w], e)
	}
	for _, w := range order {
		if err := c.Service.Apply(ctx, w, byTenant[w]); err != nil {
			return err
		}
	}
	return nil
}

// EventOf decodes a change; ok is false for changes analytics ignores
// (other entities, removals of history and comments by an issue's purge).
func EventOf(ch changes.Change) (analytics.Event, bool, error) {
	if ch.TenantID == "" {
		return analytics.Event{}, false, nil
	}
	switch ch.Entity {
	case issuedb.EntityIssue:
		i, err := issuedb.DecodeIssue(ch.Image())
		if err != nil {
			return analytics.Event{}, false, fmt.Errorf("record %s: %w", ch.EventID, err)
		}
		if ch.Op == changes.Remove {
			return analytics.Event{IssueID: i.ID, Removed: true}, true, nil
		}
		return analytics.Event{IssueID: i.ID, Issue: &i}, true, nil
	case issuedb.EntityStatusChange:
		if ch.Op == changes.Remove {
			return analytics.Event{}, false, nil
		}
		h, err := issuedb.DecodeStatusChange(ch.New)
		if err != nil {
			return analytics.Event{}, false, fmt.Errorf("record %s: %w", ch.EventID, err)
		}
		return analytics.Event{IssueID: h.IssueID, Status: &h}, true, nil
	case issuedb.EntityComment:
		if ch.Op == changes.Remove {
			return analytics.Event{}, false, nil
		}
		cm, err := issuedb.DecodeComment(ch.New)
		if err != nil {
			return analytics.Event{}, false, fmt.Errorf("record %s: %w", ch.EventID, err)
		}
		return analytics.Event{IssueID: cm.IssueID, Comment: &cm}, true, nil
	}
	return analytics.Event{}, false, nil
}
