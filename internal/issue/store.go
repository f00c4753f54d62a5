package issue

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Store is what the Service needs of storage (issuedb.Store). table is the
// caller's table and tenant the caller's tenant: keys are built from them.
type Store interface {
	IssueStore
	CommentStore
	LabelStore
	RelationStore
	WorkflowStore
	// WordHits returns the issues the search index holds for a word (by
	// prefix), with their scores; truncated when the word is too common.
	WordHits(ctx context.Context, sc tenancy.Scope, word string) (hits map[string]int, truncated bool, err error)
}

// IssueStore keeps issues, their history and activity.
type IssueStore interface {
	// NextNumber allocates the project's next issue number (never reused).
	NextNumber(ctx context.Context, sc tenancy.Scope, projectID string) (int64, error)
	// ReserveNumbers allocates n numbers at once and returns the last
	// (CSV imports number a slice of rows in file order).
	ReserveNumbers(ctx context.Context, sc tenancy.Scope, projectID string, n int) (int64, error)
	// Create writes a new issue with its first history and activity entries.
	Create(ctx context.Context, sc tenancy.Scope, i Issue, h StatusChange, a Activity) error
	// CreateMany is Create of many new issues (an import's rows) in as
	// few round trips as fit; errs[n] is the outcome of records[n].
	CreateMany(ctx context.Context, sc tenancy.Scope, records []NewRecord) (errs []error)
	// Get returns the issue or not_found (issue_not_found).
	Get(ctx context.Context, sc tenancy.Scope, id string) (Issue, error)
	// IDByNumber resolves a project's issue number to the issue id.
	IDByNumber(ctx context.Context, sc tenancy.Scope, projectID string, n int64) (string, error)
	// GetMany reads issues by id; missing ones are left out.
	GetMany(ctx context.Context, sc tenancy.Scope, ids []string) (map[string]Issue, error)
	// Update writes i over old: precondition_failed when old is stale; r,
	// when not nil, is a relation added in the same transaction.
	Update(ctx context.Context, sc tenancy.Scope, old, i Issue, a Activity, h *StatusChange, r *Relation) error
	// ChildCategories counts the sub-issues of parent by category, reading
	// at most max; truncated when there are more.
	ChildCategories(ctx context.Context, sc tenancy.Scope, parent string, max int) (counts map[Category]int, truncated bool, err error)
	// Delete removes the issue as stored (what hangs under it is purged
	// after); at is when it was deleted (the purge marker's time, its
	// cycle's removal).
	Delete(ctx context.Context, sc tenancy.Scope, i Issue, at time.Time) error
	// List answers one page of the tenant's issues: the items and the next cursor.
	List(ctx context.Context, sc tenancy.Scope, q ListQuery) ([]Issue, string, error)
	// History and Activity page through what happened to an issue.
	History(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[StatusChange], error)
	Activity(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[Activity], error)
}

// CommentStore keeps comments.
type CommentStore interface {
	AddComment(ctx context.Context, sc tenancy.Scope, c Comment) error
	// Comment returns a comment of the issue or not_found (comment_not_found).
	Comment(ctx context.Context, sc tenancy.Scope, issueID, id string) (Comment, error)
	// ReplaceComment writes c over old (edits and tombstones).
	ReplaceComment(ctx context.Context, sc tenancy.Scope, old, c Comment) error
	Comments(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[Comment], error)
}

// LabelStore keeps the tenant's label catalog.
type LabelStore interface {
	Labels(ctx context.Context, sc tenancy.Scope) ([]Label, error)
	CountLabels(ctx context.Context, sc tenancy.Scope) (int, error)
	// MissingLabels returns the ids that are not in the catalog.
	MissingLabels(ctx context.Context, sc tenancy.Scope, ids []string) ([]string, error)
	// LabelIDsByName maps name keys (LabelNameKey) to label ids; unknown
	// names are left out.
	LabelIDsByName(ctx context.Context, sc tenancy.Scope, keys []string) (map[string]string, error)
	// CreateLabel adds a label: conflict label_name_taken for a name in use.
	CreateLabel(ctx context.Context, sc tenancy.Scope, l Label) error
	// Label returns a label or not_found (label_not_found).
	Label(ctx context.Context, sc tenancy.Scope, id string) (Label, error)
	UpdateLabel(ctx context.Context, sc tenancy.Scope, old, l Label) error
	DeleteLabel(ctx context.Context, sc tenancy.Scope, l Label) error
}

// NewRecord is what Create writes for a new issue: the issue, its first
// status-history entry and its "created" activity.
type NewRecord struct {
	Issue    Issue
	History  StatusChange
	Activity Activity
}
