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
// produced). One that also implements issue.ActivityReader lets an
// issue.created event handled after later edits carry the issue as created
// when the batch lacks the creation's own image.
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
	selected := issuedb.ActivityFilter.Select(batch)
	created := createdImages(selected)
	for _, ch := range selected {
		if ch.TenantID == "" {
			continue
		}
		g.Go(func() error {
			ev, err := c.event(ctx, ch, created)
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

// createdImages are the issues the batch inserts, decoded from their new
// images, by table, tenant and issue id: each is its issue as created.
func createdImages(batch []changes.Change) map[string]issue.Issue {
	out := map[string]issue.Issue{}
	for _, ch := range batch {
		if ch.Entity != issuedb.EntityIssue || ch.Op != changes.Insert || ch.New == nil {
			continue
		}
		// Undecodable: the event falls back to reading the issue.
		if is, err := issuedb.DecodeIssue(ch.New); err == nil && is.ID != "" {
			out[imageKey(ch.Table, ch.TenantID, is.ID)] = is
		}
	}
	return out
}

func imageKey(table, tenant, issueID string) string {
	return table + "\x00" + tenant + "\x00" + issueID
}

// asCreated is the issue an issue.created event carries: the issue as its
// creation left it, not as the consumer reads it (a lagging stream, or one
// batch holding the creation and later edits). The creation's own stream
// image when the batch has it; otherwise the issue read now, taken back
// through the activity entries written since (issue.AsCreated).
func (c Consumer) asCreated(ctx context.Context, sc tenancy.Scope, a issue.Activity, created map[string]issue.Issue) (issue.Issue, error) {
	if is, ok := created[imageKey(sc.Table, sc.TenantID, a.IssueID)]; ok {
		return is, nil
	}
	is, err := c.Issues.Get(ctx, sc, a.IssueID)
	if err != nil {
		return is, err
	}
	r, ok := c.Issues.(issue.ActivityReader)
	if !ok || is.Version <= 1 {
		return is, nil
	}
	later, err := r.ActivityAfter(ctx, sc, a.IssueID, a.ID, issue.CreatedActivityLimit)
	if err != nil {
		return is, err
	}
	return issue.AsCreated(is, later), nil
}

func (c Consumer) event(ctx context.Context, ch changes.Change, created map[string]issue.Issue) (*webhook.Event, error) {
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
		var is issue.Issue
		if a.Action == "created" {
			is, err = c.asCreated(ctx, sc, a, created)
		} else {
			is, err = c.Issues.Get(ctx, sc, a.IssueID)
		}
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
