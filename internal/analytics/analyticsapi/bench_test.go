package analyticsapi_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/people/peopledb"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// ddbMeter counts DynamoDB operations and the items and bytes they return.
type ddbMeter struct {
	calls, items, bytes atomic.Int64
	next                aws.HTTPClient
}

// Do counts the bytes of DynamoDB's answers.
func (m *ddbMeter) Do(r *http.Request) (*http.Response, error) {
	res, err := m.next.Do(r)
	if err == nil {
		res.Body = countingBody{res.Body, &m.bytes}
	}
	return res, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (m *ddbMeter) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countOperations",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			m.calls.Add(1)
			out, md, err := next.HandleInitialize(ctx, in)
			switch r := out.Result.(type) {
			case *dynamodb.QueryOutput:
				m.items.Add(int64(r.Count))
			case *dynamodb.GetItemOutput:
				if r.Item != nil {
					m.items.Add(1)
				}
			}
			return out, md, err
		}), middleware.Before)
}

// synthetic is the contribution of n issues created over the last days
// days before now, with lifetimes, transitions and responses drawn from a
// seeded generator: what the consumer would have written for them.
func synthetic(n, days int, now time.Time) analytics.Contribution {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	sum := analytics.Contribution{}
	for k := range n {
		created := now.Add(-time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour))))
		st := analytics.IssueState{IssueID: fmt.Sprint(k), Known: true, Version: 1, CreatedAt: created, Category: issue.Unstarted,
			Priority: issue.Priorities[rng.IntN(5)], ReporterID: fmt.Sprintf("u%d", rng.IntN(20)), History: map[string]analytics.Transition{}}
		switch rng.IntN(3) {
		case 0:
			st.AssigneeID = fmt.Sprintf("u%d", rng.IntN(20))
		case 1:
			st.TeamID = fmt.Sprintf("t%d", rng.IntN(4))
		}
		at := created.Add(time.Duration(math.Exp(rng.Float64()*12)) * time.Second)
		if at.Before(now) {
			st.StartedAt = &at
			st.Category = issue.Started
			st.History["a"] = analytics.Transition{At: at, From: issue.Open, To: issue.InProgress}
			st.Responders = []analytics.Response{{At: at, Actor: fmt.Sprintf("u%d", rng.IntN(20))}}
			done := at.Add(time.Duration(math.Exp(rng.Float64()*13)) * time.Second)
			if done.Before(now) {
				st.ResolvedAt, st.ClosedAt, st.Category = &done, &done, issue.Completed
				st.History["b"] = analytics.Transition{At: done, From: issue.InProgress, To: issue.Closed}
			}
		}
		for cell, fs := range st.Contribute(analytics.Settings{}) {
			if sum[cell] == nil {
				sum[cell] = map[string]int64{}
			}
			for f, v := range fs {
				sum[cell][f] += v
			}
		}
	}
	return sum
}

// BenchmarkDashboard is the 90-day dashboard (issue figures by day, the
// workload by team) at 1,000 and 10,000 issues: its DynamoDB round trips
// and items read must not grow with the issues (ratio <= 1.2), only with
// the days. The rollups are those the consumer writes for a generated
// history, written through the store's own transactions.
func BenchmarkDashboard(b *testing.B) {
	now := time.Now().UTC()
	type figures struct{ calls, items, kb, micros float64 }
	got := map[int]figures{}
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("issues=%d", n), func(b *testing.B) {
			_, names := testenv.Tables(b)
			cfg, e := testenv.AWS(b)
			m := &ddbMeter{next: awshttp.NewBuildableClient()}
			cfg.HTTPClient = m
			cfg.APIOptions = append(cfg.APIOptions, m.option)
			db := awsx.DynamoDB(cfg, e)
			ctx := context.Background()
			sum := synthetic(n, 120, now)
			store := analyticsdb.Store{DB: db}
			cells := sum.Cells()
			for k := 0; k < len(cells); k += analyticsdb.MaxCellsPerTx {
				part := analytics.Contribution{}
				for _, c := range cells[k:min(k+analyticsdb.MaxCellsPerTx, len(cells))] {
					part[c] = sum[c]
				}
				if err := store.Apply(ctx, tenancy.Scope{Table: names.App(), TenantID: "acme"}, analytics.IssueState{IssueID: fmt.Sprint("generated-", k), Rev: 1, Applied: part}, part); err != nil {
					b.Fatal(err)
				}
			}
			// The steady state: the consumer has compacted every day older
			// than analytics.CompactAfter (the first write of each day does).
			scopes := map[string]bool{}
			for _, c := range cells {
				if rest, ok := strings.CutPrefix(c, "D|"); ok {
					scopes[rest[:strings.LastIndexByte(rest, '|')]] = true
				}
			}
			cutoff := now.AddDate(0, 0, -analytics.CompactAfter).Format(analytics.DayLayout)
			compacted := 0
			for scope := range scopes {
				n, err := store.Compact(ctx, tenancy.Scope{Table: names.App(), TenantID: "acme"}, scope, "0000-00-00", cutoff)
				if err != nil {
					b.Fatal(err)
				}
				compacted += n
			}
			b.Logf("%d issues: %d day items of %d scopes compacted", n, compacted, len(scopes))
			if err := (peopledb.UserDB{DB: db}).Put(ctx, tenancy.Scope{Table: names.App(), TenantID: "acme"}, people.User{ID: "ada", TenantID: "acme", Username: "ada", Role: roles.Admin, Status: people.UserActive}); err != nil {
				b.Fatal(err)
			}
			api := apitest.New(b, app.Deps{DB: db, Names: names, Now: time.Now})
			ada := api.As(tenancy.Principal{TenantID: "acme", UserID: "ada", Role: roles.Admin, Tier: tiers.Standard, Table: names.App()})
			from := now.AddDate(0, 0, -89).Format(analytics.DayLayout)
			m.calls.Store(0)
			m.items.Store(0)
			m.bytes.Store(0)
			start := time.Now()
			for b.Loop() {
				if res := ada.Do("GET", "/v1/analytics/issues?from="+from, nil); res.Status != http.StatusOK {
					b.Fatalf("%d %s", res.Status, res.Body)
				}
				if res := ada.Do("GET", "/v1/analytics/workload?group_by=team", nil); res.Status != http.StatusOK {
					b.Fatalf("%d %s", res.Status, res.Body)
				}
			}
			f := figures{float64(m.calls.Load()) / float64(b.N), float64(m.items.Load()) / float64(b.N),
				float64(m.bytes.Load()) / 1024 / float64(b.N), float64(time.Since(start).Microseconds()) / float64(b.N)}
			got[n] = f
			b.ReportMetric(f.calls, "ddb-calls/op")
			b.ReportMetric(f.items, "items-read/op")
			b.ReportMetric(f.kb, "kB-read/op")
			b.ReportMetric(f.micros, "µs/op")
		})
	}
	if small, big := got[1000], got[10000]; small.calls > 0 && big.calls > 0 {
		b.Logf("10,000 vs 1,000 issues: round trips x%.2f, items read x%.2f, bytes read x%.2f, time x%.2f",
			big.calls/small.calls, big.items/small.items, big.kb/small.kb, big.micros/small.micros)
		if big.calls/small.calls > 1.2 || big.items/small.items > 1.2 {
			b.Errorf("the dashboard's cost grows with issues")
		}
	}
}

// BenchmarkStreamToRollupLag measures, locally, the time from an issue
// write's acknowledgement to the analytics consumer's commit of it (the
// stream poller as `make dev` runs it), while issues are filed and closed
// at about 25 writes a second. p99 must stay under 2 s.
func BenchmarkStreamToRollupLag(b *testing.B) {
	w := newWorld(b)
	var mu sync.Mutex
	written := map[string]time.Time{}
	var lags []time.Duration
	live := w.poller.Consumer
	w.poller.Consumer = changes.ConsumerFunc(func(ctx context.Context, batch []changes.Change) error {
		if err := live.Handle(ctx, batch); err != nil {
			return err
		}
		done := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range batch {
			if c.Entity != "issue" {
				continue
			}
			id := c.PK + "#" + attrN(c.New, "version")
			if t, ok := written[id]; ok {
				lags = append(lags, done.Sub(t))
				delete(written, id)
			}
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = w.poller.Run(ctx) }()
	defer cancel()
	for b.Loop() {
		for k := range 150 {
			var i issue.Issue
			res := w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": fmt.Sprintf("lag %d", k)})
			if res.Status != http.StatusCreated {
				b.Fatalf("%d %s", res.Status, res.Body)
			}
			res.JSON(b, &i)
			mu.Lock()
			written["T#acme#ISSUE#"+i.ID+"#1"] = time.Now()
			mu.Unlock()
			time.Sleep(40 * time.Millisecond)
			if k%2 == 0 {
				res = w.api.As(w.bob).Do("POST", "/v1/issues/"+i.ID+"/transitions", map[string]any{"to": "closed"})
				if res.Status != http.StatusOK {
					b.Fatalf("%d %s", res.Status, res.Body)
				}
				mu.Lock()
				written["T#acme#ISSUE#"+i.ID+"#2"] = time.Now()
				mu.Unlock()
				time.Sleep(40 * time.Millisecond)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		left := len(written)
		mu.Unlock()
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(written) > 0 {
		b.Fatalf("%d writes never reached the rollups", len(written))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	p := func(q float64) time.Duration { return lags[int(q*float64(len(lags)-1))] }
	b.ReportMetric(float64(p(0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p(0.99).Milliseconds()), "p99-ms")
	b.ReportMetric(float64(len(lags))/float64(b.N), "writes/op")
	b.Logf("stream-to-rollup lag over %d writes: p50 %s, p99 %s, max %s", len(lags), p(0.5), p(0.99), lags[len(lags)-1])
	if p(0.99) > 2*time.Second {
		b.Errorf("p99 lag %s over 2 s", p(0.99))
	}
}

func attrN(m changes.Item, k string) string {
	if n, ok := m[k].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}
