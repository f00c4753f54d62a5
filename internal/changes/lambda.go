package changes

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FromLambda turns a Lambda DynamoDB stream event into changes.
func FromLambda(ev events.DynamoDBEvent) ([]Change, error) {
	out := make([]Change, 0, len(ev.Records))
	for _, r := range ev.Records {
		keys, err := lambdaItem(r.Change.Keys)
		if err != nil {
			return nil, err
		}
		old, err := lambdaItem(r.Change.OldImage)
		if err != nil {
			return nil, err
		}
		cur, err := lambdaItem(r.Change.NewImage)
		if err != nil {
			return nil, err
		}
		c, err := build(TableFromARN(r.EventSourceArn), r.EventName, r.Change.SequenceNumber, r.EventID,
			r.Change.ApproximateCreationDateTime.Time, keys, old, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// LambdaHandler is the handler of a consumer function: the event source
// mapping already applied the filter; it is applied again so a mapping
// without one cannot feed the consumer records it does not expect. An error
// fails the batch: the mapping retries it, halves it (bisect on error) and,
// past its retry limit, sends its description to the failure queue.
func LambdaHandler(c Consumer, f Filter) func(context.Context, events.DynamoDBEvent) error {
	return func(ctx context.Context, ev events.DynamoDBEvent) error {
		batch, err := FromLambda(ev)
		if err != nil {
			return err
		}
		if batch = f.Select(batch); len(batch) == 0 {
			return nil
		}
		return c.Handle(ctx, batch)
	}
}

func lambdaItem(m map[string]events.DynamoDBAttributeValue) (Item, error) {
	if m == nil {
		return nil, nil
	}
	out := make(Item, len(m))
	for k, v := range m {
		av, err := lambdaValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// lambdaValue converts aws-lambda-go's attribute value into the SDK's, so
// consumers decode images with attributevalue as the stores do.
func lambdaValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			av, err := lambdaValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := lambdaItem(v.Map())
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = Item{}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
