package capacity

import (
	"math"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Partition throughput: every partition of a table or GSI serves at most
// 3,000 read units and 1,000 write units per second, whatever the table's
// capacity; a hot key throttles on its own.
const (
	PartitionWCU = 1000
	PartitionRCU = 3000
	urlPartition = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html"
)

// HotKey is one partition of a tenant that every request of some kind
// touches: the per-partition limit binds on it at one tenant's write rate,
// long before any table or account limit.
type HotKey struct {
	Name, Key string
	// Read is true for a read-throughput partition (3,000 RCU), else writes.
	Read bool
	// PerRequest is the units one request of the mix puts on the partition.
	PerRequest func(Sizes, Mix) float64
	// Op is the request kind that loads it most, and PerOp its units per
	// such request: the rate of a pure stream of Op that the partition takes.
	Op     OpKind
	PerOp  func(Sizes) float64
	Remedy string
}

// Limit is the partition's throughput limit in its unit.
func (h HotKey) Limit() float64 {
	if h.Read {
		return PartitionRCU
	}
	return PartitionWCU
}

// Unit is "RCU" or "WCU".
func (h HotKey) Unit() string {
	if h.Read {
		return "RCU"
	}
	return "WCU"
}

// HotKeys are the hot partitions of the table design (docs/data-model.md).
func HotKeys() []HotKey {
	return []HotKey{
		{Name: "issue-number counter", Key: "T#t#COUNTER / ISSUEKEY",
			PerRequest: func(s Sizes, m Mix) float64 { return m.Cost(s).Counter },
			Op:         OpCreateIssue, PerOp: func(s Sizes) float64 { return s.Cost(OpCreateIssue).Counter },
			Remedy: "allocate numbers in blocks (ADD n 50, hand them out from the execution environment) when a tenant creates more than ~1,000 issues/s; gaps are already accepted"},
		{Name: "issue sort indexes (gsi1, gsi3)", Key: "T#t#ISSUES (gsi1pk, gsi3pk)",
			PerRequest: func(s Sizes, m Mix) float64 { return m.Cost(s).IssuesIndex },
			Op:         OpUpdateIssue, PerOp: func(s Sizes) float64 { return s.Cost(OpUpdateIssue).IssuesIndex },
			Remedy: "every issue write lands in one partition per index, and an edit moves the entry (sort key = updated_at, so split-for-heat cannot spread it). Project only the list attributes (INCLUDE, ~0.3 KB: 1 WCU per entry instead of the item's KB) and write-shard the key (T#t#ISSUES#<hash(id) mod k>, merged per page)"},
		{Name: "issue sort indexes, 32 KiB descriptions", Key: "T#t#ISSUES (gsi1pk, gsi3pk)",
			PerRequest: func(s Sizes, m Mix) float64 { s.IssueKB = 33; return m.Cost(s).IssuesIndex },
			Op:         OpUpdateIssue, PerOp: func(s Sizes) float64 { s.IssueKB = 33; return s.Cost(OpUpdateIssue).IssuesIndex },
			Remedy: "ALL projection copies the description into six indexes; INCLUDE projection removes it from the indexes entirely"},
		{Name: "search postings, most common prefix", Key: "T#t#W#<xx> (e.g. T#t#W#co)",
			PerRequest: func(s Sizes, m Mix) float64 { return m.Cost(s).HotPrefix },
			Op:         OpCreateIssue, PerOp: func(s Sizes) float64 { return s.Cost(OpCreateIssue).HotPrefix },
			Remedy: "postings are written in the issue's transaction (2 units each). Partition by more of the word (3 letters, or hash of the word with prefix postings kept apart) and write postings from the table's stream with BatchWriteItem (1 unit each, batched); a Platinum tenant past this moves search to OpenSearch"},
		{Name: "search reads, most common prefix", Key: "T#t#W#<xx>", Read: true,
			PerRequest: func(s Sizes, m Mix) float64 {
				return m[OpSearch] * s.SearchWords * s.HotPrefixShare * s.HotSearchRU()
			},
			Op: OpSearch, PerOp: func(s Sizes) float64 { return s.HotSearchRU() },
			Remedy: "a query of a common word reads up to 2,000 postings (~300 KB). Cache the postings of hot prefixes in the function (they change only on writes), lower the per-word cap, or partition by three letters"},
		{Name: "label catalogue", Key: "T#t#LABELS",
			PerRequest: func(s Sizes, m Mix) float64 { return m.Cost(s).Labels },
			Op:         OpCreateIssue, PerOp: func(s Sizes) float64 { return s.Cost(OpCreateIssue).Labels },
			Remedy: "each labelled write ConditionChecks its labels in the one catalogue partition; check the per-label partition instead (T#t#LABEL#<id>, already written as label uses), which spreads the checks over labels"},
		{Name: "idempotency records", Key: "T#t#IDEM#<user>#<key>",
			PerRequest: func(Sizes, Mix) float64 { return 0 },
			Op:         OpCreateIssue, PerOp: func(Sizes) float64 { return 0 },
			Remedy: "one partition per key and caller: never hot (2 writes per POST, expired by TTL for free)"},
	}
}

// HotKeyUse is a hot key evaluated for one tier.
type HotKeyUse struct {
	HotKey HotKey
	Tier   tiers.Tier
	// AtPeak is the units/s at the profile's peak, AtLimit at the tier's
	// rate limit with the same mix.
	AtPeak, AtLimit float64
	// BindsAtRPS is the tenant request rate (in the mix) at which the
	// partition reaches its limit; PureOpRate the rate of a pure stream of
	// HotKey.Op at which it does (+Inf when the key takes no load).
	BindsAtRPS, PureOpRate float64
}

// HotKeyUses evaluates every hot key for every tier.
func (m Model) HotKeyUses() []HotKeyUse {
	var out []HotKeyUse
	s, mix := m.Profile.Sizes, m.Profile.Mix
	for _, h := range HotKeys() {
		per, op := h.PerRequest(s, mix), h.PerOp(s)
		for _, t := range tiers.All() {
			u := HotKeyUse{HotKey: h, Tier: t, BindsAtRPS: math.Inf(1), PureOpRate: math.Inf(1)}
			u.AtPeak = m.loads[t.Name].RPS * per
			u.AtLimit = t.RateLimit * per
			if per > 0 {
				u.BindsAtRPS = h.Limit() / per
			}
			if op > 0 {
				u.PureOpRate = h.Limit() / op
			}
			out = append(out, u)
		}
	}
	return out
}
