package issue

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/oklog/ulid/v2"
)

// What CSV imports (internal/imports) need of the issue domain beyond
// Create: they create issues with ids derived from the file and row (so a
// re-run finds what it made) and in the status the file gives.

// CheckCreate validates what Create would be given, without references
// (an import's dry run).
func CheckCreate(in CreateIssue) error {
	i := Issue{Title: in.Title, Description: in.Description, Type: in.Type, Priority: in.Priority, AssigneeID: in.AssigneeID,
		TeamID: in.TeamID, Labels: in.Labels, DueDate: in.DueDate}
	if i.Type == "" {
		i.Type = Task
	}
	if i.Priority == "" {
		i.Priority = PriorityNone
	}
	return i.Validate()
}

// Existing reports which of the issue ids exist in the caller's tenant
// (BatchGetItem).
func (s *Service) Existing(ctx context.Context, p tenancy.Principal, ids []string) (map[string]bool, error) {
	got, err := s.Store.GetMany(ctx, p.Scope(), ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(got))
	for id := range got {
		out[id] = true
	}
	return out, nil
}

// LabelNameIDs maps label names to ids by their name keys (LabelNameKey);
// unknown names are left out.
func (s *Service) LabelNameIDs(ctx context.Context, p tenancy.Principal, names []string) (map[string]string, error) {
	keys := make([]string, 0, len(names))
	for _, n := range names {
		keys = append(keys, LabelNameKey(n))
	}
	return s.Store.LabelIDsByName(ctx, p.Scope(), Dedup(keys))
}

// UserIDsByEmail maps email addresses to the tenant's users (the mention
// resolver: one query per address, in parallel); unknown ones are left out.
func (s *Service) UserIDsByEmail(ctx context.Context, p tenancy.Principal, emails []string) (map[string]string, error) {
	out := map[string]string{}
	if len(emails) == 0 {
		return out, nil
	}
	ms, err := s.Directory.ResolveMentions(ctx, p.Scope(), emails)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[m.Handle] = m.UserID
	}
	return out, nil
}

// ImportTarget is what an import checks its rows against: the project the
// rows go to, with its estimate scale, custom fields and cycles.
type ImportTarget struct {
	Project ProjectRef
	Fields  []FieldDef
	Cycles  []CycleRef
}

// ImportTarget reads the project (id or key; the default project if
// empty), its fields and its cycles once for a whole file.
func (s *Service) ImportTarget(ctx context.Context, p tenancy.Principal, ref string) (ImportTarget, error) {
	if ref != "" && !ValidID(ref) {
		return ImportTarget{}, errs.Field("project_id", "is not a valid project id or key")
	}
	pr, err := s.project(ctx, p, cmp.Or(ref, DefaultProjectID))
	if err != nil {
		return ImportTarget{}, err
	}
	t := ImportTarget{Project: pr, Fields: []FieldDef{}, Cycles: []CycleRef{}}
	if pr.EstimateScale == "" {
		t.Project.EstimateScale = ScaleFibonacci
	}
	if s.FieldDefs != nil {
		if t.Fields, err = s.projectFields(ctx, p, pr.ID); err != nil {
			return ImportTarget{}, err
		}
	}
	if s.Cycles != nil {
		if t.Cycles, err = s.Cycles.ProjectCycles(ctx, p, pr.ID); err != nil {
			return ImportTarget{}, err
		}
	}
	return t, nil
}

// CheckEstimate is checkPlanning's rule for an estimate on a scale: the
// reason it is refused, or "".
func CheckEstimate(scale EstimateScale, points int) string {
	switch {
	case points < 0:
		return "must not be negative"
	case scale == ScaleNone:
		return "estimates are turned off in this project"
	case !scale.Allows(points):
		return fmt.Sprintf("%d is not on the project's %s scale (%s)", points, scale, scale.describe())
	}
	return ""
}

// ReserveNumbers allocates n issue numbers of the project (id or key) at
// once and returns the first: an import numbers a slice of rows in the
// file's order with one write (CreateIssue.ImportNumber).
func (s *Service) ReserveNumbers(ctx context.Context, p tenancy.Principal, projectRef string, n int) (int64, error) {
	pr, err := s.project(ctx, p, cmp.Or(projectRef, DefaultProjectID))
	if err != nil {
		return 0, err
	}
	last, err := s.Store.ReserveNumbers(ctx, p.Scope(), pr.ID, n)
	return last - int64(n) + 1, err
}

// ImportEntryID is the id of the first status-history or activity entry
// (kind) of the imported issue issueID: a ULID with the issue's time and
// randomness derived from both, so a resumed import that writes the row
// again writes the same entries, not a second "created". A malformed
// issueID (never made by imports) gets a fresh id.
func ImportEntryID(issueID, kind string) string {
	u, err := ulid.ParseStrict(issueID)
	if err != nil {
		return newID()
	}
	sum := sha256.Sum256([]byte(issueID + "\x00" + kind))
	return ulid.MustNew(u.Time(), bytes.NewReader(sum[:])).String()
}
