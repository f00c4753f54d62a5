package imports_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// An import writes its rows' side items (history, label uses, search
// postings) in batches, then the issues several to a transaction (each
// with its key and activity), one label check serving them all; a refused
// call falls back to one write per issue so each row gets its own answer.
func TestCreateManyPacksIssuesIntoFewTransactions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	cfg, e := testenv.AWS(t)
	var txs atomic.Int64
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countTx",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if middleware.GetOperationName(ctx) == "TransactWriteItems" {
					txs.Add(1)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	is := *f.issues
	is.Store = &issuedb.Store{DB: awsx.DynamoDB(cfg, e)}
	first, err := is.ReserveNumbers(ctx, f.ada, "default", 31)
	require.NoError(t, err)
	taken, err := f.issues.Create(ctx, f.ada, issue.CreateIssue{Title: "Already here", ImportID: "01JAAAAAAAAAAAAAAAAAAAAAAA", ImportNumber: first + 30})
	require.NoError(t, err)

	var ins []issue.CreateIssue
	for n := range 30 {
		ins = append(ins, issue.CreateIssue{Title: fmt.Sprintf("Packed zebra %d", n), Labels: []string{"Backend", "Needs UX"},
			ImportID: fmt.Sprintf("01JBBBBBBBBBBBBBBBBBBBBB%02d", n), ImportNumber: first + int64(n), ImportStatus: issue.InProgress})
	}
	out, outcomes := is.CreateMany(ctx, f.ada, ins)
	for n, err := range outcomes {
		require.NoError(t, err, "row %d", n)
		assert.Equal(t, ins[n].ImportID, out[n].ID)
	}
	assert.Less(t, txs.Load(), int64(10), "30 issues in a few transactions, not 30")
	page, err := is.List(ctx, f.ada, issue.ListQuery{Sort: issue.SortUpdated, Filter: issue.Filter{Labels: []string{out[0].Labels[0]}}, Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Items, 30, "their label uses were written")
	hits, err := is.Search(ctx, f.ada, issue.SearchQuery{Text: "zebra", Limit: 100})
	require.NoError(t, err)
	assert.Len(t, hits.Items, 30, "and their search postings")
	got, err := is.Load(ctx, f.ada, out[7].Key)
	require.NoError(t, err)
	assert.Equal(t, issue.InProgress, got.Status)

	// A call holding an issue that exists is refused whole, then each row
	// is written alone: that one is issue_exists, the others are created.
	txs.Store(0)
	again := []issue.CreateIssue{
		{Title: "New one", ImportID: "01JCCCCCCCCCCCCCCCCCCCCC01", ImportNumber: first + 31},
		{Title: "Already here", ImportID: taken.ID, ImportNumber: first + 30},
		{Title: "Another", ImportID: "01JCCCCCCCCCCCCCCCCCCCCC02", ImportNumber: first + 32},
	}
	_, outcomes = is.CreateMany(ctx, f.ada, again)
	assert.NoError(t, outcomes[0])
	assert.Equal(t, "issue_exists", errs.As(outcomes[1]).Code)
	assert.NoError(t, outcomes[2])
	assert.Equal(t, int64(4), txs.Load(), "one refused call, then one per row")
}
