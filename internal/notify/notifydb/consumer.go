package notifydb

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// ConsumerName names the activity consumer of the change stream (its
// checkpoints locally; its function in AWS is stream-activity).
const ConsumerName = changes.ConsumerActivity

// Filter is what the activity consumer's stream delivers: what it reads
// (issuedb.ActivityFilter) and the tier migrations' freeze barriers
// (acknowledged by changes.HomeOnly, not passed on).
var Filter = issuedb.ActivityFilter.WithBarriers()

// Consumer is the activity consumer: new activity entries and comments
// become notifications (notify.Fanout); a removed issue drops its
// watchers. Idempotent: notifications are keyed by the change's id.
type Consumer struct {
	Fanout notify.Fanout
	Store  Store
}

// Handle implements changes.Consumer.
// A batch's changes are grouped by item partition (an issue's entries and
// comments share it): each issue's changes are handled in stream order,
// up to Parallel issues at once.
func (c Consumer) Handle(ctx context.Context, batch []changes.Change) error {
	var order []string
	groups := map[string][]changes.Change{}
	for _, ch := range issuedb.ActivityFilter.Select(batch) {
		if ch.TenantID == "" {
			continue
		}
		k := ch.Table + "/" + ch.PK
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], ch)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Parallel)
	for _, k := range order {
		g.Go(func() error { return c.handle(ctx, groups[k]) })
	}
	return g.Wait()
}

// Parallel is how many issues of a batch are handled at once.
const Parallel = 8

func (c Consumer) handle(ctx context.Context, chs []changes.Change) error {
	for _, ch := range chs {
		var ev *notify.Event
		switch {
		case ch.Entity == issuedb.EntityIssue && ch.Op == changes.Remove:
			is, err := issuedb.DecodeIssue(ch.Old)
			if err != nil {
				return err
			}
			if err := c.Store.DropWatchers(ctx, tenancy.Scope{Table: ch.Table, TenantID: ch.TenantID}, is.ID); err != nil {
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
