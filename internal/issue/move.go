package issue

import (
	"context"
	"slices"

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
	return s.moveTo(ctx, p, ref, ifMatch, pr, wf, in.Status, nil)
}

// moveTo moves the issue ref into project pr (workflow wf), taking status
// want there when given, and applies then, when not nil, to the moved
// issue in the same transaction (a bulk edit's other changes).
//
// What belonged to the old project does not follow the issue: a cycle of
// the old project is left (its scope records the removal; a team's cycle
// stays), an estimate off the target's scale is cleared, and values of
// the old project's custom fields are dropped. Each is a change of the
// "moved" activity entry. Dropping rather than refusing lets a bulk move
// of 50 issues land whole; the activity keeps what was dropped.
func (s *Service) moveTo(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, pr ProjectRef, wf Workflow, want Status, then edit) (Issue, error) {
	i, err := s.Load(ctx, p, ref)
	if err != nil {
		return Issue{}, err
	}
	if projectOf(i) == pr.ID {
		if then == nil {
			return i, nil
		}
		return s.modify(ctx, p, i.ID, ifMatch, then)
	}
	if _, err := mapStatus(wf, i, want); err != nil { // before a number is spent
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
				if then == nil {
					return Activity{}, nil, nil // moved meanwhile (a retry)
				}
				return then(i)
			}
			st, err := mapStatus(wf, *i, want)
			if err != nil {
				return Activity{}, nil, err
			}
			ch := []Change{{Field: "project_id", From: projectOf(*i), To: pr.ID}, {Field: "key", From: i.Key, To: ProjectKey(pr.Key, n)}}
			i.ProjectID, i.Number, i.Key = pr.ID, n, ProjectKey(pr.Key, n)
			left, err := s.leaveProject(ctx, p, pr, i)
			if err != nil {
				return Activity{}, nil, err
			}
			ch = append(ch, left...)
			a := Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "moved", Changes: ch}
			var h *StatusChange
			if st.Status != i.Status {
				from, fromCat := i.Status, i.Category
				a.Changes = append(a.Changes, i.setStatus(st.Status, st.Category, now)...)
				h = history(p, i, from, fromCat, now)
			}
			if then != nil {
				more, _, err := then(i)
				if err != nil {
					return Activity{}, nil, err
				}
				a.Changes = append(a.Changes, more.Changes...)
			}
			return a, h, nil
		})
		if err != nil || !w.changed {
			return w.cur, err
		}
		if w.cur.ProjectID == w.old.ProjectID { // moved meanwhile: then's changes only
			err = s.Store.Update(ctx, p.Scope(), w.old, w.cur, w.activity, w.history, nil)
		} else {
			err = s.Store.Move(ctx, p.Scope(), w.old, w.cur, w.activity, w.history)
		}
		if err == nil {
			return w.cur, nil
		}
		if ifMatch != 0 || attempt == maxAttempts || !errs.Is(err, errs.KindPreconditionFailed) {
			return Issue{}, err
		}
	}
}

// leaveProject drops from i (now in project pr) what was its old
// project's: a cycle owned by another project (or gone), an estimate the
// target's scale does not have, and custom field values of fields the
// target does not define. It returns the changes made.
func (s *Service) leaveProject(ctx context.Context, p tenancy.Principal, pr ProjectRef, i *Issue) ([]Change, error) {
	var ch []Change
	if i.CycleID != "" {
		keep := false
		if s.Cycles != nil {
			c, err := s.readCycle(ctx, p, i.CycleID)
			if err != nil && !errs.Is(err, errs.KindNotFound) {
				return nil, err
			}
			keep = err == nil && c.ProjectID == "" // a team's cycle takes any issue the team plans
		}
		if !keep {
			ch = append(ch, Change{Field: "cycle_id", From: i.CycleID, To: nil})
			i.CycleID = ""
		}
	}
	if i.Estimate != nil && !pr.EstimateScale.Allows(*i.Estimate) {
		ch = append(ch, Change{Field: "estimate", From: *i.Estimate, To: nil})
		i.Estimate = nil
	}
	if len(i.Fields) > 0 {
		var defs []FieldDef
		if s.FieldDefs != nil {
			var err error
			if defs, err = s.projectFields(ctx, p, pr.ID); err != nil {
				return nil, err
			}
		}
		kept := map[string]any{}
		for k, v := range i.Fields {
			if slices.ContainsFunc(defs, func(d FieldDef) bool { return d.ID == k }) {
				kept[k] = v
			}
		}
		if len(kept) != len(i.Fields) {
			if len(kept) == 0 {
				kept = nil
			}
			ch = append(ch, Change{Field: "fields", From: i.Fields, To: kept})
			i.Fields = kept
		}
	}
	return ch, nil
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
