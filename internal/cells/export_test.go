package cells

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// AddCount adds n to a cell's count of tier t, as n registrations would.
func AddCount(ctx context.Context, d Directory, cell string, t tiers.Name, n int) error {
	_, err := d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{countUpdate(d.Table, cell, t, n)}})
	return err
}
