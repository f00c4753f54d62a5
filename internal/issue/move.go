package issue

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// MoveIssue is where an issue moves: a project (id or key) and, optionally,
// the status it takes there (else its own when the target workflow has it,
// else the target's first status of the same category).
type MoveIssue struct {
	ProjectID string `json:"project_id"`
	Status    Status `json:"status,omitempty"`
}

// Move moves the issue ref to another project of the caller's tenant: it
// gets the target's next number (WEB-12 becomes API-40) and the old key
// keeps finding it, like a renamed project's keys; its status maps into
// the target's workflow, a 422 naming status when it cannot. One
// transaction (issue, new key alias, activity, history when the status
// changes), so nothing is half-moved; moving an issue to the project it is
// in changes nothing, so a retried move lands once.
func (s *Service) Move(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, in MoveIssue) (Issue, error) {
	if in.ProjectID == "" || !ValidID(in.ProjectID) {
		return Issue{}, errs.Field("project_id", "is required: the id or key of the project to move the issue to")
	}
	if in.Status != "" && !ValidStatusID(in.Status) {
		return Issue{}, errs.Field("status", "is not a status id")
	}
	pr, err := s.project(ctx, p, in.ProjectID)
	if err != nil {
		return Issue{}, err
	}
	wf, err := s.workflow(ctx, p, pr.ID)
	if err != nil {
		return Issue{}, err
	}
	i, err := s.Load(ctx, p, ref)
	if err != nil {
		return Issue{}, err
	}
	if projectOf(i) == pr.ID {
		return i, nil
	}
	if _, err := mapStatus(wf, i, in.Status); err != nil { // before a number is spent
		return Issue{}, err
	}
	n, err := s.Store.NextNumber(ctx, p.Scope(), pr.ID)
	if err != nil {
		return Issue{}, err
	}
	for attempt := 1; ; attempt++ {
		w, err := s.prepare(ctx, p, i.ID, ifMatch, func(i *Issue) (Activity, *StatusChange, error) {
			now := s.now()
			if projectOf(*i) == pr.ID {
				return Activity{}, nil, nil // moved meanwhile (a retry)
			}
			st, err := mapStatus(wf, *i, in.Status)
			if err != nil {
				return Activity{}, nil, err
			}
			ch := []Change{{Field: "project_id", From: projectOf(*i), To: pr.ID}, {Field: "key", From: i.Key, To: ProjectKey(pr.Key, n)}}
			i.ProjectID, i.Number, i.Key = pr.ID, n, ProjectKey(pr.Key, n)
			a := Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "moved", Changes: ch}
			if st.Status == i.Status {
				return a, nil, nil
			}
			from, fromCat := i.Status, i.Category
			a.Changes = append(a.Changes, i.setStatus(st.Status, st.Category, now)...)
			return a, history(p, i, from, fromCat, now), nil
		})
		if err != nil || !w.changed {
			return w.cur, err
		}
		err = s.Store.Move(ctx, p.Scope(), w.old, w.cur, w.activity, w.history)
		if err == nil {
			return w.cur, nil
		}
		if ifMatch != 0 || attempt == maxAttempts || !errs.Is(err, errs.KindPreconditionFailed) {
			return Issue{}, err
		}
	}
}

// projectOf is the issue's project (written before projects: the default).
func projectOf(i Issue) string {
	if i.ProjectID == "" {
		return DefaultProjectID
	}
	return i.ProjectID
}

// mapStatus is the status of the target workflow w an issue moves into:
// want when given, else its own status when w has it, else w's first
// status of the issue's category; a 422 naming status otherwise.
func mapStatus(w Workflow, i Issue, want Status) (WorkflowStatus, error) {
	if want != "" {
		return w.Enterable("status", want)
	}
	if st, ok := w.Status(i.Status); ok && !st.Retiring && st.Category == i.Category {
		return st, nil
	}
	if s, ok := w.FirstIn(i.Category); ok {
		st, _ := w.Status(s)
		return st, nil
	}
	return WorkflowStatus{}, errs.E(errs.KindUnprocessable, "status_unmappable",
		"the target project's workflow has no %s status for %s; name one in status", i.Category, i.Status).
		WithFields(errs.FieldError{Field: "status", Reason: "no status of category " + string(i.Category) + " in the target workflow"})
}
