package notifydb

import (
	"context"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/notify"
)

// ConsumerName names the activity consumer of the change stream (its
// checkpoints locally; its function in AWS is stream-activity).
const ConsumerName = "activity"

// Filter is what the activity consumer reads (issuedb.ActivityFilter).
var Filter = issuedb.ActivityFilter

// Consumer is the activity consumer: new activity entries and comments
// become notifications (notify.Fanout); a removed issue drops its
// watchers. Idempotent: notifications are keyed by the change's id.
type Consumer struct {
	Fanout notify.Fanout
	Store  Store
}

// Handle implements changes.Consumer.
func (c Consumer) Handle(ctx context.Context, batch []changes.Change) error {
	for _, ch := range Filter.Select(batch) {
		if ch.TenantID == "" {
			continue
		}
		var ev *notify.Event
		switch {
		case ch.Entity == issuedb.EntityIssue && ch.Op == changes.Remove:
			is, err := issuedb.DecodeIssue(ch.Old)
			if err != nil {
				return err
			}
			if err := c.Store.DropWatchers(ctx, ch.Table, ch.TenantID, is.ID); err != nil {
				return err
			}
		case ch.Entity == issuedb.EntityActivity && ch.Op == changes.Insert:
			a, err := issuedb.DecodeActivity(ch.New)
			if err != nil {
				return err
			}
			ev = &notify.Event{SourceID: a.ID, IssueID: a.IssueID, ActorID: a.ActorID, At: a.At, Action: a.Action, Changes: a.Changes}
		case ch.Entity == issuedb.EntityComment && ch.Op == changes.Insert:
			cm, err := issuedb.DecodeComment(ch.New)
			if err != nil {
				return err
			}
			ev = &notify.Event{SourceID: cm.ID, IssueID: cm.IssueID, ActorID: cm.AuthorID, At: cm.CreatedAt, Action: "commented", Comment: &cm}
		}
		if ev == nil {
			continue
		}
		ev.Table, ev.TenantID = ch.Table, ch.TenantID
		if err := c.Fanout.Handle(ctx, *ev); err != nil {
			return fmt.Errorf("notifications of %s %s: %w", ch.Entity, ch.SK, err)
		}
	}
	return nil
}
