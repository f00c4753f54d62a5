package analyticsapi_test

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// near checks a sketch's percentile against the exact one: within the
// sketch's relative accuracy (and a second of rounding).
func near(t *testing.T, what string, want, got float64) {
	t.Helper()
	assert.LessOrEqual(t, math.Abs(got-want), analytics.Accuracy*want+1, "%s: got %.0f s, exact %.0f s", what, got, want)
}

func checkPercentiles(t *testing.T, what string, vs []float64, got analytics.Percentiles) {
	t.Helper()
	require.Equal(t, int64(len(vs)), got.Count, what+" count")
	near(t, what+" p50", exactQuantile(vs, 0.50), got.P50)
	near(t, what+" p85", exactQuantile(vs, 0.85), got.P85)
	near(t, what+" p95", exactQuantile(vs, 0.95), got.P95)
}

// checkReport compares a report with the figures computed from the model.
func checkReport(t *testing.T, rep analytics.Report, e expected) {
	t.Helper()
	var created, resolved int64
	for _, b := range rep.Buckets {
		var c, r int64
		for d := b.Start; d <= b.End; d = nextDay(d) {
			c += e.created[d]
			r += e.resolved[d]
		}
		assert.Equal(t, c, b.Created, "created %s..%s", b.Start, b.End)
		assert.Equal(t, r, b.Resolved, "resolved %s..%s", b.Start, b.End)
		assert.Equal(t, e.backlogAt(b.End), b.Backlog, "backlog at the end of %s", b.End)
		created += c
		resolved += r
	}
	assert.Equal(t, created, rep.Totals.Created)
	assert.Equal(t, resolved, rep.Totals.Resolved)
	assert.Equal(t, e.backlogAt(prevDay(rep.From)), rep.Totals.BacklogStart, "backlog before the range")
	checkPercentiles(t, "lead time", e.lead, rep.Totals.LeadTime)
	checkPercentiles(t, "cycle time", e.cycle, rep.Totals.CycleTime)
	checkPercentiles(t, "first response time", e.resp, rep.Totals.FirstResponse)
}

func nextDay(d string) string {
	t, _ := time.Parse(analytics.DayLayout, d)
	return t.AddDate(0, 0, 1).Format(analytics.DayLayout)
}

func prevDay(d string) string {
	t, _ := time.Parse(analytics.DayLayout, d)
	return t.AddDate(0, 0, -1).Format(analytics.DayLayout)
}

func TestFiguresMatchTheIssuesInTheTenantsTimeZoneAcrossAMonthEdge(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Kolkata is UTC+5:30: its days start at 18:30 UTC, so a UTC-day
	// rollup would put about a quarter of the events on the wrong day.
	loc, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	start := time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
	w.at(start.Add(-time.Hour))
	var set map[string]any
	w.do(t, w.owen, "PUT", "/v1/analytics/settings", map[string]any{"time_zone": "Asia/Kolkata"}, http.StatusOK).JSON(t, &set)
	assert.Equal(t, "UTC", set["time_zone"], "the change takes effect a minute later")
	assert.Equal(t, "Asia/Kolkata", set["pending"].(map[string]any)["time_zone"])

	m := &model{}
	w.scenario(t, m, 1, 40, start, 12) // Jan 25 .. Feb 5: crosses the month
	w.do(t, w.gus, "POST", "/v1/issues", map[string]any{"title": "globex's own"}, http.StatusCreated)
	w.at(time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC))
	w.drain(t)

	all := func(*mIssue) bool { return true }
	get := func(p string) analytics.Report {
		var rep analytics.Report
		w.do(t, w.ada, "GET", p, nil, http.StatusOK).JSON(t, &rep)
		return rep
	}
	t.Run("by day over the whole period", func(t *testing.T) {
		rep := get("/v1/analytics/issues?from=2026-01-24&to=2026-02-09")
		assert.Equal(t, "Asia/Kolkata", rep.TimeZone)
		require.Len(t, rep.Buckets, 17)
		checkReport(t, rep, m.expect(loc, all, rep.From, rep.To))
	})
	t.Run("by month: January and February split at local midnight", func(t *testing.T) {
		rep := get("/v1/analytics/issues?from=2026-01-20&to=2026-02-28&bucket=month")
		require.Len(t, rep.Buckets, 2)
		assert.Equal(t, "2026-01-31", rep.Buckets[0].End)
		assert.Equal(t, "2026-02-01", rep.Buckets[1].Start)
		checkReport(t, rep, m.expect(loc, all, rep.From, rep.To))
	})
	t.Run("by ISO week, over a range starting mid-period (backlog carried in)", func(t *testing.T) {
		rep := get("/v1/analytics/issues?from=2026-01-29&to=2026-02-08&bucket=week")
		assert.Equal(t, "2026-01-29", rep.Buckets[0].Start)
		assert.Equal(t, "2026-02-01", rep.Buckets[0].End, "a Thursday to the Sunday")
		checkReport(t, rep, m.expect(loc, all, rep.From, rep.To))
	})
	t.Run("per team, assignee and priority", func(t *testing.T) {
		rep := get("/v1/analytics/issues?from=2026-01-24&to=2026-02-09&team=core&bucket=week")
		checkReport(t, rep, m.expect(loc, func(mi *mIssue) bool { return mi.team == "core" }, rep.From, rep.To))
		rep = get("/v1/analytics/issues?from=2026-01-24&to=2026-02-09&assignee=bob")
		checkReport(t, rep, m.expect(loc, func(mi *mIssue) bool { return mi.assignee == "bob" }, rep.From, rep.To))
		rep = get("/v1/analytics/issues?from=2026-01-24&to=2026-02-09&assignee=none")
		checkReport(t, rep, m.expect(loc, func(mi *mIssue) bool { return mi.assignee == "" && mi.team == "" }, rep.From, rep.To))
		rep = get("/v1/analytics/issues?from=2026-01-24&to=2026-02-09&priority=high")
		checkReport(t, rep, m.expect(loc, func(mi *mIssue) bool { return mi.priority == "high" }, rep.From, rep.To))
	})
	t.Run("workload now by assignee, team, priority and category", func(t *testing.T) {
		open := func(in func(*mIssue) bool) (n, started int64) {
			for _, mi := range m.issues {
				if !in(mi) {
					continue
				}
				status := "open"
				if len(mi.moves) > 0 {
					status = string(mi.moves[len(mi.moves)-1].to)
				}
				if status != "closed" {
					n++
				}
				if status == "in_progress" || status == "in_review" {
					started++
				}
			}
			return n, started
		}
		var wl analytics.Workload
		w.do(t, w.ada, "GET", "/v1/analytics/workload?group_by=assignee", nil, http.StatusOK).JSON(t, &wl)
		got := map[string]analytics.WorkloadItem{}
		for _, it := range wl.Items {
			got[it.Key] = it
		}
		for _, u := range []string{"ann", "bob"} {
			n, s := open(func(mi *mIssue) bool { return mi.assignee == u })
			assert.Equal(t, analytics.WorkloadItem{Key: u, Open: n, InProgress: s}, got[u], u)
		}
		n, _ := open(func(mi *mIssue) bool { return mi.assignee == "" })
		assert.Equal(t, n, got["unassigned"].Open)
		tn, ts := open(func(mi *mIssue) bool { return true })
		assert.Equal(t, analytics.WorkloadItem{Key: "all", Open: tn, InProgress: ts}, wl.Total)

		w.do(t, w.ann, "GET", "/v1/analytics/workload?group_by=team", nil, http.StatusOK).JSON(t, &wl)
		cn, cs := open(func(mi *mIssue) bool { return mi.team == "core" })
		assert.Contains(t, wl.Items, analytics.WorkloadItem{Key: "core", Open: cn, InProgress: cs})
		w.do(t, w.ann, "GET", "/v1/analytics/workload?group_by=category", nil, http.StatusOK).JSON(t, &wl)
		assert.Equal(t, []analytics.WorkloadItem{{Key: "unstarted", Open: tn - ts}, {Key: "started", Open: ts, InProgress: ts}}, wl.Items)
		w.do(t, w.ann, "GET", "/v1/analytics/workload?group_by=priority", nil, http.StatusOK).JSON(t, &wl)
		hn, _ := open(func(mi *mIssue) bool { return mi.priority == "high" })
		if hn > 0 {
			assert.Contains(t, wl.Items, analytics.WorkloadItem{Key: "high", Open: hn, InProgress: wl.Items[indexOf(wl.Items, "high")].InProgress})
		}
	})
	t.Run("team velocity per week and a person's performance", func(t *testing.T) {
		var v analytics.Velocity
		w.do(t, w.ann, "GET", "/v1/analytics/teams/core/velocity?from=2026-01-26&to=2026-02-08", nil, http.StatusOK).JSON(t, &v)
		require.Len(t, v.Weeks, 2)
		e := m.expect(loc, func(mi *mIssue) bool { return mi.team == "core" }, v.From, v.To)
		var total int64
		for _, wk := range v.Weeks {
			var r int64
			for d := wk.Start; d <= wk.End; d = nextDay(d) {
				r += e.resolved[d]
			}
			assert.Equal(t, r, wk.Resolved, wk.Start)
			total += r
		}
		assert.InDelta(t, float64(total)/2, v.Average, 0.01)

		var u analytics.UserPerformance
		w.do(t, w.bob, "GET", "/v1/analytics/users/me?from=2026-01-24&to=2026-02-09", nil, http.StatusOK).JSON(t, &u)
		eb := m.expect(loc, func(mi *mIssue) bool { return mi.assignee == "bob" }, u.From, u.To)
		var done int64
		for _, n := range eb.resolved {
			done += n
		}
		assert.Equal(t, done, u.Completed)
		var resp []float64 // first responses bob gave, on anyone's issue
		for _, mi := range m.issues {
			if r, ok := mi.firstResponse(); ok && r.actor == "bob" {
				resp = append(resp, r.at.Sub(mi.created).Seconds())
			}
		}
		checkPercentiles(t, "bob's first responses", resp, u.FirstResponse)
	})
	t.Run("another tenant's issues count nowhere in acme", func(t *testing.T) {
		var rep analytics.Report
		w.do(t, w.gus, "GET", "/v1/analytics/issues?from=2026-02-01&to=2026-02-10", nil, http.StatusOK).JSON(t, &rep)
		assert.Equal(t, int64(1), rep.Totals.Created)
		assert.Equal(t, "UTC", rep.TimeZone)
	})
}

func indexOf(items []analytics.WorkloadItem, key string) int {
	for i, it := range items {
		if it.Key == key {
			return i
		}
	}
	return 0
}

// Redelivered, split and out-of-order stream records give the same rollups
// as one in-order delivery: the recorded stream is replayed shuffled, each
// record twice, into the rollups of a second table, and every figure must
// match.
func TestRedeliveredAndOutOfOrderRecordsDoNotCountTwice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rec := &recorder{}
	live := w.poller.Consumer
	tee := changes.ConsumerFunc(func(ctx context.Context, b []changes.Change) error {
		_ = rec.Handle(ctx, b)
		return live.Handle(ctx, b)
	})
	w.poller.Consumer = tee
	m := &model{}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	w.scenario(t, m, 2, 25, start, 6)
	w.at(time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))
	w.drain(t)
	require.NotEmpty(t, rec.all)

	db2, names2 := testenv.Tables(t)
	replay := analyticsdb.Consumer{Service: &analytics.Service{Store: analyticsdb.Store{DB: db2}}}
	shuffled := append(append([]changes.Change(nil), rec.all...), rec.all...)
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := 0; i < len(shuffled); {
		n := 1 + rng.IntN(7) // batches of random size
		batch := append([]changes.Change(nil), shuffled[i:min(i+n, len(shuffled))]...)
		for k := range batch {
			batch[k].Table = names2.App()
		}
		require.NoError(t, replay.Handle(context.Background(), batch))
		i += n
	}

	svc1 := &analytics.Service{Store: analyticsdb.Store{DB: testenv.DynamoDB(t)}, Now: w.now}
	r := analytics.Range{From: "2026-02-28", To: "2026-03-11", Bucket: analytics.BucketDay}
	for _, scope := range []string{analytics.ScopeAll, analytics.TeamScope("core"), analytics.UserScope("bob"), analytics.PriorityScope("high"), analytics.ScopeUnowned} {
		inOrder, err := svc1.Report(context.Background(), w.acme(), scope, r)
		require.NoError(t, err)
		replayed, err := replay.Service.Report(context.Background(), tenancy.Scope{Table: names2.App(), TenantID: "acme"}, scope, r)
		require.NoError(t, err)
		assert.Equal(t, inOrder, replayed, scope)
	}
	inOrder, err := svc1.Report(context.Background(), w.acme(), analytics.ScopeAll, r)
	require.NoError(t, err)
	checkReport(t, inOrder, m.expect(time.UTC, func(*mIssue) bool { return true }, r.From, r.To))

	t.Run("a deleted issue leaves the figures, whatever the order", func(t *testing.T) {
		victim := m.issues[0]
		w.do(t, w.ada, "DELETE", "/v1/issues/"+victim.id, nil, http.StatusNoContent)
		w.drain(t)
		m.issues = m.issues[1:]
		rep, err := svc1.Report(context.Background(), w.acme(), analytics.ScopeAll, r)
		require.NoError(t, err)
		checkReport(t, rep, m.expect(time.UTC, func(*mIssue) bool { return true }, r.From, r.To))
		// The issue's older records arriving after its removal change nothing.
		var late []changes.Change
		for _, c := range rec.all {
			if c.PK == "T#acme#ISSUE#"+victim.id {
				late = append(late, c)
			}
		}
		require.NotEmpty(t, late)
		require.NoError(t, w.poller.Consumer.Handle(context.Background(), late))
		again, err := svc1.Report(context.Background(), w.acme(), analytics.ScopeAll, r)
		require.NoError(t, err)
		assert.Equal(t, rep, again)
	})
}

func TestBadInputIsRefusedWithAProblem(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range []struct {
		name, path string
		who        string
		status     int
		code       string
	}{
		{"a range over 366 days", "/v1/analytics/issues?from=2025-01-01&to=2026-01-02", "ada", 400, "range_too_long"},
		{"an end before the start", "/v1/analytics/issues?from=2026-02-01&to=2026-01-01", "ada", 400, "range_inverted"},
		{"a malformed date", "/v1/analytics/issues?from=yesterday", "ada", 400, "validation_failed"},
		{"an unknown bucket", "/v1/analytics/issues?bucket=hour", "ada", 400, "validation_failed"},
		{"two filters at once", "/v1/analytics/issues?team=core&priority=high", "ada", 400, "one_filter"},
		{"an unknown group_by", "/v1/analytics/workload?group_by=label", "ada", 400, "validation_failed"},
		{"no group_by", "/v1/analytics/workload", "ada", 400, "validation_failed"},
		// A filter naming nothing is a 400 naming the parameter (the route
		// exists); a path id naming nothing is a 404.
		{"another tenant's team", "/v1/analytics/issues?team=ops", "ada", 400, "invalid_parameter"},
		{"a team that does not exist", "/v1/analytics/issues?team=nope", "ada", 400, "invalid_parameter"},
		{"another tenant's team's velocity", "/v1/analytics/teams/ops/velocity", "ada", 404, "team_not_found"},
		{"another tenant's user", "/v1/analytics/users/gus", "ada", 404, "user_not_found"},
		{"another tenant's user as an assignee filter", "/v1/analytics/issues?assignee=gus", "ada", 400, "invalid_parameter"},
		{"a user asking for someone else's figures", "/v1/analytics/users/bob", "ann", 403, "figures_of_others"},
		{"a user asking for workload by assignee", "/v1/analytics/workload?group_by=assignee", "ann", 403, "figures_of_others"},
		{"a user filtering by someone else", "/v1/analytics/issues?assignee=bob", "ann", 403, "figures_of_others"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := map[string]tenancy.Principal{"ada": w.ada, "ann": w.ann}[c.who]
			res := w.api.As(p).Do("GET", c.path, nil)
			require.Equal(t, c.status, res.Status, string(res.Body))
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			assert.Equal(t, c.code, res.Map(t)["code"], string(res.Body))
			if c.status == http.StatusBadRequest {
				errs, _ := res.Map(t)["errors"].([]any)
				require.NotEmpty(t, errs, "a 400 names the parameter: %s", res.Body)
				u, _ := url.Parse(c.path)
				if f := errs[0].(map[string]any)["field"].(string); u.RawQuery != "" {
					assert.True(t, u.Query().Has(f), "%s names %s, not a parameter it sent", c.path, f)
				}
			}
		})
	}
	t.Run("a bad time zone, or a User changing it", func(t *testing.T) {
		res := w.api.As(w.owen).Do("PUT", "/v1/analytics/settings", map[string]any{"time_zone": "Mars/Olympus"})
		require.Equal(t, 400, res.Status, string(res.Body))
		assert.Equal(t, "time_zone", res.Map(t)["errors"].([]any)[0].(map[string]any)["field"])
		res = w.api.As(w.ann).Do("PUT", "/v1/analytics/settings", map[string]any{"time_zone": "UTC"})
		require.Equal(t, 403, res.Status)
		var s map[string]any
		w.do(t, w.ann, "GET", "/v1/analytics/settings", nil, http.StatusOK).JSON(t, &s)
		assert.Equal(t, "UTC", s["time_zone"])
		assert.Empty(t, s["history"], "nothing was written")
	})
}

// The backfill rebuilds the rollups from the items alone (no stream), in
// pages, resumably; running it again, or letting the stream deliver the
// same changes afterwards, counts nothing twice.
func TestBackfillRebuildsFromTheItemsAndAgreesWithTheStream(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := &model{}
	w.scenario(t, m, 9, 30, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), 8)
	w.at(time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC))
	db := testenv.DynamoDB(t)
	r := analytics.Range{From: "2026-03-31", To: "2026-04-19", Bucket: analytics.BucketWeek}
	want := m.expect(time.UTC, func(*mIssue) bool { return true }, r.From, r.To)
	svc := &analytics.Service{Store: analyticsdb.Store{DB: db}, Now: w.now}
	report := func() analytics.Report {
		rep, err := svc.Report(context.Background(), w.acme(), analytics.ScopeAll, r)
		require.NoError(t, err)
		return rep
	}

	pages := 0
	rb := analyticsdb.Rebuild{DB: db, Service: svc, PageSize: 7, Progress: func(int) { pages++ }}
	n, err := rb.Run(context.Background(), w.acme(), false)
	require.NoError(t, err)
	assert.Equal(t, 30, n)
	assert.Equal(t, 5, pages, "30 issues in pages of 7")
	checkReport(t, report(), want)

	t.Run("a resumed backfill continues after its last page", func(t *testing.T) {
		n, err := rb.Run(context.Background(), w.acme(), true)
		require.NoError(t, err)
		assert.Zero(t, n, "the last run finished")
	})
	t.Run("a second backfill and the stream's own delivery change nothing", func(t *testing.T) {
		_, err := rb.Run(context.Background(), w.acme(), false)
		require.NoError(t, err)
		w.drain(t)
		checkReport(t, report(), want)
	})
	t.Run("a backfill restores an issue whose records were lost (a batch sent to the failure queue)", func(t *testing.T) {
		store := analyticsdb.Store{DB: db}
		st, err := store.State(context.Background(), w.acme(), m.issues[0].id)
		require.NoError(t, err)
		// Take the issue's contribution out of the rollups and forget its state.
		lost := analytics.Delta(st.Applied, analytics.Contribution{})
		require.NoError(t, store.Apply(context.Background(), w.acme(), analytics.IssueState{IssueID: "lost", Rev: 1}, lost))
		require.NoError(t, store.Apply(context.Background(), w.acme(), analytics.IssueState{IssueID: st.IssueID, Rev: st.Rev + 1}, nil))
		assert.Equal(t, int64(29), report().Totals.Created)

		_, err = rb.Run(context.Background(), w.acme(), false)
		require.NoError(t, err)
		checkReport(t, report(), want)
	})
}
