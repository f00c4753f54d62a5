package streampoller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// A poller describes each table once, not at every Discover: on DynamoDB
// Local a DescribeTable counts the items and bytes of the table and of
// each of its indexes (2-4.5 s for a table of 50,000 items), and the local
// pollers' every-2-s DescribeTable of each table kept its one SQLite worker
// from a migration's copy. A table whose stream is replaced (turned off and
// on: a new ARN) is described again and its new stream read.
func TestAPollerDescribesATableOnceAndFindsItsReplacedStream(t *testing.T) {
	db, names := testenv.StreamTables(t)
	cfg, e := testenv.AWS(t)
	ctx := context.Background()
	app := names.App()
	var mu sync.Mutex
	var seen []string
	p := &Poller{Name: "describe", DB: db, Streams: awsconfig.Streams(cfg, e),
		Consumer: changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range b {
				seen = append(seen, c.SK)
			}
			return nil
		}),
		Tables:      func(context.Context) ([]string, error) { return []string{app}, nil },
		Checkpoints: TableCheckpoints{DB: db, Table: names.Control()}}
	p.defaults()
	for range 3 {
		require.NoError(t, p.discover(ctx))
	}
	require.Equal(t, 1, p.described, "DescribeTable calls for 3 discoveries of one table")

	// The stream turned off and on: a new stream, the old one disabled.
	setStream := func(on bool) {
		in := &dynamodb.UpdateTableInput{TableName: aws.String(app), StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(on)}}
		if on {
			in.StreamSpecification.StreamViewType = types.StreamViewTypeNewAndOldImages
		}
		_, err := db.UpdateTable(ctx, in)
		require.NoError(t, err)
		require.NoError(t, dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond }).
			Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(app)}, time.Minute))
	}
	setStream(false)
	setStream(true)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(app), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "T#acme#X#1"}, "sk": &types.AttributeValueMemberS{Value: "NEW#1"}}})
	require.NoError(t, err)
	require.NoError(t, p.discover(ctx)) // finds the old stream disabled
	require.NoError(t, p.Drain(ctx))    // describes the table again, reads the new stream
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"NEW#1"}, seen, "the write into the new stream")
	require.Equal(t, 2, p.described, "described again once its stream was replaced")
}
