package issueapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idempotency"
	"github.com/issuetracker/issuetracker/internal/issue"
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

const maxCommentRequest = issue.MaxCommentBody + 4<<10

func (d Deps) createComment(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in CommentInput
	if err := httpapi.DecodeJSON(r, &in, maxCommentRequest); err != nil {
		return err
	}
	idempotency.AnswerWith(r, writeNewComment)
	c, err := d.Service.AddComment(r.Context(), p, r.PathValue("issueId"), in.Body, in.ParentID)
	if err != nil {
		return err
	}
	return writeNewComment(w, c)
}

func writeNewComment(w http.ResponseWriter, c issue.Comment) error {
	w.Header().Set("Location", "/v1/issues/"+c.IssueID+"/comments/"+c.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, c)
}

func (d Deps) updateComment(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in CommentEdit
	if err := httpapi.DecodeJSON(r, &in, maxCommentRequest); err != nil {
		return err
	}
	c, err := d.Service.EditComment(r.Context(), p, r.PathValue("issueId"), r.PathValue("commentId"), in.Body)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, c)
}

func (d Deps) deleteComment(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := d.Service.DeleteComment(r.Context(), p, r.PathValue("issueId"), r.PathValue("commentId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
