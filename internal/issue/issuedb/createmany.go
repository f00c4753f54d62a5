package issuedb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// CreateMany implements issue.Store for an import's rows, whose ids,
// numbers and first entries are deterministic (the import reserved the
// numbers and recorded them before writing): each issue is split in two.
//
//  1. Its side items, which nothing shows without the issue, are written
//     first with BatchWriteItem (25 a call, unprocessed items retried;
//     SideParallel runs at once): the status-history entry (read under
//     the issue; analytics counts a transition once it knows the issue),
//     the label uses
//     (label delete resolves them through the issue) and the search
//     postings (search reads the issues it finds and drops absent ones).
//  2. Then the issue becomes visible: the issue item with what must be
//     atomic with it (its key alias, conditional, the uniqueness guard of
//     its number; its "created" activity, which webhooks and notifications
//     read from the stream; the label and cycle checks, the cycle scope and
//     the parent's flag) in transactions packed several issues to a call
//     (MaxTxItems actions, one ConditionCheck of a label or cycle serving
//     every issue of the call). When a packed call is refused (an issue
//     that exists, a label deleted meanwhile...) its issues are written
//     one by one so each gets its own answer.
//  3. The side items of an issue refused for good (not one that exists)
//     are deleted again.
//
// A crash between 1 and 2 leaves only side items no reader shows; the
// resumed import writes the same items again (same keys) and then the
// issue. Readers never see part of an issue. See docs/performance.md.
func (s *Store) CreateMany(ctx context.Context, sc tenancy.Scope, records []issue.NewRecord) []error {
	out := make([]error, len(records))
	cores := make([]*tx, len(records))
	sides := make([][]map[string]av, len(records))
	var all []map[string]av
	for n, r := range records {
		core, side := createSplit(sc, r.Issue, r.History, r.Activity)
		if core.err != nil || side.err != nil {
			out[n] = fmt.Errorf("create issue: %w", errors.Join(core.err, side.err))
			continue
		}
		cores[n] = core
		for _, it := range side.items {
			sides[n] = append(sides[n], it.Put.Item)
		}
		all = append(all, sides[n]...)
	}
	if err := s.batchPut(ctx, sc, all); err != nil {
		for n := range out {
			if out[n] == nil {
				out[n] = fmt.Errorf("create issues: side items: %w", err)
			}
		}
		return out
	}
	var g packed
	flush := func() {
		if len(g.members) == 0 {
			return
		}
		if len(g.members) == 1 {
			n := g.members[0]
			out[n] = g.txs[0].run(ctx, s.DB, "create issue")
		} else if err := g.tx.run(ctx, s.DB, "create issues"); err != nil {
			for k, n := range g.members {
				out[n] = g.txs[k].run(ctx, s.DB, "create issue")
			}
		}
		g = packed{}
	}
	for n, t := range cores {
		if t == nil {
			continue
		}
		if !g.fits(t) {
			flush()
		}
		g.add(n, t)
	}
	flush()
	var orphans []map[string]av
	for n, err := range out {
		if refused(err) {
			for _, it := range sides[n] {
				orphans = append(orphans, dynamo.Key(it[schema.PK].(*types.AttributeValueMemberS).Value, it[schema.SK].(*types.AttributeValueMemberS).Value))
			}
		}
	}
	if err := s.batchDelete(ctx, sc, orphans); err != nil {
		// They stay invisible (see above); the row's answer stands.
		slog.WarnContext(ctx, "delete side items of refused imported issues", "items", len(orphans), "err", err)
	}
	return out
}

// refused: the issue was not written and will not be as it is (a domain
// error other than issue_exists; an error of the database may be retried).
func refused(err error) bool {
	var e *errs.Error
	if err == nil || !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case errs.KindInvalid, errs.KindUnprocessable, errs.KindNotFound:
		return true
	case errs.KindConflict:
		return e.Code != "issue_exists"
	}
	return false
}

// createSplit is createTx in two: core, the transaction that makes the
// issue visible, and side, the puts (unconditional) of what no reader
// shows without the issue. The side items' bytes are counted with the
// core transaction, once, when the issue is written.
func createSplit(sc tenancy.Scope, i issue.Issue, h issue.StatusChange, a issue.Activity) (core, side *tx) {
	core, side = &tx{table: sc.Table}, &tx{table: sc.Table}
	if i.HasChildren == nil {
		none := false
		i.HasChildren = &none
	}
	it := toIssueItem(i)
	core.put(it, notExists(), func(map[string]av) error { return errs.Conflict("issue_exists", "issue id already used") })
	linkParent(core, issue.Issue{}, i)
	core.put(keyItem{PK: issueKeyPK(i.TenantID, i.ProjectID, i.Number), SK: skKey, IssueID: i.ID}, notExists(),
		func(map[string]av) error { return errs.Conflict("issue_key_taken", "issue key already used") })
	core.put(toActivityItem(i.TenantID, a), nil, nil)
	side.put(toHistoryItem(i.TenantID, h), nil, nil)
	for _, l := range i.Labels {
		side.put(useItem{PK: labelUsePK(i.TenantID, l), SK: useSK(i.ID), IssueID: i.ID}, nil, nil)
		core.check(dynamo.Key(labelsPK(i.TenantID), labelSK(l)), exists(), func(map[string]av) error {
			return errs.Field("labels", fmt.Sprintf("label %q does not exist", l))
		})
	}
	termDelta(side, i.TenantID, i.ID, "I", nil, decodeTerms(it.Terms))
	cycleDelta(core, issue.Issue{}, i, i.CreatedAt)
	core.bytes += side.bytes
	return core, side
}

// batchPut writes items with BatchWriteItem (dynamo.BatchPut: 25 a call,
// unprocessed items retried with a growing backoff), in SideParallel runs
// of whole calls at once.
func (s *Store) batchPut(ctx context.Context, sc tenancy.Scope, items []map[string]av) error {
	runs := cmp.Or(s.SideParallel, sideParallel)
	per := max(1, ((len(items)+runs-1)/runs+24)/25) * 25
	g, ctx := errgroup.WithContext(ctx)
	for chunk := range slices.Chunk(items, per) {
		g.Go(func() error { return dynamo.BatchPut(ctx, s.DB, sc.Table, chunk) })
	}
	return g.Wait()
}

// sideParallel is how many runs of BatchWriteItem calls of side items go
// at once by default: one. Against DynamoDB Local under load, concurrent
// batch writes wait on each other and on the transactions (10,000 rows:
// 56.8 and 58.8 s at 1, 65.0 and 102.8 s at 4; docs/performance.md). In AWS
// more would cut a batch's latency (about 22 calls per 100 rows).
const sideParallel = 1

// packed is one TransactWriteItems call of several issues' transactions.
type packed struct {
	tx      tx
	members []int // the records it writes
	txs     []*tx // their own transactions (the fallback)
	keys    map[string]bool
	checks  map[string]string // key -> condition of a ConditionCheck in tx
}

// itemKey is the table key an action writes or checks.
func itemKey(it types.TransactWriteItem) (key map[string]av, check *types.ConditionCheck) {
	switch {
	case it.Put != nil:
		return it.Put.Item, nil
	case it.Update != nil:
		return it.Update.Key, nil
	case it.Delete != nil:
		return it.Delete.Key, nil
	case it.ConditionCheck != nil:
		return it.ConditionCheck.Key, it.ConditionCheck
	}
	return nil, nil
}

func keyString(k map[string]av) string {
	pk, _ := k[schema.PK].(*types.AttributeValueMemberS)
	sk, _ := k[schema.SK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "\x00" + sk.Value
}

// sameCheck is a ConditionCheck equal to one already in the call (same
// key and condition): one serves both issues.
func (g *packed) sameCheck(k string, c *types.ConditionCheck) bool {
	return c != nil && g.checks[k] == conditionOf(c)
}

func conditionOf(c *types.ConditionCheck) string {
	s := aws.ToString(c.ConditionExpression)
	for _, n := range slices.Sorted(maps.Keys(c.ExpressionAttributeNames)) {
		s += "|" + n + "=" + c.ExpressionAttributeNames[n]
	}
	return s
}

// fits reports whether t's actions can join the call: room for them, and
// no item the call already writes (or checks differently).
func (g *packed) fits(t *tx) bool {
	need := 0
	for _, it := range t.items {
		key, c := itemKey(it)
		k := keyString(key)
		if k == "" {
			return len(g.members) == 0
		}
		if g.keys[k] {
			if g.sameCheck(k, c) {
				continue
			}
			return false
		}
		need++
	}
	return len(g.tx.items)+need <= MaxTxItems
}

func (g *packed) add(n int, t *tx) {
	if g.keys == nil {
		g.keys, g.checks, g.tx.table = map[string]bool{}, map[string]string{}, t.table
	}
	for i, it := range t.items {
		key, c := itemKey(it)
		k := keyString(key)
		if g.keys[k] && g.sameCheck(k, c) {
			continue
		}
		g.keys[k] = true
		if c != nil {
			g.checks[k] = conditionOf(c)
		}
		g.tx.items = append(g.tx.items, it)
		g.tx.fail = append(g.tx.fail, t.fail[i])
	}
	g.tx.bytes += t.bytes
	g.members = append(g.members, n)
	g.txs = append(g.txs, t)
}
