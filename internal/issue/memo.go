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
func (s *Service) Memoized() *Service {
	c := *s
	m := &memo{}
	c.memo = m
	if s.Directory != nil {
		c.Directory = &memoDirectory{s.Directory, m}
	}
	if s.Projects != nil {
		c.Projects = &memoProjects{s.Projects, m}
	}
	if s.Workflows != nil {
		c.Workflows = &memoWorkflows{s.Workflows, m}
	}
	if s.Cycles != nil {
		c.Cycles = &memoCycles{s.Cycles, m}
	}
	if s.FieldDefs != nil {
		c.FieldDefs = &memoFields{s.FieldDefs, m}
	}
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

type memoProjects struct {
	Projects
	m *memo
}

func (x *memoProjects) Project(ctx context.Context, p tenancy.Principal, ref string) (ProjectRef, error) {
	return remember(x.m, p, "project\x00"+ref, func() (ProjectRef, error) { return x.Projects.Project(ctx, p, ref) })
}

func (x *memoProjects) ProjectID(ctx context.Context, p tenancy.Principal, key string) (string, error) {
	return remember(x.m, p, "key\x00"+key, func() (string, error) { return x.Projects.ProjectID(ctx, p, key) })
}

type memoWorkflows struct {
	Workflows
	m *memo
}

func (x *memoWorkflows) Workflow(ctx context.Context, p tenancy.Principal, projectID string) (Workflow, error) {
	return remember(x.m, p, "workflow\x00"+projectID, func() (Workflow, error) { return x.Workflows.Workflow(ctx, p, projectID) })
}

type memoCycles struct {
	Cycles
	m *memo
}

func (x *memoCycles) Cycle(ctx context.Context, p tenancy.Principal, id string) (CycleRef, error) {
	return remember(x.m, p, "cycle\x00"+id, func() (CycleRef, error) { return x.Cycles.Cycle(ctx, p, id) })
}

type memoFields struct {
	FieldDefs
	m *memo
}

func (x *memoFields) ProjectFields(ctx context.Context, p tenancy.Principal, projectID string) ([]FieldDef, error) {
	return remember(x.m, p, "fields\x00"+projectID, func() ([]FieldDef, error) { return x.FieldDefs.ProjectFields(ctx, p, projectID) })
}

// missingLabels is Store.MissingLabels; a memoized copy remembers a set of
// labels found complete (the transaction that applies them checks them
// again). The Store is not wrapped for this one method: a wrapper embedding
// Store doubles each of its methods in every function that links the
// issue domain (docs/performance.md, "Room under the 64 KiB step").
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

type memoDirectory struct {
	Directory
	m *memo
}

// UserExists remembers the users found.
func (x *memoDirectory) UserExists(ctx context.Context, sc tenancy.Scope, userID string) (bool, error) {
	key := "user\x00" + userID
	if _, ok := x.m.m.Load(memoKey(sc, key)); ok {
		return true, nil
	}
	ok, err := x.Directory.UserExists(ctx, sc, userID)
	if err == nil && ok {
		x.m.m.Store(memoKey(sc, key), true)
	}
	return ok, err
}
