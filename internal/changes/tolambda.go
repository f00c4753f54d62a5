package changes

import (
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// ToLambda is the Lambda event an event source mapping would give a
// function for batch (the inverse of FromLambda): the local cloud reads a
// stream with the Streams API and invokes the mapped function's process
// with it. Keys are the table's pk and sk (every tenant table's schema).
func ToLambda(batch []Change) (events.DynamoDBEvent, error) {
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, 0, len(batch))}
	for _, c := range batch {
		old, err := toLambdaItem(c.Old)
		if err != nil {
			return ev, err
		}
		cur, err := toLambdaItem(c.New)
		if err != nil {
			return ev, err
		}
		view := "NEW_AND_OLD_IMAGES"
		arn := "arn:aws:dynamodb:us-east-1:000000000000:table/" + c.Table + "/stream/local"
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{
			AWSRegion: "us-east-1", EventID: c.EventID, EventName: string(c.Op), EventSource: "aws:dynamodb",
			EventVersion: "1.1", EventSourceArn: arn,
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: c.At.Truncate(time.Second)},
				Keys: map[string]events.DynamoDBAttributeValue{
					schema.PK: events.NewStringAttribute(c.PK), schema.SK: events.NewStringAttribute(c.SK)},
				OldImage: old, NewImage: cur, SequenceNumber: c.Seq, StreamViewType: view,
			},
		})
	}
	return ev, nil
}

func toLambdaItem(it Item) (map[string]events.DynamoDBAttributeValue, error) {
	if it == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(it))
	for k, v := range it {
		lv, err := toLambdaValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = lv
	}
	return out, nil
}

func toLambdaValue(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			lv, err := toLambdaValue(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			l[i] = lv
		}
		return events.NewListAttribute(l), nil
	case *types.AttributeValueMemberM:
		m, err := toLambdaItem(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		if m == nil {
			m = map[string]events.DynamoDBAttributeValue{}
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unknown attribute type %T", v)
}
