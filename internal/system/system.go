// Package system holds the platform's own settings, which Root changes from
// the provider console: whether new companies may sign up.
package system

import (
	"context"
	"time"
)

// SystemSettings are the platform's system settings.
type SystemSettings struct {
	// RegistrationOpen lets new companies sign up; closed, a sign-up
	// answers 403 registration_closed (registrations already under way
	// finish: their verification, approval and payment still work).
	RegistrationOpen bool      `json:"registration_open"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
	// UpdatedBy is the Root user who changed them last.
	UpdatedBy string `json:"updated_by,omitempty"`
}

// Defaults are the settings of a platform nobody configured: open.
var Defaults = SystemSettings{RegistrationOpen: true}

// Store keeps the settings (systemdb, in the control table).
type Store interface {
	// Get returns the settings, Defaults when never set.
	Get(ctx context.Context) (SystemSettings, error)
	// Put replaces them.
	Put(ctx context.Context, s SystemSettings) error
}
