package issue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// MaxBulk bounds the issues of one bulk edit.
const MaxBulk = 100

// bulkParallel is how many issues of a bulk edit are written at once.
const bulkParallel = 10

// BulkRef names one issue of a bulk edit: its id or key, and optionally
// the version the change must apply to (else the latest). In JSON
// {"id": "ACME-12", "version": 3}; a plain "ACME-12" is accepted too (the
// OpenAPI document shows the object form only).
type BulkRef struct {
	ID      string `json:"id"`
	Version int64  `json:"version,omitempty" invalid:"invalid_bulk_edit"`
}

// UnmarshalJSON takes a plain id or key as well as the object.
func (r *BulkRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	type plain BulkRef
	return json.Unmarshal(b, (*plain)(r))
}

// LabelChange adds and removes labels (ids or names); both are idempotent,
// so a retried bulk edit lands the same.
type LabelChange struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// BulkChanges are the changes a bulk edit makes to every issue it names;
// absent fields are left alone. Each is a set (or add/remove), never a
// delta, so applying it twice is applying it once. New fields (a project,
// a cycle) go here with their check in validate and their edit in apply.
type BulkChanges struct {
	Status     Opt[Status]   `json:"status"`
	AssigneeID Opt[string]   `json:"assignee_id"` // null unassigns
	Priority   Opt[Priority] `json:"priority"`
	Labels     *LabelChange  `json:"labels"`
	CycleID    Opt[string]   `json:"cycle_id"` // null takes the issues out of their cycle
	// ProjectID (an id or key) moves the issues there as POST …/move does:
	// a new key (the old one keeps resolving), the status mapped into the
	// target's workflow (or status, when given, taken there), and the old
	// project's cycle, off-scale estimate and field values dropped.
	ProjectID Opt[string] `json:"project_id"`

	target   *ProjectRef // the project of ProjectID, resolved by checkBulk
	targetWF Workflow
}

// BulkEdit is one bulk edit request.
type BulkEdit struct {
	Issues  []BulkRef   `json:"issues"`
	Changes BulkChanges `json:"changes"`
}

// BulkOutcome is what happened to one issue: Issue after the change, or
// Err (not found, a version conflict, a change the issue cannot take).
type BulkOutcome struct {
	Ref   BulkRef
	Issue Issue
	Err   error
}

// Bulk applies the same changes to up to MaxBulk issues. The request as a
// whole is checked first (the count, the changes, the assignee and labels
// exist): a bad one is a 422 naming the field and changes nothing. Then
// each issue is changed by the single-issue write path (read, apply, one
// transaction with its activity and, for a status change, its history
// entry), so each issue changes entirely or not at all, and its outcome
// is reported on its own: another tenant's issue is not found like a
// missing one.
func (s *Service) Bulk(ctx context.Context, p tenancy.Principal, in BulkEdit) ([]BulkOutcome, error) {
	ch, err := s.checkBulk(ctx, p, in)
	if err != nil {
		return nil, err
	}
	out := make([]BulkOutcome, len(in.Issues))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bulkParallel)
	for n, ref := range in.Issues {
		g.Go(func() error {
			edit := func(i *Issue) (Activity, *StatusChange, error) { return s.bulkEdit(gctx, p, ch, i) }
			var i Issue
			var err error
			if ch.target != nil {
				i, err = s.moveTo(gctx, p, ref.ID, ref.Version, *ch.target, ch.targetWF, ch.Status.V, edit)
				if e := errs.As(err); err != nil && len(e.Fields) > 0 && e.Fields[0].Field == "status" {
					err = withField(err, "changes.status")
				}
			} else {
				i, err = s.modify(gctx, p, ref.ID, ref.Version, edit)
			}
			out[n] = BulkOutcome{Ref: ref, Issue: i, Err: err}
			if e := errs.As(err); err != nil && (e.Kind == errs.KindInternal || e.Kind == errs.KindUnavailable) {
				return err // the store failed: stop, the caller retries (each edit is idempotent)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// bulkEdit is the change of one issue: the fields as a merge patch (the
// same as PATCH), then the status as a transition (the same graph as POST
// …/transitions), recorded as one activity entry and, when the status
// moves, one history entry. An issue already as asked is left unwritten.
func (s *Service) bulkEdit(ctx context.Context, p tenancy.Principal, ch BulkChanges, i *Issue) (Activity, *StatusChange, error) {
	now := s.now()
	patch := Patch{Priority: ch.Priority, AssigneeID: ch.AssigneeID, CycleID: ch.CycleID}
	if ch.Labels != nil {
		l := slices.DeleteFunc(slices.Clone(i.Labels), func(id string) bool { return slices.Contains(ch.Labels.Remove, id) })
		for _, id := range ch.Labels.Add {
			if !slices.Contains(l, id) && !slices.Contains(ch.Labels.Remove, id) {
				l = append(l, id)
			}
		}
		patch.Labels = Opt[[]string]{Set: true, V: l}
	}
	changes, err := patch.Apply(i, now)
	if err != nil {
		return Activity{}, nil, err
	}
	a := Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "updated", Changes: changes}
	if !ch.Status.Set || i.Status == ch.Status.V {
		return a, nil, nil
	}
	wf, err := s.workflow(ctx, p, i.ProjectID)
	if err != nil {
		return Activity{}, nil, err
	}
	from, fromCat := i.Status, i.Category
	moved, err := i.TransitionIn(wf, ch.Status.V, now)
	if err != nil {
		return Activity{}, nil, withField(err, "changes.status")
	}
	a.Action, a.Changes = "transitioned", append(moved, a.Changes...)
	return a, history(p, i, from, fromCat, now), nil
}

// checkBulk checks the request before any issue is touched and resolves
// label names to ids.
func (s *Service) checkBulk(ctx context.Context, p tenancy.Principal, in BulkEdit) (BulkChanges, error) {
	ch := in.Changes
	if err := checkBulkShape(in); err != nil {
		return ch, err
	}
	if err := checkBulkRefs(in.Issues); err != nil {
		return ch, err
	}
	if ch.Status.Set {
		if err := s.checkBulkStatus(ctx, p, ch.Status.V); err != nil {
			return ch, err
		}
	}
	if ch.AssigneeID.Set && !ch.AssigneeID.Null {
		if err := s.checkBulkAssignee(ctx, p, ch.AssigneeID.V); err != nil {
			return ch, err
		}
	}
	if ch.CycleID.Set && !ch.CycleID.Null {
		if _, err := s.openCycle(ctx, p, "changes.cycle_id", ch.CycleID.V); err != nil {
			return ch, err
		}
	}
	if ch.ProjectID.Set {
		pr, err := s.project(ctx, p, ch.ProjectID.V)
		if e := errs.As(err); err != nil && (e.Kind == errs.KindInvalid || e.Kind == errs.KindUnprocessable) {
			reason := e.Message
			if len(e.Fields) > 0 {
				reason = e.Fields[0].Reason
			}
			return ch, badBulk("changes.project_id", reason)
		} else if err != nil {
			return ch, err
		}
		if ch.targetWF, err = s.workflow(ctx, p, pr.ID); err != nil {
			return ch, err
		}
		ch.target = &pr
	}
	if ch.Labels != nil {
		lc, err := s.bulkLabels(ctx, p, *ch.Labels)
		if err != nil {
			return ch, err
		}
		ch.Labels = &lc
	}
	return ch, nil
}

// badBulk is the 422 of a bulk edit whose field is wrong for reason.
func badBulk(field, reason string) error {
	return errs.E(errs.KindUnprocessable, "invalid_bulk_edit", "%s: %s", field, reason).WithFields(errs.FieldError{Field: field, Reason: reason})
}

// checkBulkShape checks what needs no lookup: how many issues, that there
// is a change, and that each change is a valid value.
func checkBulkShape(in BulkEdit) error {
	ch := in.Changes
	switch {
	case len(in.Issues) == 0:
		return badBulk("issues", "name at least one issue")
	case len(in.Issues) > MaxBulk:
		return badBulk("issues", fmt.Sprintf("at most %d issues in one request, got %d", MaxBulk, len(in.Issues)))
	case !ch.Status.Set && !ch.AssigneeID.Set && !ch.Priority.Set && ch.Labels == nil && !ch.CycleID.Set && !ch.ProjectID.Set:
		return badBulk("changes", "change at least one of status, assignee_id, priority, labels, cycle_id, project_id")
	case ch.ProjectID.Set && (ch.ProjectID.Null || !ValidID(ch.ProjectID.V)):
		return badBulk("changes.project_id", "must be the id or key of a project of this workspace")
	case ch.Status.Set && (ch.Status.Null || !ValidStatusID(ch.Status.V)):
		return badBulk("changes.status", "must be a status id of the issues' workflows (open, in_progress, ...)")
	case ch.Priority.Set && (ch.Priority.Null || !validPriority(ch.Priority.V)):
		return badBulk("changes.priority", fmt.Sprintf("must be one of %v", Priorities))
	case ch.AssigneeID.Set && !ch.AssigneeID.Null && !validID(ch.AssigneeID.V):
		return badBulk("changes.assignee_id", "is not a valid user id")
	}
	return nil
}

// checkBulkRefs checks that each named issue is an id or key with a
// version that is not negative, named once.
func checkBulkRefs(refs []BulkRef) error {
	seen := map[string]bool{}
	for n, r := range refs {
		if r.Version < 0 {
			return badBulk(fmt.Sprintf("issues[%d].version", n), "must be a positive version (or left out: the latest)")
		}
		if r.ID == "" || len(r.ID) > MaxIDLen {
			return badBulk(fmt.Sprintf("issues[%d]", n), "must be an issue id or key (and a positive version)")
		}
		if seen[r.ID] {
			return badBulk(fmt.Sprintf("issues[%d]", n), fmt.Sprintf("%s is named twice", r.ID))
		}
		seen[r.ID] = true
	}
	return nil
}

// checkBulkAssignee checks that the assignee is a user of the workspace.
func (s *Service) checkBulkAssignee(ctx context.Context, p tenancy.Principal, userID string) error {
	ok, err := s.userExists(ctx, p.Scope(), userID)
	if err != nil {
		return err
	}
	if !ok {
		return badBulk("changes.assignee_id", "no such user in this workspace")
	}
	return nil
}

// bulkLabels resolves the label names of lc to ids (at most MaxLabels to
// add and to remove) and checks that the labels to add exist.
func (s *Service) bulkLabels(ctx context.Context, p tenancy.Principal, lc LabelChange) (LabelChange, error) {
	for _, f := range []struct {
		name string
		refs *[]string
	}{{"changes.labels.add", &lc.Add}, {"changes.labels.remove", &lc.Remove}} {
		if len(*f.refs) > MaxLabels {
			return lc, badBulk(f.name, fmt.Sprintf("at most %d labels", MaxLabels))
		}
		ids, err := s.LabelIDs(ctx, p, f.name, *f.refs)
		if err != nil {
			return lc, asUnprocessable(err)
		}
		*f.refs = ids
	}
	if missing, err := s.missingLabels(ctx, p.Scope(), lc.Add); err != nil {
		return lc, err
	} else if len(missing) > 0 {
		return lc, badBulk("changes.labels.add", fmt.Sprintf("no such label: %v", missing))
	}
	return lc, nil
}

// asUnprocessable makes an input error of a well-formed request a 422.
func asUnprocessable(err error) error {
	e := errs.As(err)
	if e.Kind != errs.KindInvalid {
		return err
	}
	return &errs.Error{Kind: errs.KindUnprocessable, Code: "invalid_bulk_edit", Message: e.Message, Fields: e.Fields}
}
