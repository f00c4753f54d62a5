package notify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// Store is what notify needs of storage (notifydb implements it). Every
// method is idempotent: the stream delivers a change at least once.
type Store interface {
	// Watch sets a person's watch of an issue. With force false an
	// explicit unwatch stays as it is (automatic watching).
	Watch(ctx context.Context, sc tenancy.Scope, issueID string, w Watcher, force bool) error
	// Watchers are the people watching the issue (state watching).
	Watchers(ctx context.Context, sc tenancy.Scope, issueID string) ([]Watcher, error)
	// DropWatchers forgets an issue's watchers (the issue was deleted).
	DropWatchers(ctx context.Context, sc tenancy.Scope, issueID string) error
	// Deliver writes n to user's inbox (counting it unread) and, when
	// mail is set, queues it for that mail. It reports false when n was
	// delivered before (nothing written).
	Deliver(ctx context.Context, sc tenancy.Scope, user string, n Notification, mail *Pending) (bool, error)
	// OpenBatch returns the due time of the person's open batch of mode,
	// opening one due at due when there is none (or it was sent).
	OpenBatch(ctx context.Context, sc tenancy.Scope, user string, mode Mode, due, now time.Time) (time.Time, error)
	// Preferences are the person's (defaults when never set).
	Preferences(ctx context.Context, sc tenancy.Scope, user string) (Preferences, error)
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

// Scope is the tenant scope the event happened in.
func (ev Event) Scope() tenancy.Scope {
	return tenancy.Scope{Table: ev.Table, TenantID: ev.TenantID}
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
	is, err := f.Issues.Get(ctx, ev.Scope(), ev.IssueID)
	if errs.Is(err, errs.KindNotFound) {
		return nil // deleted since: nothing to tell
	}
	if err != nil {
		return err
	}
	c := concern{direct: map[string]Kind{}, watch: map[string]string{}, to: string(is.Status)}
	switch ev.Action {
	case "created":
		var at issue.Issue
		if at, err = f.asCreated(ctx, ev, is); err == nil {
			err = f.created(ctx, ev, at, &c)
		}
	case "updated", "transitioned":
		err = f.changed(ctx, ev, is, &c)
	case "commented":
		c.base = Commented
		c.watch[ev.ActorID] = ReasonCommenter
		if ev.Comment != nil {
			c.mentioned = mentionIDs(ev.Comment.Mentions)
		}
	default:
		return nil
	}
	if err != nil {
		return err
	}
	for _, u := range c.mentioned {
		c.watch[u], c.direct[u] = ReasonMentioned, Mentioned
	}
	// Watching and telling run side by side, each person at once: every
	// automatic watcher is the actor (never told) or addressed directly
	// (told whether or not the watcher list has them yet), so the
	// watcher list read by recipients needs none of these writes. Each
	// write is idempotent; a failure redelivers the whole event.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(PerEvent)
	for u, why := range c.watch {
		if u == "" {
			continue
		}
		g.Go(func() error {
			return f.Store.Watch(gctx, ev.Scope(), ev.IssueID, Watcher{UserID: u, Reason: why, Since: ev.At, State: Watching}, why == ReasonMentioned)
		})
	}
	g.Go(func() error {
		who, err := f.recipients(gctx, ev, c)
		if err != nil {
			return err
		}
		for _, u := range slices.Sorted(maps.Keys(who)) {
			k := who[u]
			n := Notification{ID: ev.SourceID, Kind: k, IssueID: is.ID, IssueKey: is.Key, IssueTitle: is.Title,
				ActorID: ev.ActorID, Summary: summary(k, is.Key, c.fields, c.to), At: ev.At}
			if ev.Comment != nil {
				n.Excerpt = excerpt(ev.Comment.Body)
			}
			g.Go(func() error {
				if err := f.deliver(gctx, ev, u, n); err != nil {
					return fmt.Errorf("notify %s: %w", u, err)
				}
				return nil
			})
		}
		return nil
	})
	return g.Wait()
}

// PerEvent is how many writes of one event (watchers, notifications) run
// at once.
const PerEvent = 8

// concern is who an event concerns: the people it addresses (direct), who
// starts watching and why, who it mentions, the kind every watcher gets
// (base; none for a creation), and for the summary the changed fields and
// the status reached.
type concern struct {
	direct    map[string]Kind
	watch     map[string]string
	mentioned []string
	base      Kind
	fields    []string
	to        string
}

// created: the reporter watches, the assignee and the team are addressed,
// the description's mentions too.
func (f Fanout) created(ctx context.Context, ev Event, is issue.Issue, c *concern) error {
	c.watch[ev.ActorID] = ReasonReporter
	if is.ReporterID != "" {
		c.watch[is.ReporterID] = ReasonReporter
	}
	if is.AssigneeID != "" {
		c.watch[is.AssigneeID], c.direct[is.AssigneeID] = ReasonAssignee, Assigned
	}
	c.mentioned = mentionIDs(is.Mentions)
	if is.TeamID != "" {
		return f.team(ctx, ev, is.TeamID, c.direct)
	}
	return nil
}

// changed: every watcher hears of the change; a new assignee, a new team
// and new mentions are addressed.
func (f Fanout) changed(ctx context.Context, ev Event, is issue.Issue, c *concern) error {
	c.base = Updated
	if ev.Action == "transitioned" {
		c.base = StatusChanged
	}
	for _, ch := range ev.Changes {
		c.fields = append(c.fields, ch.Field)
		switch ch.Field {
		case "assignee_id":
			if u, _ := ch.To.(string); u != "" {
				c.watch[u], c.direct[u] = ReasonAssignee, Assigned
			}
		case "team_id":
			if t, _ := ch.To.(string); t != "" {
				if err := f.team(ctx, ev, t, c.direct); err != nil {
					return err
				}
			}
		case "description":
			from, _ := ch.From.(string)
			now, _ := ch.To.(string)
			c.mentioned = newMentions(is.Mentions, from, now)
		case "status":
			if s, _ := ch.To.(string); s != "" {
				c.to = s
			}
		}
	}
	return nil
}

// recipients gives each person concerned, but the actor, the strongest
// kind of notification: addressed beats watching.
func (f Fanout) recipients(ctx context.Context, ev Event, c concern) (map[string]Kind, error) {
	who := map[string]Kind{}
	if c.base != "" {
		ws, err := f.Store.Watchers(ctx, ev.Scope(), ev.IssueID)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			who[w.UserID] = c.base
		}
	}
	for u, k := range c.direct {
		if cur, ok := who[u]; !ok || k.rank() > cur.rank() {
			who[u] = k
		}
	}
	delete(who, ev.ActorID)
	return who, nil
}

func (f Fanout) deliver(ctx context.Context, ev Event, user string, n Notification) error {
	prefs, err := f.Store.Preferences(ctx, ev.Scope(), user)
	if err != nil {
		return err
	}
	var p *Pending
	if m := prefs.Mode(n.Kind); m != Off {
		now := f.now()
		due, err := f.Store.OpenBatch(ctx, ev.Scope(), user, m, m.Due(now, f.Window), now)
		if err != nil {
			return err
		}
		p = &Pending{Due: due, UserID: user, Mode: m, Notification: n}
	}
	_, err = f.Store.Deliver(ctx, ev.Scope(), user, n, p)
	return err
}

func (f Fanout) team(ctx context.Context, ev Event, teamID string, direct map[string]Kind) error {
	if f.Teams == nil {
		return nil
	}
	ids, err := f.Teams.MemberIDs(ctx, ev.Scope(), teamID)
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
