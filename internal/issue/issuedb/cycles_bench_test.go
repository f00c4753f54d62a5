package issuedb

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// calls counts DynamoDB operations (an SDK API option).
type calls struct{ n atomic.Int64 }

func (c *calls) count(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.n.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// cycleWorld is a tenant holding size issues in one cycle and as many in no
// cycle, seeded with BatchWriteItem (issue items only: a list reads nothing
// else), on a client that counts its calls.
func cycleWorld(t testing.TB, size int) (Store, tenancy.Scope, string, *calls) {
	_, names := testenv.Tables(t)
	cfg, e := testenv.AWS(t)
	c := &calls{}
	cfg.APIOptions = append(cfg.APIOptions, c.count)
	db := awsx.DynamoDB(cfg, e)
	sc := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	cycleID := ulid.Make().String()
	now := time.Now().UTC()
	var reqs [][]types.WriteRequest
	for n := range 2 * size {
		i := issue.Issue{ID: ulid.Make().String(), Number: int64(n + 1), Key: fmt.Sprintf("ACME-%d", n+1), ProjectID: issue.DefaultProjectID,
			TenantID: "acme", Title: "x", Type: issue.Task, Priority: issue.PriorityNone, Status: issue.Open, Category: issue.Unstarted,
			Labels: []string{}, Mentions: []issue.Mention{}, ReporterID: "ada", CreatedAt: now,
			UpdatedAt: now.Add(time.Duration(n) * time.Millisecond), Version: 1}
		if n%2 == 0 {
			i.CycleID = cycleID
		}
		m, err := attributevalue.MarshalMap(toIssueItem(i))
		if err != nil {
			t.Fatal(err)
		}
		if n%25 == 0 {
			reqs = append(reqs, nil)
		}
		reqs[len(reqs)-1] = append(reqs[len(reqs)-1], types.WriteRequest{PutRequest: &types.PutRequest{Item: m}})
	}
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(4)
	for _, batch := range reqs {
		g.Go(func() error {
			in := map[string][]types.WriteRequest{sc.Table: batch}
			for len(in) > 0 {
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: in})
				if err != nil {
					return err
				}
				in = out.UnprocessedItems
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	k, err := list.StaticKey("cycle-bench-cursor-key-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	c.n.Store(0)
	return Store{DB: db, Cursors: list.Codec{Keys: k}}, sc, cycleID, c
}

// pages reads the first n pages of the cycle's issues and returns the
// DynamoDB calls each took and the issues read.
func pages(t testing.TB, s Store, sc tenancy.Scope, cycleID string, c *calls, n int) (perPage []int64, read int) {
	q := issue.ListQuery{Sort: issue.SortUpdated, Desc: true, Filter: issue.Filter{Cycles: []string{cycleID}}, Limit: 50}
	for range n {
		before := c.n.Load()
		items, next, err := s.List(context.Background(), sc, q)
		if err != nil {
			t.Fatal(err)
		}
		perPage = append(perPage, c.n.Load()-before)
		for _, i := range items {
			if i.CycleID != cycleID {
				t.Fatalf("issue %s of cycle %q listed in %s", i.ID, i.CycleID, cycleID)
			}
		}
		read += len(items)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	return perPage, read
}

// TestCycleIssuesAreOneQueryPerPage: every page of a cycle's issues is
// one Query of gsi9, whatever else the tenant holds.
func TestCycleIssuesAreOneQueryPerPage(t *testing.T) {
	s, sc, cycleID, c := cycleWorld(t, 500)
	perPage, read := pages(t, s, sc, cycleID, c, 100)
	if read != 500 {
		t.Fatalf("read %d issues of the cycle, want 500", read)
	}
	for n, k := range perPage {
		if k != 1 {
			t.Fatalf("page %d took %d DynamoDB calls, want 1 (all pages: %v)", n+1, k, perPage)
		}
	}
	if len(perPage) > 11 { // 10 full pages, and an empty one after a page that ended exactly at the limit
		t.Fatalf("%d pages of 50 for 500 issues, want 10 (11)", len(perPage))
	}
}

// BenchmarkCycleIssues reports the DynamoDB calls and time of one page (50)
// of a cycle's issues, walking its first 5 pages, when the cycle holds 500
// and 5,000 issues (the tenant as many again outside it): 1 call per page.
func BenchmarkCycleIssues(b *testing.B) {
	for _, size := range []int{500, 5000} {
		b.Run(fmt.Sprintf("issues=%d", size), func(b *testing.B) {
			s, sc, cycleID, c := cycleWorld(b, size)
			var pagesRead, callsMade int64
			start := time.Now()
			for b.Loop() {
				perPage, _ := pages(b, s, sc, cycleID, c, 5)
				for _, k := range perPage {
					callsMade += k
				}
				pagesRead += int64(len(perPage))
			}
			b.ReportMetric(float64(callsMade)/float64(pagesRead), "ddb-calls/page")
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(pagesRead), "µs/page")
			b.ReportMetric(0, "ns/op")
		})
	}
}
