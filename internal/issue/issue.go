// Package issue is the issue-tracking domain: issues, their workflow, labels,
// comments, activity and the list filters. It knows nothing of DynamoDB or
// HTTP; issuedb stores it and issueapi serves it.
package issue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Limits on input, documented in docs/data-model.md.
const (
	MaxTitle        = 200          // runes
	MaxDescription  = 32 << 10     // bytes of markdown
	MaxLabels       = 10           // labels on one issue
	MaxCommentBody  = 16 << 10     // bytes of markdown
	MaxLabelName    = 50           // runes
	MaxLabelCatalog = 500          // labels of a workspace
	MaxIDLen        = 64           // user, team, label ids
	DateLayout      = "2006-01-02" // due dates are calendar dates
)

// Type of an issue.
type Type string

const (
	Bug     Type = "bug"
	Feature Type = "feature"
	Task    Type = "task"
)

// Types lists the issue types.
var Types = []Type{Bug, Feature, Task}

// Priority of an issue; Rank orders them (urgent first when sorting).
type Priority string

const (
	PriorityNone   Priority = "none"
	PriorityLow    Priority = "low"
	PriorityMedium Priority = "medium"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists the priorities, lowest first.
var Priorities = []Priority{PriorityNone, PriorityLow, PriorityMedium, PriorityHigh, PriorityUrgent}

// Rank is 0 (none) to 4 (urgent).
func (p Priority) Rank() int {
	for i, q := range Priorities {
		if p == q {
			return i
		}
	}
	return 0
}

// Issue is a unit of work in a tenant.
type Issue struct {
	ID     string `json:"id"`
	Key    string `json:"key"` // WEB-42: the project's key when the issue was filed
	Number int64  `json:"number"`
	// ProjectID is the project the issue belongs to and is numbered in.
	ProjectID string `json:"project_id"`
	// ParentID is the issue this one is a sub-issue of.
	ParentID    string   `json:"parent_id,omitempty"`
	TenantID    string   `json:"-"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Type        Type     `json:"type"`
	Priority    Priority `json:"priority"`
	Status      Status   `json:"status"`
	Category    Category `json:"category"`
	AssigneeID  string   `json:"assignee_id,omitempty"`
	TeamID      string   `json:"team_id,omitempty"`
	Labels      []string `json:"labels"`
	// Mentions are the users the description mentions, resolved when it
	// was written; the description keeps the text as written.
	Mentions   []Mention  `json:"mentions"`
	DueDate    string     `json:"due_date,omitempty"` // YYYY-MM-DD
	ReporterID string     `json:"reporter_id"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	Version    int64      `json:"version"`
	// Estimate is the story points, on the project's scale (planning.go).
	Estimate *int `json:"estimate,omitempty"`
	// CycleID is the cycle (sprint) the issue is planned in.
	CycleID string `json:"cycle_id,omitempty"`
	// Fields are the values of its project's custom fields, by field id
	// (customfields.go).
	Fields map[string]any `json:"fields,omitempty"`
	// Progress rolls up the sub-issues (GET of one issue only).
	Progress *Progress `json:"progress,omitempty"`
	// HasChildren records whether a sub-issue was ever linked to the issue:
	// false from its creation, true from its first sub-issue on, never
	// cleared; nil for an issue stored before the flag existed (unknown).
	// A GET runs the roll-up Query only when it is not false, so a leaf
	// costs one read. Not part of the API.
	HasChildren *bool `json:"-"`
}

// MayHaveChildren reports whether the issue's sub-issue roll-up has to be
// read: it had a sub-issue once, or it was stored before that was recorded.
func (i Issue) MayHaveChildren() bool { return i.HasChildren == nil || *i.HasChildren }

// Overdue reports whether the issue is past its due date and not completed.
func (i Issue) Overdue(today string) bool {
	return i.DueDate != "" && i.DueDate < today && !i.Category.Done()
}

// Validate checks the fields a client sets and normalises its text (NFC;
// the title trimmed): control characters and invalid UTF-8 are refused.
func (i *Issue) Validate() error {
	var tf text.Fields
	add := tf.Add
	tf.Clean("title", &i.Title, text.Line)
	tf.Clean("description", &i.Description, text.Multiline)
	if n := utf8.RuneCountInString(i.Title); tf.Has("title") {
	} else if n == 0 {
		add("title", "is required")
	} else if n > MaxTitle {
		add("title", fmt.Sprintf("is longer than %d characters", MaxTitle))
	}
	if len(i.Description) > MaxDescription {
		add("description", fmt.Sprintf("is longer than %d bytes", MaxDescription))
	}
	if !validType(i.Type) {
		add("type", "must be one of bug, feature, task")
	}
	if !validPriority(i.Priority) {
		add("priority", "must be one of none, low, medium, high, urgent")
	}
	if i.AssigneeID != "" && i.TeamID != "" {
		add("team_id", "an issue is assigned to a user or a team, not both")
	}
	if i.AssigneeID != "" && !validID(i.AssigneeID) {
		add("assignee_id", "is not a valid user id")
	}
	if i.TeamID != "" && !validID(i.TeamID) {
		add("team_id", "is not a valid team id")
	}
	if len(i.Labels) > MaxLabels {
		add("labels", fmt.Sprintf("at most %d labels", MaxLabels))
	}
	for _, l := range i.Labels {
		if !validID(l) {
			add("labels", fmt.Sprintf("%q is not a valid label id", l))
			break
		}
	}
	if i.DueDate != "" {
		if _, err := time.Parse(DateLayout, i.DueDate); err != nil {
			add("due_date", "must be a date YYYY-MM-DD")
		}
	}
	return tf.Err()
}

func validType(t Type) bool {
	for _, x := range Types {
		if t == x {
			return true
		}
	}
	return false
}

func validPriority(p Priority) bool {
	for _, x := range Priorities {
		if p == x {
			return true
		}
	}
	return false
}

var idRE = text.Lazy(`^[A-Za-z0-9_.:@-]{1,64}$`)

func validID(s string) bool { return idRE.Regexp().MatchString(s) }

// ValidID reports whether s may be used as a user, team, label or issue id.
func ValidID(s string) bool { return validID(s) }

// KeyPrefix is the human key prefix of a tenant: its id's letters and digits,
// upper-cased, at most 10 ("acme" → "ACME").
func KeyPrefix(tenantID string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(tenantID) {
		if b.Len() >= 10 {
			break
		}
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "ISSUE"
	}
	return b.String()
}

// FormatKey is the human key of issue number n of the tenant's default
// project under its original key.
func FormatKey(tenantID string, n int64) string {
	return ProjectKey(KeyPrefix(tenantID), n)
}

// ProjectKey is the human key of issue number n of the project keyed prefix.
func ProjectKey(prefix string, n int64) string { return prefix + "-" + strconv.FormatInt(n, 10) }

// SplitKey splits a human key into its project key (upper-cased) and
// number; ok is false when ref is not shaped like a key (an id).
func SplitKey(ref string) (prefix string, n int64, ok bool) {
	i := strings.LastIndexByte(ref, '-')
	if i <= 0 || i > 10 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return strings.ToUpper(ref[:i]), n, true
}

// Change is one field's change in an activity entry.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// Activity is one write to an issue: who changed what, when.
type Activity struct {
	ID      string    `json:"id"`
	IssueID string    `json:"issue_id"`
	ActorID string    `json:"actor_id"`
	At      time.Time `json:"at"`
	Action  string    `json:"action"` // created, updated, transitioned
	Changes []Change  `json:"changes"`
}

// StatusChange is one entry of an issue's append-only status history.
type StatusChange struct {
	ID      string `json:"id"`
	IssueID string `json:"issue_id"`
	From    Status `json:"from,omitempty"`
	// FromCategory is From's category when the change was made (absent in
	// entries written before workflows: the default workflow's).
	FromCategory Category  `json:"from_category,omitempty"`
	To           Status    `json:"to"`
	Category     Category  `json:"category"`
	ActorID      string    `json:"actor_id"`
	At           time.Time `json:"at"`
}

// DefaultProjectID is the id of every tenant's default project (package
// project): issues written before projects, and issues created without one,
// belong to it. Its numbers and key aliases are the tenant's original ones.
const DefaultProjectID = "default"

// ProjectRef is what issues need of their project.
type ProjectRef struct {
	ID                string
	Key               string
	DefaultAssigneeID string
	Archived          bool
	EstimateScale     EstimateScale
}

// Projects finds the caller's projects (project.Service): by id, or by a
// current or former key. Another tenant's project is not found.
type Projects interface {
	// Project finds a project by id or key.
	Project(ctx context.Context, p tenancy.Principal, ref string) (ProjectRef, error)
	// ProjectID resolves a key (upper case) to the project's id: one read.
	ProjectID(ctx context.Context, p tenancy.Principal, key string) (string, error)
	// ProjectIDs lists the workspace's project ids (one Query): where a
	// custom field named without a project filter may be.
	ProjectIDs(ctx context.Context, p tenancy.Principal) ([]string, error)
}

// Directory answers whether users and teams exist in a tenant. Teams are
// owned by the people package; this is the little the issues need of them.
type Directory interface {
	// UserExists reports whether the user belongs to the tenant.
	UserExists(ctx context.Context, sc tenancy.Scope, userID string) (bool, error)
	// TeamExists reports whether the team belongs to the tenant.
	TeamExists(ctx context.Context, sc tenancy.Scope, teamID string) (bool, error)
	// UserTeams returns the ids of the teams the user belongs to (at most 100).
	UserTeams(ctx context.Context, sc tenancy.Scope, userID string) ([]string, error)
	// ResolveMentions maps handles (MentionHandles) to the tenant's users:
	// an email names its user, a name the one user whose email starts with
	// "name@"; unknown and ambiguous handles are left out. One query per
	// handle, run in parallel.
	ResolveMentions(ctx context.Context, sc tenancy.Scope, handles []string) ([]Mention, error)
}
