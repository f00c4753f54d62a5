package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// EachActiveTenant runs job for every active tenant of the registry, page
// by page, under the tenant's context and scope (the scheduled jobs: the
// upload sweep, the notification mail). One tenant's failure does not stop
// the others: the errors are joined, each naming its tenant. A tenant the
// directory places in another cell is skipped (HousedHere). It returns the
// sum of what job counted.
func EachActiveTenant(ctx context.Context, d Deps, job func(ctx context.Context, sc tenancy.Scope, t tenant.Tenant) (int, error)) (int, error) {
	reg := tenantdb.New(d.Control(), d.Names)
	total := 0
	var failed []error
	req := list.Request{Limit: list.MaxLimit}
	for {
		page, err := reg.ListByStatus(ctx, tenant.StatusActive, req)
		if err != nil {
			return total, err
		}
		for _, t := range page.Items {
			// Housed in another cell (a move's source, active until its
			// tombstone): the job is that cell's.
			if here, err := HousedHere(ctx, d, t.ID); err != nil || !here {
				if err != nil {
					failed = append(failed, fmt.Errorf("tenant %s: %w", t.ID, err))
				}
				continue
			}
			jctx := tenancy.WithTenant(ctx, t.ID)
			if !t.KeyLogSince.IsZero() && d.DB != nil {
				// A tier migration copies the tenant: its writes log their keys (internal/keylog).
				// Each write admitted anew (a job may run past a freeze).
				jctx = keylog.With(jctx, &keylog.Target{Tenant: t.ID, Table: t.Table, DB: d.DB, Admit: admitAgain(reg, t.ID, t.Table)})
			}
			n, err := job(jctx, tenancy.Scope{Table: t.Table, TenantID: t.ID}, t)
			total += n
			if err != nil {
				failed = append(failed, fmt.Errorf("tenant %s: %w", t.ID, err))
			}
		}
		if page.NextCursor == "" {
			return total, errors.Join(failed...)
		}
		req.Cursor = page.NextCursor
	}
}
