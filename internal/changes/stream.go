package changes

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// FromStream turns records read with the DynamoDB Streams API (GetRecords)
// from table's stream into changes.
func FromStream(table string, recs []streamtypes.Record) ([]Change, error) {
	out := make([]Change, 0, len(recs))
	for _, r := range recs {
		if r.Dynamodb == nil {
			return nil, fmt.Errorf("stream record %s has no data", aws.ToString(r.EventID))
		}
		d := r.Dynamodb
		keys, err := attributevalue.FromDynamoDBStreamsMap(d.Keys)
		if err != nil {
			return nil, err
		}
		var old, cur Item
		if d.OldImage != nil {
			if old, err = attributevalue.FromDynamoDBStreamsMap(d.OldImage); err != nil {
				return nil, err
			}
		}
		if d.NewImage != nil {
			if cur, err = attributevalue.FromDynamoDBStreamsMap(d.NewImage); err != nil {
				return nil, err
			}
		}
		c, err := build(table, string(r.EventName), aws.ToString(d.SequenceNumber), aws.ToString(r.EventID),
			aws.ToTime(d.ApproximateCreationDateTime), keys, old, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
