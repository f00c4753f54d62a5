package issueapi

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idempotency"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Transition is the body of POST /v1/issues/{issueId}/transitions.
type Transition struct {
	To issue.Status `json:"to"`
	// DuplicateOf closes the issue as a duplicate of another (id or key):
	// to must be closed (or left out), and the duplicates relation is
	// written with the transition.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

const maxIssueBody = issue.MaxDescription + 8<<10

func (d Deps) createIssue(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in issue.CreateIssue
	if err := httpapi.DecodeJSON(r, &in, maxIssueBody); err != nil {
		return err
	}
	idempotency.AnswerWith(r, func(w http.ResponseWriter, i issue.Issue) error { return WriteIssue(w, http.StatusCreated, i) })
	i, err := d.Service.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	return WriteIssue(w, http.StatusCreated, i)
}

func (d Deps) getIssue(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	i, err := d.Service.LoadWithProgress(r.Context(), p, r.PathValue("issueId"))
	if err != nil {
		return err
	}
	return WriteIssue(w, http.StatusOK, i)
}

// write runs a versioned write of the issue in the path: the caller and
// If-Match are read, then change calls the service.
func (d Deps) write(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64) (issue.Issue, error)) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	i, err := change(r.Context(), p, r.PathValue("issueId"), want)
	if err != nil {
		return err
	}
	return WriteIssue(w, http.StatusOK, i)
}

func (d Deps) updateIssue(w http.ResponseWriter, r *http.Request) error {
	var patch issue.Patch
	if err := httpapi.DecodeJSON(r, &patch, maxIssueBody); err != nil {
		return err
	}
	return d.write(w, r, func(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64) (issue.Issue, error) {
		return d.Service.Update(ctx, p, ref, ifMatch, patch)
	})
}

func (d Deps) transitionIssue(w http.ResponseWriter, r *http.Request) error {
	var in Transition
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	if in.DuplicateOf != "" {
		return d.write(w, r, func(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64) (issue.Issue, error) {
			return d.Service.CloseAsDuplicate(ctx, p, ref, ifMatch, in.DuplicateOf, in.To)
		})
	}
	return d.write(w, r, func(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64) (issue.Issue, error) {
		return d.Service.Transition(ctx, p, ref, ifMatch, in.To)
	})
}

func (d Deps) deleteIssue(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := d.Service.Delete(r.Context(), p, r.PathValue("issueId"), want); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listUnderIssue serves a page of what hangs under an issue (history,
// activity, comments).
func listUnderIssue[T any](fetch func(ctx context.Context, p tenancy.Principal, ref string, req list.Request) (list.Page[T], error)) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		req, err := list.Params(r.URL.Query())
		if err != nil {
			return err
		}
		pg, err := fetch(r.Context(), p, r.PathValue("issueId"), req)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, pg)
	}
}

func (d Deps) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, issue.TheWorkflow())
}

func (d Deps) listRelations(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	ls, err := d.Service.Relations(r.Context(), p, r.PathValue("issueId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(ls, ""))
}

func (d Deps) createRelation(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in issue.RelationInput
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	l, err := d.Service.Relate(r.Context(), p, r.PathValue("issueId"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/issues/"+r.PathValue("issueId")+"/relations/"+l.ID)
	return httpapi.WriteJSON(w, http.StatusCreated, l)
}

func (d Deps) deleteRelation(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := d.Service.Unrelate(r.Context(), p, r.PathValue("issueId"), r.PathValue("relationId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
