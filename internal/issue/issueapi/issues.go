package issueapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// CreateIssue is the body of POST /v1/issues.
type CreateIssue struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Type        issue.Type     `json:"type,omitempty"`     // default task
	Priority    issue.Priority `json:"priority,omitempty"` // default none
	AssigneeID  string         `json:"assignee_id,omitempty"`
	TeamID      string         `json:"team_id,omitempty"`
	Labels      []string       `json:"labels,omitempty"`
	DueDate     string         `json:"due_date,omitempty"`
}

// Transition is the body of POST /v1/issues/{issueId}/transitions.
type Transition struct {
	To issue.Status `json:"to"`
}

const maxIssueBody = issue.MaxDescription + 8<<10

func (d Deps) createIssue(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in CreateIssue
	if err := httpapi.DecodeJSON(r, &in, maxIssueBody); err != nil {
		return err
	}
	now := d.now()
	i := issue.Issue{TenantID: p.TenantID, Title: in.Title, Description: in.Description, Type: in.Type,
		Priority: in.Priority, Status: issue.Open, Category: issue.CategoryOf(issue.Open), AssigneeID: in.AssigneeID,
		TeamID: in.TeamID, Labels: issue.Dedup(in.Labels), DueDate: in.DueDate, ReporterID: p.UserID,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if i.Type == "" {
		i.Type = issue.Task
	}
	if i.Priority == "" {
		i.Priority = issue.PriorityNone
	}
	if err := i.Validate(); err != nil {
		return err
	}
	// Validate references before allocating a number: bad input writes nothing.
	if err := d.checkRefs(r.Context(), p, issue.Issue{}, i); err != nil {
		return err
	}
	if i.Mentions, err = d.mentions(r.Context(), p, i.Description); err != nil {
		return err
	}
	n, err := d.Store.NextNumber(r.Context(), p.Table, p.TenantID)
	if err != nil {
		return err
	}
	i.ID, i.Number, i.Key = newID(), n, issue.FormatKey(p.TenantID, n)
	h := issue.StatusChange{ID: newID(), IssueID: i.ID, To: i.Status, Category: i.Category, ActorID: p.UserID, At: now}
	a := issue.Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "created", Changes: []issue.Change{}}
	if err := d.Store.Create(r.Context(), p.Table, i, h, a); err != nil {
		return err
	}
	return writeIssue(w, http.StatusCreated, i)
}

// checkRefs verifies, in parallel, that a new assignee, team and labels
// exist in the caller's tenant (a user of another tenant is not found).
func (d Deps) checkRefs(ctx context.Context, p tenancy.Principal, old, cur issue.Issue) error {
	g, ctx := errgroup.WithContext(ctx)
	var bad []errs.FieldError
	var mu sync.Mutex
	fail := func(f, reason string) {
		mu.Lock()
		defer mu.Unlock()
		bad = append(bad, errs.FieldError{Field: f, Reason: reason})
	}
	if cur.AssigneeID != "" && cur.AssigneeID != old.AssigneeID {
		g.Go(func() error {
			ok, err := d.Directory.UserExists(ctx, p.Table, p.TenantID, cur.AssigneeID)
			if err == nil && !ok {
				fail("assignee_id", "no such user in this workspace")
			}
			return err
		})
	}
	if cur.TeamID != "" && cur.TeamID != old.TeamID {
		g.Go(func() error {
			ok, err := d.Directory.TeamExists(ctx, p.Table, p.TenantID, cur.TeamID)
			if err == nil && !ok {
				fail("team_id", "no such team in this workspace")
			}
			return err
		})
	}
	var added []string
	for _, l := range cur.Labels {
		if !slices.Contains(old.Labels, l) {
			added = append(added, l)
		}
	}
	if len(added) > 0 {
		g.Go(func() error {
			missing, err := d.Store.MissingLabels(ctx, p.Table, p.TenantID, added)
			if err == nil && len(missing) > 0 {
				fail("labels", fmt.Sprintf("no such label: %v", missing))
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b errs.FieldError) int { return cmpStr(a.Field, b.Field) })
		return errs.Invalid("validation_failed", bad[0].Field+": "+bad[0].Reason, bad...)
	}
	return nil
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d Deps) getIssue(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	i, err := d.load(r.Context(), p, r.PathValue("issueId"))
	if err != nil {
		return err
	}
	return writeIssue(w, http.StatusOK, i)
}

// maxAttempts bounds the optimistic retries of a write sent without
// If-Match: such a write applies to the latest version, never over it.
const maxAttempts = 3

// modify runs the read-change-write cycle of every issue write. With
// If-Match the write applies to that version or fails with 412; without,
// it is retried on a concurrent change. Either way no update is lost.
func (d Deps) modify(r *http.Request, change func(*issue.Issue, tenancy.Principal) (issue.Activity, *issue.StatusChange, error)) (issue.Issue, error) {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return issue.Issue{}, err
	}
	want, err := ifMatch(r)
	if err != nil {
		return issue.Issue{}, err
	}
	for attempt := 1; ; attempt++ {
		old, err := d.load(r.Context(), p, r.PathValue("issueId"))
		if err != nil {
			return issue.Issue{}, err
		}
		if want != 0 && want != old.Version {
			return issue.Issue{}, stale(want, old.Version)
		}
		cur := old
		cur.Labels = slices.Clone(old.Labels)
		a, h, err := change(&cur, p)
		if err != nil {
			return issue.Issue{}, err
		}
		if len(a.Changes) == 0 {
			return old, nil
		}
		if err := d.checkRefs(r.Context(), p, old, cur); err != nil {
			return issue.Issue{}, err
		}
		if cur.Description != old.Description {
			if cur.Mentions, err = d.mentions(r.Context(), p, cur.Description); err != nil {
				return issue.Issue{}, err
			}
		}
		cur.Version, cur.UpdatedAt = old.Version+1, a.At
		err = d.Store.Update(r.Context(), p.Table, old, cur, a, h)
		if err == nil {
			return cur, nil
		}
		if want != 0 || attempt == maxAttempts || !errs.Is(err, errs.KindPreconditionFailed) {
			return issue.Issue{}, err
		}
	}
}

func (d Deps) updateIssue(w http.ResponseWriter, r *http.Request) error {
	var patch issue.Patch
	if err := httpapi.DecodeJSON(r, &patch, maxIssueBody); err != nil {
		return err
	}
	i, err := d.modify(r, func(i *issue.Issue, p tenancy.Principal) (issue.Activity, *issue.StatusChange, error) {
		now := d.now()
		ch, err := patch.Apply(i, now)
		return issue.Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "updated", Changes: ch}, nil, err
	})
	if err != nil {
		return err
	}
	return writeIssue(w, http.StatusOK, i)
}

func (d Deps) transitionIssue(w http.ResponseWriter, r *http.Request) error {
	var in Transition
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	i, err := d.modify(r, func(i *issue.Issue, p tenancy.Principal) (issue.Activity, *issue.StatusChange, error) {
		now := d.now()
		from := i.Status
		ch, err := i.Transition(in.To, now)
		if err != nil {
			return issue.Activity{}, nil, err
		}
		h := &issue.StatusChange{ID: newID(), IssueID: i.ID, From: from, To: i.Status, Category: i.Category, ActorID: p.UserID, At: now}
		return issue.Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "transitioned", Changes: ch}, h, nil
	})
	if err != nil {
		return err
	}
	return writeIssue(w, http.StatusOK, i)
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
	i, err := d.load(r.Context(), p, r.PathValue("issueId"))
	if err != nil {
		return err
	}
	if want != 0 && want != i.Version {
		return stale(want, i.Version)
	}
	if err := d.Store.Delete(r.Context(), p.Table, i); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listUnderIssue serves a page of what hangs under an issue (history,
// activity, comments): the issue is read first, so another tenant's issue
// is a 404 like a missing one.
func listUnderIssue[T any](d Deps, fetch func(ctx context.Context, table, tenant, issueID string, req list.Request) (list.Page[T], error)) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		req, err := pageArgs(r)
		if err != nil {
			return err
		}
		i, err := d.load(r.Context(), p, r.PathValue("issueId"))
		if err != nil {
			return err
		}
		pg, err := fetch(r.Context(), p.Table, p.TenantID, i.ID, req)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(pg.Items, pg.NextCursor))
	}
}

func (d Deps) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, issue.TheWorkflow())
}
