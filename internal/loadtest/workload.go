package loadtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Op is one kind of request of the mixed workload.
type Op string

const (
	OpRead    Op = "read"    // GET /v1/issues/{id}
	OpList    Op = "list"    // GET /v1/issues?limit=25
	OpSearch  Op = "search"  // GET /v1/search?q=word&limit=25
	OpCreate  Op = "create"  // POST /v1/issues with Idempotency-Key
	OpUpdate  Op = "update"  // PATCH /v1/issues/{id} with If-Match
	OpComment Op = "comment" // POST /v1/issues/{id}/comments with Idempotency-Key
)

// Ops in report order.
var Ops = []Op{OpRead, OpList, OpSearch, OpCreate, OpUpdate, OpComment}

// Mix weighs the operations: a tracker is read far more than written.
type Mix map[Op]int

// DefaultMix is the workload of `make load`.
var DefaultMix = Mix{OpRead: 40, OpList: 15, OpSearch: 10, OpCreate: 15, OpUpdate: 12, OpComment: 8}

func (m Mix) pick(r *rand.Rand) Op {
	total := 0
	for _, op := range Ops {
		total += m[op]
	}
	n := r.IntN(total)
	for _, op := range Ops {
		if n < m[op] {
			return op
		}
		n -= m[op]
	}
	return OpRead
}

// words are the search vocabulary: every created title carries one, so a
// search matches about 1/len(words) of a tenant's load issues.
var words = strings.Fields(`amber basalt cobalt dune ember fjord garnet harbor indigo jasper kelp lagoon
	marble nectar onyx pebble quartz russet sierra topaz umber velvet willow xenon yarrow zephyr`)

// known is an issue the load tool has seen, with the newest version it saw.
type known struct {
	id      string
	version atomic.Int64
}

// tenantState is what the workload knows of one tenant.
type tenantState struct {
	spec   Tenant
	tokens []string // ID tokens of its users
	mu     sync.RWMutex
	issues []*known
	byID   map[string]*known
}

func newTenantState(t Tenant, tokens []string) *tenantState {
	return &tenantState{spec: t, tokens: tokens, byID: map[string]*known{}}
}

func (s *tenantState) add(id string, version int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byID[id]
	if k == nil {
		k = &known{id: id}
		s.byID[id] = k
		s.issues = append(s.issues, k)
	}
	seen(k, version)
}

// seen raises k's version to v (versions only grow).
func seen(k *known, v int64) {
	for {
		cur := k.version.Load()
		if v <= cur || k.version.CompareAndSwap(cur, v) {
			return
		}
	}
}

func (s *tenantState) random(r *rand.Rand) *known {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.issues) == 0 {
		return nil
	}
	return s.issues[r.IntN(len(s.issues))]
}

func (s *tenantState) get(id string) *known {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id]
}

// tag rides in the target URL's fragment, which the HTTP client never sends
// but vegeta hands back in Result.URL: it tells the result's operation and
// tenant, and for a create its idempotency key.
// It is url.Values{"op", "t", "x"}.Encode(), written out: the load tool
// tags and untags every request, and the map and its sort were a few
// percent of its CPU per answer (docs/performance.md, eighth pass).
func tag(op Op, tenant, extra string) string {
	return "#op=" + url.QueryEscape(string(op)) + "&t=" + url.QueryEscape(tenant) + "&x=" + url.QueryEscape(extra)
}

func untag(u string) (op Op, tenant, extra string) {
	_, frag, _ := strings.Cut(u, "#")
	for frag != "" {
		var kv string
		kv, frag, _ = strings.Cut(frag, "&")
		k, v, _ := strings.Cut(kv, "=")
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		switch k {
		case "op":
			op = Op(v)
		case "t":
			tenant = v
		case "x":
			extra = v
		}
	}
	return op, tenant, extra
}

// sharedRand draws from math/rand/v2's global source, which is safe for
// concurrent use (a Rand holds nothing but its source): one for every
// targeter call instead of a new generator per request.
var sharedRand = rand.New(globalSource{})

type globalSource struct{}

func (globalSource) Uint64() uint64 { return rand.Uint64() }

// targeter builds the next request of one tenant's simulated users. It is
// called by vegeta's workers concurrently.
func (w *workload) targeter(ts *tenantState) vegeta.Targeter {
	// One Authorization header per user, built once: vegeta copies a
	// target's headers into its request, and the writes below clone it
	// before adding theirs.
	auth := make([]http.Header, len(ts.tokens))
	for i, tok := range ts.tokens {
		auth[i] = http.Header{"Authorization": {"Bearer " + tok}}
	}
	return func(t *vegeta.Target) error {
		r := sharedRand
		op := w.mix.pick(r)
		k := ts.random(r)
		if k == nil && op != OpList && op != OpSearch {
			op = OpCreate
		}
		t.Header = auth[r.IntN(len(auth))]
		switch op {
		case OpCreate, OpUpdate, OpComment:
			t.Header = t.Header.Clone()
		}
		t.Body = nil
		base := w.base
		switch op {
		case OpRead:
			t.Method, t.URL = "GET", base+"/v1/issues/"+k.id
		case OpList:
			t.Method, t.URL = "GET", base+"/v1/issues?limit=25"
		case OpSearch:
			t.Method, t.URL = "GET", base+"/v1/search?limit=25&q="+words[r.IntN(len(words))]
		case OpCreate:
			key := uuid.NewString()
			t.Method, t.URL = "POST", base+"/v1/issues"
			t.Header.Set("Idempotency-Key", key)
			t.Header.Set("Content-Type", "application/json")
			t.Body = mustJSON(map[string]any{"title": fmt.Sprintf("load %s %d", words[r.IntN(len(words))], r.IntN(1e6)),
				"description": "Created by the load generator.\nSecond line.", "priority": priorities[r.IntN(len(priorities))]})
			t.URL += tag(op, ts.spec.ID, key)
			return nil
		case OpUpdate:
			t.Method, t.URL = "PATCH", base+"/v1/issues/"+k.id
			t.Header.Set("If-Match", `"`+strconv.FormatInt(k.version.Load(), 10)+`"`)
			t.Header.Set("Content-Type", "application/merge-patch+json")
			t.Body = mustJSON(map[string]any{"priority": priorities[r.IntN(len(priorities))],
				"title": fmt.Sprintf("load %s %d (edited)", words[r.IntN(len(words))], r.IntN(1e6))})
		case OpComment:
			key := uuid.NewString()
			t.Method, t.URL = "POST", base+"/v1/issues/"+k.id+"/comments"
			t.Header.Set("Idempotency-Key", key)
			t.Header.Set("Content-Type", "application/json")
			t.Body = mustJSON(map[string]any{"body": "A comment from the load generator: " + words[r.IntN(len(words))]})
			t.URL += tag(op, ts.spec.ID, key)
			return nil
		}
		t.URL += tag(op, ts.spec.ID, "")
		return nil
	}
}

// hopTargeter sends GET /v1/issues/~hop (HopIssue) as one of ts's users.
func (w *workload) hopTargeter(ts *tenantState) vegeta.Targeter {
	auth := make([]http.Header, len(ts.tokens))
	for i, tok := range ts.tokens {
		auth[i] = http.Header{"Authorization": {"Bearer " + tok}}
	}
	u := w.base + "/v1/issues/" + HopIssue + tag(OpRead, ts.spec.ID, "")
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Body = "GET", u, nil
		t.Header = auth[sharedRand.IntN(len(auth))]
		return nil
	}
}

var priorities = []string{"none", "low", "medium", "high", "urgent"}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ParseMix reads "read=40,list=15,..." (nil for the empty string: DefaultMix).
func ParseMix(s string) (Mix, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := Mix{}
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || !slices.Contains(Ops, Op(k)) {
			return nil, fmt.Errorf("mix: %q is not op=weight with op one of %v", part, Ops)
		}
		m[Op(k)] = n
	}
	total := 0
	for _, n := range m {
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("mix: %q weighs nothing", s)
	}
	return m, nil
}
