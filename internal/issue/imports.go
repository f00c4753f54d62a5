package issue

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/tenancy"
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
