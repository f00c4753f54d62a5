package issue

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Progress is the roll-up of a parent's sub-issues by category.
type Progress struct {
	Total      int              `json:"total"`
	Completed  int              `json:"completed"`
	ByCategory map[Category]int `json:"by_category"`
	// Truncated is true when the parent has more sub-issues than one
	// roll-up reads (MaxChildrenRollup); the counts are of those read.
	Truncated bool `json:"truncated,omitempty"`
}

// MaxChildrenRollup bounds the sub-issues a progress roll-up reads.
const MaxChildrenRollup = 1000

// checkParent resolves cur's new parent (an id or a key) to its id and
// refuses one that is missing (400), the issue itself or one of its own
// sub-issues (409 parent_cycle), or a chain deeper than MaxDepth (422).
// It walks up from the new parent: one read per level.
func (s *Service) checkParent(ctx context.Context, p tenancy.Principal, old Issue, cur *Issue) error {
	if cur.ParentID == "" || cur.ParentID == old.ParentID {
		return nil
	}
	if !ValidID(cur.ParentID) {
		return errs.Field("parent_id", "is not a valid issue id or key")
	}
	parent, err := s.Load(ctx, p, cur.ParentID)
	if errs.Is(err, errs.KindNotFound) {
		return errs.Field("parent_id", "no such issue in this workspace")
	} else if err != nil {
		return err
	}
	cur.ParentID = parent.ID
	if cur.ParentID == old.ParentID {
		return nil
	}
	cycle := errs.E(errs.KindConflict, "parent_cycle", "an issue cannot be a sub-issue of itself or of its own sub-issues").
		WithFields(errs.FieldError{Field: "parent_id", Reason: "is this issue or one of its sub-issues"})
	a := parent
	for depth := 1; ; depth++ {
		if a.ID == cur.ID {
			return cycle
		}
		if a.ParentID == "" {
			return nil
		}
		if depth >= MaxDepth {
			return errs.E(errs.KindUnprocessable, "parent_too_deep", "sub-issues nest at most %d levels", MaxDepth).
				WithFields(errs.FieldError{Field: "parent_id", Reason: "too deep"})
		}
		if a, err = s.Store.Get(ctx, p.Scope(), a.ParentID); errs.Is(err, errs.KindNotFound) {
			return nil // an ancestor was deleted: the chain ends there
		} else if err != nil {
			return err
		}
	}
}

// LoadWithProgress is Load plus the roll-up of the issue's sub-issues: one
// Query of gsi8 after the issue's read, made only for an issue that ever
// had a sub-issue (issue.HasChildren), so a leaf costs its read alone.
func (s *Service) LoadWithProgress(ctx context.Context, p tenancy.Principal, ref string) (Issue, error) {
	i, err := s.Load(ctx, p, ref)
	if err != nil || !i.MayHaveChildren() {
		return i, err
	}
	counts, truncated, err := s.Store.ChildCategories(ctx, p.Scope(), i.ID, MaxChildrenRollup)
	if err != nil {
		return Issue{}, err
	}
	if len(counts) > 0 {
		pr := &Progress{ByCategory: counts, Truncated: truncated}
		for c, n := range counts {
			pr.Total += n
			if c == Completed {
				pr.Completed += n
			}
		}
		i.Progress = pr
	}
	return i, nil
}

// CloseAsDuplicate closes the issue ref as a duplicate of original: the
// transition and the duplicates relation are one write. to is a completed
// or canceled status of the issue's workflow ("": its first completed one).
func (s *Service) CloseAsDuplicate(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, original string, to Status) (Issue, error) {
	if !ValidID(original) {
		return Issue{}, errs.Field("duplicate_of", "is not a valid issue id or key")
	}
	orig, err := s.Load(ctx, p, original)
	if errs.Is(err, errs.KindNotFound) {
		return Issue{}, errs.Field("duplicate_of", "no such issue in this workspace")
	} else if err != nil {
		return Issue{}, err
	}
	var rel *Relation
	return s.modifyWith(ctx, p, ref, ifMatch, func(i *Issue) (Activity, *StatusChange, error) {
		r := Relation{From: i.ID, Type: Duplicates, To: orig.ID, CreatedBy: p.UserID, CreatedAt: s.now()}
		if err := s.checkRelation(ctx, p, r); err != nil {
			return Activity{}, nil, errs.As(err).WithFields(errs.FieldError{Field: "duplicate_of", Reason: "would close a cycle or is the issue itself"})
		}
		rel = &r
		wf, err := s.workflow(ctx, p, i.ProjectID)
		if err != nil {
			return Activity{}, nil, err
		}
		target := to
		if target == "" {
			target, _ = wf.FirstIn(Completed)
		} else if st, ok := wf.Status(target); ok && !st.Category.Done() {
			return Activity{}, nil, errs.Field("to", "closing as a duplicate moves the issue to a completed or canceled status")
		}
		now := s.now()
		from, fromCat := i.Status, i.Category
		ch, err := i.TransitionIn(wf, target, now)
		if err != nil {
			return Activity{}, nil, err
		}
		ch = append(ch, Change{Field: "duplicate_of", From: nil, To: orig.Key})
		return Activity{ID: newID(), IssueID: i.ID, ActorID: p.UserID, At: now, Action: "transitioned", Changes: ch}, history(p, i, from, fromCat, now), nil
	}, func() *Relation { return rel })
}
