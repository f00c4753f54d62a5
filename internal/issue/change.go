package issue

import (
	"context"
	"slices"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// maxAttempts bounds the optimistic retries of a write sent without a
// version: such a write applies to the latest version, never over it.
const maxAttempts = 3

// edit is one change to an issue: what it did (activity) and, for a
// status change, the history entry.
type edit func(i *Issue) (Activity, *StatusChange, error)

// modify runs the read-change-write cycle of every issue write. With a
// version (ifMatch > 0) the write applies to that version or fails with
// precondition_failed (version_mismatch); without, it is retried on a
// concurrent change. Either way no update is lost.
func (s *Service) modify(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, change edit) (Issue, error) {
	return s.modifyWith(ctx, p, ref, ifMatch, change, nil)
}

// modifyWith is modify with a relation written in the same transaction
// (closing as a duplicate); rel is asked after change ran.
func (s *Service) modifyWith(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, change edit, rel func() *Relation) (Issue, error) {
	for attempt := 1; ; attempt++ {
		w, err := s.prepare(ctx, p, ref, ifMatch, change)
		if err != nil || !w.changed {
			return w.cur, err
		}
		var r *Relation
		if rel != nil {
			r = rel()
		}
		err = s.Store.Update(ctx, p.Scope(), w.old, w.cur, w.activity, w.history, r)
		if err == nil {
			return w.cur, nil
		}
		if ifMatch != 0 || attempt == maxAttempts || !errs.Is(err, errs.KindPreconditionFailed) {
			return Issue{}, err
		}
	}
}

// write is a prepared issue write: the issue read (old), the issue to store
// (cur) and what to record; changed is false when change left it as it was.
type write struct {
	old, cur Issue
	activity Activity
	history  *StatusChange
	changed  bool
}

// prepare reads the issue, checks the version, applies change and checks
// the references and mentions the change brings.
func (s *Service) prepare(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, change edit) (write, error) {
	old, err := s.Load(ctx, p, ref)
	if err != nil {
		return write{}, err
	}
	if ifMatch != 0 && ifMatch != old.Version {
		return write{}, Stale(ifMatch, old.Version)
	}
	cur := old
	cur.Labels = slices.Clone(old.Labels)
	a, h, err := change(&cur)
	if err != nil {
		return write{}, err
	}
	if len(a.Changes) == 0 {
		return write{old: old, cur: old}, nil
	}
	if err := s.checkParent(ctx, p, old, &cur); err != nil {
		return write{}, err
	}
	if err := s.checkPlanning(ctx, p, old, &cur); err != nil {
		return write{}, err
	}
	if err := s.checkFields(ctx, p, old, &cur); err != nil {
		return write{}, err
	}
	if err := s.checkRefs(ctx, p, old, cur); err != nil {
		return write{}, err
	}
	if cur.Description != old.Description {
		if cur.Mentions, err = s.mentions(ctx, p, cur.Description); err != nil {
			return write{}, err
		}
	}
	cur.Version, cur.UpdatedAt = old.Version+1, a.At
	return write{old: old, cur: cur, activity: a, history: h, changed: true}, nil
}

// Stale is the answer to a write that names a version the issue is not at:
// by If-Match, or by a bulk edit's issues[n].version (no If-Match there, so
// the detail names neither).
func Stale(want, have int64) error {
	return errs.E(errs.KindPreconditionFailed, "version_mismatch",
		"the write names version %d but the issue is at version %d", want, have)
}

// Update applies a merge patch to the issue ref (id or key); ifMatch is the
// version it must apply to (0: the latest).
func (s *Service) Update(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, patch Patch) (Issue, error) {
	if patch.Labels.Set && !patch.Labels.Null {
		var err error
		if patch.Labels.V, err = s.LabelIDs(ctx, p, "labels", patch.Labels.V); err != nil {
			return Issue{}, err
		}
	}
	return s.modify(ctx, p, ref, ifMatch, func(i *Issue) (Activity, *StatusChange, error) {
		now := s.now()
		ch, err := patch.Apply(i, now)
		return Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "updated", Changes: ch}, nil, err
	})
}

// Transition moves the issue ref along the workflow to status to, with a
// status-history entry.
func (s *Service) Transition(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, to Status) (Issue, error) {
	return s.modify(ctx, p, ref, ifMatch, func(i *Issue) (Activity, *StatusChange, error) {
		wf, err := s.workflow(ctx, p, i.ProjectID)
		if err != nil {
			return Activity{}, nil, err
		}
		now := s.now()
		from, fromCat := i.Status, i.Category
		ch, err := i.TransitionIn(wf, to, now)
		if err != nil {
			return Activity{}, nil, err
		}
		return Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "transitioned", Changes: ch}, history(p, i, from, fromCat, now), nil
	})
}

// Delete deletes the issue ref (at version ifMatch when not 0).
func (s *Service) Delete(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64) error {
	i, err := s.Load(ctx, p, ref)
	if err != nil {
		return err
	}
	if ifMatch != 0 && ifMatch != i.Version {
		return Stale(ifMatch, i.Version)
	}
	// i stays as stored (the storage meter subtracts its exact size); the
	// time of deletion goes beside it.
	return s.Store.Delete(ctx, p.Scope(), i, s.now())
}

// History pages through the issue's status history.
func (s *Service) History(ctx context.Context, p tenancy.Principal, ref string, req list.Request) (list.Page[StatusChange], error) {
	return underIssue(ctx, s, p, ref, req, s.Store.History)
}

// Activity pages through the issue's activity.
func (s *Service) Activity(ctx context.Context, p tenancy.Principal, ref string, req list.Request) (list.Page[Activity], error) {
	return underIssue(ctx, s, p, ref, req, s.Store.Activity)
}

// Comments pages through the issue's comments.
func (s *Service) Comments(ctx context.Context, p tenancy.Principal, ref string, req list.Request) (list.Page[Comment], error) {
	return underIssue(ctx, s, p, ref, req, s.Store.Comments)
}

// underIssue reads a page of what hangs under an issue: the issue is read
// first, so another tenant's issue is not found like a missing one.
func underIssue[T any](ctx context.Context, s *Service, p tenancy.Principal, ref string, req list.Request,
	fetch func(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[T], error)) (list.Page[T], error) {
	i, err := s.Load(ctx, p, ref)
	if err != nil {
		return list.Page[T]{}, err
	}
	pg, err := fetch(ctx, p.Scope(), i.ID, req)
	if err != nil {
		return list.Page[T]{}, err
	}
	return list.NewPage(pg.Items, pg.NextCursor), nil
}
