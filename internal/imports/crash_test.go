package imports_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

var errCrash = errors.New("crash: the process died before the issues were written")

// crashingImports is f's import service over a DynamoDB client that fails
// every TransactWriteItems call while *armed: an import's slice then writes
// its side items (BatchWriteItem) and dies before any of its issues. It
// counts the items the BatchWriteItem calls put.
func crashingImports(t *testing.T, f fixture, armed *atomic.Bool, sidePuts *atomic.Int64) *imports.Service {
	t.Helper()
	cfg, e := testenv.AWS(t)
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("crash",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				switch middleware.GetOperationName(ctx) {
				case "TransactWriteItems":
					if armed.Load() {
						return middleware.InitializeOutput{}, middleware.Metadata{}, errCrash
					}
				case "BatchWriteItem":
					if bw, ok := in.Parameters.(*dynamodb.BatchWriteItemInput); ok && armed.Load() {
						for _, reqs := range bw.RequestItems {
							for _, r := range reqs {
								if r.PutRequest != nil {
									sidePuts.Add(1)
								}
							}
						}
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	is := *f.issues
	is.Store = &issuedb.Store{DB: awsx.DynamoDB(cfg, e)}
	svc := *f.svc
	svc.Issues = &is
	return &svc
}

// An import writes a slice's side items (history, label uses, search
// postings) before its issues. A crash between the two shows no reader
// anything of the slice; the resumed run writes every row exactly once,
// and the numbers reserved (and recorded on the job) before the crash are
// the ones used: the project's numbering has no gap and no duplicate.
func TestACrashBetweenSideItemsAndIssuesShowsNothingAndResumes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	var armed atomic.Bool
	var sidePuts atomic.Int64
	svc := crashingImports(t, f, &armed, &sidePuts)
	imports.SetBatch(svc, 20)
	imports.SetBeforeCommit(svc, func(done int) error {
		armed.Store(done == 20) // the second slice crashes
		return nil
	})
	csv, valid := jiraCSV(60)
	job := f.upload(t, f.ada, csv, 7000)

	_, err := svc.Run(ctx, f.ada, job.ID)
	require.ErrorIs(t, err, errCrash)
	require.Positive(t, sidePuts.Load(), "the crashed slice wrote its side items")
	j, err := f.svc.Get(ctx, f.ada, job.ID)
	require.NoError(t, err)
	require.Equal(t, 20, j.RowsDone)
	require.Equal(t, 20, j.Numbering.At, "the crashed slice's numbers are on the job")
	require.Len(t, j.Numbering.Rows, 16)
	require.Len(t, j.Numbering.Numbers, 16)

	// What each reader shows: the first slice's 16 issues, nothing of the second.
	n, titles := countIssues(t, f.issues, f.ada)
	assert.Equal(t, 16, n)
	assert.Zero(t, titles["Issue 21"])
	hits, err := f.issues.Search(ctx, f.ada, issue.SearchQuery{Text: "issue", Limit: 100})
	require.NoError(t, err)
	assert.Len(t, hits.Items, 16, "search finds the issues made, not the postings of the crashed slice")
	hits, err = f.issues.Search(ctx, f.ada, issue.SearchQuery{Text: "comma", Limit: 100})
	require.NoError(t, err)
	for _, h := range hits.Items {
		assert.Less(t, h.Issue.Number, j.Numbering.Numbers[0])
	}
	crashed := imports.IssueID(j, 21)
	for _, err := range []error{
		func() error { _, err := f.issues.Load(ctx, f.ada, crashed); return err }(),
		func() error {
			_, err := f.issues.Load(ctx, f.ada, fmt.Sprintf("ACME-%d", j.Numbering.Numbers[0]))
			return err
		}(),
		func() error { _, err := f.issues.History(ctx, f.ada, crashed, list.Request{Limit: 10}); return err }(),
		func() error { _, err := f.issues.Activity(ctx, f.ada, crashed, list.Request{Limit: 10}); return err }(),
	} {
		assert.Equal(t, "issue_not_found", errs.As(err).Code)
	}

	// The resumed run (a new process: nothing armed) finishes the job.
	armed.Store(false)
	imports.SetBeforeCommit(svc, nil)
	j, err = svc.Run(ctx, f.ada, job.ID)
	require.NoError(t, err)
	assert.Equal(t, imports.Done, j.State)
	assert.Equal(t, valid, j.Created, "every good row made once (none existed: the crash made no issue)")
	assert.Equal(t, 60-valid, j.Failed)

	n, titles = countIssues(t, f.issues, f.ada)
	assert.Equal(t, valid, n)
	for title, c := range titles {
		assert.Equal(t, 1, c, title)
	}
	var numbers []int64
	cursor := ""
	for {
		pg, err := f.issues.List(ctx, f.ada, issue.ListQuery{Sort: issue.SortCreated, Limit: 100, Cursor: cursor})
		require.NoError(t, err)
		for _, i := range pg.Items {
			numbers = append(numbers, i.Number)
			byKey, err := f.issues.Load(ctx, f.ada, i.Key)
			require.NoError(t, err)
			assert.Equal(t, i.ID, byKey.ID, "%s resolves to its issue", i.Key)
			hist, err := f.issues.History(ctx, f.ada, i.ID, list.Request{Limit: 10})
			require.NoError(t, err)
			assert.Len(t, hist.Items, 1, "%s: one first status entry", i.Key)
			act, err := f.issues.Activity(ctx, f.ada, i.ID, list.Request{Limit: 10})
			require.NoError(t, err)
			require.Len(t, act.Items, 1, "%s: one created entry (issue.created fires once)", i.Key)
			assert.Equal(t, "created", act.Items[0].Action)
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	slices.Sort(numbers)
	want := make([]int64, valid)
	for k := range want {
		want[k] = int64(k + 1)
	}
	assert.Equal(t, want, numbers, "numbered 1..%d: no gap, no duplicate", valid)
	for k, r := range j.Numbering.Rows { // the last slice's rows got the numbers recorded for them
		i, err := f.issues.Load(ctx, f.ada, imports.IssueID(j, r))
		require.NoError(t, err)
		assert.Equal(t, j.Numbering.Numbers[k], i.Number)
	}
	hits, err = f.issues.Search(ctx, f.ada, issue.SearchQuery{Text: "issue", Limit: 100})
	require.NoError(t, err)
	assert.Len(t, hits.Items, valid)
}

// An import that crashed and is never resumed leaves side items no reader
// shows: search does not find its rows and its label uses do not keep a
// label from being deleted.
func TestAnAbandonedImportLeavesNothingVisible(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	name := "Abandoned"
	l, err := f.issues.CreateLabel(ctx, f.ada, issue.LabelInput{Name: &name})
	require.NoError(t, err)
	var armed atomic.Bool
	var sidePuts atomic.Int64
	armed.Store(true)
	svc := crashingImports(t, f, &armed, &sidePuts)
	job := f.uploadTo(t, "", "Summary,Labels\nWombat one,Abandoned\nWombat two,Abandoned\n")
	_, err = svc.Run(ctx, f.ada, job.ID)
	require.ErrorIs(t, err, errCrash)
	require.Positive(t, sidePuts.Load())

	hits, err := f.issues.Search(ctx, f.ada, issue.SearchQuery{Text: "wombat", Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, hits.Items)
	n, _ := countIssues(t, f.issues, f.ada)
	assert.Zero(t, n)
	require.NoError(t, f.issues.DeleteLabel(ctx, f.ada, l.ID), "a use whose issue was never made does not count")
}
