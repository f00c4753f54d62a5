package issuedb

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// commentItem is a comment in its issue's partition: sk COMMENT#<ulid>, so
// a Query lists an issue's comments in creation order.
type commentItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Entity   string `dynamodbav:"entity"`
	ID       string `dynamodbav:"id"`
	IssueID  string `dynamodbav:"issue_id"`
	ParentID string `dynamodbav:"parent_id,omitempty"`
	AuthorID string `dynamodbav:"author_id"`
	Body     string `dynamodbav:"body"`
	// mention_refs replaced the unresolved "mentions" names of earlier items.
	Mentions  []mentionItem `dynamodbav:"mention_refs,omitempty"`
	CreatedAt time.Time     `dynamodbav:"created_at"`
	UpdatedAt time.Time     `dynamodbav:"updated_at"`
	EditedAt  *time.Time    `dynamodbav:"edited_at,omitempty"`
	DeletedAt *time.Time    `dynamodbav:"deleted_at,omitempty"`
	Terms     []string      `dynamodbav:"terms,omitempty"`
}

func toCommentItem(tenant string, c issue.Comment) commentItem {
	var terms []string
	if c.DeletedAt == nil {
		terms = encodeTerms(issue.CommentTerms(c.Body))
	}
	return commentItem{PK: issuePK(tenant, c.IssueID), SK: preComment + c.ID, Entity: "comment", ID: c.ID,
		IssueID: c.IssueID, ParentID: c.ParentID, AuthorID: c.AuthorID, Body: c.Body, Mentions: toMentionItems(c.Mentions),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, EditedAt: c.EditedAt, DeletedAt: c.DeletedAt, Terms: terms}
}

func (it commentItem) comment() issue.Comment {
	return issue.Comment{ID: it.ID, IssueID: it.IssueID, ParentID: it.ParentID, AuthorID: it.AuthorID, Body: it.Body,
		Mentions: mentions(it.Mentions), CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, EditedAt: it.EditedAt, DeletedAt: it.DeletedAt}
}

// AddComment writes a comment and its search postings. A reply's parent
// must be a comment of the same issue (400 naming parent_id otherwise). The
// issue must still exist, so no comment lands after a delete's purge.
func (s *Store) AddComment(ctx context.Context, sc tenancy.Scope, c issue.Comment) error {
	t := &tx{table: sc.Table}
	it := toCommentItem(sc.TenantID, c)
	t.put(it, notExists(), func(map[string]av) error { return errs.Conflict("comment_exists", "comment id already used") })
	t.check(dynamo.Key(issuePK(sc.TenantID, c.IssueID), skIssue), exists(), func(map[string]av) error { return errs.NotFound("issue") })
	if c.ParentID != "" {
		t.check(dynamo.Key(issuePK(sc.TenantID, c.IssueID), preComment+c.ParentID), exists(), func(map[string]av) error {
			return errs.Field("parent_id", "is not a comment of this issue")
		})
	}
	termDelta(t, sc.TenantID, c.IssueID, "C"+c.ID, nil, decodeTerms(it.Terms))
	return t.run(ctx, s.DB, "add comment")
}

// Comment returns a comment of an issue or comment_not_found.
func (s *Store) Comment(ctx context.Context, sc tenancy.Scope, issueID, id string) (issue.Comment, error) {
	if !issue.ValidID(id) {
		return issue.Comment{}, errs.NotFound("comment")
	}
	var it commentItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(issuePK(sc.TenantID, issueID), preComment+id), &it, "comment", errs.NotFound("comment")); err != nil {
		return issue.Comment{}, err
	}
	return it.comment(), nil
}

// ReplaceComment writes an edit or a tombstone of old, if old is still what
// is stored (412 comment_changed otherwise), and re-indexes its words.
func (s *Store) ReplaceComment(ctx context.Context, sc tenancy.Scope, old, c issue.Comment) error {
	t := &tx{table: sc.Table}
	cond := expression.Name("updated_at").Equal(expression.Value(old.UpdatedAt))
	it := toCommentItem(sc.TenantID, c)
	t.put(it, &cond, func(o map[string]av) error {
		if o == nil {
			return errs.NotFound("comment")
		}
		return errs.E(errs.KindPreconditionFailed, "comment_changed", "the comment changed meanwhile; read it again")
	})
	t.gone(toCommentItem(sc.TenantID, old))
	termDelta(t, sc.TenantID, c.IssueID, "C"+c.ID, decodeTerms(toCommentItem(sc.TenantID, old).Terms), decodeTerms(it.Terms))
	return t.run(ctx, s.DB, "replace comment")
}

// Comments returns a page of an issue's comments, oldest first.
func (s *Store) Comments(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[issue.Comment], error) {
	return children(ctx, s, sc, issueID, preComment, req, commentItem.comment)
}
