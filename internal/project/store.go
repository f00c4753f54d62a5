package project

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Store is what the Service needs of storage (projectdb.Store).
type Store interface {
	WorkflowStore
	// EnsureDefault writes the tenant's default project if it is absent
	// (idempotent; a concurrent writer wins and nothing changes).
	EnsureDefault(ctx context.Context, sc tenancy.Scope, p Project) error
	// Create writes a new project and its key: conflict project_key_taken
	// when the key is (or was) another project's, project_limit_reached
	// when the tenant already has max projects (0: unlimited).
	Create(ctx context.Context, sc tenancy.Scope, p Project, max int) error
	// Get returns the project by id or not_found (project_not_found).
	Get(ctx context.Context, sc tenancy.Scope, id string) (Project, error)
	// IDByKey resolves a current or former key to the project id.
	IDByKey(ctx context.Context, sc tenancy.Scope, key string) (string, error)
	// List returns the tenant's projects (at most MaxProjects: one page).
	List(ctx context.Context, sc tenancy.Scope) ([]Project, error)
	// Update writes p over old (precondition_failed when old is stale); a
	// new key is claimed and the old one kept as an alias.
	Update(ctx context.Context, sc tenancy.Scope, old, p Project) error
}

// MaxProjects bounds a tenant's projects whatever its tier: one Query page
// lists them all.
const MaxProjects = 1000
