package localcloud_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/benchseed"
)

// TestDynamoDBLocalWriteFigures measures how DynamoDB Local's write rate
// depends on what it holds and on how it runs (make ddblocal-bench; not
// part of make test): each scenario of ITR_DDBLOCAL_SCENARIOS on a
// DynamoDB Local started for it alone (in memory, as the tests run it; on
// a free port), the App table's schema (nine GSIs), items of the bench
// seed's shapes (benchseed.IssueItems), BatchWriteItems of 25. A scenario
// is a name and options separated by "+":
//
//	write        ITR_DDBLOCAL_ITEMS items into an empty table (4 writers)
//	nostream     ... the target table without a stream
//	prefill      the source table first holds ITR_DDBLOCAL_PREFILL items
//	             (one writer, as the migration bench's seed), rates per window
//	same         write into the prefilled table itself (else a new table)
//	copy         tenantdata.Store.Sync of the prefilled items into a new
//	             table: the migration's copy step itself
//	pollers      two stream readers per table (GetRecords every 100 ms, as
//	             the local stream pollers of make dev and the bench)
//	w1 / w8      1 or 8 writers (default 4)
//	tiered       the JVM's default compilers instead of C1 only
//	g1           the JVM's default collector instead of the serial one
//	xmx1g        a 1 GiB heap instead of 512 MiB
//	inmemory     -inMemory, no index on the stream records (as before)
//	disk         a database file on disk (make dev) instead of the memory
//	             file system (the tests)
//
// Per scenario it prints the items/s of each phase and window, the
// client-side time per DynamoDB operation, and the JVM's GC time (jstat).
func TestDynamoDBLocalWriteFigures(t *testing.T) {
	scenarios := os.Getenv("ITR_DDBLOCAL_SCENARIOS")
	if scenarios == "" {
		t.Skip("ITR_DDBLOCAL_SCENARIOS=write,write+nostream,... (make ddblocal-bench)")
	}
	items := envInt("ITR_DDBLOCAL_ITEMS", 10_000)
	prefill := envInt("ITR_DDBLOCAL_PREFILL", 50_000)
	for _, sc := range strings.Split(scenarios, ",") {
		ddblocalScenario(t, sc, items, prefill)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// opTimes is the client-side time of each DynamoDB operation.
type opTimes struct {
	mu sync.Mutex
	n  map[string]int
	d  map[string]time.Duration
}

func (o *opTimes) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("opTimes", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		start := time.Now()
		out, md, err := next.HandleInitialize(ctx, in)
		op := fmt.Sprintf("%T", in.Parameters)
		op = strings.TrimSuffix(op[strings.LastIndex(op, ".")+1:], "Input")
		o.mu.Lock()
		o.n[op]++
		o.d[op] += time.Since(start)
		o.mu.Unlock()
		return out, md, err
	}), middleware.After)
}

func (o *opTimes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var parts []string
	for op, n := range o.n {
		parts = append(parts, fmt.Sprintf("%s %d calls %.1f ms avg", op, n, float64(o.d[op].Microseconds())/1000/float64(n)))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func ddblocalScenario(t *testing.T, sc string, items, prefill int) {
	opt := map[string]bool{}
	for _, o := range strings.Split(sc, "+") {
		opt[o] = true
	}
	flags := []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms64m", "-Xmx512m"}
	if opt["tiered"] {
		flags = slices.DeleteFunc(flags, func(f string) bool { return f == "-XX:TieredStopAtLevel=1" })
	}
	if opt["g1"] {
		flags = slices.DeleteFunc(flags, func(f string) bool { return f == "-XX:+UseSerialGC" })
	}
	if opt["xmx1g"] {
		flags = append(flags[:len(flags)-1:len(flags)-1], "-Xmx1g")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	o := localcloud.Options{Root: root, Port: freePort(t), JVMFlags: flags}
	if opt["disk"] {
		o.DataDir = t.TempDir()
	}
	o.InMemory = opt["inmemory"]
	ctx := context.Background()
	started := time.Now()
	p, err := localcloud.DynamoDBLocal(ctx, o)
	require.NoError(t, err)
	defer p.Stop()
	ready := time.Since(started)
	ops := &opTimes{n: map[string]int{}, d: map[string]time.Duration{}}
	e := awsx.Endpoints{DynamoDB: p.Endpoint}
	cfg := awsx.LocalConfig()
	cfg.APIOptions = append(cfg.APIOptions, ops.middleware)
	db := awsx.DynamoDB(cfg, e)
	streams := awsconfig.Streams(cfg, e)
	fmt.Printf("ddblocal-bench %s: DynamoDB Local %v ready in %s, load %s\n", sc, flags, ready.Round(time.Millisecond), benchseed.LoadAverage())

	src, dst := "bench-src", "bench-dst"
	target := schema.App
	if opt["nostream"] {
		target.Stream = ""
	}
	tctx := tenancy.WithTenant(ctx, "t1")
	require.NoError(t, dynamo.EnsureTable(tctx, db, schema.App, src))
	if !opt["same"] {
		require.NoError(t, dynamo.EnsureTable(tctx, db, target, dst))
	} else {
		dst = src
	}
	writers := 4
	if opt["w1"] {
		writers = 1
	}
	if opt["w8"] {
		writers = 8
	}
	if opt["prefill"] || opt["copy"] {
		rate := writeItems(t, tctx, db, src, 0, prefill, 1, "")
		fmt.Printf("ddblocal-bench %s:   prefill %d items into %s, 1 writer: %s, load %s\n", sc, prefill, src, rate, benchseed.LoadAverage())
	}
	stop := func() {}
	if opt["pollers"] {
		stop = pollStreams(t, ctx, db, streams, []string{src, dst})
	}
	if opt["copy"] {
		st := tenantdata.Store{DB: db}
		start := time.Now()
		_, err := st.Digest(tctx, "t1", onboarding.Home{Table: src})
		require.NoError(t, err)
		read := time.Since(start)
		start = time.Now()
		n, _, err := st.Sync(tctx, "t1", onboarding.Home{Table: src}, onboarding.Home{Table: dst, Silo: true})
		require.NoError(t, err)
		took := time.Since(start)
		fmt.Printf("ddblocal-bench %s:   copy (Store.Sync) of %d items into %s: %s (%.0f items/s); its read alone (Digest of %s) %s, load %s\n",
			sc, n, dst, took.Round(time.Millisecond), float64(n)/took.Seconds(), src, read.Round(time.Millisecond), benchseed.LoadAverage())
	} else {
		rate := writeItems(t, tctx, db, dst, prefill, items, writers, keylog.NewMarkNonce())
		fmt.Printf("ddblocal-bench %s:   write %d items into %s, %d writers: %s, load %s\n", sc, items, dst, writers, rate, benchseed.LoadAverage())
	}
	stop()
	fmt.Printf("ddblocal-bench %s:   client-side: %s\n", sc, ops)
	if out, err := exec.Command("jstat", "-gcutil", strconv.Itoa(p.Pid())).CombinedOutput(); err == nil {
		fmt.Printf("ddblocal-bench %s:   jstat -gcutil: %s\n", sc, strings.Join(strings.Fields(strings.Split(strings.TrimSpace(string(out)), "\n")[1]), " "))
	}
}

// writeItems writes n items (issues from first/5 on) into table, writers
// batches at once, and returns the rate overall and per window of 10,000.
func writeItems(t *testing.T, ctx context.Context, db *dynamodb.Client, table string, first, n, writers int, nonce string) string {
	var reqs []types.WriteRequest
	for i := first / benchseed.ItemsPerIssue; len(reqs) < n; i++ {
		for _, it := range benchseed.IssueItems("t1", i) {
			if nonce != "" {
				it = keylog.Marked(it, nonce)
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
	}
	reqs = reqs[:n]
	const window = 10_000
	var windows []string
	start := time.Now()
	for w := 0; w < len(reqs); w += window {
		wstart := time.Now()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(writers)
		for b := w; b < min(w+window, len(reqs)); b += 25 {
			batch := reqs[b:min(b+25, w+window, len(reqs))]
			g.Go(func() error {
				pending := map[string][]types.WriteRequest{table: batch}
				for len(pending) > 0 {
					out, err := db.BatchWriteItem(gctx, &dynamodb.BatchWriteItemInput{RequestItems: pending}, awsx.Bulk)
					if err != nil {
						return err
					}
					pending = out.UnprocessedItems
				}
				return nil
			})
		}
		require.NoError(t, g.Wait())
		k := min(w+window, len(reqs)) - w
		windows = append(windows, fmt.Sprintf("%.0f", float64(k)/time.Since(wstart).Seconds()))
	}
	took := time.Since(start)
	return fmt.Sprintf("%s, %.0f items/s (per %d: %s)", took.Round(time.Millisecond), float64(n)/took.Seconds(), window, strings.Join(windows, ", "))
}

// pollStreams reads every shard of the tables' streams from their latest
// record on, two readers per table, a GetRecords every 100 ms as the
// local pollers do when they have nothing new (and at once when they
// had), until the returned stop is called; stop prints what they read.
func pollStreams(t *testing.T, ctx context.Context, db *dynamodb.Client, streams *dynamodbstreams.Client, tables []string) func() {
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var read atomic.Int64
	for _, tbl := range slices.Compact(slices.Clone(tables)) {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tbl)})
		require.NoError(t, err)
		arn := aws.ToString(out.Table.LatestStreamArn)
		if arn == "" {
			continue
		}
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				iters := map[string]*string{}
				for pctx.Err() == nil {
					d, err := streams.DescribeStream(pctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
					if err != nil {
						return
					}
					got := 0
					for _, sh := range d.StreamDescription.Shards {
						id := aws.ToString(sh.ShardId)
						if iters[id] == nil {
							it, err := streams.GetShardIterator(pctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeLatest})
							if err != nil {
								return
							}
							iters[id] = it.ShardIterator
						}
						r, err := streams.GetRecords(pctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iters[id], Limit: aws.Int32(1000)})
						if err != nil {
							return
						}
						got += len(r.Records)
						iters[id] = r.NextShardIterator
					}
					read.Add(int64(got))
					if got == 0 {
						select {
						case <-pctx.Done():
						case <-time.After(100 * time.Millisecond):
						}
					}
				}
			}()
		}
	}
	return func() {
		cancel()
		wg.Wait()
		fmt.Printf("ddblocal-bench   the stream readers read %d records\n", read.Load())
	}
}
