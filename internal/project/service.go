package project

import (
	"context"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/oklog/ulid/v2"
)

// Users answers whether a user belongs to the tenant (issuedb.Directory).
type Users interface {
	UserExists(ctx context.Context, sc tenancy.Scope, userID string) (bool, error)
}

// Service manages a tenant's projects for the verified caller: everyone
// reads them, Admins (the route table) create and change them.
type Service struct {
	Store Store
	Users Users
	// Tracker finds and remaps the issues of a status being deleted.
	Tracker Tracker
	// Beats keeps the heartbeats of running status deletions in the
	// control table (nil: none; nothing resumes an abandoned job).
	Beats Heartbeats
	// Page is how many issue ids a status deletion's step reads and
	// commits (0: 100).
	Page int
	Now  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// Input is the body of a create (every field) or an update (the fields
// sent; nil leaves a field as it is).
type Input struct {
	Key               *string `json:"key"`
	Name              *string `json:"name"`
	Description       *string `json:"description"`
	LeadID            *string `json:"lead_id"`
	DefaultAssigneeID *string `json:"default_assignee_id"`
	Archived          *bool   `json:"archived"`
	// EstimateScale: fibonacci (default), linear, tshirt or none.
	EstimateScale *issue.EstimateScale `json:"estimate_scale"`
}

// Limit is the number of projects the caller's tier allows (MaxProjects
// when the tier sets none).
func Limit(tier tiers.Name) int {
	if t, ok := tiers.Get(tier); ok && t.MaxProjects > 0 {
		return min(t.MaxProjects, MaxProjects)
	}
	return MaxProjects
}

// List returns the tenant's projects, the default one first.
func (s *Service) List(ctx context.Context, p tenancy.Principal) ([]Project, error) {
	ps, err := s.Store.List(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	for i, x := range ps {
		if x.ID == DefaultID { // the default one first, as documented (stored, it sorts after the ULIDs)
			return append(append([]Project{x}, ps[:i]...), ps[i+1:]...), nil
		}
	}
	d, err := s.ensureDefault(ctx, p)
	if err != nil {
		return nil, err
	}
	return append([]Project{d}, ps...), nil
}

func (s *Service) ensureDefault(ctx context.Context, p tenancy.Principal) (Project, error) {
	if err := s.Store.EnsureDefault(ctx, p.Scope(), Default(p.TenantID, s.now())); err != nil {
		return Project{}, err
	}
	return s.Store.Get(ctx, p.Scope(), DefaultID)
}

// isKey tells a key (WEB, web, a legacy ACME2) from an id (a ULID, default).
func isKey(ref string) bool {
	k := NormalizeKey(ref)
	if ref == DefaultID || len(k) == 0 || len(k) > 10 {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Get finds a project by id or by a current or former key; another
// tenant's is not found.
func (s *Service) Get(ctx context.Context, p tenancy.Principal, ref string) (Project, error) {
	id := ref
	if isKey(ref) {
		var err error
		if id, err = s.Store.IDByKey(ctx, p.Scope(), NormalizeKey(ref)); errs.Is(err, errs.KindNotFound) && NormalizeKey(ref) == issue.KeyPrefix(p.TenantID) {
			id = DefaultID // a tenant whose default project is not written yet
		} else if err != nil {
			return Project{}, err
		}
	}
	if !issue.ValidID(id) {
		return Project{}, errs.NotFound("project")
	}
	pr, err := s.Store.Get(ctx, p.Scope(), id)
	if errs.Is(err, errs.KindNotFound) && id == DefaultID {
		return s.ensureDefault(ctx, p)
	}
	return pr, err
}

// Create adds a project: its key must be free in the tenant (also as a
// former key), and the tier's project limit not reached.
func (s *Service) Create(ctx context.Context, p tenancy.Principal, in Input) (Project, error) {
	now := s.now()
	pr := Project{ID: ulid.Make().String(), FormerKeys: []string{}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Key == nil {
		return Project{}, errs.Field("key", "is required")
	}
	if in.Name == nil {
		return Project{}, errs.Field("name", "is required")
	}
	if in.Archived != nil {
		pr.Archived = *in.Archived
	}
	if err := s.apply(ctx, p, &pr, in); err != nil {
		return Project{}, err
	}
	if _, err := s.ensureDefault(ctx, p); err != nil { // its key is taken before any other
		return Project{}, err
	}
	if err := s.Store.Create(ctx, p.Scope(), pr, Limit(p.Tier)); err != nil {
		return Project{}, err
	}
	return pr, nil
}

// Update changes a project; a new key leaves the old one as an alias, so
// WEB-12 still finds the issue after WEB became APP.
func (s *Service) Update(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64, in Input) (Project, error) {
	old, err := s.Get(ctx, p, ref)
	if err != nil {
		return Project{}, err
	}
	if ifMatch != 0 && ifMatch != old.Version {
		return Project{}, errs.E(errs.KindPreconditionFailed, "version_mismatch", "the project changed since version %d was read (current version %d)", ifMatch, old.Version)
	}
	pr := old
	pr.FormerKeys = append([]string{}, old.FormerKeys...)
	if in.Archived != nil {
		if *in.Archived && old.ID == DefaultID {
			return Project{}, errs.E(errs.KindUnprocessable, "default_project", "the default project cannot be archived").
				WithFields(errs.FieldError{Field: "archived", Reason: "the default project takes issues filed without a project"})
		}
		pr.Archived = *in.Archived
	}
	if err := s.apply(ctx, p, &pr, in); err != nil {
		return Project{}, err
	}
	if pr.Key != old.Key {
		pr.FormerKeys = slices.DeleteFunc(append(pr.FormerKeys, old.Key), func(k string) bool { return k == pr.Key })
		if len(pr.FormerKeys) >= MaxKeys {
			return Project{}, errs.Field("key", "this project has been renamed too often")
		}
	}
	pr.UpdatedAt, pr.Version = s.now(), old.Version+1
	if err := s.Store.Update(ctx, p.Scope(), old, pr); err != nil {
		return Project{}, err
	}
	return pr, nil
}

// apply sets the fields of in on pr and validates the result, checking that
// the lead and default assignee are users of the tenant.
func (s *Service) apply(ctx context.Context, p tenancy.Principal, pr *Project, in Input) error {
	if in.Key != nil {
		k := NormalizeKey(*in.Key)
		if k != pr.Key && !ValidKey(k) {
			return errs.Field("key", "must be 2-10 letters or digits, starting with a letter (WEB, API2)")
		}
		pr.Key = k
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&pr.Name, in.Name)
	set(&pr.Description, in.Description)
	set(&pr.LeadID, in.LeadID)
	set(&pr.DefaultAssigneeID, in.DefaultAssigneeID)
	if in.EstimateScale != nil {
		pr.EstimateScale = *in.EstimateScale
	}
	if err := pr.Validate(); err != nil {
		return err
	}
	pr.EstimateScale = pr.Scale()
	pr.EstimateValues = pr.EstimateScale.Values()
	for _, f := range []struct {
		name string
		v    *string
	}{{"lead_id", in.LeadID}, {"default_assignee_id", in.DefaultAssigneeID}} {
		if f.v == nil || *f.v == "" {
			continue
		}
		ok, err := s.Users.UserExists(ctx, p.Scope(), *f.v)
		if err != nil {
			return err
		}
		if !ok {
			return errs.Field(f.name, "no such user in this workspace")
		}
	}
	return nil
}

// Issues is the Service as the issue domain sees it (issue.Projects).
type Issues struct{ Service *Service }

var _ issue.Projects = &Issues{}

// Project implements issue.Projects.
func (i *Issues) Project(ctx context.Context, p tenancy.Principal, ref string) (issue.ProjectRef, error) {
	pr, err := i.Service.Get(ctx, p, ref)
	return pr.Ref(), err
}

// ProjectIDs implements issue.Projects: the default project's and every
// other's (one Query).
func (i *Issues) ProjectIDs(ctx context.Context, p tenancy.Principal) ([]string, error) {
	ps, err := i.Service.List(ctx, p)
	ids := make([]string, len(ps))
	for n, pr := range ps {
		ids[n] = pr.ID
	}
	return ids, err
}

// ProjectID implements issue.Projects: one read of the key, no project read.
func (i *Issues) ProjectID(ctx context.Context, p tenancy.Principal, key string) (string, error) {
	id, err := i.Service.Store.IDByKey(ctx, p.Scope(), NormalizeKey(key))
	if errs.Is(err, errs.KindNotFound) && NormalizeKey(key) == issue.KeyPrefix(p.TenantID) {
		return DefaultID, nil
	}
	return id, err
}
