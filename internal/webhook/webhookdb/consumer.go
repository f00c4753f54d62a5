package webhookdb

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// Issues reads the issue an event is about (its state as the event is
// produced).
type Issues interface {
	Get(ctx context.Context, sc tenancy.Scope, id string) (issue.Issue, error)
}

// Consumer turns the activity consumer's changes (issuedb.ActivityFilter:
// activity entries, comments, removed issues) into webhook events. It runs
// inside the activity consumer of the change stream, beside the
// notifications: the stream has no third reader (docs/changes.md).
type Consumer struct {
	Producer webhook.Producer
	Issues   Issues
}

// Handle implements changes.Consumer.
// Events are independent (receivers get no order, Standard Webhooks
// promises none): a batch's are published Parallel at a time.
func (c Consumer) Handle(ctx context.Context, batch []changes.Change) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Parallel)
	for _, ch := range issuedb.ActivityFilter.Select(batch) {
		if ch.TenantID == "" {
			continue
		}
		g.Go(func() error {
			ev, err := c.event(ctx, ch)
			if err != nil || ev == nil {
				return err
			}
			ev.Scope = tenancy.Scope{Table: ch.Table, TenantID: ch.TenantID}
			if err := c.Producer.Publish(ctx, *ev); err != nil {
				return fmt.Errorf("webhooks of %s %s: %w", ch.Entity, ch.SK, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// Parallel is how many events of a batch are published at once.
const Parallel = 8

func (c Consumer) event(ctx context.Context, ch changes.Change) (*webhook.Event, error) {
	sc := tenancy.Scope{Table: ch.Table, TenantID: ch.TenantID}
	switch {
	case ch.Entity == issuedb.EntityIssue && ch.Op == changes.Remove:
		is, err := issuedb.DecodeIssue(ch.Old)
		if err != nil {
			return nil, err
		}
		return &webhook.Event{ID: "msg_del_" + alnum(ch.EventID), Type: webhook.IssueDeleted, At: ch.At.UTC(),
			Data: map[string]any{"issue": is}}, nil
	case ch.Entity == issuedb.EntityActivity && ch.Op == changes.Insert:
		a, err := issuedb.DecodeActivity(ch.New)
		if err != nil {
			return nil, err
		}
		t := map[string]webhook.EventType{"created": webhook.IssueCreated, "updated": webhook.IssueUpdated,
			"transitioned": webhook.IssueTransitioned}[a.Action]
		if t == "" {
			return nil, nil
		}
		data := map[string]any{"actor_id": a.ActorID}
		is, err := c.Issues.Get(ctx, sc, a.IssueID)
		switch {
		case errs.Is(err, errs.KindNotFound):
			data["issue"] = map[string]any{"id": a.IssueID} // deleted since
		case err != nil:
			return nil, err
		default:
			data["issue"] = is
		}
		if a.Action != "created" {
			data["changes"] = a.Changes
		}
		return &webhook.Event{ID: "msg_" + a.ID, Type: t, At: a.At.UTC(), Data: data}, nil
	case ch.Entity == issuedb.EntityComment && ch.Op == changes.Insert:
		cm, err := issuedb.DecodeComment(ch.New)
		if err != nil {
			return nil, err
		}
		return &webhook.Event{ID: "msg_" + cm.ID, Type: webhook.CommentCreated, At: cm.CreatedAt.UTC(),
			Data: map[string]any{"issue_id": cm.IssueID, "comment": cm}}, nil
	}
	return nil, nil
}

// alnum keeps the letters and digits of a stream record's id.
func alnum(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, s)
	return s[:min(len(s), 64)]
}
