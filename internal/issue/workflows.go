package issue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// What the issue domain needs of per-project workflows (project.Service
// stores and edits them): every status an issue is created, moved,
// imported or bulk-edited into is checked against its project's workflow.

// Workflows finds the workflow of a project of the caller's tenant.
type Workflows interface {
	// Workflow returns the project's workflow (DefaultWorkflow when the
	// project stored none). projectID is an id, never a key.
	Workflow(ctx context.Context, p tenancy.Principal, projectID string) (Workflow, error)
	// CustomStatuses lists the statuses of every stored workflow of the
	// tenant with their categories (one Query): a category filter reads
	// their status partitions too.
	CustomStatuses(ctx context.Context, p tenancy.Principal) ([]WorkflowStatus, error)
}

// WorkflowStore is what the workflow jobs need of issue storage.
type WorkflowStore interface {
	// InStatus pages through the ids of the project's issues in status s
	// (a Query of the status index, filtered by project): at most max ids
	// and the position to go on from ("" at the end).
	InStatus(ctx context.Context, sc tenancy.Scope, projectID string, s Status, after string, max int) (ids []string, next string, err error)
	// Move writes i (moved to another project, with its new key alias)
	// over old, as Update does.
	Move(ctx context.Context, sc tenancy.Scope, old, i Issue, a Activity, h *StatusChange) error
}

// workflow is the workflow of the project (the default one without Workflows).
func (s *Service) workflow(ctx context.Context, p tenancy.Principal, projectID string) (Workflow, error) {
	if s.Workflows == nil {
		return DefaultWorkflow(), nil
	}
	return s.readWorkflow(ctx, p, cmp.Or(projectID, DefaultProjectID))
}

// withField renames the field of a 422 (the workflow names "to") for
// another request shape (a bulk edit's changes.status).
func withField(err error, field string) error {
	e := errs.As(err)
	if e.Kind != errs.KindUnprocessable || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = []errs.FieldError{{Field: field, Reason: e.Fields[0].Reason}}
	return &out
}

// history is the status-history entry of a status change.
func history(p tenancy.Principal, i *Issue, from Status, fromCat Category, now time.Time) *StatusChange {
	return &StatusChange{ID: newID(), IssueID: i.ID, From: from, FromCategory: fromCat, To: i.Status, Category: i.Category, ActorID: p.UserID, At: now}
}

// InStatus pages through the ids of the project's issues in status st.
func (s *Service) InStatus(ctx context.Context, p tenancy.Principal, projectID string, st Status, after string, max int) ([]string, string, error) {
	return s.Store.InStatus(ctx, p.Scope(), projectID, st, after, max)
}

// Remap moves the issue id from status from to status to of its workflow
// w, whatever the transitions say (an Admin deleting from maps its issues
// to to), with history and activity. Idempotent: an issue no longer in
// from (moved already, or by someone else) is left alone; moved reports
// whether this call moved it.
func (s *Service) Remap(ctx context.Context, p tenancy.Principal, id string, from, to Status, w Workflow) (moved bool, err error) {
	st, ok := w.Status(to)
	if !ok {
		return false, w.UnknownStatus("move_to", to)
	}
	_, err = s.modify(ctx, p, id, 0, func(i *Issue) (Activity, *StatusChange, error) {
		now := s.now()
		if i.Status != from {
			return Activity{}, nil, nil
		}
		prev, prevCat := i.Status, i.Category
		ch := i.setStatus(to, st.Category, now)
		moved = true
		return Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "transitioned", Changes: ch},
			history(p, i, prev, prevCat, now), nil
	})
	if errs.Is(err, errs.KindNotFound) {
		return false, nil // deleted meanwhile: nothing to move
	}
	return moved, err
}

// startIn sets a new issue's status (an import's) in workflow w, with the
// timestamps its category implies. A status of the default workflow that
// w lacks (imports map other trackers' names onto those) becomes the first
// status of its category in w; anything else is a 422 naming status.
func (i *Issue) startIn(w Workflow, s Status, now time.Time) error {
	if s == "" {
		return nil
	}
	if !w.Has(s) {
		if alt, ok := w.FirstIn(CategoryOf(s)); ok && CategoryOf(s) != "" {
			s = alt
		}
	}
	st, err := w.Enterable("status", s)
	if err != nil {
		return err
	}
	i.Status, i.Category = s, st.Category
	t := now
	switch i.Category {
	case Started:
		i.StartedAt = &t
	case Completed:
		i.StartedAt, i.ResolvedAt, i.ClosedAt = &t, &t, &t
	case Canceled:
		i.ClosedAt = &t
	}
	return nil
}

// checkBulkStatus refuses, before any issue is touched, a bulk status that
// no workflow of the tenant has (the default one's, or a stored one's:
// one Query); a status some issues' workflows lack is their own 422.
func (s *Service) checkBulkStatus(ctx context.Context, p tenancy.Principal, st Status) error {
	unknown, err := s.unknownStatuses(ctx, p, []Status{st})
	if err != nil || len(unknown) == 0 {
		return err
	}
	return badBulk("changes.status", fmt.Sprintf("%q is a status of no project's workflow", st))
}

// unknownStatuses are those of sts that no workflow of the tenant has:
// the default one's need no read, the others one read of the tenant's
// custom statuses (one Query) for all of them.
func (s *Service) unknownStatuses(ctx context.Context, p tenancy.Principal, sts []Status) ([]Status, error) {
	var unknown []Status
	for _, st := range sts {
		if !defaultWorkflow.Has(st) {
			unknown = append(unknown, st)
		}
	}
	if len(unknown) == 0 || s.Workflows == nil {
		return unknown, nil
	}
	custom, err := s.Workflows.CustomStatuses(ctx, p)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(unknown, func(st Status) bool {
		return slices.ContainsFunc(custom, func(c WorkflowStatus) bool { return c.Status == st })
	}), nil
}
