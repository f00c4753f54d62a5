package notify

import (
	"context"
	"fmt"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// Store is what notify needs of storage (notifydb implements it). Every
// method is idempotent: the stream delivers a change at least once.
type Store interface {
	// Watch sets a person's watch of an issue. With force false an
	// explicit unwatch stays as it is (automatic watching).
	Watch(ctx context.Context, table, tenant, issueID string, w Watcher, force bool) error
	// Watchers are the people watching the issue (state watching).
	Watchers(ctx context.Context, table, tenant, issueID string) ([]Watcher, error)
	// DropWatchers forgets an issue's watchers (the issue was deleted).
	DropWatchers(ctx context.Context, table, tenant, issueID string) error
	// Deliver writes n to user's inbox (counting it unread) and, when
	// mail is set, queues it for that mail. It reports false when n was
	// delivered before (nothing written).
	Deliver(ctx context.Context, table, tenant, user string, n Notification, mail *Pending) (bool, error)
	// OpenBatch returns the due time of the person's open batch of mode,
	// opening one due at due when there is none (or it was sent).
	OpenBatch(ctx context.Context, table, tenant, user string, mode Mode, due, now time.Time) (time.Time, error)
	// Preferences are the person's (defaults when never set).
	Preferences(ctx context.Context, table, tenant, user string) (Preferences, error)
}

// Pending is a notification waiting in a mail batch.
type Pending struct {
	Due    time.Time
	UserID string
	Mode   Mode
	Notification
}

// Issues reads the issue a change is about.
type Issues interface {
	Get(ctx context.Context, sc tenancy.Scope, id string) (issue.Issue, error)
}

// Teams lists a team's members (an issue assigned to a team notifies them).
type Teams interface {
	MemberIDs(ctx context.Context, sc tenancy.Scope, teamID string) ([]string, error)
}

// Event is one change to an issue as the fan-out sees it: an activity
// entry (created, updated, transitioned) or a new comment.
type Event struct {
	Table, TenantID string
	// SourceID is the activity entry's or the comment's id (ULID): the
	// notifications' id.
	SourceID string
	IssueID  string
	ActorID  string
	At       time.Time
	// Action is created, updated, transitioned or commented.
	Action  string
	Changes []issue.Change
	// Comment is the new comment (Action commented).
	Comment *issue.Comment
}

// Fanout turns events into watchers and notifications.
type Fanout struct {
	Store  Store
	Issues Issues
	Teams  Teams
	// Now is the processing clock (batches open from it); time.Now if nil.
	Now func() time.Time
	// Window batches a burst (BatchWindow if zero; make dev shortens it).
	Window time.Duration
}

// Handle applies one event: automatic watching, then one notification for
// each person concerned but the actor, of the strongest kind, with the
// mail their preferences ask for.
func (f Fanout) Handle(ctx context.Context, ev Event) error {
	is, err := f.Issues.Get(ctx, tenancy.Scope{Table: ev.Table, TenantID: ev.TenantID}, ev.IssueID)
	if errs.Is(err, errs.KindNotFound) {
		return nil // deleted since: nothing to tell
	}
	if err != nil {
		return err
	}
	direct := map[string]Kind{} // addressed to someone
	watch := map[string]string{}
	var mentioned []string
	base := Kind("")
	var fields []string
	to := string(is.Status)
	switch ev.Action {
	case "created":
		watch[ev.ActorID] = ReasonReporter
		if is.ReporterID != "" {
			watch[is.ReporterID] = ReasonReporter
		}
		if is.AssigneeID != "" {
			watch[is.AssigneeID], direct[is.AssigneeID] = ReasonAssignee, Assigned
		}
		mentioned = mentionIDs(is.Mentions)
		if is.TeamID != "" {
			if err := f.team(ctx, ev, is.TeamID, direct); err != nil {
				return err
			}
		}
	case "updated", "transitioned":
		base = Updated
		if ev.Action == "transitioned" {
			base = StatusChanged
		}
		for _, c := range ev.Changes {
			fields = append(fields, c.Field)
			switch c.Field {
			case "assignee_id":
				if u, _ := c.To.(string); u != "" {
					watch[u], direct[u] = ReasonAssignee, Assigned
				}
			case "team_id":
				if t, _ := c.To.(string); t != "" {
					if err := f.team(ctx, ev, t, direct); err != nil {
						return err
					}
				}
			case "description":
				from, _ := c.From.(string)
				now, _ := c.To.(string)
				mentioned = newMentions(is.Mentions, from, now)
			case "status":
				if s, _ := c.To.(string); s != "" {
					to = s
				}
			}
		}
	case "commented":
		base = Commented
		watch[ev.ActorID] = ReasonCommenter
		if ev.Comment != nil {
			mentioned = mentionIDs(ev.Comment.Mentions)
		}
	default:
		return nil
	}
	for _, u := range mentioned {
		watch[u], direct[u] = ReasonMentioned, Mentioned
	}
	for u, why := range watch {
		if u == "" {
			continue
		}
		if err := f.Store.Watch(ctx, ev.Table, ev.TenantID, ev.IssueID, Watcher{UserID: u, Reason: why, Since: ev.At, State: Watching}, why == ReasonMentioned); err != nil {
			return err
		}
	}
	who := map[string]Kind{}
	if base != "" {
		ws, err := f.Store.Watchers(ctx, ev.Table, ev.TenantID, ev.IssueID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			who[w.UserID] = base
		}
	}
	for u, k := range direct {
		if cur, ok := who[u]; !ok || k.rank() > cur.rank() {
			who[u] = k
		}
	}
	delete(who, ev.ActorID)
	users := make([]string, 0, len(who))
	for u := range who {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		k := who[u]
		n := Notification{ID: ev.SourceID, Kind: k, IssueID: is.ID, IssueKey: is.Key, IssueTitle: is.Title,
			ActorID: ev.ActorID, Summary: summary(k, is.Key, fields, to), At: ev.At}
		if ev.Comment != nil {
			n.Excerpt = excerpt(ev.Comment.Body)
		}
		if err := f.deliver(ctx, ev, u, n); err != nil {
			return fmt.Errorf("notify %s: %w", u, err)
		}
	}
	return nil
}

func (f Fanout) deliver(ctx context.Context, ev Event, user string, n Notification) error {
	prefs, err := f.Store.Preferences(ctx, ev.Table, ev.TenantID, user)
	if err != nil {
		return err
	}
	var p *Pending
	if m := prefs.Mode(n.Kind); m != Off {
		now := f.now()
		due, err := f.Store.OpenBatch(ctx, ev.Table, ev.TenantID, user, m, m.Due(now, f.Window), now)
		if err != nil {
			return err
		}
		p = &Pending{Due: due, UserID: user, Mode: m, Notification: n}
	}
	_, err = f.Store.Deliver(ctx, ev.Table, ev.TenantID, user, n, p)
	return err
}

func (f Fanout) team(ctx context.Context, ev Event, teamID string, direct map[string]Kind) error {
	if f.Teams == nil {
		return nil
	}
	ids, err := f.Teams.MemberIDs(ctx, tenancy.Scope{Table: ev.Table, TenantID: ev.TenantID}, teamID)
	if err != nil {
		return err
	}
	for _, u := range ids {
		direct[u] = Assigned
	}
	return nil
}

func (f Fanout) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func mentionIDs(ms []issue.Mention) []string {
	var out []string
	for _, m := range ms {
		if m.UserID != "" && !slices.Contains(out, m.UserID) {
			out = append(out, m.UserID)
		}
	}
	return out
}

// newMentions are the users mentioned in the new description by a handle
// the old one did not have (an edit does not mention everyone again).
func newMentions(resolved []issue.Mention, from, to string) []string {
	old := issue.MentionHandles(from)
	var out []string
	for _, h := range issue.MentionHandles(to) {
		if slices.ContainsFunc(old, func(o string) bool { return strings.EqualFold(o, h) }) {
			continue
		}
		for _, m := range resolved {
			if strings.EqualFold(m.Handle, h) && m.UserID != "" && !slices.Contains(out, m.UserID) {
				out = append(out, m.UserID)
			}
		}
	}
	return out
}
