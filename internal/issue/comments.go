package issue

import (
	"context"
	"fmt"
	"strings"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/idempotency/txclaim"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// cleanBody checks a comment body (multi-line text, NFC) in place.
func cleanBody(b *string) error {
	if err := text.Clean("body", b, text.Multiline); err != nil {
		return err
	}
	if strings.TrimSpace(*b) == "" {
		return errs.Field("body", "is required")
	}
	if len(*b) > MaxCommentBody {
		return errs.Field("body", fmt.Sprintf("is longer than %d bytes", MaxCommentBody))
	}
	return nil
}

// AddComment comments on the issue ref as the caller (a reply names its
// parent); the mentions of the body are resolved now.
func (s *Service) AddComment(ctx context.Context, p tenancy.Principal, ref, body, parentID string) (Comment, error) {
	if err := cleanBody(&body); err != nil {
		return Comment{}, err
	}
	if parentID != "" && !ValidID(parentID) {
		return Comment{}, errs.Field("parent_id", "is not a comment of this issue")
	}
	i, err := s.Load(ctx, p, ref)
	if err != nil {
		return Comment{}, err
	}
	mentions, err := s.mentions(ctx, p, body)
	if err != nil {
		return Comment{}, err
	}
	now := s.now()
	c := Comment{ID: newID(), IssueID: i.ID, ParentID: parentID, AuthorID: p.UserID, Body: body,
		Mentions: mentions, CreatedAt: now, UpdatedAt: now}
	txclaim.Prepare(ctx, c) // a keyed comment's answer is stored with its write
	if err := s.Store.AddComment(ctx, p.Scope(), c); err != nil {
		return Comment{}, err
	}
	return c, nil
}

// comment reads the issue (not found for another tenant's) then the comment.
func (s *Service) comment(ctx context.Context, p tenancy.Principal, ref, id string) (Comment, error) {
	i, err := s.Load(ctx, p, ref)
	if err != nil {
		return Comment{}, err
	}
	return s.Store.Comment(ctx, p.Scope(), i.ID, id)
}

// EditComment replaces the body of the caller's own comment.
func (s *Service) EditComment(ctx context.Context, p tenancy.Principal, ref, id, body string) (Comment, error) {
	if err := cleanBody(&body); err != nil {
		return Comment{}, err
	}
	old, err := s.comment(ctx, p, ref, id)
	if err != nil {
		return Comment{}, err
	}
	switch {
	case old.DeletedAt != nil:
		return Comment{}, errs.NotFound("comment")
	case old.AuthorID != p.UserID:
		return Comment{}, errs.Forbidden("not_comment_author", "only the author may edit a comment")
	}
	mentions, err := s.mentions(ctx, p, body)
	if err != nil {
		return Comment{}, err
	}
	c, now := old, s.now()
	c.Body, c.Mentions, c.UpdatedAt, c.EditedAt = body, mentions, now, &now
	if err := s.Store.ReplaceComment(ctx, p.Scope(), old, c); err != nil {
		return Comment{}, err
	}
	return c, nil
}

// DeleteComment leaves a tombstone so replies stay threaded; the author or
// an Admin and above may delete.
func (s *Service) DeleteComment(ctx context.Context, p tenancy.Principal, ref, id string) error {
	old, err := s.comment(ctx, p, ref, id)
	if err != nil {
		return err
	}
	if old.AuthorID != p.UserID && !p.Role.AtLeast(roles.Admin) {
		return errs.Forbidden("not_comment_author", "only the author or an admin may delete a comment")
	}
	if old.DeletedAt != nil {
		return nil
	}
	c, now := old, s.now()
	c.Body, c.Mentions, c.UpdatedAt, c.DeletedAt = "", []Mention{}, now, &now
	return s.Store.ReplaceComment(ctx, p.Scope(), old, c)
}
