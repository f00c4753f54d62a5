package issueapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// meter counts DynamoDB operations (an SDK middleware: a retried attempt of
// the same operation is not a second round trip of the design) and two
// wall times: while at least one SDK operation is in flight (sdk: request
// building, signing, the round trip, decoding) and while at least one HTTP
// request to DynamoDB is (http: the database's own time, as the client sees
// it). Overlapping calls of one request count once.
type meter struct {
	next  aws.HTTPClient
	calls atomic.Int64
	sdk   span
	http  span
}

// span sums the wall time during which at least one interval is open.
type span struct {
	mu       sync.Mutex
	inFlight int
	since    time.Time
	total    time.Duration
}

func (s *span) open() {
	s.mu.Lock()
	if s.inFlight == 0 {
		s.since = time.Now()
	}
	s.inFlight++
	s.mu.Unlock()
}

func (s *span) close() {
	s.mu.Lock()
	if s.inFlight--; s.inFlight == 0 {
		s.total += time.Since(s.since)
	}
	s.mu.Unlock()
}

func (s *span) reset() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.total
	s.total = 0
	return t
}

// countOperations is an SDK API option: it counts each operation once and
// times it from the start of its middleware stack.
func (m *meter) countOperations(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countOperations",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			m.calls.Add(1)
			m.sdk.open()
			defer m.sdk.close()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

func (m *meter) Do(r *http.Request) (*http.Response, error) {
	m.http.open()
	defer m.http.close()
	return m.next.Do(r)
}

func (m *meter) reset() {
	m.calls.Store(0)
	m.sdk.reset()
	m.http.reset()
}

// BenchmarkEndpoints reports, per endpoint through the handler (the route
// guard, idempotency and metering middleware, the Lambda adapter, JSON; the
// gateway and authorizer are measured by make gateway-bench): DynamoDB
// round trips per request, the database's time as the client sees it
// (ddb), the SDK's own work around it (sdk: building, signing, decoding),
// the rest of the request (handler), and the request's p50 and p99.
func BenchmarkEndpoints(b *testing.B) {
	_, names := testenv.Tables(b)
	cfg, e := testenv.AWS(b)
	m := &meter{next: awshttp.NewBuildableClient()}
	cfg.HTTPClient = m
	cfg.APIOptions = append(cfg.APIOptions, m.countOperations)
	db := awsx.DynamoDB(cfg, e)
	ctx := context.Background()
	for _, u := range []string{"ann", "bob"} {
		if err := (peopledb.UserDB{DB: db}).Put(ctx, tenancy.Scope{Table: names.App(), TenantID: "acme"}, people.User{ID: u, TenantID: "acme", Username: u, Role: roles.User, Status: people.UserActive}); err != nil {
			b.Fatal(err)
		}
	}
	// Metering is on, as in the deployed functions: it counts in the process
	// and adds no DynamoDB call to a request (its flush is not a request's).
	api := apitest.New(b, app.Deps{DB: db, Names: names, Now: time.Now, Meter: &usage.Meter{Store: usagedb.New(db, names)}})
	ann := api.As(tenancy.Principal{TenantID: "acme", UserID: "ann", Role: roles.User, Tier: tiers.Standard, Table: names.App()})
	must := func(res *apitest.Response, status int) *apitest.Response {
		if res.Status != status {
			b.Fatalf("%d: %s", res.Status, res.Body)
		}
		return res
	}
	seed := must(ann.Do("POST", "/v1/issues", `{"title":"Login fails on Safari","description":"The login page loops","assignee_id":"bob"}`), 201)
	id, key := seed.Map(b)["id"].(string), seed.Map(b)["key"].(string)
	for n := range 40 {
		must(ann.Do("POST", "/v1/issues", fmt.Sprintf(`{"title":"Issue %d about login","priority":"high"}`, n)), 201)
	}
	must(ann.Do("POST", "/v1/issues/"+id+"/comments", `{"body":"seen it"}`), 201)
	version := int64(1)

	run := func(name string, status int, do func(i int) *apitest.Response) {
		b.Run(name, func(b *testing.B) {
			m.reset()
			var took []time.Duration
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				must(do(i), status)
				took = append(took, time.Since(t0))
			}
			elapsed := time.Since(start)
			sdk, db := m.sdk.reset(), m.http.reset()
			n := float64(b.N)
			slices.Sort(took)
			b.ReportMetric(float64(m.calls.Load())/n, "ddb-calls/op")
			b.ReportMetric(float64(db.Microseconds())/n, "ddb-µs/op")
			b.ReportMetric(float64((sdk-db).Microseconds())/n, "sdk-µs/op")
			b.ReportMetric(float64((elapsed-sdk).Microseconds())/n, "handler-µs/op")
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds()), "p99-µs")
		})
	}
	run("createIssue", 201, func(int) *apitest.Response {
		return ann.Do("POST", "/v1/issues", `{"title":"Bench issue","description":"words to index here"}`)
	})
	run("createIssue+assignee", 201, func(int) *apitest.Response {
		return ann.Do("POST", "/v1/issues", `{"title":"Bench issue","assignee_id":"bob"}`)
	})
	run("createIssue+Idempotency-Key", 201, func(i int) *apitest.Response {
		return ann.Do("POST", "/v1/issues", `{"title":"Bench issue"}`, "Idempotency-Key", fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i))
	})
	run("getIssue", 200, func(int) *apitest.Response { return ann.Do("GET", "/v1/issues/"+id, nil) })
	run("getIssue by key", 200, func(int) *apitest.Response { return ann.Do("GET", "/v1/issues/"+key, nil) })
	run("updateIssue+If-Match", 200, func(i int) *apitest.Response {
		res := ann.Do("PATCH", "/v1/issues/"+id, fmt.Sprintf(`{"description":"rev %d"}`, i), "If-Match", ifMatch(version))
		version++
		return res
	})
	run("listIssues", 200, func(int) *apitest.Response { return ann.Do("GET", "/v1/issues?limit=25", nil) })
	run("listIssues filtered", 200, func(int) *apitest.Response {
		return ann.Do("GET", "/v1/issues?limit=25&priority=high&assignee=none", nil)
	})
	run("listIssues by assignee", 200, func(int) *apitest.Response {
		return ann.Do("GET", "/v1/issues?limit=25&assignee=bob", nil)
	})
	run("listIssues by status", 200, func(int) *apitest.Response {
		return ann.Do("GET", "/v1/issues?limit=25&status=in_progress", nil)
	})
	view := must(ann.Do("POST", "/v1/views", `{"name":"Mine","filter":{"assignee":"bob"}}`), 201).Map(b)["id"].(string)
	run("listViewIssues", 200, func(int) *apitest.Response {
		return ann.Do("GET", "/v1/views/"+view+"/issues?limit=25", nil)
	})
	run("searchIssues", 200, func(int) *apitest.Response { return ann.Do("GET", "/v1/search?q=login+safari", nil) })
	run("createComment", 201, func(int) *apitest.Response {
		return ann.Do("POST", "/v1/issues/"+id+"/comments", `{"body":"me too @bob"}`)
	})
	run("createComment+Idempotency-Key", 201, func(i int) *apitest.Response {
		return ann.Do("POST", "/v1/issues/"+id+"/comments", `{"body":"me too @bob"}`, "Idempotency-Key", fmt.Sprintf("bench-c-%d-%d", time.Now().UnixNano(), i))
	})
	run("listComments", 200, func(int) *apitest.Response { return ann.Do("GET", "/v1/issues/"+id+"/comments?limit=25", nil) })
}

// BenchmarkBulkEdit times one bulk edit of 100 issues (each changes: the
// priority alternates), through the handler, against DynamoDB Local.
func BenchmarkBulkEdit(b *testing.B) {
	_, names := testenv.Tables(b)
	cfg, e := testenv.AWS(b)
	m := &meter{next: awshttp.NewBuildableClient()}
	cfg.HTTPClient = m
	cfg.APIOptions = append(cfg.APIOptions, m.countOperations)
	db := awsx.DynamoDB(cfg, e)
	if err := (peopledb.UserDB{DB: db}).Put(context.Background(), tenancy.Scope{Table: names.App(), TenantID: "acme"},
		people.User{ID: "ann", TenantID: "acme", Username: "ann", Role: roles.User, Status: people.UserActive}); err != nil {
		b.Fatal(err)
	}
	api := apitest.New(b, app.Deps{DB: db, Names: names, Now: time.Now})
	ann := api.As(tenancy.Principal{TenantID: "acme", UserID: "ann", Role: roles.User, Tier: tiers.Standard, Table: names.App()})
	ids := make([]string, 100)
	for n := range ids {
		res := ann.Do("POST", "/v1/issues", fmt.Sprintf(`{"title":"Bulk %d"}`, n))
		if res.Status != 201 {
			b.Fatalf("%d %s", res.Status, res.Body)
		}
		ids[n] = res.Map(b)["id"].(string)
	}
	m.reset()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		prio := []string{"high", "low"}[i%2]
		res := ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": ids, "changes": map[string]any{"priority": prio, "assignee_id": "ann"}})
		if res.Status != 200 || res.Map(b)["succeeded"].(float64) != 100 {
			b.Fatalf("%d %s", res.Status, res.Body)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(time.Since(start).Milliseconds())/n, "ms/100-issues")
	b.ReportMetric(float64(m.calls.Load())/n, "ddb-calls/op")
}
