package project

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// A project's workflow: its statuses (name, category, order, colour) and
// transitions, issue.Workflow. A project that stored none has the default
// (issue.DefaultWorkflow), so data written before workflows behaves as
// before. Everyone reads it; Admins (the route table) change it.

// WorkflowStore keeps workflows and status-deletion jobs (projectdb.Store).
type WorkflowStore interface {
	// Workflow returns the project's stored workflow or not_found.
	Workflow(ctx context.Context, sc tenancy.Scope, projectID string) (issue.Workflow, error)
	// ProjectAndWorkflow reads the project and its stored workflow together
	// (one round trip): not_found without the project, a nil workflow when
	// it stored none.
	ProjectAndWorkflow(ctx context.Context, sc tenancy.Scope, projectID string) (Project, *issue.Workflow, error)
	// Workflows lists the tenant's stored workflows (one Query).
	Workflows(ctx context.Context, sc tenancy.Scope) ([]issue.Workflow, error)
	// PutWorkflow writes w if the stored workflow is still at version old
	// (0: none stored): precondition_failed version_mismatch otherwise.
	PutWorkflow(ctx context.Context, sc tenancy.Scope, w issue.Workflow, old int64) error
	// Deletion returns the job deleting status of the project, or not_found.
	Deletion(ctx context.Context, sc tenancy.Scope, projectID string, status issue.Status) (Deletion, error)
	// PutDeletion writes the job if its stored revision is still rev-1
	// (rev 1: absent): conflict status_deletion_busy otherwise.
	PutDeletion(ctx context.Context, sc tenancy.Scope, d Deletion) error
}

// Tracker is what a status deletion needs of the issues (issue.Service).
type Tracker interface {
	InStatus(ctx context.Context, p tenancy.Principal, projectID string, s issue.Status, after string, max int) ([]string, string, error)
	Remap(ctx context.Context, p tenancy.Principal, id string, from, to issue.Status, w issue.Workflow) (bool, error)
}

// Deletion is the job deleting a status in use: its issues move to MoveTo
// (history and activity each), then the status leaves the workflow. It is
// idempotent (an issue no longer in the status is skipped) and resumable
// (After is the committed position; a rerun goes on from there).
type Deletion struct {
	ProjectID  string       `json:"project_id"`
	Status     issue.Status `json:"status"`
	MoveTo     issue.Status `json:"move_to,omitempty"`
	State      string       `json:"state"` // running, done
	Moved      int          `json:"moved"`
	After      string       `json:"-"`
	PassMoved  int          `json:"-"` // moved since the current pass began
	StartedAt  time.Time    `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
	Rev        int64        `json:"-"`
	// StartedBy is the Admin who started the job (a takeover acts in
	// their name).
	StartedBy string `json:"-"`
}

// Deletion states.
const (
	DeletionRunning = "running"
	DeletionDone    = "done"
)

// DeletionBudget bounds one call's work on a deletion: under API Gateway's
// 29 s, like an import's run (the caller calls again until done).
var DeletionBudget = 20 * time.Second

// remapPage is how many issue ids one step reads (Service.Page).
const remapPage = 100

// Workflow returns the workflow of the project ref (id or key).
func (s *Service) Workflow(ctx context.Context, p tenancy.Principal, ref string) (issue.Workflow, error) {
	pr, err := s.Get(ctx, p, ref)
	if err != nil {
		return issue.Workflow{}, err
	}
	return s.workflowOf(ctx, p, pr.ID)
}

// workflowOf is the stored workflow of project id, or the default.
func (s *Service) workflowOf(ctx context.Context, p tenancy.Principal, id string) (issue.Workflow, error) {
	w, err := s.Store.Workflow(ctx, p.Scope(), id)
	if errs.Is(err, errs.KindNotFound) {
		w = issue.DefaultWorkflow()
		w.ProjectID = id
		return w, nil
	}
	return w, err
}

// SetWorkflow replaces the workflow of the project ref (at version ifMatch
// when not 0). The new one is validated (issue.Workflow.Validate); a status
// it drops, or whose category it changes, must have no issues (409
// status_in_use: delete it with a mapping), and a status being deleted
// cannot be dropped meanwhile.
func (s *Service) SetWorkflow(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, in issue.Workflow) (issue.Workflow, error) {
	pr, err := s.Get(ctx, p, ref)
	if err != nil {
		return issue.Workflow{}, err
	}
	old, err := s.workflowOf(ctx, p, pr.ID)
	if err != nil {
		return issue.Workflow{}, err
	}
	if ifMatch != 0 && ifMatch != old.Version {
		return issue.Workflow{}, errs.E(errs.KindPreconditionFailed, "version_mismatch",
			"the workflow changed since version %d was read (current version %d)", ifMatch, old.Version)
	}
	w := issue.Workflow{ProjectID: pr.ID, Statuses: in.Statuses}
	w.Normalize()
	if err := w.Validate(); err != nil {
		return issue.Workflow{}, err
	}
	for n := range w.Statuses {
		prev, ok := old.Status(w.Statuses[n].Status)
		w.Statuses[n].Retiring = ok && prev.Retiring
		if ok && prev.Category != w.Statuses[n].Category {
			if err := s.unused(ctx, p, pr.ID, prev.Status, fmt.Sprintf("statuses[%d].category", n),
				"issues are in it: its category cannot change (delete it with a mapping instead)"); err != nil {
				return issue.Workflow{}, err
			}
		}
	}
	for _, prev := range old.Statuses {
		if w.Has(prev.Status) {
			continue
		}
		if prev.Retiring {
			return issue.Workflow{}, errs.E(errs.KindConflict, "status_deletion_running", "status %s is being deleted; wait for the job", prev.Status).
				WithFields(errs.FieldError{Field: "statuses", Reason: "keeps " + string(prev.Status) + " until its deletion finishes"})
		}
		if err := s.unused(ctx, p, pr.ID, prev.Status, "statuses",
			"drops "+string(prev.Status)+", which issues are in: delete it with a mapping"); err != nil {
			return issue.Workflow{}, err
		}
	}
	return s.put(ctx, p, w, old.Version)
}

// put stores w as the version after old.
func (s *Service) put(ctx context.Context, p tenancy.Principal, w issue.Workflow, old int64) (issue.Workflow, error) {
	now := s.now()
	w.Version, w.UpdatedAt = old+1, &now
	if err := s.Store.PutWorkflow(ctx, p.Scope(), w, old); err != nil {
		return issue.Workflow{}, err
	}
	return w, nil
}

// unused answers 409 status_in_use (naming field) when an issue of the
// project is in status st.
func (s *Service) unused(ctx context.Context, p tenancy.Principal, projectID string, st issue.Status, field, reason string) error {
	ids, _, err := s.Tracker.InStatus(ctx, p, projectID, st, "", 1)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		return errs.E(errs.KindConflict, "status_in_use", "status %s has issues: %s", st, reason).
			WithFields(errs.FieldError{Field: field, Reason: reason})
	}
	return nil
}

// without is w less status st and every transition into it.
func without(w issue.Workflow, st issue.Status) issue.Workflow {
	out := w
	out.Statuses = nil
	for _, x := range w.Statuses {
		if x.Status == st {
			continue
		}
		x.Next = slices.DeleteFunc(slices.Clone(x.Next), func(n issue.Status) bool { return n == st })
		x.Order = len(out.Statuses)
		out.Statuses = append(out.Statuses, x)
	}
	return out
}

// DeleteStatus deletes status st from the workflow of the project ref.
// Without moveTo it must have no issues (409 status_in_use). With moveTo
// it becomes retiring (no issue may enter it) and a job moves its issues
// to moveTo for up to DeletionBudget, then drops it; the answer is the
// job, running or done, and calling again with the same mapping goes on
// (another mapping while it runs: 409 status_deletion_running).
func (s *Service) DeleteStatus(ctx context.Context, p tenancy.Principal, ref string, st, moveTo issue.Status) (Deletion, error) {
	if !issue.ValidStatusID(st) {
		return Deletion{}, errs.Field("status", "is not a status id")
	}
	if moveTo != "" && (!issue.ValidStatusID(moveTo) || moveTo == st) {
		return Deletion{}, errs.Field("move_to", "must be another status id of the workflow")
	}
	pr, err := s.Get(ctx, p, ref)
	if err != nil {
		return Deletion{}, err
	}
	d, err := s.Store.Deletion(ctx, p.Scope(), pr.ID, st)
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return Deletion{}, err
	}
	found := err == nil
	w, err := s.workflowOf(ctx, p, pr.ID)
	if err != nil {
		return Deletion{}, err
	}
	_, ok := w.Status(st)
	switch {
	case found && d.State == DeletionRunning && d.MoveTo != moveTo:
		return Deletion{}, errs.E(errs.KindConflict, "status_deletion_running", "status %s is being deleted into %s", st, d.MoveTo).
			WithFields(errs.FieldError{Field: "move_to", Reason: "a deletion into " + string(d.MoveTo) + " is running"})
	case !ok && found && d.State == DeletionDone && d.MoveTo == moveTo:
		return d, nil // a retry of a finished deletion
	case !ok:
		return Deletion{}, errs.E(errs.KindNotFound, "status_not_found", "the workflow has no status %s", st)
	}
	running := found && d.State == DeletionRunning
	rest := without(w, st)
	if err := rest.Validate(); err != nil {
		e := errs.As(err)
		return Deletion{}, errs.E(errs.KindUnprocessable, "workflow_incomplete", "without %s the workflow is incomplete: %s", st, e.Message).
			WithFields(errs.FieldError{Field: "status", Reason: "the workflow needs it: " + e.Message})
	}
	now := s.now()
	if moveTo == "" {
		if err := s.unused(ctx, p, pr.ID, st, "move_to", "issues are in "+string(st)+": name the status to move them to"); err != nil {
			return Deletion{}, err
		}
		if _, err := s.put(ctx, p, rest, w.Version); err != nil {
			return Deletion{}, err
		}
		d = Deletion{ProjectID: pr.ID, Status: st, State: DeletionDone, StartedAt: now, FinishedAt: &now, Rev: d.Rev + 1}
		return d, s.Store.PutDeletion(ctx, p.Scope(), d)
	}
	if _, err := w.Enterable("move_to", moveTo); err != nil {
		return Deletion{}, err
	}
	if !running {
		d = Deletion{ProjectID: pr.ID, Status: st, MoveTo: moveTo, State: DeletionRunning, StartedAt: now, Rev: d.Rev + 1, StartedBy: p.UserID}
		if err := s.Store.PutDeletion(ctx, p.Scope(), d); err != nil {
			return Deletion{}, err
		}
		// From here an abandoned job is resumed (the heartbeat goes stale).
		if err := s.beat(ctx, p, d, ""); err != nil {
			return d, err
		}
	}
	return s.drive(ctx, p, w, d, "")
}

// drive makes the status st of d retiring (no issue may enter it) if it
// is not yet, then runs the job (runDeletion).
func (s *Service) drive(ctx context.Context, p tenancy.Principal, w issue.Workflow, d Deletion, runner string) (Deletion, error) {
	st := d.Status
	cur, _ := w.Status(st)
	var err error
	if !cur.Retiring {
		for n := range w.Statuses {
			w.Statuses[n].Retiring = w.Statuses[n].Retiring || w.Statuses[n].Status == st
		}
		if w, err = s.put(ctx, p, w, w.Version); err != nil {
			return d, err
		}
	}
	return s.runDeletion(ctx, p, w, d, runner)
}

// deadline is when a run started now stops: after DeletionBudget, and
// some seconds before ctx's deadline (the function's timeout) if sooner.
func deadline(ctx context.Context) time.Time {
	end := time.Now().Add(DeletionBudget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-deadlineMargin).Before(end) {
		end = dl.Add(-deadlineMargin)
	}
	return end
}

// deadlineMargin is the time left, before the function's timeout, for
// the last page's commit and the answer.
const deadlineMargin = 2 * time.Second

// runDeletion moves the status's issues page by page, committing the
// position after each page, until the budget is spent or a whole pass
// over the status's index partition moves nothing (entries of issues that
// already left may lag; new issues cannot enter a retiring status). Then
// the status leaves the workflow and the job is done. Each commit
// refreshes the job's heartbeat, as runner ("" for a caller).
func (s *Service) runDeletion(ctx context.Context, p tenancy.Principal, w issue.Workflow, d Deletion, runner string) (Deletion, error) {
	end := deadline(ctx)
	for time.Now().Before(end) {
		ids, next, err := s.Tracker.InStatus(ctx, p, d.ProjectID, d.Status, d.After, cmp.Or(s.Page, remapPage))
		if err != nil {
			return d, err
		}
		for _, id := range ids {
			moved, err := s.Tracker.Remap(ctx, p, id, d.Status, d.MoveTo, w)
			if err != nil {
				return d, err
			}
			if moved {
				d.Moved++
				d.PassMoved++
			}
		}
		passDone := next == ""
		finished := passDone && d.PassMoved == 0
		d.After = next
		if passDone {
			d.PassMoved = 0
		}
		if finished {
			return s.finishDeletion(ctx, p, w, d)
		}
		d.Rev++
		if err := s.Store.PutDeletion(ctx, p.Scope(), d); err != nil {
			return d, err
		}
		if err := s.beat(ctx, p, d, runner); err != nil {
			return d, err
		}
	}
	return d, nil
}

// finishDeletion drops the status from the workflow and marks the job done.
func (s *Service) finishDeletion(ctx context.Context, p tenancy.Principal, w issue.Workflow, d Deletion) (Deletion, error) {
	if _, err := s.put(ctx, p, without(w, d.Status), w.Version); err != nil {
		return d, err
	}
	return s.markDone(ctx, p, d)
}

// markDone records d as done and removes its heartbeat.
func (s *Service) markDone(ctx context.Context, p tenancy.Principal, d Deletion) (Deletion, error) {
	now := s.now()
	d.State, d.FinishedAt, d.After = DeletionDone, &now, ""
	d.Rev++
	if err := s.Store.PutDeletion(ctx, p.Scope(), d); err != nil {
		return d, err
	}
	return d, s.unbeat(ctx, p, d)
}

// DeletionOf returns the job deleting status st of the project ref.
func (s *Service) DeletionOf(ctx context.Context, p tenancy.Principal, ref string, st issue.Status) (Deletion, error) {
	pr, err := s.Get(ctx, p, ref)
	if err != nil {
		return Deletion{}, err
	}
	if !issue.ValidStatusID(st) {
		return Deletion{}, errs.E(errs.KindNotFound, "status_deletion_not_found", "no deletion of that status")
	}
	d, err := s.Store.Deletion(ctx, p.Scope(), pr.ID, st)
	if errs.Is(err, errs.KindNotFound) {
		return Deletion{}, errs.E(errs.KindNotFound, "status_deletion_not_found", "no deletion of status %s", st)
	}
	return d, err
}

// Workflow implements issue.Workflows: one read of the stored workflow.
func (i *Issues) Workflow(ctx context.Context, p tenancy.Principal, projectID string) (issue.Workflow, error) {
	return i.Service.workflowOf(ctx, p, projectID)
}

// ProjectWithWorkflow implements issue's project-and-workflow read (a new
// issue needs both): a key is resolved first (one read), then the project
// and its workflow come in one BatchGetItem instead of two GetItems.
func (i *Issues) ProjectWithWorkflow(ctx context.Context, p tenancy.Principal, ref string) (issue.ProjectRef, issue.Workflow, error) {
	s := i.Service
	id := ref
	if isKey(ref) {
		pid, err := i.ProjectID(ctx, p, ref)
		if err != nil {
			return issue.ProjectRef{}, issue.Workflow{}, err
		}
		id = pid
	}
	if !issue.ValidID(id) {
		return issue.ProjectRef{}, issue.Workflow{}, errs.NotFound("project")
	}
	pr, w, err := s.Store.ProjectAndWorkflow(ctx, p.Scope(), id)
	if errs.Is(err, errs.KindNotFound) && id == DefaultID {
		if pr, err = s.ensureDefault(ctx, p); err != nil {
			return issue.ProjectRef{}, issue.Workflow{}, err
		}
		wf, err := s.workflowOf(ctx, p, id)
		return pr.Ref(), wf, err
	}
	if err != nil {
		return issue.ProjectRef{}, issue.Workflow{}, err
	}
	if w == nil {
		d := issue.DefaultWorkflow()
		d.ProjectID = id
		w = &d
	}
	return pr.Ref(), *w, nil
}

// CustomStatuses implements issue.Workflows: the statuses of every stored
// workflow of the tenant (one Query).
func (i *Issues) CustomStatuses(ctx context.Context, p tenancy.Principal) ([]issue.WorkflowStatus, error) {
	ws, err := i.Service.Store.Workflows(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	var out []issue.WorkflowStatus
	for _, w := range ws {
		out = append(out, w.Statuses...)
	}
	return out, nil
}

var _ issue.Workflows = &Issues{}
