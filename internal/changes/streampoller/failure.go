package streampoller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/issuetracker/issuetracker/internal/changes"
)

// Destination is a stream mapping's on-failure destination (an SQS queue
// or SNS topic in AWS): it receives each batch given up as a message.
type Destination interface {
	Send(ctx context.Context, body string) error
}

// DestinationFunc adapts a function to Destination.
type DestinationFunc func(ctx context.Context, body string) error

// Send implements Destination.
func (f DestinationFunc) Send(ctx context.Context, body string) error { return f(ctx, body) }

// The conditions of a failure record (requestContext.condition).
const (
	ConditionRetryAttemptsExhausted = "RetryAttemptsExhausted"
	ConditionRecordAgeExceeded      = "RecordAgeExceeded"
)

// FailureRecord is the invocation record Lambda sends to a DynamoDB stream
// mapping's on-failure destination: it names the batch (shard and
// sequence numbers), not its records, which stay in the stream for 24
// hours (Redrive reads them again).
// https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
type FailureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	Version   string    `json:"version"`
	Timestamp time.Time `json:"timestamp"`
	Batch     BatchInfo `json:"DDBStreamBatchInfo"`
}

// BatchInfo is the batch a FailureRecord names.
type BatchInfo struct {
	ShardID                         string    `json:"shardId"`
	StartSequenceNumber             string    `json:"startSequenceNumber"`
	EndSequenceNumber               string    `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord time.Time `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  time.Time `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int       `json:"batchSize"`
	StreamARN                       string    `json:"streamArn"`
}

// NewFailureRecord describes batch, given up for condition after invokes
// invocations of the function fnARN.
func NewFailureRecord(fnARN, condition string, invokes int, stream, shard string, batch []changes.Change, now time.Time) FailureRecord {
	var r FailureRecord
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	r.RequestContext.RequestID = hex.EncodeToString(id)
	r.RequestContext.FunctionARN, r.RequestContext.Condition, r.RequestContext.ApproximateInvokeCount = fnARN, condition, invokes
	r.ResponseContext.StatusCode, r.ResponseContext.ExecutedVersion = 200, "$LATEST"
	if invokes > 0 {
		r.ResponseContext.FunctionError = "Unhandled"
	}
	r.Version, r.Timestamp = "1.0", now.UTC()
	r.Batch = BatchInfo{ShardID: shard, StreamARN: stream, BatchSize: len(batch),
		StartSequenceNumber: batch[0].Seq, EndSequenceNumber: batch[len(batch)-1].Seq,
		ApproximateArrivalOfFirstRecord: batch[0].At.UTC(), ApproximateArrivalOfLastRecord: batch[len(batch)-1].At.UTC()}
	return r
}

// Redrive reads the batch a failure record names from the stream again
// (from its start to its end sequence number, through the poller's filter)
// and hands it to the consumer once: what an operator does with a
// message of the on-failure queue once the cause is fixed. The records
// must still be in the stream (24 hours).
func (p *Poller) Redrive(ctx context.Context, rec FailureRecord) (int, error) {
	p.defaults()
	b := rec.Batch
	table := p.tableOf(b.StreamARN)
	if table == "" {
		if err := p.discover(ctx); err != nil {
			return 0, err
		}
		table = p.tableOf(b.StreamARN)
	}
	if table == "" {
		return 0, fmt.Errorf("redrive: consumer %s reads no stream %s", p.Name, b.StreamARN)
	}
	it, err := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(b.StreamARN),
		ShardId: aws.String(b.ShardID), ShardIteratorType: streamtypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(b.StartSequenceNumber)})
	if err != nil {
		return 0, fmt.Errorf("redrive: %w", err)
	}
	var batch []changes.Change
	iter := it.ShardIterator
	for iter != nil {
		out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(p.BatchSize)})
		if err != nil {
			return 0, fmt.Errorf("redrive: %w", err)
		}
		cs, err := changes.FromStream(table, out.Records)
		if err != nil {
			return 0, err
		}
		end := false
		for _, c := range cs {
			batch = append(batch, c)
			if c.Seq == b.EndSequenceNumber {
				end = true
				break
			}
		}
		if end || len(out.Records) == 0 {
			break
		}
		iter = out.NextShardIterator
	}
	if len(batch) == 0 || batch[len(batch)-1].Seq != b.EndSequenceNumber {
		return 0, fmt.Errorf("redrive: the records %s..%s are no longer in the stream", b.StartSequenceNumber, b.EndSequenceNumber)
	}
	sel := p.Filter.Select(batch)
	if len(sel) == 0 {
		return 0, nil
	}
	return len(sel), p.Consumer.Handle(ctx, sel)
}

// tableOf is the table of a stream the poller reads ("" if none it knows).
func (p *Poller) tableOf(streamARN string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.shards {
		if s.stream == streamARN {
			return s.table
		}
	}
	return ""
}
