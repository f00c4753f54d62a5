package capacity

import "math"

// Sizes are the item sizes and counts the DynamoDB cost model assumes. The
// items and transactions are those of docs/data-model.md; the sizes are
// estimates (an issue with a paragraph of description is about 2 KB), so
// every cost below is derived from these few numbers in plain arithmetic.
type Sizes struct {
	IssueKB, CommentKB, ActivityKB, HistoryKB, PostingKB, SmallKB, IdemResponseKB float64
	// Indexed words written per created issue (the data model caps it at
	// 32), per comment (cap 16) and per edit (the delta).
	WordsPerIssue, WordsPerComment, WordsPerEdit float64
	LabelsPerIssue                               float64
	// ListItems read by an issue list page (the default limit).
	ListItems float64
	// A search: words queried, postings read per word, candidates read.
	SearchWords, PostingsPerWord, SearchCandidates float64
	// MaxPostingsPerWord is the data model's cap on postings read per word.
	MaxPostingsPerWord float64
	// HotPrefixShare is the share of indexed words whose first two letters
	// are the most common pair ("co", "re", "th"...): the search postings
	// of one tenant are partitioned by those two letters.
	HotPrefixShare float64
	// IdempotentShare of POSTs that carry an Idempotency-Key.
	IdempotentShare float64
	// IssueGSIs are the indexes every issue item is written to (gsi1..gsi7;
	// gsi8 only holds sub-issues);
	// KeyChangingGSIs are those whose sort key holds updated_at, so an edit
	// moves the entry (a delete and a put).
	IssueGSIs, KeyChangingGSIs float64
}

// DefaultSizes are the sizes the report uses.
func DefaultSizes() Sizes {
	return Sizes{
		IssueKB: 2, CommentKB: 1, ActivityKB: 0.5, HistoryKB: 0.3, PostingKB: 0.15, SmallKB: 0.3, IdemResponseKB: 2.5,
		WordsPerIssue: 24, WordsPerComment: 10, WordsPerEdit: 2,
		LabelsPerIssue: 2, ListItems: 25,
		SearchWords: 2, PostingsPerWord: 300, SearchCandidates: 50, MaxPostingsPerWord: 2000,
		HotPrefixShare: 0.08, IdempotentShare: 0.5,
		IssueGSIs: 7, KeyChangingGSIs: 5,
	}
}

// wu is the write request units of one item write: 1 per started KB.
func wu(kb float64) float64 { return math.Max(1, math.Ceil(kb)) }

// strongRU is the read request units of a strongly consistent read of kb:
// 1 per started 4 KB. Eventually consistent reads (every GSI query) cost half.
func strongRU(kb float64) float64 { return math.Max(1, math.Ceil(kb/4)) }

func eventualRU(kb float64) float64 { return strongRU(kb) / 2 }

// OpKind names the request kinds of the traffic mix.
type OpKind string

const (
	OpGetIssue    OpKind = "get_issue"    // GET /v1/issues/{id}
	OpListIssues  OpKind = "list_issues"  // GET /v1/issues
	OpOtherRead   OpKind = "other_read"   // /me, labels, comments, history...
	OpSearch      OpKind = "search"       // GET /v1/search
	OpCreateIssue OpKind = "create_issue" // POST /v1/issues
	OpUpdateIssue OpKind = "update_issue" // PATCH /v1/issues/{id}, transitions
	OpComment     OpKind = "comment"      // POST /v1/issues/{id}/comments
)

// OpKinds is the order of the mix in reports.
var OpKinds = []OpKind{OpGetIssue, OpListIssues, OpOtherRead, OpSearch, OpCreateIssue, OpUpdateIssue, OpComment}

// OpCost is what one request of a kind consumes in the tenant's table, in
// total and on the hot partitions of the hot-key analysis.
type OpCost struct {
	RRU, WRU float64 // table request units, GSIs included
	// Per hot partition of one tenant:
	Counter     float64 // WCU on T#t#COUNTER (issue-number allocation)
	IssuesIndex float64 // WCU on T#t#ISSUES in gsi1 (and gsi3, same shape)
	HotPrefix   float64 // WCU on the most common search-posting partition T#t#W#<xx>
	Labels      float64 // units on T#t#LABELS (transactional label checks)
}

// Cost derives the request units of a request kind from the sizes, as the
// data model's access-pattern table writes them (transactions cost two
// units per item; a GSI entry costs one write, two when its key moves).
func (s Sizes) Cost(k OpKind) OpCost {
	idem := s.IdempotentShare * (wu(s.SmallKB) + wu(s.IdemResponseKB))
	switch k {
	case OpGetIssue:
		return OpCost{RRU: strongRU(s.IssueKB)}
	case OpListIssues:
		return OpCost{RRU: eventualRU(s.ListItems * s.IssueKB)}
	case OpOtherRead:
		// One consistent GetItem and a small Query.
		return OpCost{RRU: strongRU(s.IssueKB) + eventualRU(10*s.ActivityKB)}
	case OpSearch:
		return OpCost{RRU: s.SearchWords*eventualRU(s.PostingsPerWord*s.PostingKB) + s.SearchCandidates*strongRU(s.IssueKB)}
	case OpCreateIssue:
		postings := s.WordsPerIssue * wu(s.PostingKB)
		labels := s.LabelsPerIssue * (wu(s.SmallKB) + wu(s.SmallKB)) // label use + label ConditionCheck
		txn := 2 * (wu(s.IssueKB) + wu(s.SmallKB) /*key alias*/ + wu(s.HistoryKB) + wu(s.ActivityKB) + labels + postings)
		gsi := s.IssueGSIs * wu(s.IssueKB)
		return OpCost{
			RRU:         s.LabelsPerIssue * eventualRU(s.SmallKB),
			WRU:         wu(s.SmallKB) /*counter ADD*/ + txn + gsi + idem,
			Counter:     wu(s.SmallKB),
			IssuesIndex: wu(s.IssueKB),
			HotPrefix:   2 * postings * s.HotPrefixShare,
			Labels:      2 * s.LabelsPerIssue * wu(s.SmallKB),
		}
	case OpUpdateIssue:
		// Half of the edits are transitions, which add a status-history item.
		txn := 2 * (wu(s.IssueKB) + wu(s.ActivityKB) + 0.5*wu(s.HistoryKB) + s.WordsPerEdit*wu(s.PostingKB))
		gsi := s.KeyChangingGSIs*2*wu(s.IssueKB) + (s.IssueGSIs-s.KeyChangingGSIs)*wu(s.IssueKB)
		return OpCost{
			RRU:         strongRU(s.IssueKB),
			WRU:         txn + gsi,
			IssuesIndex: 2 * wu(s.IssueKB),
			HotPrefix:   2 * s.WordsPerEdit * wu(s.PostingKB) * s.HotPrefixShare,
		}
	case OpComment:
		postings := s.WordsPerComment * wu(s.PostingKB)
		txn := 2 * (wu(s.CommentKB) + wu(s.IssueKB) /*issue ConditionCheck*/ + postings)
		return OpCost{
			RRU:       strongRU(s.IssueKB),
			WRU:       txn + idem,
			HotPrefix: 2 * postings * s.HotPrefixShare,
		}
	}
	return OpCost{}
}

// HotSearchRU is the read units of one word query on the most common
// prefix when the word matches the most postings the model reads.
func (s Sizes) HotSearchRU() float64 { return eventualRU(s.MaxPostingsPerWord * s.PostingKB) }

// Mix is the share of each request kind in a tenant's API traffic.
type Mix map[OpKind]float64

// Total is the sum of the shares (1 for a well-formed mix).
func (m Mix) Total() float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

// Cost is the mix-weighted cost of one request.
func (m Mix) Cost(s Sizes) OpCost {
	var c OpCost
	for _, k := range OpKinds {
		w, oc := m[k], s.Cost(k)
		c.RRU += w * oc.RRU
		c.WRU += w * oc.WRU
		c.Counter += w * oc.Counter
		c.IssuesIndex += w * oc.IssuesIndex
		c.HotPrefix += w * oc.HotPrefix
		c.Labels += w * oc.Labels
	}
	return c
}

// HottestMethod is the largest share of one route (one API Gateway method)
// in the mix: the stage throttle applies per method. OpOtherRead spreads
// over many routes and is left out.
func (m Mix) HottestMethod() float64 {
	h := 0.0
	for k, v := range m {
		if k != OpOtherRead {
			h = math.Max(h, v)
		}
	}
	return h
}
