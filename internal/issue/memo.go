package issue

import (
	"context"
	"strings"
	"sync"

	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Memoized is a copy of s that reads each project, workflow, cycle and
// project's field list at most once (per caller's tenant and reference),
// and remembers the users and label sets it found to exist
// for as long as the copy is used: a CSV import's run (≤ 20 s) creates
// hundreds of issues in one project, and each Create otherwise reads the
// project and its workflow again (internal/imports). What it may miss is
// a change made during the run; the writes stay guarded where it matters
// (an issue joining a cycle checks in its transaction that the cycle
// exists and is not being deleted; a status being retired is swept again
// by its deletion's next pass). Errors are not remembered.
//
// The service reads through the methods below, which consult the copy's
// memo; its Store, Directory, Projects, Workflows, Cycles and FieldDefs
// are not wrapped: a wrapper embedding an interface links each of the
// interface's methods twice in every function that links the issue domain
// (docs/performance.md, "Room under the 64 KiB step").
func (s *Service) Memoized() *Service {
	c := *s
	c.memo = &memo{}
	return &c
}

type memo struct{ m sync.Map }

func memoKey(sc tenancy.Scope, key string) string {
	return sc.TenantID + "\x00" + sc.Table + "\x00" + key
}

// remember answers what key was answered before, or asks read.
func remember[T any](m *memo, p tenancy.Principal, key string, read func() (T, error)) (T, error) {
	k := memoKey(p.Scope(), key)
	if v, ok := m.m.Load(k); ok {
		return v.(T), nil
	}
	v, err := read()
	if err == nil {
		m.m.Store(k, v)
	}
	return v, err
}

// readProject is Projects.Project, remembered in a memoized copy.
func (s *Service) readProject(ctx context.Context, p tenancy.Principal, ref string) (ProjectRef, error) {
	if s.memo == nil {
		return s.Projects.Project(ctx, p, ref)
	}
	return remember(s.memo, p, "project\x00"+ref, func() (ProjectRef, error) { return s.Projects.Project(ctx, p, ref) })
}

// readProjectID is Projects.ProjectID, remembered in a memoized copy.
func (s *Service) readProjectID(ctx context.Context, p tenancy.Principal, key string) (string, error) {
	if s.memo == nil {
		return s.Projects.ProjectID(ctx, p, key)
	}
	return remember(s.memo, p, "key\x00"+key, func() (string, error) { return s.Projects.ProjectID(ctx, p, key) })
}

// readWorkflow is Workflows.Workflow, remembered in a memoized copy.
func (s *Service) readWorkflow(ctx context.Context, p tenancy.Principal, projectID string) (Workflow, error) {
	if s.memo == nil {
		return s.Workflows.Workflow(ctx, p, projectID)
	}
	return remember(s.memo, p, "workflow\x00"+projectID, func() (Workflow, error) { return s.Workflows.Workflow(ctx, p, projectID) })
}

// readCycle is Cycles.Cycle, remembered in a memoized copy.
func (s *Service) readCycle(ctx context.Context, p tenancy.Principal, id string) (CycleRef, error) {
	if s.memo == nil {
		return s.Cycles.Cycle(ctx, p, id)
	}
	return remember(s.memo, p, "cycle\x00"+id, func() (CycleRef, error) { return s.Cycles.Cycle(ctx, p, id) })
}

// projectFields is FieldDefs.ProjectFields, remembered in a memoized copy.
func (s *Service) projectFields(ctx context.Context, p tenancy.Principal, projectID string) ([]FieldDef, error) {
	if s.memo == nil {
		return s.FieldDefs.ProjectFields(ctx, p, projectID)
	}
	return remember(s.memo, p, "fields\x00"+projectID, func() ([]FieldDef, error) { return s.FieldDefs.ProjectFields(ctx, p, projectID) })
}

// userExists is Directory.UserExists; a memoized copy remembers the users
// found.
func (s *Service) userExists(ctx context.Context, sc tenancy.Scope, userID string) (bool, error) {
	if s.memo == nil {
		return s.Directory.UserExists(ctx, sc, userID)
	}
	key := memoKey(sc, "user\x00"+userID)
	if _, ok := s.memo.m.Load(key); ok {
		return true, nil
	}
	ok, err := s.Directory.UserExists(ctx, sc, userID)
	if err == nil && ok {
		s.memo.m.Store(key, true)
	}
	return ok, err
}

// missingLabels is Store.MissingLabels; a memoized copy remembers a set of
// labels found complete (the transaction that applies them checks them
// again).
func (s *Service) missingLabels(ctx context.Context, sc tenancy.Scope, ids []string) ([]string, error) {
	if s.memo == nil {
		return s.Store.MissingLabels(ctx, sc, ids)
	}
	key := memoKey(sc, "labels\x00"+strings.Join(ids, ","))
	if _, ok := s.memo.m.Load(key); ok {
		return nil, nil
	}
	missing, err := s.Store.MissingLabels(ctx, sc, ids)
	if err == nil && len(missing) == 0 {
		s.memo.m.Store(key, true)
	}
	return missing, err
}
