// Package audit is the provider's record of who did what to a tenant and
// when: every lifecycle step (registration, onboarding, offboarding) and
// every Root action. Records are append-only and outlive the tenant's data
// (offboarding keeps them as the proof of what was done).
package audit

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/list"
)

// ActorKind says who acted.
type ActorKind string

const (
	ActorRoot   ActorKind = "root"   // a provider (root) user
	ActorTenant ActorKind = "tenant" // a user of the tenant
	ActorPublic ActorKind = "public" // an anonymous caller (registration)
	ActorSystem ActorKind = "system" // the onboarding / offboarding machine
)

// Actor is who did it.
type Actor struct {
	Kind     ActorKind `json:"kind"`
	ID       string    `json:"id,omitempty"` // user id (token sub)
	Email    string    `json:"email,omitempty"`
	SourceIP string    `json:"source_ip,omitempty"`
}

// System is the onboarding machine acting on its own.
var System = Actor{Kind: ActorSystem, ID: "onboarding"}

// Record is one audited event.
type Record struct {
	TenantID string            `json:"tenant_id"`
	At       time.Time         `json:"at"`
	Actor    Actor             `json:"actor"`
	Action   string            `json:"action"` // e.g. "tenant.suspended", "onboarding.step_completed"
	Detail   map[string]string `json:"detail,omitempty"`
}

// Log appends and reads audit records.
type Log interface {
	// Append records r; a record is never changed afterwards.
	Append(ctx context.Context, r Record) error
	// List returns a page of a tenant's records, newest first.
	List(ctx context.Context, tenantID string, req list.Request) (list.Page[Record], error)
}
