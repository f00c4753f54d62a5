package analyticsapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/people/peopledb"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/require"
)

// world is two tenants on fresh tables, the API with a settable clock, and
// the analytics consumer fed by the local stream poller: acme (ann and bob:
// users, ada: admin, owen: super admin, team "core") and globex (gus).
// Each test has its own world (tables, poller, checkpoints, clock), so the
// tests run in parallel (t.Parallel): most of each one's time is waiting on
// DynamoDB Local's streams.
type world struct {
	api                 *apitest.API
	ann, bob, ada, owen tenancy.Principal
	gus                 tenancy.Principal
	names               schema.Names
	poller              *streampoller.Poller
	mu                  sync.Mutex
	clock               time.Time
}

// acme is the scope of the world's main tenant.
func (w *world) acme() tenancy.Scope { return tenancy.Scope{Table: w.names.App(), TenantID: "acme"} }

func newWorld(t testing.TB) *world {
	t.Helper()
	db, names := testenv.StreamTables(t)
	cfg, e := testenv.AWS(t)
	ctx := context.Background()
	p := func(tenant, id string, r roles.Role) tenancy.Principal {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tenant}, people.User{ID: id, TenantID: tenant,
			Username: id, Email: id + "@" + tenant + ".test", Role: r, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tenant, UserID: id, Username: id, Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	w := &world{names: names, clock: time.Now().UTC()}
	w.api = apitest.New(t, app.Deps{DB: db, Names: names, Now: w.now})
	w.ann, w.bob, w.ada, w.owen = p("acme", "ann", roles.User), p("acme", "bob", roles.User), p("acme", "ada", roles.Admin), p("acme", "owen", roles.SuperAdmin)
	w.gus = p("globex", "gus", roles.User)
	teams := peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}
	for _, tm := range []people.Team{{ID: "core", TenantID: "acme", Name: "Core"}, {ID: "ops", TenantID: "globex", Name: "Ops"}} {
		_, err := teams.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tm.TenantID}, tm)
		require.NoError(t, err)
	}
	w.poller = &streampoller.Poller{Name: analyticsdb.ConsumerName, DB: db, Streams: awsconfig.Streams(cfg, e),
		Consumer:    analyticsdb.Consumer{Service: &analytics.Service{Store: analyticsdb.Store{DB: db}}},
		Filter:      analyticsdb.Filter,
		Tables:      func(context.Context) ([]string, error) { return []string{names.App()}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()}}
	return w
}

func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.clock
}

func (w *world) at(t time.Time) {
	w.mu.Lock()
	w.clock = t
	w.mu.Unlock()
}

// drain waits until the consumer has applied every change so far.
func (w *world) drain(t testing.TB) {
	t.Helper()
	require.NoError(t, w.poller.Drain(context.Background()))
}

func (w *world) do(t testing.TB, p tenancy.Principal, method, path string, body any, want int) *apitest.Response {
	t.Helper()
	res := w.api.As(p).Do(method, path, body)
	require.Equal(t, want, res.Status, "%s %s: %s", method, path, res.Body)
	return res
}

// model is what the test did, kept independently of the code under test:
// the expected figures are computed from it alone.
type model struct {
	issues []*mIssue
}

type mIssue struct {
	id        string
	reporter  string
	assignee  string
	team      string
	priority  issue.Priority
	created   time.Time
	moves     []mMove // status transitions in time order
	responses []mMove // comments (status "") and transitions, with their actor
}

type mMove struct {
	at    time.Time
	to    issue.Status
	actor string
}

// scenario creates n issues over days starting at start, each with a
// seeded random life: assignment, priority, progress, closes, reopens and
// comments by the reporter and by others; it records them in the model.
func (w *world) scenario(t testing.TB, m *model, seed uint64, n int, start time.Time, days int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	people := map[string]tenancy.Principal{"ann": w.ann, "bob": w.bob, "ada": w.ada}
	names := []string{"ann", "bob", "ada"}
	for k := range n {
		mi := &mIssue{reporter: names[rng.IntN(2)], priority: issue.Priorities[rng.IntN(len(issue.Priorities))]}
		mi.created = start.Add(time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour))))
		body := map[string]any{"title": fmt.Sprintf("issue %d", k), "priority": mi.priority}
		switch rng.IntN(4) {
		case 0:
			mi.assignee = "bob"
		case 1:
			mi.assignee = "ann"
		case 2:
			mi.team = "core"
		}
		if mi.assignee != "" {
			body["assignee_id"] = mi.assignee
		}
		if mi.team != "" {
			body["team_id"] = mi.team
		}
		w.at(mi.created)
		var created issue.Issue
		w.do(t, people[mi.reporter], "POST", "/v1/issues", body, http.StatusCreated).JSON(t, &created)
		mi.id = created.ID
		at := mi.created
		status := issue.Open
		steps := rng.IntN(5)
		for range steps {
			at = at.Add(time.Duration(rng.Int64N(int64(40 * time.Hour))))
			actor := names[rng.IntN(3)]
			if rng.IntN(3) == 0 {
				w.at(at)
				w.do(t, people[actor], "POST", "/v1/issues/"+mi.id+"/comments", map[string]any{"body": "a thought"}, http.StatusCreated)
				mi.responses = append(mi.responses, mMove{at: at, actor: actor})
				continue
			}
			next := issue.Next(status)
			to := next[rng.IntN(len(next))]
			w.at(at)
			w.do(t, people[actor], "POST", "/v1/issues/"+mi.id+"/transitions", map[string]any{"to": to}, http.StatusOK)
			status = to
			mi.moves = append(mi.moves, mMove{at: at, to: to, actor: actor})
			mi.responses = append(mi.responses, mMove{at: at, actor: actor})
		}
		m.issues = append(m.issues, mi)
	}
}

// expected figures of one scope, computed from the model in zone loc.
type expected struct {
	created, resolved map[string]int64 // by day
	backlogAt         func(day string) int64
	lead, cycle, resp []float64 // seconds, of issues resolved (responded) in the range
}

func (m *model) expect(loc *time.Location, in func(*mIssue) bool, from, to string) expected {
	day := func(t time.Time) string { return t.In(loc).Format(analytics.DayLayout) }
	e := expected{created: map[string]int64{}, resolved: map[string]int64{}}
	var mine []*mIssue
	for _, mi := range m.issues {
		if in(mi) {
			mine = append(mine, mi)
		}
	}
	for _, mi := range mine {
		e.created[day(mi.created)]++
		if last, ok := mi.lastClose(); ok {
			if d := day(last); d >= from && d <= to {
				e.lead = append(e.lead, last.Sub(mi.created).Seconds())
				if s, ok := mi.firstStart(); ok {
					e.cycle = append(e.cycle, last.Sub(s).Seconds())
				}
			}
			e.resolved[day(last)]++
		}
		if r, ok := mi.firstResponse(); ok {
			if d := day(r.at); d >= from && d <= to {
				e.resp = append(e.resp, r.at.Sub(mi.created).Seconds())
			}
		}
	}
	e.backlogAt = func(d string) int64 {
		var n int64
		for _, mi := range mine {
			if day(mi.created) > d {
				continue
			}
			status := issue.Open
			for _, mv := range mi.moves {
				if day(mv.at) <= d {
					status = mv.to
				}
			}
			if status != issue.Closed {
				n++
			}
		}
		return n
	}
	return e
}

// lastClose is when the issue was closed if it is closed now.
func (mi *mIssue) lastClose() (time.Time, bool) {
	if len(mi.moves) == 0 || mi.moves[len(mi.moves)-1].to != issue.Closed {
		return time.Time{}, false
	}
	return mi.moves[len(mi.moves)-1].at, true
}

func (mi *mIssue) firstStart() (time.Time, bool) {
	for _, mv := range mi.moves {
		if mv.to == issue.InProgress || mv.to == issue.InReview {
			return mv.at, true
		}
	}
	return time.Time{}, false
}

func (mi *mIssue) firstResponse() (mMove, bool) {
	for _, r := range mi.responses { // in time order
		if r.actor != mi.reporter {
			return r, true
		}
	}
	return mMove{}, false
}

// exactQuantile is the value of rank floor(q*(n-1)) (DDSketch's rule).
func exactQuantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}

// recorder is a consumer that keeps every change it is given.
type recorder struct {
	mu  sync.Mutex
	all []changes.Change
}

func (r *recorder) Handle(_ context.Context, b []changes.Change) error {
	r.mu.Lock()
	r.all = append(r.all, b...)
	r.mu.Unlock()
	return nil
}
