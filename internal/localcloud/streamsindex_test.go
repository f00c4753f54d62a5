package localcloud_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/localcloud"
)

// DynamoDB Local's database starts with an index on its stream records
// (localcloud.streamsIndex: without it every write into a table with a
// stream read every earlier stream's records, 10 items/s after 50,000),
// and DynamoDB Local keeps it: it takes the file as its own, its streams
// work, and the index is still in the file after
// it wrote there. Both ways the tests and make dev run it: a folder of
// its own (make dev's DataDir) and none (the memory file system, removed
// on Stop).
func TestDynamoDBLocalKeepsTheIndexOnItsStreamRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(root, ".local", "dynamodb-local", "DynamoDBLocal.jar")); err != nil {
		t.Skip("DynamoDB Local is not installed (make tools)")
	}
	for _, tc := range []struct {
		name string
		dir  func() string
	}{
		{"data folder", t.TempDir},
		{"throwaway", func() string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := localcloud.Options{Root: root, DataDir: tc.dir()}
			p, _, err := localcloud.OnFreePorts(1, func(port int) (*localcloud.Process, error) {
				o.Port = port
				return localcloud.DynamoDBLocal(context.Background(), o)
			})
			require.NoError(t, err)
			defer p.Stop()
			dir := o.DataDir
			if dir == "" {
				dir = fmt.Sprintf("/dev/shm/issuetracker-dynamodb-%d-%d", os.Getuid(), o.Port)
				if _, err := os.Stat(dir); err != nil {
					t.Skip("no memory file system here: DynamoDB Local runs -inMemory, without the index")
				}
			}
			streamWorks(t, p.Endpoint)
			db, err := os.ReadFile(filepath.Join(dir, localcloud.DynamoDBLocalFile))
			require.NoError(t, err)
			require.True(t, strings.Contains(string(db), "CREATE INDEX itr_us_stream ON us(StreamID)"), "the index on the stream records is in the database")
			require.Equal(t, []byte{1, 1}, db[18:20], "the file is in SQLite's default journal mode, not write-ahead-log (header: read and write versions 1)")
			p.Stop()
			if o.DataDir == "" {
				_, err := os.Stat(dir)
				require.ErrorIs(t, err, os.ErrNotExist, "Stop removes the throwaway database")
			}
		})
	}
}

// streamWorks creates a table with a stream, puts an item and reads its
// record from the stream.
func streamWorks(t *testing.T, endpoint string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := awsx.Endpoints{DynamoDB: endpoint}
	cfg := awsx.LocalConfig()
	db := awsx.DynamoDB(cfg, e)
	out, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("streamed"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	require.NoError(t, err)
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("streamed"), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}})
	require.NoError(t, err)
	streams := awsconfig.Streams(cfg, e)
	d, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: out.TableDescription.LatestStreamArn})
	require.NoError(t, err)
	require.NotEmpty(t, d.StreamDescription.Shards)
	it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: out.TableDescription.LatestStreamArn,
		ShardId: d.StreamDescription.Shards[0].ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	require.NoError(t, err)
	r, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	require.NoError(t, err)
	require.Len(t, r.Records, 1, "the put's stream record")
}
