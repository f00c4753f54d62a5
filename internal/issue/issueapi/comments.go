package issueapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// CommentEdit is the body of PATCH .../comments/{commentId}.
type CommentEdit struct {
	Body string `json:"body"`
}

// CommentInput is the body of POST .../comments (a reply names its parent).
type CommentInput struct {
	Body     string `json:"body"`
	ParentID string `json:"parent_id,omitempty"`
}

// cleanBody checks a comment body (multi-line text, NFC) in place.
func cleanBody(b *string) error {
	if err := text.Clean("body", b, text.Multiline); err != nil {
		return err
	}
	if strings.TrimSpace(*b) == "" {
		return errs.Field("body", "is required")
	}
	if len(*b) > issue.MaxCommentBody {
		return errs.Field("body", fmt.Sprintf("is longer than %d bytes", issue.MaxCommentBody))
	}
	return nil
}

// mentions resolves the handles a text mentions to the caller's tenant's
// users (never nil); the text itself is kept as written.
func (d Deps) mentions(ctx context.Context, p tenancy.Principal, text string) ([]issue.Mention, error) {
	handles := issue.MentionHandles(text)
	if len(handles) == 0 {
		return []issue.Mention{}, nil
	}
	return d.Directory.ResolveMentions(ctx, p.Table, p.TenantID, handles)
}

func (d Deps) createComment(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in CommentInput
	if err := httpapi.DecodeJSON(r, &in, issue.MaxCommentBody+4<<10); err != nil {
		return err
	}
	if err := cleanBody(&in.Body); err != nil {
		return err
	}
	if in.ParentID != "" && !issue.ValidID(in.ParentID) {
		return errs.Field("parent_id", "is not a comment of this issue")
	}
	i, err := d.load(r.Context(), p, r.PathValue("issueId"))
	if err != nil {
		return err
	}
	mentions, err := d.mentions(r.Context(), p, in.Body)
	if err != nil {
		return err
	}
	now := d.now()
	c := issue.Comment{ID: newID(), IssueID: i.ID, ParentID: in.ParentID, AuthorID: p.UserID, Body: in.Body,
		Mentions: mentions, CreatedAt: now, UpdatedAt: now}
	if err := d.Store.AddComment(r.Context(), p.Table, p.TenantID, c); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/issues/"+i.ID+"/comments/"+c.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, c)
}

// loadComment reads the issue (404 for another tenant's) then the comment.
func (d Deps) loadComment(r *http.Request) (issue.Comment, error) {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return issue.Comment{}, err
	}
	i, err := d.load(r.Context(), p, r.PathValue("issueId"))
	if err != nil {
		return issue.Comment{}, err
	}
	return d.Store.Comment(r.Context(), p.Table, p.TenantID, i.ID, r.PathValue("commentId"))
}

func (d Deps) updateComment(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in CommentEdit
	if err := httpapi.DecodeJSON(r, &in, issue.MaxCommentBody+4<<10); err != nil {
		return err
	}
	if err := cleanBody(&in.Body); err != nil {
		return err
	}
	old, err := d.loadComment(r)
	if err != nil {
		return err
	}
	switch {
	case old.DeletedAt != nil:
		return errs.NotFound("comment")
	case old.AuthorID != p.UserID:
		return errs.Forbidden("not_comment_author", "only the author may edit a comment")
	}
	mentions, err := d.mentions(r.Context(), p, in.Body)
	if err != nil {
		return err
	}
	c, now := old, d.now()
	c.Body, c.Mentions, c.UpdatedAt, c.EditedAt = in.Body, mentions, now, &now
	if err := d.Store.ReplaceComment(r.Context(), p.Table, p.TenantID, old, c); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, c)
}

// deleteComment leaves a tombstone so replies stay threaded; the author or
// an Admin and above may delete.
func (d Deps) deleteComment(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	old, err := d.loadComment(r)
	if err != nil {
		return err
	}
	if old.AuthorID != p.UserID && !p.Role.AtLeast(roles.Admin) {
		return errs.Forbidden("not_comment_author", "only the author or an admin may delete a comment")
	}
	if old.DeletedAt == nil {
		c, now := old, d.now()
		c.Body, c.Mentions, c.UpdatedAt, c.DeletedAt = "", []issue.Mention{}, now, &now
		if err := d.Store.ReplaceComment(r.Context(), p.Table, p.TenantID, old, c); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
