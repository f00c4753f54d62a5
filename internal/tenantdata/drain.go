package tenantdata

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// A write freeze that does not grow with the tenant (onboarding.Drainer).
// Before the freeze, the catch-up's last Sync leaves in the Memo what the
// new home holds (the source as that Sync read it), and CheckTarget reads
// the new home whole and compares it with that, item by item: the
// expensive verification happens while the tenant still writes. In the
// freeze, Drain reads the old home only (the new one is known), writes
// the difference, and reads back exactly the items it wrote; the new
// home's digest is the checked memo with those items, and the verify step
// compares it with the old home's. A run resumed in another process has no
// memo: Drain then reads and checks both homes whole, as before.

var _ onboarding.Drainer = Store{}

// SyncMemo remembers, per tenant and table, what a Sync left in the table.
// One per process (app.NewLifecycle); the zero Store has none.
type SyncMemo struct {
	mu sync.Mutex
	m  map[string]map[string]keyed
}

// NewSyncMemo returns an empty memo.
func NewSyncMemo() *SyncMemo { return &SyncMemo{m: map[string]map[string]keyed{}} }

func memoKey(tenantID, table string) string { return tenantID + "\x00" + table }

func (m *SyncMemo) remember(tenantID, table string, items map[string]keyed) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[memoKey(tenantID, table)] = items
}

func (m *SyncMemo) forget(tenantID, table string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, memoKey(tenantID, table))
}

// take returns the memo of a table and forgets it (nil if none).
func (m *SyncMemo) take(tenantID, table string) map[string]keyed {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memoKey(tenantID, table)
	items := m.m[k]
	delete(m.m, k)
	return items
}

func (m *SyncMemo) peek(tenantID, table string) map[string]keyed {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[memoKey(tenantID, table)]
}

// CheckTarget implements onboarding.Drainer: the new home, read whole,
// holds exactly what the last Sync left there. Without a memo it checks
// nothing (Drain will read both homes).
func (s Store) CheckTarget(ctx context.Context, tenantID string, to onboarding.Home) error {
	known := s.Memo.peek(tenantID, to.Table)
	if known == nil {
		return nil
	}
	got, err := s.read(ctx, tenantID, to)
	if err != nil {
		return err
	}
	if bad := differing(known, got); len(bad) > 0 {
		s.Memo.forget(tenantID, to.Table)
		return errs.E(errs.KindUnprocessable, "verification_failed", "%s holds %d items other than the copy made: %v", to.Table, len(bad), bad[:min(len(bad), 5)])
	}
	return nil
}

// Drain implements onboarding.Drainer.
func (s Store) Drain(ctx context.Context, tenantID string, from, to onboarding.Home) (int, map[string]onboarding.FamilyDigest, map[string]onboarding.FamilyDigest, error) {
	known := s.Memo.take(tenantID, to.Table)
	if known == nil {
		n, src, err := s.Sync(ctx, tenantID, from, to)
		if err != nil {
			return 0, nil, nil, err
		}
		dst, err := s.Digest(ctx, tenantID, to)
		return n, src, dst, err
	}
	src, err := s.read(ctx, tenantID, from)
	if err != nil {
		return 0, nil, nil, err
	}
	reqs := diff(src, known)
	if err := s.write(ctx, tenantID, to.Table, reqs); err != nil {
		return 0, nil, nil, err
	}
	// Read back every item written or deleted: the new home is the checked
	// memo with these as they are now.
	var keys []map[string]types.AttributeValue
	target := maps.Clone(known)
	for _, r := range reqs {
		var k map[string]types.AttributeValue
		if r.PutRequest != nil {
			k = keyOf(r.PutRequest.Item)
		} else {
			k = r.DeleteRequest.Key
		}
		keys = append(keys, k)
		delete(target, itemKey(k))
	}
	got, err := s.getItems(ctx, tenantID, to.Table, keys)
	if err != nil {
		return 0, nil, nil, err
	}
	maps.Copy(target, got)
	// The memo is spent: a drain or verify that fails is redone from
	// whole reads (a failed run lifts the freeze, and writes resume).
	return len(reqs), digest(src), digest(target), nil
}

// differing lists the keys whose items differ between a and b.
func differing(a, b map[string]keyed) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w.line != v.line {
			out = append(out, fmt.Sprintf("%q", k))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%q", k))
		}
	}
	return out
}

// getItems reads items by key as the tenant (strongly consistent, 100 a
// batch), the ones that exist by pk and sk.
func (s Store) getItems(ctx context.Context, tenantID, table string, keys []map[string]types.AttributeValue) (map[string]keyed, error) {
	ctx = tenancy.WithTenant(ctx, tenantID)
	out := map[string]keyed{}
	for start := 0; start < len(keys); start += 100 {
		pending := map[string]types.KeysAndAttributes{table: {Keys: keys[start:min(start+100, len(keys))], ConsistentRead: aws.Bool(true)}}
		for len(pending) > 0 {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("read back items of %s in %s: %w", tenantID, table, err)
			}
			for _, it := range res.Responses[table] {
				k, err := keyedOf(it)
				if err != nil {
					return nil, err
				}
				out[itemKey(it)] = k
			}
			pending = res.UnprocessedKeys
		}
	}
	return out, nil
}
