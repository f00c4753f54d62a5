package core

import (
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
)

// AuditLog is the audit log on d's control table with d's cursors (nil
// in unit wiring without a database). Here, not in peoplewire, so that the
// lifecycle's wiring (tenantwire) uses it without importing the users
// function's wiring and, through it, the Cognito client (billing has none).
func AuditLog(d Deps) audit.Log {
	if d.Control() == nil {
		return nil
	}
	a := auditdb.New(d.Control(), d.Names)
	a.Cursors = d.Cursors
	return a
}
