package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Key is the primary key of an item of any table of internal/schema.
func Key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: pk},
		schema.SK: &types.AttributeValueMemberS{Value: sk},
	}
}

// GetItem reads the item at key (a strongly consistent read) into out:
// notFound when there is none; other errors name what was read.
func GetItem(ctx context.Context, db *dynamodb.Client, table string, key map[string]types.AttributeValue, out any, what string, notFound error) error {
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get %s: %w", what, err)
	}
	if res.Item == nil {
		return notFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// ConditionFailed reports whether err is a failed condition: of a single
// write, or of any item of a cancelled transaction.
func ConditionFailed(err error) bool {
	if err == nil {
		return false
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true
	}
	failed, _ := CancelledItems(err)
	return slices.Contains(failed, true)
}

// CancelledItems reports whether err is a cancelled transaction and, per
// item, whether that item's condition failed.
func CancelledItems(err error) ([]bool, bool) {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil, false
	}
	out := make([]bool, len(tc.CancellationReasons))
	for i, r := range tc.CancellationReasons {
		out[i] = aws.ToString(r.Code) == "ConditionalCheckFailed"
	}
	return out, true
}

// Translate is the one ConditionalCheckFailed translation: a failed
// condition becomes the domain error onFail (not found, conflict, stale
// version...), any other driver error is wrapped with op, nil stays nil.
func Translate(err error, op string, onFail error) error {
	switch {
	case err == nil:
		return nil
	case ConditionFailed(err) && onFail != nil:
		return onFail
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Page is one page request of a Query: the query (table, index, key
// condition, order, with ExclusiveStartKey and Limit left unset), the
// cursor codec and scope of the list, the key attributes a position holds
// (the table's pk and sk, plus the index's when querying an index).
type Page struct {
	In      *dynamodb.QueryInput
	Codec   list.Codec
	Scope   string
	KeyAttr []string
	Request list.Request
}

// QueryPage runs one page: the cursor becomes the ExclusiveStartKey (it
// must carry exactly the key attributes, as strings), the items are
// unmarshalled into out (a pointer to a slice), and LastEvaluatedKey
// becomes the next cursor.
func QueryPage(ctx context.Context, db *dynamodb.Client, p Page, out any) (string, error) {
	in := *p.In
	in.Limit = aws.Int32(int32(p.Request.Limit))
	if p.Request.Cursor != "" {
		var pos map[string]string
		if err := p.Codec.Decode(ctx, p.Scope, p.Request.Cursor, &pos); err != nil {
			return "", err
		}
		start, err := startKey(pos, p.KeyAttr)
		if err != nil {
			return "", err
		}
		in.ExclusiveStartKey = start
	}
	res, err := db.Query(ctx, &in)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", aws.ToString(in.TableName), err)
	}
	if err := attributevalue.UnmarshalListOfMaps(res.Items, out); err != nil {
		return "", fmt.Errorf("decode %s: %w", aws.ToString(in.TableName), err)
	}
	if len(res.LastEvaluatedKey) == 0 {
		return "", nil
	}
	pos := map[string]string{}
	for k, v := range res.LastEvaluatedKey {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", errs.Internal(fmt.Errorf("key attribute %s is not a string", k))
		}
		pos[k] = s.Value
	}
	return p.Codec.Encode(ctx, p.Scope, pos)
}

// startKey checks a decoded position against the key attributes.
func startKey(pos map[string]string, attrs []string) (map[string]types.AttributeValue, error) {
	if len(pos) != len(attrs) {
		return nil, errs.Invalid("invalid_cursor", "the cursor is not one this list returned",
			errs.FieldError{Field: "cursor", Reason: "has other key attributes"})
	}
	out := map[string]types.AttributeValue{}
	for _, a := range attrs {
		v, ok := pos[a]
		if !ok || v == "" {
			return nil, errs.Invalid("invalid_cursor", "the cursor is not one this list returned",
				errs.FieldError{Field: "cursor", Reason: "has other key attributes"})
		}
		out[a] = &types.AttributeValueMemberS{Value: v}
	}
	return out, nil
}
