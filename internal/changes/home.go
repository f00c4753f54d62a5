package changes

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Home is where a tenant's data lives now and whether a tier migration is
// copying it (the registry's table and KeyLogSince).
type Home struct {
	Table string
	// LogSince is set while a tier migration copies the tenant: writes
	// into Table log their keys (internal/keylog) from then on.
	LogSince time.Time
}

// HomeFunc says where a tenant's data lives now (Home; a zero Home for a
// tenant that has none: its changes are skipped).
type HomeFunc func(ctx context.Context, tenantID string) (Home, error)

// HomeOnly passes a consumer only the changes of a tenant's current home
// that the tenant made. A tier migration writes a copy of every item into
// the new table before the switch, and deletes the old copy after it:
// neither is something the tenant did, so analytics must not count them
// again nor notifications go out twice. The migration's writes carry a
// mark (keylog.ByMigration), so they are told apart exactly, not by the
// records' time (AWS stamps them to the second, DynamoDB Local to the
// minute). One registry read per tenant per batch.
//
// While a migration copies a tenant, the consumer's writes for it (its
// analytics, notification, attachment and webhook items, written into the
// home the change came from) log their keys through log, as the API's
// writes do, so the migration's catch-up rounds and drain carry them into
// the new home (docs/migration.md "Stream consumers"). The batch is then
// handled in parts: the changes of each such tenant under its own log.
//
// A migration's freeze barriers (keylog.PutBarriers: one in each
// partition key the tenant changed, each after that key's changes in its
// shard) are not passed on: once the batch's changes are handled, the
// consumer acknowledges the batch's barriers under its name, one item per
// wave, through log, so the migration knows its writes for the changes
// made before them are in the key log before it drains.
func HomeOnly(name string, home HomeFunc, log keylog.Putter, c Consumer) Consumer {
	return ConsumerFunc(func(ctx context.Context, batch []Change) error {
		type wave struct{ table, tenant, id string }
		var waves []wave
		barriers := map[wave][]string{}
		for _, ch := range batch {
			if tenantID, id, ok := keylog.Barrier(ch.PK, ch.SK); ok && ch.Op == Insert {
				w := wave{ch.Table, tenantID, id}
				if _, ok := barriers[w]; !ok {
					waves = append(waves, w)
				}
				barriers[w] = append(barriers[w], ch.PK)
			}
		}
		if err := homeOnly(ctx, home, log, c, batch); err != nil {
			return err
		}
		if log == nil {
			return nil
		}
		for _, w := range waves {
			if err := keylog.Ack(tenancy.WithTenant(ctx, w.tenant), log, w.table, w.tenant, w.id, name, barriers[w]); err != nil {
				return err
			}
		}
		return nil
	})
}

func homeOnly(ctx context.Context, home HomeFunc, log keylog.Putter, c Consumer, batch []Change) error {
	homes := map[string]Home{}
	out := batch[:0:0]
	logging := map[string]bool{}
	for _, ch := range batch {
		if _, _, ok := keylog.Barrier(ch.PK, ch.SK); ok {
			continue
		}
		if ch.TenantID == "" {
			out = append(out, ch)
			continue
		}
		if ch.PK == keylog.PK(ch.TenantID) {
			continue // a migration's key log and its records: not the tenant's data
		}
		h, ok := homes[ch.TenantID]
		if !ok {
			var err error
			if h, err = home(ctx, ch.TenantID); err != nil {
				return err
			}
			homes[ch.TenantID] = h
		}
		if ch.Table == h.Table && !keylog.ByMigration(ch.Old, ch.New) {
			out = append(out, ch)
			if !h.LogSince.IsZero() && log != nil {
				logging[ch.TenantID] = true
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	if len(logging) == 0 {
		return c.Handle(ctx, out)
	}
	// The others first, together; then each migrating tenant's
	// changes (in their order) with its writes logged.
	var rest []Change
	parts := map[string][]Change{}
	var order []string
	for _, ch := range out {
		if !logging[ch.TenantID] {
			rest = append(rest, ch)
			continue
		}
		if _, ok := parts[ch.TenantID]; !ok {
			order = append(order, ch.TenantID)
		}
		parts[ch.TenantID] = append(parts[ch.TenantID], ch)
	}
	if len(rest) > 0 {
		if err := c.Handle(ctx, rest); err != nil {
			return err
		}
	}
	for _, id := range order {
		tctx := keylog.With(ctx, &keylog.Target{Tenant: id, Table: homes[id].Table, DB: log})
		if err := c.Handle(tctx, parts[id]); err != nil {
			return err
		}
	}
	return nil
}
