package owntoken_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/access"
	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{schema.PK: s(pk), schema.SK: s("ITEM")}
}

func create(ctx context.Context, db *dynamodb.Client, table, pk string) error {
	item := key(pk)
	item["v"] = n("1")
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	return err
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// withoutToken is db without the owntoken middleware: the defect, as it was.
func withoutToken(db *dynamodb.Client) *dynamodb.Client {
	opts := db.Options()
	opts.APIOptions = nil
	for _, f := range db.Options().APIOptions {
		if reflect.ValueOf(f).Pointer() != reflect.ValueOf(owntoken.Middleware).Pointer() {
			opts.APIOptions = append(opts.APIOptions, f)
		}
	}
	return dynamodb.New(opts)
}

// The first attempt of each call commits and loses its answer; the SDK
// retries it (testenv.WithLostAnswers).
func TestARetriedConditionalWriteRecognisesItsOwnSuccess(t *testing.T) {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	table := names.App()
	lossy, lost := testenv.WithLostAnswers(db, "PutItem", "UpdateItem", "TransactWriteItems", "DeleteItem")

	t.Run("the scenario: without the token, a create answers a conflict for its own success", func(t *testing.T) {
		old, _ := testenv.WithLostAnswers(withoutToken(db), "PutItem")
		err := create(ctx, old, table, "OLD")
		require.True(t, conditionFailed(err), "the retry fails its condition on the item its first attempt created: %v", err)
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("OLD")})
		require.NoError(t, err)
		assert.NotEmpty(t, out.Item, "and the item was created")
	})

	t.Run("a conditional create succeeds once", func(t *testing.T) {
		before := owntoken.Recognised.Load()
		require.NoError(t, create(ctx, lossy, table, "A"))
		assert.Equal(t, int64(1), owntoken.Recognised.Load()-before)
		// Another call creating the same item is a real conflict.
		assert.True(t, conditionFailed(create(ctx, db, table, "A")))
		assert.True(t, conditionFailed(create(ctx, lossy, table, "A")), "so does it through the lossy client (its condition fails on another call's token)")
	})

	t.Run("a versioned update succeeds, answers the item it wrote, and applies once", func(t *testing.T) {
		require.NoError(t, create(ctx, db, table, "B"))
		out, err := lossy.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("B"),
			UpdateExpression:          aws.String("SET v = :next ADD hits :one"),
			ConditionExpression:       aws.String("v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1"), ":next": n("2"), ":one": n("1")},
			ReturnValues:              types.ReturnValueAllNew})
		require.NoError(t, err)
		assert.Equal(t, n("2"), out.Attributes["v"])
		assert.Equal(t, n("1"), out.Attributes["hits"], "the ADD applied once")
		assert.NotContains(t, out.Attributes, owntoken.Attr, "the token is not the caller's data")
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("B"), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		assert.Equal(t, n("1"), got.Item["hits"])
		// The same update by another call, from version 1, is a real conflict.
		_, err = lossy.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("B"),
			UpdateExpression: aws.String("SET v = :next"), ConditionExpression: aws.String("v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1"), ":next": n("2")}})
		assert.True(t, conditionFailed(err), "%v", err)
	})

	t.Run("a counter guarded by a condition is not counted twice", func(t *testing.T) {
		_, err := lossy.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("C"),
			UpdateExpression:          aws.String("ADD hits :one"),
			ConditionExpression:       aws.String("attribute_not_exists(hits) OR hits < :max"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1"), ":max": n("10")}})
		require.NoError(t, err)
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("C"), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		assert.Equal(t, n("1"), got.Item["hits"])
	})

	t.Run("a transaction needs no token: the SDK's ClientRequestToken makes its retry answer the first commit", func(t *testing.T) {
		item := key("D")
		_, err := lossy.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}})
		require.NoError(t, err)
	})

	del := func(db *dynamodb.Client, pk string) error {
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key(pk),
			ConditionExpression:       aws.String("attribute_exists(pk) AND v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1")}})
		return err
	}
	t.Run("the scenario: without the fix, a conditional delete answers not-found for its own success", func(t *testing.T) {
		require.NoError(t, create(ctx, db, table, "OLDDEL"))
		old, _ := testenv.WithLostAnswers(withoutToken(db), "DeleteItem")
		assert.True(t, conditionFailed(del(old, "OLDDEL")), "the retry fails its condition on the item its first attempt deleted")
	})

	t.Run("a conditional delete whose answer was lost succeeds", func(t *testing.T) {
		require.NoError(t, create(ctx, db, table, "E"))
		before := owntoken.Recognised.Load()
		require.NoError(t, del(lossy, "E"))
		assert.Equal(t, int64(1), owntoken.Recognised.Load()-before)
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("E"), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		assert.Empty(t, got.Item)
	})

	t.Run("a conditional delete stays a conflict when the item is there, or on its first attempt", func(t *testing.T) {
		require.NoError(t, create(ctx, db, table, "F"))
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("F"),
			UpdateExpression: aws.String("SET v = :two"), ExpressionAttributeValues: map[string]types.AttributeValue{":two": n("2")}})
		require.NoError(t, err)
		assert.True(t, conditionFailed(del(lossy, "F")), "the version moved on: a real conflict")
		assert.True(t, conditionFailed(del(lossy, "NEVER")), "nothing to delete, answered at once: not found")
	})

	t.Run("a counter that opts in with a condition that always holds is not counted twice", func(t *testing.T) {
		for range 2 {
			_, err := lossy.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("G"),
				ConditionExpression:       aws.String("attribute_not_exists(pk) OR attribute_exists(pk)"),
				UpdateExpression:          aws.String("ADD hits :one SET tally = if_not_exists(tally, :zero) + :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1"), ":zero": n("0")}})
			require.NoError(t, err)
		}
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("G"), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		assert.Equal(t, n("2"), got.Item["hits"], "two calls, two: not four")
		assert.Equal(t, n("2"), got.Item["tally"])
	})

	ones := &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1")}}
	counters := []struct {
		name, update string
		values       map[string]types.AttributeValue
	}{
		{"ADD", "ADD hits :one", map[string]types.AttributeValue{":one": n("1")}},
		{"arithmetic", "SET hits = if_not_exists(hits, :zero) + :one", map[string]types.AttributeValue{":one": n("1"), ":zero": n("0")}},
		{"list_append", "SET hits = list_append(if_not_exists(hits, :empty), :ones)",
			map[string]types.AttributeValue{":empty": &types.AttributeValueMemberL{}, ":ones": ones}},
	}
	hits := func(t *testing.T, pk string) types.AttributeValue {
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(pk), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		if l, ok := got.Item["hits"].(*types.AttributeValueMemberL); ok {
			return n(fmt.Sprint(len(l.Value)))
		}
		return got.Item["hits"]
	}
	for _, c := range counters {
		update := func(t *testing.T, db *dynamodb.Client, pk string) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key(pk),
				UpdateExpression: aws.String(c.update), ExpressionAttributeValues: c.values})
			require.NoError(t, err)
		}
		t.Run("the scenario: without the token, a counter with no condition ("+c.name+") counts a lost answer twice", func(t *testing.T) {
			old, _ := testenv.WithLostAnswers(withoutToken(db), "UpdateItem")
			update(t, old, "OLDCOUNT"+c.name)
			assert.Equal(t, n("2"), hits(t, "OLDCOUNT"+c.name))
		})
		t.Run("a counter with no condition ("+c.name+") counts a lost answer once", func(t *testing.T) {
			before := owntoken.Recognised.Load()
			update(t, lossy, "COUNT"+c.name)
			update(t, lossy, "COUNT"+c.name)
			assert.Equal(t, n("2"), hits(t, "COUNT"+c.name), "two calls, two: not four")
			assert.Equal(t, int64(2), owntoken.Recognised.Load()-before)
		})
	}

	t.Run("the token adds Size bytes to an item", func(t *testing.T) {
		require.NoError(t, create(ctx, lossy, table, "SIZE"))
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("SIZE"), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		require.Contains(t, got.Item, owntoken.Attr)
		assert.Equal(t, owntoken.Size, dynamo.ItemSize(got.Item)-dynamo.ItemSize(owntoken.Strip(got.Item)))
	})

	t.Run("an update that only sets values gets no token without a condition", func(t *testing.T) {
		_, err := lossy.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("PLAIN"),
			UpdateExpression: aws.String("SET v = :one REMOVE w"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")}})
		require.NoError(t, err, "its retry writes the same item")
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("PLAIN"), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		assert.NotContains(t, got.Item, owntoken.Attr)
	})

	t.Run("a write asking for the old item succeeds, saying the old item is lost", func(t *testing.T) {
		require.NoError(t, create(ctx, db, table, "H"))
		out, err := lossy.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("H"),
			UpdateExpression: aws.String("SET v = :next"), ConditionExpression: aws.String("v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1"), ":next": n("2")},
			ReturnValues:              types.ReturnValueAllOld})
		require.NoError(t, err, "not a conflict: the call's own write")
		assert.True(t, owntoken.OldLost(out.ResultMetadata))
		assert.Empty(t, out.Attributes)
		_, err = lossy.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key("I"),
			ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValues: types.ReturnValueAllOld})
		require.NoError(t, err)
		dout, err := lossy.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("I"),
			ConditionExpression: aws.String("attribute_exists(pk)"), ReturnValues: types.ReturnValueAllOld})
		require.NoError(t, err)
		assert.True(t, owntoken.OldLost(dout.ResultMetadata))
		known := key("I")
		assert.Equal(t, known, owntoken.OldItem(dout.Attributes, dout.ResultMetadata, known), "the item the caller knew before the call")
		dout, err = lossy.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("H"), ReturnValues: types.ReturnValueAllOld})
		require.NoError(t, err)
		assert.True(t, owntoken.OldLost(dout.ResultMetadata), "an unconditional delete's retry answers no item: not 'there was none'")
		// Answered at once, the old item is there and nothing is lost.
		require.NoError(t, create(ctx, db, table, "J"))
		dout, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("J"), ReturnValues: types.ReturnValueAllOld})
		require.NoError(t, err)
		assert.False(t, owntoken.OldLost(dout.ResultMetadata))
		assert.Equal(t, n("1"), dout.Attributes["v"])
		assert.Equal(t, dout.Attributes, owntoken.OldItem(dout.Attributes, dout.ResultMetadata, known), "the answer's, when it came")
	})
	assert.Equal(t, 19, lost.Dropped, "every successful call above lost its first answer")
}

// An update expression accumulates when applying it twice leaves another
// item than applying it once.
func TestAccumulates(t *testing.T) {
	for expr, want := range map[string]bool{
		"ADD hits :one":                             true,
		"SET a = :a ADD #n :k":                      true,
		"add #n :k":                                 true,
		"SET #0 = :0\nADD #1 :1":                    true,
		"SET n = n + :one":                          true,
		"SET n = if_not_exists(n, :zero) - :one":    true,
		"SET l = list_append(l, :more)":             true,
		"SET a = :a, address = :b, padded = :c":     false,
		"SET #add = :v, added_at = :at REMOVE addr": false,
		"REMOVE a DELETE tags :gone":                false,
		"SET gsi7sk = gsi1sk, project_id = :p":      false,
		"SET #0 = :0, #1 = if_not_exists(#1, :1)":   false,
	} {
		assert.Equal(t, want, owntoken.Accumulates(expr), expr)
	}
}

// The grants limited to some attributes allow the token (IAM's
// dynamodb:Attributes would refuse the write in AWS otherwise).
func TestTheGrantsAllowTheToken(t *testing.T) {
	assert.Equal(t, access.WriteToken, owntoken.Attr)
}
