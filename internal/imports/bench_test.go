package imports_test

import (
	"context"
	"sync"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"os"
	"strconv"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/imports/importsdb"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// BenchmarkImport10k imports a 10,000-row Jira export (a fifth of them bad rows)
// in one job through the service against DynamoDB Local, calling Run
// until done as a client would, and logs the progress of each call.
// ITR_IMPORT_ROWS sets another row count (a quick profile).
func BenchmarkImport10k(b *testing.B) {
	rows := 10000
	if n, err := strconv.Atoi(os.Getenv("ITR_IMPORT_ROWS")); err == nil && n > 0 {
		rows = n
	}
	for b.Loop() {
		f := setup(b)
		f.svc.Budget = 20 * time.Second
		if n, err := strconv.Atoi(os.Getenv("ITR_IMPORT_PARALLEL")); err == nil && n > 0 {
			imports.SetParallel(f.svc, n)
		}
		// Every DynamoDB call of the service is counted (round trips per row).
		cfg, e := testenv.AWS(b)
		var calls, items atomic.Int64 // items: actions of the transactions
		var mu sync.Mutex
		spent := map[string]time.Duration{} // per operation, summed over parallel calls
		cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					calls.Add(1)
					if tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
						items.Add(int64(len(tw.TransactItems)))
					}
					t0 := time.Now()
					defer func() {
						mu.Lock()
						spent[awsmiddleware.GetOperationName(ctx)] += time.Since(t0)
						mu.Unlock()
					}()
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
		db := awsx.DynamoDB(cfg, e)
		is := *f.issues
		is.Store = &issuedb.Store{DB: db}
		if n, err := strconv.Atoi(os.Getenv("ITR_IMPORT_SIDE_PARALLEL")); err == nil && n > 0 {
			is.Store = &issuedb.Store{DB: db, SideParallel: n}
		}
		f.svc.Issues, f.svc.Store = &is, &importsdb.Store{DB: db}
		csv, valid := jiraCSV(rows)
		job := f.upload(b, f.ada, csv, 48<<10)
		start := time.Now()
		for {
			j, err := f.svc.Run(context.Background(), f.ada, job.ID)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%v: %d/%d rows, %d created, %d failed", time.Since(start).Round(time.Second), j.RowsDone, j.Rows, j.Created, j.Failed)
			if os.Getenv("ITR_ONE_RUN") != "" {
				b.Logf("rows/s %.1f", float64(j.RowsDone)/time.Since(start).Seconds())
				return
			}
			if j.State == "done" {
				if j.Created != valid {
					b.Fatalf("created %d, want %d", j.Created, valid)
				}
				break
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/10k-rows")
		b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
		b.ReportMetric(float64(calls.Load())/float64(rows), "calls/row")
		b.ReportMetric(float64(items.Load())/float64(valid), "tx-items/created-row")
		b.ReportMetric(spent["TransactWriteItems"].Seconds(), "tx-s")
		b.Logf("time per DynamoDB operation (summed over parallel calls): %v", spent)
	}
}
