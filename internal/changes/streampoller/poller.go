// Package streampoller feeds a changes.Consumer from DynamoDB streams through
// the Streams API (DescribeStream, GetShardIterator, GetRecords), as a Lambda
// event source mapping does in AWS: `make dev` and the integration tests run
// the consumers' real handlers on DynamoDB Local's streams with it.
//
// Like the mapping it is at least once and ordered per shard: a shard is
// read only after its parent is finished (shard lineage), a batch is handed
// to the consumer, and only then is its last sequence number checkpointed
// (per consumer and shard, in a Checkpoints store), so a restart resumes
// after the last handled record and a crash in between delivers the batch
// again. A batch that keeps failing is retried with backoff up to
// MaxAttempts, then recorded as failed and skipped (the mapping's maximum
// retry attempts and on-failure destination).
package streampoller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/issuetracker/issuetracker/internal/changes"
)

// Poller reads the streams of some tables for one consumer.
type Poller struct {
	// Name of the consumer: checkpoints are kept per name, so two consumers
	// of one stream read it independently.
	Name     string
	DB       *dynamodb.Client
	Streams  *dynamodbstreams.Client
	Consumer changes.Consumer
	Filter   changes.Filter
	// Tables lists the tables to read now; it is asked again every
	// Discover, so Platinum tables created meanwhile are picked up.
	Tables      func(ctx context.Context) ([]string, error)
	Checkpoints Checkpoints
	// Interval between polls of a shard with nothing new. Default 100 ms.
	Interval time.Duration
	// Discover is how often tables and shards are listed again. Default 2 s.
	Discover time.Duration
	// BatchSize is the most records one GetRecords returns. Default 100.
	BatchSize int32
	// MaxAttempts of one batch before it is recorded as failed. Default 5;
	// negative is no limit (the mapping's MaximumRetryAttempts -1: the
	// batch is retried until its records are MaxRecordAge old).
	MaxAttempts int
	// MaxRecordAge is the mapping's MaximumRecordAgeInSeconds: a record
	// older than this is not handed to the consumer (any more) but sent to
	// the failure destination with the condition RecordAgeExceeded. Zero is
	// no limit (the mapping's -1).
	MaxRecordAge time.Duration
	// OnFailure is the mapping's on-failure destination: a batch given up
	// (retries exhausted, records too old) is sent to it as Lambda's
	// invocation record (FailureRecord, JSON). Nil records the batch in
	// Checkpoints.Failed instead.
	OnFailure Destination
	// FunctionARN names the consumer's function in the failure records.
	FunctionARN string
	// now is the clock (tests); nil is time.Now.
	now func() time.Time
	// Bisect splits a batch the consumer fails in two and delivers each
	// half on its own (each with its own attempts), down to the single
	// record that keeps failing, which alone is recorded as failed: the
	// mapping's BisectBatchOnFunctionError.
	Bisect bool
	// CheckpointEvery bounds how often a busy shard's checkpoint is saved
	// (a round trip per batch would add to the lag; a restart at most
	// delivers this much again, which consumers absorb). Default 1 s.
	CheckpointEvery time.Duration
	// Parallel is the mapping's ParallelizationFactor: up to this many
	// batches of one shard are handed to the consumer at once, the records
	// spread over them by partition key, so the records of one key stay in
	// order in one sequence of batches (as Lambda does). A read takes up to
	// BatchSize x Parallel records (GetRecords' limit, 1000, at most); the
	// shard's checkpoint moves once every batch of the read is handled or
	// given up. 0 or 1: one batch at a time.
	Parallel int
	// Log receives progress and failures; nil discards.
	Log *slog.Logger

	mu     sync.Mutex
	shards map[string]*shardState // by stream ARN + shard id
	// streams is each table's enabled stream, as discover last found it.
	streams map[string]string
	// described counts DescribeTable calls (tests).
	described int
	// polling serializes reads: Run's loop and a Drain may run together.
	polling sync.Mutex
}

type shardState struct {
	table, stream string
	shard         streamtypes.Shard
	iterator      *string
	done          bool
	seq           string
	saved         string    // the checkpointed seq
	savedDone     bool      // the checkpoint says done
	savedAt       time.Time // when it was saved
}

// Run polls until ctx ends, then saves its checkpoints. It returns ctx's
// error (the consumer's errors are retried, then recorded).
func (p *Poller) Run(ctx context.Context) error {
	p.defaults()
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Flush(fctx); err != nil {
			p.Log.Warn("stream checkpoint flush", "consumer", p.Name, "err", err)
		}
	}()
	var last time.Time
	for {
		if time.Since(last) >= p.Discover {
			if err := p.discover(ctx); err != nil && ctx.Err() == nil {
				p.Log.Warn("stream discovery", "consumer", p.Name, "err", err)
			}
			last = time.Now()
		}
		got, err := p.PollOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			p.Log.Warn("stream poll", "consumer", p.Name, "err", err)
		}
		if got == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(p.Interval):
			}
		}
	}
}

func (p *Poller) defaults() {
	if p.Interval == 0 {
		p.Interval = 100 * time.Millisecond
	}
	if p.Discover == 0 {
		p.Discover = 2 * time.Second
	}
	if p.BatchSize == 0 {
		p.BatchSize = 100
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 5
	}
	if p.CheckpointEvery == 0 {
		p.CheckpointEvery = time.Second
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	p.mu.Lock()
	if p.shards == nil {
		p.shards = map[string]*shardState{}
	}
	if p.streams == nil {
		p.streams = map[string]string{}
	}
	p.mu.Unlock()
}

// Drain discovers the streams and reads until no shard has records left:
// tests and the seed command call it to wait until the consumer has seen
// every change made so far.
func (p *Poller) Drain(ctx context.Context) error {
	p.defaults()
	if err := p.discover(ctx); err != nil {
		return err
	}
	for {
		n, err := p.PollOnce(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return p.Flush(ctx)
		}
	}
}

// Flush saves the checkpoints of every shard read past its last one.
func (p *Poller) Flush(ctx context.Context) error {
	p.polling.Lock()
	defer p.polling.Unlock()
	p.mu.Lock()
	shards := make([]*shardState, 0, len(p.shards))
	for _, s := range p.shards {
		shards = append(shards, s)
	}
	p.mu.Unlock()
	for _, s := range shards {
		if err := p.checkpoint(ctx, s, true); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint saves how far s was read, if it moved and (unless now) the
// last save is CheckpointEvery old or the shard is finished.
func (p *Poller) checkpoint(ctx context.Context, s *shardState, now bool) error {
	if s.seq == s.saved && s.done == s.savedDone {
		return nil
	}
	if !now && !s.done && time.Since(s.savedAt) < p.CheckpointEvery {
		return nil
	}
	if err := p.Checkpoints.Put(ctx, p.Name, s.stream, aws.ToString(s.shard.ShardId), Checkpoint{Seq: s.seq, Done: s.done}); err != nil {
		return err
	}
	s.saved, s.savedDone, s.savedAt = s.seq, s.done, time.Now()
	return nil
}

// discover lists the tables' streams and their shards, and adds the shards
// it does not know yet with their checkpoints.
func (p *Poller) discover(ctx context.Context) error {
	tables, err := p.Tables(ctx)
	if err != nil {
		return err
	}
tables:
	for _, t := range tables {
		arn, err := p.streamOf(ctx, t)
		if err != nil {
			return err
		}
		if arn == "" {
			continue
		}
		var start *string
		for {
			d, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
			if err != nil {
				p.forgetStream(t) // the table again next time: deleted, or its stream replaced
				if notFound(err) {
					continue tables
				}
				return fmt.Errorf("describe stream of %s: %w", t, err)
			}
			if st := d.StreamDescription.StreamStatus; st != streamtypes.StreamStatusEnabled && st != streamtypes.StreamStatusEnabling {
				p.forgetStream(t) // its shards are still read; the table may have a new stream
			}
			for _, sh := range d.StreamDescription.Shards {
				if err := p.addShard(ctx, t, arn, sh); err != nil {
					return err
				}
			}
			if start = d.StreamDescription.LastEvaluatedShardId; start == nil {
				break
			}
		}
	}
	return nil
}

// streamOf is table's latest stream ARN ("" when it has none or is gone),
// from DescribeTable the first time and whenever the stream last seen was
// not enabled, else remembered: DescribeTable is not free on DynamoDB Local
// (it counts the items and bytes of the table and of each of its indexes,
// whole scans on its one SQLite worker: 2-4.5 s for a table of 50,000
// items with nine GSIs at load 16, every Discover for each table and
// consumer, so the worker was busy with them more than with the writes;
// docs/performance.md). A stream's ARN changes only when the table is
// deleted or its stream turned off and on, and then the old stream is
// disabled, which DescribeStream says.
func (p *Poller) streamOf(ctx context.Context, table string) (string, error) {
	p.mu.Lock()
	arn, ok := p.streams[table]
	p.mu.Unlock()
	if ok {
		return arn, nil
	}
	out, err := p.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	p.mu.Lock()
	p.described++
	p.mu.Unlock()
	if err != nil {
		if notFound(err) {
			return "", nil // deleted meanwhile (offboarding)
		}
		return "", fmt.Errorf("describe table %s: %w", table, err)
	}
	arn = aws.ToString(out.Table.LatestStreamArn)
	if arn != "" && out.Table.StreamSpecification != nil && aws.ToBool(out.Table.StreamSpecification.StreamEnabled) {
		p.mu.Lock()
		p.streams[table] = arn
		p.mu.Unlock()
	}
	return arn, nil
}

func notFound(err error) bool {
	var nf interface{ ErrorCode() string }
	return errors.As(err, &nf) && nf.ErrorCode() == "ResourceNotFoundException"
}

func (p *Poller) forgetStream(table string) {
	p.mu.Lock()
	delete(p.streams, table)
	p.mu.Unlock()
}

func (p *Poller) addShard(ctx context.Context, table, stream string, sh streamtypes.Shard) error {
	id := stream + "|" + aws.ToString(sh.ShardId)
	p.mu.Lock()
	_, known := p.shards[id]
	p.mu.Unlock()
	if known {
		return nil
	}
	cp, err := p.Checkpoints.Get(ctx, p.Name, stream, aws.ToString(sh.ShardId))
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.shards[id] = &shardState{table: table, stream: stream, shard: sh, seq: cp.Seq, saved: cp.Seq, done: cp.Done, savedDone: cp.Done, savedAt: time.Now()}
	p.mu.Unlock()
	return nil
}

// PollOnce reads one batch from every readable shard and returns how many
// records it handed to the consumer (or skipped by the filter).
func (p *Poller) PollOnce(ctx context.Context) (int, error) {
	p.defaults()
	p.polling.Lock()
	defer p.polling.Unlock()
	var total int
	var errs []error
	for _, s := range p.readable() {
		n, err := p.pollShard(ctx, s)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// readable lists the unfinished shards whose parent is finished or unknown
// (trimmed from the stream), in a stable order.
func (p *Poller) readable() []*shardState {
	p.mu.Lock()
	defer p.mu.Unlock()
	byShard := map[string]*shardState{}
	for _, s := range p.shards {
		byShard[s.stream+"|"+aws.ToString(s.shard.ShardId)] = s
	}
	var out []*shardState
	for _, s := range p.shards {
		if s.done {
			continue
		}
		if parent := aws.ToString(s.shard.ParentShardId); parent != "" {
			if ps, ok := byShard[s.stream+"|"+parent]; ok && !ps.done {
				continue
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].stream+aws.ToString(out[i].shard.ShardId) < out[j].stream+aws.ToString(out[j].shard.ShardId)
	})
	return out
}

func (p *Poller) pollShard(ctx context.Context, s *shardState) (int, error) {
	if s.iterator == nil {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(s.stream), ShardId: s.shard.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon}
		if s.seq != "" {
			in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeAfterSequenceNumber, aws.String(s.seq)
		}
		out, err := p.Streams.GetShardIterator(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("shard iterator %s: %w", aws.ToString(s.shard.ShardId), err)
		}
		s.iterator = out.ShardIterator
	}
	out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator, Limit: aws.Int32(p.readLimit())})
	if err != nil {
		s.iterator = nil // expired or trimmed: ask again from the checkpoint
		return 0, fmt.Errorf("get records %s: %w", aws.ToString(s.shard.ShardId), err)
	}
	if len(out.Records) > 0 {
		batch, err := changes.FromStream(s.table, out.Records)
		if err != nil {
			return 0, err
		}
		if err := p.deliverRead(ctx, s, p.Filter.Select(batch)); err != nil {
			s.iterator = nil // read the batch again
			return 0, err
		}
		s.seq = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
	}
	s.iterator = out.NextShardIterator
	if s.iterator == nil {
		s.done = true // closed shard read to its end: its children may start
	}
	if err := p.checkpoint(ctx, s, false); err != nil {
		return len(out.Records), err
	}
	return len(out.Records), nil
}

// readLimit is how many records one GetRecords asks for: a batch for each
// of the Parallel batches, within GetRecords' limit.
func (p *Poller) readLimit() int32 {
	if p.Parallel <= 1 {
		return p.BatchSize
	}
	return min(p.BatchSize*int32(p.Parallel), 1000)
}

// deliverRead hands the records of one read to the consumer: as one batch,
// or with Parallel, as up to Parallel sequences of batches at once, each
// key's records in one sequence in their order (partitionOf), each batch
// at most BatchSize records. It returns when every batch is handled or
// given up.
func (p *Poller) deliverRead(ctx context.Context, s *shardState, records []changes.Change) error {
	if p.Parallel <= 1 || len(records) <= 1 {
		return p.deliver(ctx, s, records)
	}
	lanes := make([][]changes.Change, p.Parallel)
	for _, c := range records {
		i := partitionOf(c, p.Parallel)
		lanes[i] = append(lanes[i], c)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(lanes))
	for i, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(lane) > 0 {
				n := min(len(lane), int(p.BatchSize))
				if errs[i] = p.deliver(ctx, s, lane[:n]); errs[i] != nil {
					return
				}
				lane = lane[n:]
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// partitionOf is the lane of c's partition key among n (FNV-1a of the
// table and key: the same key always goes to the same lane).
func partitionOf(c changes.Change, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(c.Table))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(c.PK))
	return int(h.Sum32() % uint32(n))
}

// maxBackoff bounds the wait between two attempts of a batch.
const maxBackoff = 3 * time.Second

func (p *Poller) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// expired is how many records at the head of batch (a shard's records are
// in order) are older than MaxRecordAge.
func (p *Poller) expired(batch []changes.Change) int {
	if p.MaxRecordAge <= 0 {
		return 0
	}
	now, n := p.clock(), 0
	for n < len(batch) && !batch[n].At.IsZero() && now.Sub(batch[n].At) > p.MaxRecordAge {
		n++
	}
	return n
}

// deliver hands a batch to the consumer, retrying with backoff; past
// MaxAttempts, or once its records are MaxRecordAge old, the batch is
// given up (sent to OnFailure or recorded as failed) and the shard moves
// on.
func (p *Poller) deliver(ctx context.Context, s *shardState, batch []changes.Change) error {
	if n := p.expired(batch); n > 0 {
		if err := p.giveUp(ctx, s, batch[:n], ConditionRecordAgeExceeded, 0, errors.New("record older than the mapping's maximum record age")); err != nil {
			return err
		}
		batch = batch[n:]
	}
	if len(batch) == 0 {
		return nil
	}
	var err error
	attempt := 1
	for ; p.MaxAttempts < 0 || attempt <= p.MaxAttempts; attempt++ {
		if err = p.Consumer.Handle(ctx, batch); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.Log.Warn("consumer failed a batch", "consumer", p.Name, "shard", aws.ToString(s.shard.ShardId), "attempt", attempt, "err", err)
		if p.Bisect && len(batch) > 1 {
			half := len(batch) / 2
			if err := p.deliver(ctx, s, batch[:half]); err != nil {
				return err
			}
			return p.deliver(ctx, s, batch[half:])
		}
		if p.expired(batch) > 0 {
			return p.giveUp(ctx, s, batch, ConditionRecordAgeExceeded, attempt, err)
		}
		if p.MaxAttempts >= 0 && attempt == p.MaxAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(time.Duration(attempt*attempt)*50*time.Millisecond, maxBackoff)):
		}
	}
	return p.giveUp(ctx, s, batch, ConditionRetryAttemptsExhausted, min(attempt, max(p.MaxAttempts, 1)), err)
}

// giveUp sends a batch that will not be handled to the failure destination
// (or records it failed) and lets the shard move on.
func (p *Poller) giveUp(ctx context.Context, s *shardState, batch []changes.Change, condition string, invokes int, err error) error {
	shard := aws.ToString(s.shard.ShardId)
	p.Log.Error("batch given up", "consumer", p.Name, "shard", shard, "condition", condition,
		"first_seq", batch[0].Seq, "last_seq", batch[len(batch)-1].Seq, "err", err)
	if p.OnFailure != nil {
		rec := NewFailureRecord(p.FunctionARN, condition, invokes, s.stream, shard, batch, p.clock())
		b, jerr := json.Marshal(rec)
		if jerr != nil {
			return jerr
		}
		if serr := p.OnFailure.Send(ctx, string(b)); serr != nil {
			return fmt.Errorf("send the failed batch to the on-failure destination: %w", serr)
		}
		return nil
	}
	return p.Checkpoints.Failed(ctx, p.Name, s.stream, shard, Failure{
		FirstSeq: batch[0].Seq, LastSeq: batch[len(batch)-1].Seq, Records: len(batch), Error: err.Error(), At: time.Now().UTC()})
}
