package project

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// A running status deletion keeps a heartbeat in the control table
// (projectdb.Heartbeats): written when the job starts and at each progress
// commit, removed when it finishes. The caller drives a job (about
// DeletionBudget per call); when nobody does any more (the page closed, the
// function died), the heartbeat goes stale and the issues function's
// periodic job (trackerwire.Maintain) takes the job over, as its tenant,
// until it is done. The job record in the tenant's table stays the truth:
// its revision condition lets only one runner commit a step, so a caller
// and a takeover running at once cannot both apply it.

// JobMaintain is the issues function's scheduled job, every
// MaintainMinutes: it resumes the status deletions nobody drives any more
// (trackerwire.Maintain).
const (
	JobMaintain     = "maintain-tracker"
	MaintainMinutes = 1
)

// HeartbeatStale is how old a heartbeat must be before the periodic job
// takes its deletion over: several progress commits of a driven job (one
// per page of remapPage issues, a few seconds each).
var HeartbeatStale = 2 * time.Minute

// Heartbeat is the control-plane record of a running status deletion.
type Heartbeat struct {
	TenantID  string
	ProjectID string
	Status    issue.Status
	// By is the user who started the job: a takeover acts in their name
	// (the issues' activity says who deleted the status).
	By        string
	StartedAt time.Time
	// At is the last progress (or takeover) time.
	At    time.Time
	Moved int
	// Runner is the periodic job run that holds the deletion ("" when a
	// caller drives it).
	Runner string
}

// Heartbeats keep the heartbeats (projectdb.Heartbeats).
type Heartbeats interface {
	// Beat writes or refreshes h.
	Beat(ctx context.Context, h Heartbeat) error
	// Stale lists the heartbeats older than before (one Query).
	Stale(ctx context.Context, before time.Time) ([]Heartbeat, error)
	// Claim takes h over for runner at now if it is still as read (its
	// time unchanged): false when another runner or a caller got there first.
	Claim(ctx context.Context, h Heartbeat, runner string, now time.Time) (bool, error)
	// Release hands h back (makes it stale at once) if runner still holds it.
	Release(ctx context.Context, h Heartbeat, runner string) error
	// Remove deletes the heartbeat of the job started at h.StartedAt.
	Remove(ctx context.Context, h Heartbeat) error
}

// heartbeat is d's heartbeat as principal p drives it (runner "": a caller).
func heartbeat(p tenancy.Principal, d Deletion, by, runner string, at time.Time) Heartbeat {
	return Heartbeat{TenantID: p.TenantID, ProjectID: d.ProjectID, Status: d.Status, By: by, StartedAt: d.StartedAt,
		At: at, Moved: d.Moved, Runner: runner}
}

// beat refreshes the heartbeat of d (no heartbeats: nothing).
func (s *Service) beat(ctx context.Context, p tenancy.Principal, d Deletion, runner string) error {
	if s.Beats == nil {
		return nil
	}
	by := d.StartedBy
	if by == "" {
		by = p.UserID
	}
	return s.Beats.Beat(ctx, heartbeat(p, d, by, runner, s.now()))
}

// unbeat removes the heartbeat of the finished d.
func (s *Service) unbeat(ctx context.Context, p tenancy.Principal, d Deletion) error {
	if s.Beats == nil {
		return nil
	}
	return s.Beats.Remove(ctx, heartbeat(p, d, "", "", time.Time{}))
}

// ResumeDeletion goes on with the job deleting status st of project
// projectID, for up to DeletionBudget, on behalf of runner (the periodic
// job, which took its heartbeat over). It is the same work as a caller's
// retry of DeleteStatus: idempotent, committed page by page under the job
// record's revision condition. A job that is done, or gone, has its
// heartbeat removed; status_deletion_busy means another runner committed
// meanwhile (the caller came back): leave it to them.
func (s *Service) ResumeDeletion(ctx context.Context, p tenancy.Principal, projectID string, st issue.Status, runner string) (Deletion, error) {
	d, err := s.Store.Deletion(ctx, p.Scope(), projectID, st)
	if errs.Is(err, errs.KindNotFound) {
		return Deletion{}, s.unbeat(ctx, p, Deletion{ProjectID: projectID, Status: st})
	}
	if err != nil {
		return Deletion{}, err
	}
	if d.State != DeletionRunning {
		return d, s.unbeat(ctx, p, d)
	}
	w, err := s.workflowOf(ctx, p, projectID)
	if err != nil {
		return d, err
	}
	if !w.Has(st) {
		// The status left the workflow but the job was not marked done
		// (the runner died between the two writes): finish the record.
		return s.markDone(ctx, p, d)
	}
	return s.drive(ctx, p, w, d, runner)
}
