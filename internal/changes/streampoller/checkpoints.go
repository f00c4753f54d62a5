package streampoller

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// Checkpoint is how far a consumer has read a shard.
type Checkpoint struct {
	// Seq is the sequence number of the last handled record ("" for none).
	Seq string
	// Done: the shard is closed and read to its end.
	Done bool
}

// Failure describes a batch given up after its retries (the local
// equivalent of the mapping's on-failure destination message).
type Failure struct {
	FirstSeq, LastSeq string
	Records           int
	Error             string
	At                time.Time
}

// Checkpoints keeps checkpoints and failures per consumer and shard.
type Checkpoints interface {
	Get(ctx context.Context, consumer, stream, shard string) (Checkpoint, error)
	Put(ctx context.Context, consumer, stream, shard string, cp Checkpoint) error
	Failed(ctx context.Context, consumer, stream, shard string, f Failure) error
}

// TableCheckpoints keeps them in a DynamoDB table with pk/sk keys (the
// control table), as the Kinesis Client Library keeps its leases: pk
// "STREAMCP#<consumer>", sk "<stream arn>|<shard id>"; failures under pk
// "STREAMDLQ#<consumer>".
type TableCheckpoints struct {
	DB    *dynamodb.Client
	Table string
}

type checkpointItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Seq  string `dynamodbav:"seq,omitempty"`
	Done bool   `dynamodbav:"done"`
	// ExpiresAt: DynamoDB streams keep records 24 hours; a finished shard's
	// checkpoint is not needed after that.
	ExpiresAt int64 `dynamodbav:"expires_at,omitempty"`
}

func cpKey(consumer, stream, shard string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "STREAMCP#" + consumer},
		"sk": &types.AttributeValueMemberS{Value: stream + "|" + shard},
	}
}

// Get implements Checkpoints.
func (c TableCheckpoints) Get(ctx context.Context, consumer, stream, shard string) (Checkpoint, error) {
	out, err := c.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.Table), Key: cpKey(consumer, stream, shard), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("get checkpoint: %w", err)
	}
	var it checkpointItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Seq: it.Seq, Done: it.Done}, nil
}

// Put implements Checkpoints.
func (c TableCheckpoints) Put(ctx context.Context, consumer, stream, shard string, cp Checkpoint) error {
	it := checkpointItem{PK: "STREAMCP#" + consumer, SK: stream + "|" + shard, Seq: cp.Seq, Done: cp.Done}
	if cp.Done {
		it.ExpiresAt = time.Now().Add(48 * time.Hour).Unix()
	}
	m, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	if _, err := c.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.Table), Item: m}); err != nil {
		return fmt.Errorf("put checkpoint: %w", err)
	}
	return nil
}

type failureItem struct {
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	Stream   string    `dynamodbav:"stream"`
	Shard    string    `dynamodbav:"shard"`
	FirstSeq string    `dynamodbav:"first_seq"`
	LastSeq  string    `dynamodbav:"last_seq"`
	Records  int       `dynamodbav:"records"`
	Error    string    `dynamodbav:"error"`
	At       time.Time `dynamodbav:"at"`
}

// Failed implements Checkpoints.
func (c TableCheckpoints) Failed(ctx context.Context, consumer, stream, shard string, f Failure) error {
	m, err := attributevalue.MarshalMap(failureItem{PK: "STREAMDLQ#" + consumer, SK: schema.TimeKey(f.At) + "|" + shard,
		Stream: stream, Shard: shard, FirstSeq: f.FirstSeq, LastSeq: f.LastSeq, Records: f.Records, Error: f.Error, At: f.At})
	if err != nil {
		return err
	}
	if _, err := c.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.Table), Item: m}); err != nil {
		return fmt.Errorf("record failed batch: %w", err)
	}
	return nil
}

// Failures lists the batches a consumer gave up on, oldest first.
func (c TableCheckpoints) Failures(ctx context.Context, consumer string) ([]Failure, error) {
	out, err := c.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(c.Table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "STREAMDLQ#" + consumer}}})
	if err != nil {
		return nil, fmt.Errorf("list failed batches: %w", err)
	}
	var items []failureItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, err
	}
	fs := make([]Failure, len(items))
	for i, it := range items {
		fs[i] = Failure{FirstSeq: it.FirstSeq, LastSeq: it.LastSeq, Records: it.Records, Error: it.Error, At: it.At}
	}
	return fs, nil
}
