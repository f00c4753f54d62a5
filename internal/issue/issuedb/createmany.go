package issuedb

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// CreateMany implements issue.Store: the issues' Create transactions
// packed into as few TransactWriteItems calls as fit (MaxTxItems actions
// each, every item at most once: one ConditionCheck of a label or cycle
// serves every issue of the call). A call's issues are written together or
// not at all, so a crash leaves each issue whole or absent. When a packed
// call is refused (an issue that exists, a label deleted meanwhile...), its
// issues are written one by one (Create) so each gets its own answer.
func (s Store) CreateMany(ctx context.Context, sc tenancy.Scope, records []issue.NewRecord) []error {
	out := make([]error, len(records))
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
	for n, r := range records {
		t := createTx(sc, r.Issue, r.History, r.Activity)
		if t.err != nil {
			out[n] = fmt.Errorf("create issue: %w", t.err)
			continue
		}
		if !g.fits(t) {
			flush()
		}
		g.add(n, t)
	}
	flush()
	return out
}

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
