package tenantdata

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// A write freeze that does not grow with the tenant (onboarding.Drainer).
// Before the freeze, the catch-up's last Sync leaves in the Memo what the
// new home holds (the source as that Sync read it, when that read began,
// and its digest), and CheckTarget reads the new home whole and compares
// it with that, item by item: the expensive verification happens while
// the tenant still writes. In the freeze, Drain reads from the old home
// only the keys the tenant's writes logged (internal/keylog) since that
// read began, less the slack a request may take, writes the difference,
// and reads back exactly the items it wrote; both homes' digests are the
// memo's, recomputed for the key families those keys touch. Without a
// usable log (none, or it began too late to cover the last Sync's read)
// Drain reads the old home whole; a run resumed in another process has no
// memo, and Drain then reads and checks both homes whole, as before.

var _ onboarding.Drainer = Store{}

// SyncMemo remembers, per tenant and table, what a Sync left in the table.
// One per process (app.NewLifecycle); the zero Store has none.
type SyncMemo struct {
	mu sync.Mutex
	m  map[string]memo
}

// memo is what one Sync left in the new home.
type memo struct {
	items  map[string]keyed
	read   time.Time // when the Sync began reading the old home
	digest map[string]onboarding.FamilyDigest
}

// NewSyncMemo returns an empty memo.
func NewSyncMemo() *SyncMemo { return &SyncMemo{m: map[string]memo{}} }

func memoKey(tenantID, table string) string { return tenantID + "\x00" + table }

func (m *SyncMemo) remember(tenantID, table string, v memo) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[memoKey(tenantID, table)] = v
}

func (m *SyncMemo) forget(tenantID, table string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, memoKey(tenantID, table))
}

// take returns the memo of a table and forgets it (ok false if none).
func (m *SyncMemo) take(tenantID, table string) (memo, bool) {
	if m == nil {
		return memo{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memoKey(tenantID, table)
	v, ok := m.m[k]
	delete(m.m, k)
	return v, ok
}

func (m *SyncMemo) peek(tenantID, table string) (memo, bool) {
	if m == nil {
		return memo{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[memoKey(tenantID, table)]
	return v, ok
}

// CheckTarget implements onboarding.Drainer: the new home, read whole,
// holds exactly what the last Sync left there. Without a memo it checks
// nothing (Drain will read both homes).
func (s Store) CheckTarget(ctx context.Context, tenantID string, to onboarding.Home) error {
	known, ok := s.Memo.peek(tenantID, to.Table)
	if !ok {
		return nil
	}
	got, err := s.read(ctx, tenantID, to)
	if err != nil {
		return err
	}
	if bad := differing(known.items, got); len(bad) > 0 {
		s.Memo.forget(tenantID, to.Table)
		return errs.E(errs.KindUnprocessable, "verification_failed", "%s holds %d items other than the copy made: %v", to.Table, len(bad), bad[:min(len(bad), 5)])
	}
	return nil
}

// CheckSource implements onboarding.Drainer: the old home, read whole,
// holds what the memo says but for the keys logged since the memo's read
// began (less the slack), which the next round or the drain reads. Any
// other difference is a write that bypassed the key log; it is copied
// into the new home (and the memo) here, before the freeze, and counted,
// so the rounds' and the drain's log-derived digests rest on a whole read
// of the old home, and the log is trusted only for the writes made after
// it. Without a memo or a log it checks nothing (the rounds and the drain
// then read whole anyway).
func (s Store) CheckSource(ctx context.Context, tenantID string, from, to onboarding.Home, log onboarding.KeyLog) (int, error) {
	known, ok := s.Memo.peek(tenantID, to.Table)
	if !ok || !log.Covers(known.read) {
		return 0, nil
	}
	old, err := s.readSource(ctx, tenantID, from, to) // as the new home holds it (a cell move renames files' bucket)
	if err != nil {
		return 0, err
	}
	// Read after the old home: a key written during that read is logged.
	logged, err := keylog.Keys(tenancy.WithTenant(ctx, tenantID), s.DB, from.Table, tenantID, known.read.Add(-log.Slack))
	if err != nil {
		return 0, err
	}
	stray := map[string]map[string]types.AttributeValue{}
	var reqs []op
	for id, k := range old {
		if _, ok := logged[id]; ok {
			continue
		}
		if was, ok := known.items[id]; !ok || !same(was, k) {
			stray[id] = keyOf(k.item)
			reqs = append(reqs, putOp(k.item))
		}
	}
	for id, k := range known.items {
		if _, ok := logged[id]; ok {
			continue
		}
		if _, ok := old[id]; !ok {
			stray[id] = keyOf(k.item)
			reqs = append(reqs, delOp(k.item))
		}
	}
	if len(reqs) == 0 {
		return 0, nil
	}
	s.Memo.forget(tenantID, to.Table) // until the writes are done
	if err := s.write(ctx, tenantID, to.Table, reqs); err != nil {
		return 0, err
	}
	sum := overlay(known.digest, known.items, stray, old)
	for id := range stray {
		delete(known.items, id)
		if k, ok := old[id]; ok {
			known.items[id] = k
		}
	}
	s.Memo.remember(tenantID, to.Table, memo{items: known.items, read: known.read, digest: sum})
	return len(reqs), nil
}

// Drain implements onboarding.Drainer.
func (s Store) Drain(ctx context.Context, tenantID string, from, to onboarding.Home, log onboarding.KeyLog) (onboarding.Drained, error) {
	known, ok := s.Memo.take(tenantID, to.Table)
	switch {
	case !ok:
		n, src, err := s.Sync(ctx, tenantID, from, to)
		if err != nil {
			return onboarding.Drained{}, err
		}
		s.Memo.forget(tenantID, to.Table)
		dst, err := s.Digest(ctx, tenantID, to)
		return onboarding.Drained{Writes: n, Source: src, Target: dst, By: onboarding.DrainReadBoth}, err
	case log.Covers(known.read):
		return s.drainLogged(ctx, tenantID, from, to, known, known.read.Add(-log.Slack))
	}
	src, err := s.readSource(ctx, tenantID, from, to)
	if err != nil {
		return onboarding.Drained{}, err
	}
	reqs := diff(src, known.items)
	if err := s.write(ctx, tenantID, to.Table, reqs); err != nil {
		return onboarding.Drained{}, err
	}
	// Read back every item written or deleted: the new home is the checked
	// memo with these as they are now.
	keys := make([]map[string]types.AttributeValue, 0, len(reqs))
	for _, r := range reqs {
		keys = append(keys, r.key())
	}
	target := maps.Clone(known.items)
	for _, k := range keys {
		delete(target, itemKey(k))
	}
	got, err := s.getItems(ctx, tenantID, to.Table, keys)
	if err != nil {
		return onboarding.Drained{}, err
	}
	maps.Copy(target, got)
	// The memo is spent: a drain or verify that fails is redone from
	// whole reads (a failed run lifts the freeze, and writes resume).
	return onboarding.Drained{Writes: len(reqs), Source: digest(src), Target: digest(target), By: onboarding.DrainReadOld}, nil
}

// CatchUp implements onboarding.Drainer: one catch-up round. With a memo
// of the last round whose read the key log covers, it reads from the old
// home only the keys logged since that read began (less the slack), writes
// the difference and moves the memo on (O(changes), whatever the tenant's
// size); otherwise it is a whole Sync of both homes.
func (s Store) CatchUp(ctx context.Context, tenantID string, from, to onboarding.Home, log onboarding.KeyLog) (onboarding.Round, error) {
	r, ok, err := s.roundLogged(ctx, tenantID, from, to, log, true)
	if ok || err != nil {
		return r, err
	}
	n, _, err := s.Sync(ctx, tenantID, from, to)
	return onboarding.Round{Writes: n, By: onboarding.DrainReadBoth}, err
}

var _ onboarding.LoggedRounder = Store{}

// CatchUpLogged implements onboarding.LoggedRounder: the freeze's round.
// Like CatchUp's from the key log it copies what differs among the keys
// logged since the last catch-up round began (less the slack), or does
// nothing (ok false) where CatchUp would read both homes whole (no memo,
// or a log that does not cover its read). Unlike CatchUp's it does not
// move that point on: the next round and the drain read every key logged
// since it again, and copy only what changed since this round read it.
// A write in flight when the round reads (admitted before the freeze,
// landing later than the slack under load) is so still the drain's; until
// mig9 the round moved the point to its own start, the drain read only
// the keys logged since the freeze's second round began, and such a write
// was lost (verify agreed: both digests come from the memo).
func (s Store) CatchUpLogged(ctx context.Context, tenantID string, from, to onboarding.Home, log onboarding.KeyLog) (onboarding.Round, bool, error) {
	return s.roundLogged(ctx, tenantID, from, to, log, false)
}

// roundLogged is a catch-up round from the key log (ok false: no memo, or
// a log that does not cover its read; nothing done). advance moves the
// memo's read to this round's start (CatchUp), else it stays (the freeze's
// rounds).
func (s Store) roundLogged(ctx context.Context, tenantID string, from, to onboarding.Home, log onboarding.KeyLog, advance bool) (onboarding.Round, bool, error) {
	known, ok := s.Memo.peek(tenantID, to.Table)
	if !ok || !log.Covers(known.read) {
		return onboarding.Round{}, false, nil
	}
	began := time.Now()
	s.Memo.forget(tenantID, to.Table) // until the writes are done
	r, err := s.applyLogged(ctx, tenantID, from, to, known, known.read.Add(-log.Slack))
	if err != nil {
		return onboarding.Round{}, true, err
	}
	// The memo moves on in place (it is no longer in the SyncMemo): the
	// new home now holds the logged keys as read.
	sum := overlay(known.digest, known.items, r.logged, r.now)
	for id := range r.logged {
		delete(known.items, id)
		if k, ok := r.now[id]; ok {
			known.items[id] = k
		}
	}
	read := known.read
	if advance {
		read = began
	}
	s.Memo.remember(tenantID, to.Table, memo{items: known.items, read: read, digest: sum})
	return onboarding.Round{Writes: len(r.reqs), Keys: len(r.logged), By: onboarding.DrainKeyLog}, true, nil
}

// logged is what a round driven by the key log read and wrote.
type logged struct {
	logged  map[string]map[string]types.AttributeValue // the keys logged, by id
	now     map[string]keyed                           // the old home's items of those keys, as read
	touched map[string]bool                            // their key families
	reqs    []op                                       // what was written into the new home
}

// applyLogged reads from the old home the keys logged since since, and
// writes into the new one (which holds known.items) what differs.
func (s Store) applyLogged(ctx context.Context, tenantID string, from, to onboarding.Home, known memo, since time.Time) (logged, error) {
	keys, err := keylog.Keys(tenancy.WithTenant(ctx, tenantID), s.DB, from.Table, tenantID, since)
	if err != nil {
		return logged{}, err
	}
	list := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		list = append(list, k)
	}
	now, err := s.getItems(ctx, tenantID, from.Table, list)
	if err == nil {
		now, err = relocate(now, from, to) // a move between cells: files named in the new cell's bucket
	}
	if err != nil {
		return logged{}, err
	}
	var reqs []op
	for id := range keys {
		cur, inOld := now[id]
		was, inNew := known.items[id]
		switch {
		case inOld && (!inNew || !same(was, cur)):
			reqs = append(reqs, putOp(cur.item))
		case !inOld && inNew:
			reqs = append(reqs, delOp(was.item))
		}
	}
	if err := s.write(ctx, tenantID, to.Table, reqs); err != nil {
		return logged{}, err
	}
	return logged{logged: keys, now: now, reqs: reqs}, nil
}

// drainLogged is the drain of a run whose key log covers the last round:
// O(keys logged since), whatever the tenant's size.
func (s Store) drainLogged(ctx context.Context, tenantID string, from, to onboarding.Home, known memo, since time.Time) (onboarding.Drained, error) {
	r, err := s.applyLogged(ctx, tenantID, from, to, known, since)
	if err != nil {
		return onboarding.Drained{}, err
	}
	written := make([]map[string]types.AttributeValue, 0, len(r.reqs))
	for _, q := range r.reqs {
		written = append(written, q.key())
	}
	got, err := s.getItems(ctx, tenantID, to.Table, written)
	if err != nil {
		return onboarding.Drained{}, err
	}
	// The old home is the memo with the logged keys as read now; the new
	// one the checked memo with the written keys as read back: both
	// digests move on by these items only (sum.go).
	src := overlay(known.digest, known.items, r.logged, r.now)
	dst := overlay(known.digest, known.items, keyIDs(written), got)
	return onboarding.Drained{Writes: len(r.reqs), Source: src, Target: dst, Keys: len(r.logged), By: onboarding.DrainKeyLog}, nil
}

func keyIDs(keys []map[string]types.AttributeValue) map[string]map[string]types.AttributeValue {
	out := make(map[string]map[string]types.AttributeValue, len(keys))
	for _, k := range keys {
		out[itemKey(k)] = k
	}
	return out
}

// differing lists the keys whose items differ between a and b.
func differing(a, b map[string]keyed) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !same(w, v) {
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
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending}, awsx.Bulk)
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
