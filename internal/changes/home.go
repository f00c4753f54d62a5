package changes

import (
	"context"
	"time"
)

// HomeFunc says where a tenant's data lives now and since when (the
// registry's table and HomeSince).
type HomeFunc func(ctx context.Context, tenantID string) (table string, since time.Time, err error)

// HomeOnly passes a consumer only the changes of a tenant's current home
// made since it became the home. A tier migration writes a copy of every
// item into the new table before the switch, and deletes the old copy
// after it: neither is something the tenant did, so analytics must not
// count them again nor notifications go out twice. The switch waits for a
// whole second (records are stamped to the second), so the copy's records
// are all older than HomeSince. One registry read per tenant per batch.
func HomeOnly(home HomeFunc, c Consumer) Consumer {
	return ConsumerFunc(func(ctx context.Context, batch []Change) error {
		type where struct {
			table string
			since time.Time
		}
		homes := map[string]where{}
		out := batch[:0:0]
		for _, ch := range batch {
			if ch.TenantID == "" {
				out = append(out, ch)
				continue
			}
			h, ok := homes[ch.TenantID]
			if !ok {
				table, since, err := home(ctx, ch.TenantID)
				if err != nil {
					return err
				}
				h = where{table, since}
				homes[ch.TenantID] = h
			}
			if ch.Table == h.table && !ch.At.Before(h.since) {
				out = append(out, ch)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return c.Handle(ctx, out)
	})
}
