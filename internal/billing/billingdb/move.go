package billingdb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// A tenant's billing account moves with the tenant between cells (the
// switch of a move, onboarding.Machine.switchCell). Each cell has its own
// Stripe webhook endpoint, and Stripe sends every event to every endpoint:
// a cell acts on the events of the customers it holds a live account of.
// So the account is live in exactly one cell at a time: Move marks it
// moved here (out of the figures' index; its events are then ignored here)
// and writes it, its customer lookup and its mrr row into the target cell's
// control table in ONE transaction across the two tables (cells of one
// account and Region, as moves are today), so no event is acted on by both
// cells or by neither because of the move itself. The switch moves it
// after the directory (a switch that fails before leaves the tenant, and
// its account, here; a rollback is refused once the directory switched,
// so none has an account to bring back). Drop deletes what is left here
// at the move's retirement.

// Mover moves billing accounts out of the control table Table (this cell's).
type Mover struct {
	DB    *dynamodb.Client
	Table string
}

func (m Mover) get(ctx context.Context, table, tenantID string) (accountItem, bool, error) {
	out, err := m.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: dynamo.Key(accountPK(tenantID), accountSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return accountItem{}, false, fmt.Errorf("billing account %s in %s: %w", tenantID, table, err)
	}
	if out.Item == nil {
		return accountItem{}, false, nil
	}
	var it accountItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return it, false, err
	}
	return it, true, nil
}

func put(table string, it accountItem, cond string, values map[string]types.AttributeValue) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	p := &types.Put{TableName: aws.String(table), Item: av, ConditionExpression: aws.String(cond)}
	if len(values) > 0 {
		p.ExpressionAttributeValues = values
	}
	return types.TransactWriteItem{Put: p}, nil
}

func version(v int64) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(v)}}
}

func mrrOf(a billing.Account) int64 {
	if a.Paying() {
		return a.AmountCents
	}
	return 0
}

// Move moves the tenant's account to cell, whose control table is
// table. No account (a tenant that never had one): nothing, false. Moved
// there already (a retry): nothing, true. It fails with a conflict when the
// account moved elsewhere, the target already holds an account of the
// tenant, or the account changed meanwhile (a retry reads it again).
func (m Mover) Move(ctx context.Context, tenantID, cell, table string) (bool, error) {
	it, ok, err := m.get(ctx, m.Table, tenantID)
	switch {
	case err != nil || !ok:
		return false, err
	case it.MovedTo == cell:
		return true, nil
	case it.MovedTo != "":
		return false, errs.Conflict("billing_account_moved", fmt.Sprintf("the billing account of %s moved to %s", tenantID, it.MovedTo))
	}
	a := it.account()
	here := a
	here.MovedTo, here.Version = cell, a.Version+1
	there := a
	there.Version = 1 // a fresh version in the target's table
	src, err := put(m.Table, toItem(here), "version = :v", version(a.Version))
	if err != nil {
		return false, err
	}
	zero, err := tenantdb.MRRRow(m.Table, tenantID, 0) // counted in the target cell from now on
	if err != nil {
		return false, err
	}
	dst, err := put(table, toItem(there), "attribute_not_exists(pk)", nil)
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{src, zero, dst}
	if a.CustomerID != "" {
		items = append(items, customerPut(table, a.CustomerID, tenantID))
	}
	row, err := tenantdb.MRRRow(table, tenantID, mrrOf(a))
	if err != nil {
		return false, err
	}
	items = append(items, row)
	_, err = m.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := dynamo.CancelledItems(err); ok {
		for i, f := range failed {
			switch {
			case !f:
			case i == 0:
				return false, errs.E(errs.KindPreconditionFailed, "account_version_conflict", "the billing account of %s changed meanwhile", tenantID)
			case i == 2:
				return false, errs.Conflict("billing_account_in_cell", fmt.Sprintf("%s holds a billing account of %s already", cell, tenantID))
			default:
				return false, errs.Conflict("customer_of_another_tenant", fmt.Sprintf("the billing customer of %s belongs to another tenant in %s", tenantID, cell))
			}
		}
	}
	if err != nil {
		return false, fmt.Errorf("move the billing account of %s to %s: %w", tenantID, cell, err)
	}
	return true, nil
}

// Drop deletes what a move left here: the moved account, its customer
// lookup (while it names the tenant) and its mrr row; the account last, so
// a retry after a failure finds it and finishes. No account: nothing. An
// account that did not move is refused (it is the tenant's live one).
func (m Mover) Drop(ctx context.Context, tenantID string) error {
	it, ok, err := m.get(ctx, m.Table, tenantID)
	if err != nil || !ok {
		return err
	}
	if it.MovedTo == "" {
		return errs.Conflict("billing_account_live", fmt.Sprintf("the billing account of %s has not moved", tenantID))
	}
	if it.CustomerID != "" {
		_, err := m.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(m.Table), Key: dynamo.Key(customerPK(it.CustomerID), customerSK),
			ConditionExpression:       aws.String("tenant_id = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: tenantID}}})
		if err != nil && !dynamo.ConditionFailed(err) {
			return fmt.Errorf("delete the billing customer of %s: %w", tenantID, err)
		}
	}
	if _, err := m.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(m.Table), Key: tenantdb.MRRRowKey(tenantID)}); err != nil {
		return fmt.Errorf("delete the mrr row of %s: %w", tenantID, err)
	}
	_, err = m.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(m.Table), Key: dynamo.Key(accountPK(tenantID), accountSK),
		ConditionExpression: aws.String("moved_to = :c"), ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: it.MovedTo}}})
	if err != nil && !dynamo.ConditionFailed(err) {
		return fmt.Errorf("delete the moved billing account of %s: %w", tenantID, err)
	}
	return nil
}
