package notifywire

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

type countingIssues struct{ n atomic.Int32 }

func (c *countingIssues) Get(_ context.Context, _ tenancy.Scope, id string) (issue.Issue, error) {
	c.n.Add(1)
	return issue.Issue{ID: id}, nil
}

// Within a batch, the notification and webhook parts read each issue once;
// outside a batch every read goes through.
func TestABatchReadsEachIssueOnce(t *testing.T) {
	db := &countingIssues{}
	b := batchIssues{db: db}
	sc := tenancy.Scope{Table: "app", TenantID: "acme"}
	ctx := withBatchReads(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		for _, id := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if is, err := b.Get(ctx, sc, id); err != nil || is.ID != id {
					t.Errorf("Get(%s) = %v, %v", id, is, err)
				}
			}()
		}
	}
	wg.Wait()
	if got := db.n.Load(); got != 2 {
		t.Errorf("%d reads in a batch, want one per issue (2)", got)
	}
	if _, err := b.Get(context.Background(), sc, "a"); err != nil || db.n.Load() != 3 {
		t.Errorf("outside a batch: %d reads, err %v; want a read through", db.n.Load(), err)
	}
	other := tenancy.Scope{Table: "app", TenantID: "globex"}
	if _, _ = b.Get(ctx, other, "a"); db.n.Load() != 4 {
		t.Error("another tenant's issue of the same id was served from the batch")
	}
}
