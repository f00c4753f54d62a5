// Package notify is who hears about what happens to an issue: watchers
// (the reporter, the assignee, commenters and mentioned users watch
// automatically; anyone may watch or unwatch), the in-app inbox (list,
// unread count, mark read) and email in batches (per-user preferences per
// kind: at once in a five-minute batch, a daily digest, or off; signed
// one-click unsubscribe).
//
// Nothing here runs in the request that changed the issue: the activity
// consumer of the change stream (Fanout, fed by internal/changes) turns
// issue activity and comments into notifications, and the mail job
// (SendDue) sends what is due. notifydb stores it, notifyapi serves it.
package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Kind is what a notification is about; each has an email preference.
type Kind string

const (
	Mentioned     Kind = "mentioned"      // you were @mentioned (description or comment)
	Assigned      Kind = "assigned"       // the issue was assigned to you or to your team
	Commented     Kind = "commented"      // a comment on an issue you watch
	StatusChanged Kind = "status_changed" // an issue you watch moved
	Updated       Kind = "updated"        // other fields of an issue you watch changed
)

// Kinds lists the kinds, strongest first: a person gets one notification
// per change, of the strongest kind that applies.
var Kinds = []Kind{Mentioned, Assigned, Commented, StatusChanged, Updated}

func (k Kind) rank() int { return len(Kinds) - slices.Index(Kinds, k) }

// Mode is how a kind reaches a person by email.
type Mode string

const (
	Immediately Mode = "immediately" // in a batch sent BatchWindow after its first change
	Daily       Mode = "daily"       // in the daily digest (DigestHour UTC)
	Off         Mode = "off"
)

// BatchWindow batches a burst: every change within it of a person's first
// pending one goes out in one mail.
const BatchWindow = 5 * time.Minute

// DigestHour is when (UTC) the daily digest goes out.
const DigestHour = 8

// Due is when a batch opened at now in mode m is sent (window: the
// batching window of Immediately, BatchWindow if zero).
func (m Mode) Due(now time.Time, window time.Duration) time.Time {
	if window <= 0 {
		window = BatchWindow
	}
	now = now.UTC()
	if m == Daily {
		d := time.Date(now.Year(), now.Month(), now.Day(), DigestHour, 0, 0, 0, time.UTC)
		if !d.After(now) {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	return now.Add(window)
}

// Preferences are a person's email settings per kind. The inbox always
// receives every notification.
type Preferences struct {
	Email map[Kind]Mode `json:"email"`
}

// DefaultPreferences: what is addressed to you comes at once, the rest of
// what you watch in the daily digest, plain edits not at all.
func DefaultPreferences() Preferences {
	return Preferences{Email: map[Kind]Mode{Mentioned: Immediately, Assigned: Immediately,
		Commented: Immediately, StatusChanged: Daily, Updated: Off}}
}

// Mode is the email mode of kind k (the default where unset).
func (p Preferences) Mode(k Kind) Mode {
	if m, ok := p.Email[k]; ok {
		return m
	}
	return DefaultPreferences().Email[k]
}

// Validate checks a preferences update: known kinds and modes only. Kinds
// left out keep their current mode (Merge).
func (p Preferences) Validate() error {
	if p.Email == nil {
		return errs.Field("email", "is required: an object of kind to mode")
	}
	for k, m := range p.Email {
		if !slices.Contains(Kinds, k) {
			return errs.Field("email."+string(k), "is not a notification kind (one of "+kindList()+")")
		}
		if m != Immediately && m != Daily && m != Off {
			return errs.Field("email."+string(k), "must be one of immediately, daily, off")
		}
	}
	return nil
}

// Merge applies an update over p, complete with defaults.
func (p Preferences) Merge(upd Preferences) Preferences {
	out := Preferences{Email: map[Kind]Mode{}}
	for _, k := range Kinds {
		out.Email[k] = p.Mode(k)
		if m, ok := upd.Email[k]; ok {
			out.Email[k] = m
		}
	}
	return out
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Notification is one inbox entry. Its id is the id of the change that
// caused it (an activity entry or a comment), so a change delivered twice
// by the stream is one notification.
type Notification struct {
	ID         string    `json:"id"`
	Kind       Kind      `json:"kind"`
	IssueID    string    `json:"issue_id"`
	IssueKey   string    `json:"issue_key"`
	IssueTitle string    `json:"issue_title"`
	ActorID    string    `json:"actor_id"`
	Summary    string    `json:"summary"`
	Excerpt    string    `json:"excerpt,omitempty"`
	At         time.Time `json:"at"`
	Read       bool      `json:"read"`
}

// Watch states.
const (
	Watching  = "watching"
	Unwatched = "unwatched" // an explicit unwatch: automatic watching does not undo it, a mention does
)

// Watcher is a person watching an issue, and why.
type Watcher struct {
	UserID string    `json:"user_id"`
	Reason string    `json:"reason"` // reporter, assignee, commenter, mentioned, manual
	Since  time.Time `json:"since"`
	State  string    `json:"-"`
}

// Watch reasons.
const (
	ReasonReporter  = "reporter"
	ReasonAssignee  = "assignee"
	ReasonCommenter = "commenter"
	ReasonMentioned = "mentioned"
	ReasonManual    = "manual"
)

// UnreadCount is the inbox badge.
type UnreadCount struct {
	Unread int64 `json:"unread"`
}

// WatchState is the caller's watch of an issue.
type WatchState struct {
	IssueID  string `json:"issue_id"`
	Watching bool   `json:"watching"`
}

// summary is the one-line text of a notification (inbox and mail).
func summary(k Kind, key string, fields []string, to string) string {
	switch k {
	case Mentioned:
		return "mentioned you in " + key
	case Assigned:
		return "assigned " + key + " to you"
	case Commented:
		return "commented on " + key
	case StatusChanged:
		return fmt.Sprintf("moved %s to %s", key, to)
	}
	if len(fields) > 0 {
		return fmt.Sprintf("updated %s (%s)", key, strings.Join(fields, ", "))
	}
	return "updated " + key
}

// excerpt is the start of a text, on one line.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:199]) + "…"
	}
	return s
}
