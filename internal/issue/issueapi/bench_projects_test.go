package issueapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// BenchmarkProjectAndParentLists reports the round trips and time of the
// first page (50) of a project's issues and of a parent's sub-issues when
// the project or the parent holds 500 and 5,000 issues (the tenant holds as
// many again in its default project): one Query whatever the size.
func BenchmarkProjectAndParentLists(b *testing.B) {
	for _, size := range []int{500, 5000} {
		b.Run(fmt.Sprintf("issues=%d", size), func(b *testing.B) { benchLists(b, size) })
	}
}

func benchLists(b *testing.B, size int) {
	_, names := testenv.Tables(b)
	cfg, e := testenv.AWS(b)
	m := &meter{next: awshttp.NewBuildableClient()}
	cfg.HTTPClient = m
	cfg.APIOptions = append(cfg.APIOptions, m.countOperations)
	db := awsx.DynamoDB(cfg, e)
	api := apitest.New(b, app.Deps{DB: db, Names: names, Now: time.Now})
	admin := tenancy.Principal{TenantID: "acme", UserID: "ada", Role: roles.Admin, Tier: tiers.Premium, Table: names.App()}
	res := api.As(admin).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Website"})
	if res.Status != 201 {
		b.Fatalf("%d %s", res.Status, res.Body)
	}
	web := res.Map(b)["id"].(string)
	res = api.As(admin).Do("POST", "/v1/issues", map[string]any{"title": "Epic"})
	if res.Status != 201 {
		b.Fatalf("%d %s", res.Status, res.Body)
	}
	parent := res.Map(b)["id"].(string)

	// Seeded straight through the store (one transaction per issue, in
	// parallel): size issues in WEB, size sub-issues of the epic in the
	// default project.
	st := &issuedb.Store{DB: db}
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(4) // DynamoDB Local times out transactions waiting for its lock beyond a few
	now := time.Now().UTC()
	for n := range 2 * size {
		g.Go(func() error {
			i := issue.Issue{ID: ulid.Make().String(), Number: int64(n + 1000), TenantID: "acme", Title: "x", // no indexed word: no shared posting partition
				Type: issue.Task, Priority: issue.PriorityNone, Status: issue.Open, Category: issue.Unstarted, Labels: []string{},
				Mentions: []issue.Mention{}, ReporterID: "ada", CreatedAt: now, UpdatedAt: now.Add(time.Duration(n) * time.Millisecond), Version: 1}
			if n < size {
				i.ProjectID, i.Key = web, fmt.Sprintf("WEB-%d", i.Number)
			} else {
				i.ProjectID, i.ParentID, i.Key = issue.DefaultProjectID, parent, fmt.Sprintf("ACME-%d", i.Number)
			}
			return st.Create(ctx, admin.Scope(), i, issue.StatusChange{ID: ulid.Make().String(), IssueID: i.ID, To: i.Status,
				Category: i.Category, ActorID: "ada", At: now}, issue.Activity{ID: ulid.Make().String(), IssueID: i.ID, ActorID: "ada", At: now, Action: "created"})
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, target string }{
		{"project by id", "/v1/issues?limit=50&project=" + web},
		{"project by key", "/v1/issues?limit=50&project=WEB"},
		{"sub-issues", "/v1/issues?limit=50&parent=" + parent},
		{"parent with progress", "/v1/issues/" + parent},
	} {
		b.Run(c.name, func(b *testing.B) {
			m.reset()
			start := time.Now()
			for b.Loop() {
				if res := api.As(admin).Do("GET", c.target, nil); res.Status != 200 {
					b.Fatalf("%d %s", res.Status, res.Body)
				}
			}
			elapsed := time.Since(start)
			sdk, db := m.sdk.reset(), m.http.reset()
			n := float64(b.N)
			b.ReportMetric(float64(m.calls.Load())/n, "ddb-calls/op")
			b.ReportMetric(float64(db.Microseconds())/n, "ddb-µs/op")
			b.ReportMetric(float64((sdk-db).Microseconds())/n, "sdk-µs/op")
			b.ReportMetric(float64((elapsed-sdk).Microseconds())/n, "handler-µs/op")
		})
	}
}
