package txclaim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/idempotency/txclaim"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

func puts(table string, n int, prefix string) *dynamodb.TransactWriteItemsInput {
	in := &dynamodb.TransactWriteItemsInput{}
	for i := range n {
		in.TransactItems = append(in.TransactItems, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: dynamo.Key(prefix, fmt.Sprint(i))}})
	}
	return in
}

// The claim below names a record that does not exist: wherever the marker
// is added, the transaction fails with ErrLost; where it is not, it commits.
func TestTheMarkerGoesOnlyIntoTransactionsOnTheRecordsTableWithRoom(t *testing.T) {
	db, names := testenv.Tables(t) // an awsx client: the middleware is installed
	c := &txclaim.Claim{Table: names.App(), Key: dynamo.Key("T#acme#IDEM#ann#k", "IDEM"), Token: "mine"}
	ctx := txclaim.With(context.Background(), c)

	_, err := db.TransactWriteItems(ctx, puts(names.App(), 1, "T#acme#A"))
	assert.ErrorIs(t, err, txclaim.ErrLost, "a transaction on the record's table carries the marker")

	_, err = db.TransactWriteItems(ctx, puts(names.Control(), 1, "B"))
	assert.NoError(t, err, "a transaction on another table carries no marker")

	_, err = db.TransactWriteItems(ctx, puts(names.App(), txclaim.MaxActions, "T#acme#C"))
	assert.NoError(t, err, "a transaction without room for the marker runs as it is")

	_, err = db.TransactWriteItems(context.Background(), puts(names.App(), 1, "T#acme#D"))
	assert.NoError(t, err, "no claim, no marker")
	require.False(t, c.Committed())
}
