// Package billingdb keeps billing accounts, processed provider events and
// the monthly closes in the control table.
//
// Keys:
//   - account: pk "TENANT#<id>", sk "BILLING" (beside the tenant record),
//     also in the gsi1 partition "BILLING" (sort key: the tenant) for Root's
//     figures and the dunning sweep;
//   - customer: pk "BILLINGCUSTOMER#<customer id>", sk "CUSTOMER": the
//     tenant of a provider customer (written with the account, unique);
//   - event: pk "BILLINGEVENT#<event id>", sk "EVENT": claimed, then done
//     (expires after EventTTL: the provider retries for 3 days);
//   - close: pk "BILLINGCLOSE", sk "<yyyy-mm>".
package billingdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

func accountPK(tenantID string) string { return schema.ControlTenant + tenantID }
func customerPK(id string) string      { return schema.ControlBillingCustomer + id }
func eventPK(id string) string         { return schema.ControlBillingEvent + id }

const (
	accountSK, customerSK, eventSK = "BILLING", "CUSTOMER", "EVENT"
	accountsGSI, closePK           = schema.ControlBillingAccounts, schema.ControlBillingClose
)

// EventTTL keeps processed event ids (Stripe retries an event for 3 days).
const EventTTL = 30 * 24 * time.Hour

// EventLease is how long a claim blocks a redelivery: a claim older than
// that belongs to a run that died, and the next delivery takes it over.
const EventLease = 5 * time.Minute

type accountItem struct {
	PK                 string    `dynamodbav:"pk"`
	SK                 string    `dynamodbav:"sk"`
	GSI1PK             string    `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK             string    `dynamodbav:"gsi1sk,omitempty"`
	TenantID           string    `dynamodbav:"tenant_id"`
	Tier               string    `dynamodbav:"tier"`
	Status             string    `dynamodbav:"status"`
	CustomerID         string    `dynamodbav:"customer_id,omitempty"`
	SubscriptionID     string    `dynamodbav:"subscription_id,omitempty"`
	SubscriptionItemID string    `dynamodbav:"subscription_item_id,omitempty"`
	CheckoutSessionID  string    `dynamodbav:"checkout_session_id,omitempty"`
	CheckoutTier       string    `dynamodbav:"checkout_tier,omitempty"`
	AmountCents        int64     `dynamodbav:"amount_cents"`
	Currency           string    `dynamodbav:"currency,omitempty"`
	GraceUntil         time.Time `dynamodbav:"grace_until,omitempty"`
	CurrentPeriodEnd   time.Time `dynamodbav:"current_period_end,omitempty"`
	StartedAt          time.Time `dynamodbav:"started_at,omitempty"`
	CanceledAt         time.Time `dynamodbav:"canceled_at,omitempty"`
	CanceledTier       string    `dynamodbav:"canceled_tier,omitempty"`
	UpdatedAt          time.Time `dynamodbav:"updated_at"`
	Version            int64     `dynamodbav:"version"`
	MovedTo            string    `dynamodbav:"moved_to,omitempty"`
}

func toItem(a billing.Account) accountItem {
	it := accountItem{PK: accountPK(a.TenantID), SK: accountSK, GSI1PK: accountsGSI, GSI1SK: a.TenantID,
		TenantID: a.TenantID, Tier: string(a.Tier), Status: string(a.Status), CustomerID: a.CustomerID,
		SubscriptionID: a.SubscriptionID, SubscriptionItemID: a.SubscriptionItemID, CheckoutSessionID: a.CheckoutSessionID,
		CheckoutTier: string(a.CheckoutTier), AmountCents: a.AmountCents, Currency: a.Currency, GraceUntil: a.GraceUntil,
		CurrentPeriodEnd: a.CurrentPeriodEnd, StartedAt: a.StartedAt, CanceledAt: a.CanceledAt, CanceledTier: string(a.CanceledTier),
		UpdatedAt: a.UpdatedAt, Version: a.Version, MovedTo: a.MovedTo}
	if a.MovedTo != "" { // out of the accounts' index: no figure, close or sweep counts it here
		it.GSI1PK, it.GSI1SK = "", ""
	}
	return it
}

func (it accountItem) account() billing.Account {
	return billing.Account{TenantID: it.TenantID, Tier: tiers.Name(it.Tier), Status: billing.Status(it.Status),
		CustomerID: it.CustomerID, SubscriptionID: it.SubscriptionID, SubscriptionItemID: it.SubscriptionItemID,
		CheckoutSessionID: it.CheckoutSessionID, CheckoutTier: tiers.Name(it.CheckoutTier), AmountCents: it.AmountCents,
		Currency: it.Currency, GraceUntil: it.GraceUntil, CurrentPeriodEnd: it.CurrentPeriodEnd, StartedAt: it.StartedAt,
		CanceledAt: it.CanceledAt, CanceledTier: tiers.Name(it.CanceledTier), UpdatedAt: it.UpdatedAt, Version: it.Version, MovedTo: it.MovedTo}
}

// Store implements billing.Store.
type Store struct {
	DB    *dynamodb.Client
	Table string
}

var _ billing.Store = Store{}

// New returns the store on the control table of names.
func New(db *dynamodb.Client, names schema.Names) Store { return Store{DB: db, Table: names.Control()} }

// Get implements billing.Store.
func (s Store) Get(ctx context.Context, tenantID string) (billing.Account, error) {
	var it accountItem
	if err := dynamo.GetItem(ctx, s.DB, s.Table, dynamo.Key(accountPK(tenantID), accountSK), &it,
		"billing account "+tenantID, errs.NotFound("account")); err != nil {
		return billing.Account{}, err
	}
	return it.account(), nil
}

// Put implements billing.Store: the account with optimistic locking and,
// when it has a customer, the customer's index item, in one transaction.
func (s Store) Put(ctx context.Context, a billing.Account) (billing.Account, error) {
	prev := a.Version
	a.Version++
	av, err := attributevalue.MarshalMap(toItem(a))
	if err != nil {
		return a, err
	}
	cond := expression.AttributeNotExists(expression.Name(schema.PK))
	if prev > 0 {
		cond = expression.Name("version").Equal(expression.Value(prev))
	}
	ex, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return a, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: ex.Condition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()}}}
	if a.CustomerID != "" {
		items = append(items, customerPut(s.Table, a.CustomerID, a.TenantID))
	}
	// The provider's tenants table sorts by MRR: the account's amount
	// while paying, written with it (tenantdb's mrr row; last, so the
	// items above keep their positions for CancelledItems).
	var mrr int64
	if a.Paying() {
		mrr = a.AmountCents
	}
	row, err := tenantdb.MRRRow(s.Table, a.TenantID, mrr)
	if err != nil {
		return a, err
	}
	items = append(items, row)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := dynamo.CancelledItems(err); ok {
		for i, f := range failed {
			if !f {
				continue
			}
			if i == 1 {
				return a, errs.Conflict("customer_of_another_tenant", "the billing customer belongs to another tenant")
			}
			return a, errs.E(errs.KindPreconditionFailed, "account_version_conflict", "the billing account of %s changed meanwhile", a.TenantID)
		}
	}
	if err != nil {
		return a, fmt.Errorf("put billing account %s: %w", a.TenantID, err)
	}
	return a, nil
}

// customerPut indexes a provider customer to its tenant in table, unless
// it is another tenant's.
func customerPut(table, customerID, tenantID string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			schema.PK:   &types.AttributeValueMemberS{Value: customerPK(customerID)},
			schema.SK:   &types.AttributeValueMemberS{Value: customerSK},
			"tenant_id": &types.AttributeValueMemberS{Value: tenantID},
		},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR tenant_id = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: tenantID}},
	}}
}

// ByCustomer implements billing.Store.
func (s Store) ByCustomer(ctx context.Context, customerID string) (billing.Account, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: dynamo.Key(customerPK(customerID), customerSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return billing.Account{}, fmt.Errorf("billing customer: %w", err)
	}
	if out.Item == nil {
		return billing.Account{}, errs.NotFound("account")
	}
	t, _ := out.Item["tenant_id"].(*types.AttributeValueMemberS)
	if t == nil {
		return billing.Account{}, errs.NotFound("account")
	}
	return s.Get(ctx, t.Value)
}

// List implements billing.Store: the gsi1 partition of accounts (a job or
// Root read, never a tenant's request).
func (s Store) List(ctx context.Context) ([]billing.Account, error) {
	ex, err := expression.NewBuilder().WithKeyCondition(expression.Key(schema.GSI1PK).Equal(expression.Value(accountsGSI))).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(schema.GSI1),
		KeyConditionExpression: ex.KeyCondition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()})
	var out []billing.Account
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list billing accounts: %w", err)
		}
		var its []accountItem
		if err := attributevalue.UnmarshalListOfMaps(pg.Items, &its); err != nil {
			return nil, err
		}
		for _, it := range its {
			out = append(out, it.account())
		}
	}
	return out, nil
}

// ClaimEvent implements billing.Store with one conditional put.
func (s Store) ClaimEvent(ctx context.Context, id, typ string, now time.Time) (bool, error) {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			schema.PK:        &types.AttributeValueMemberS{Value: eventPK(id)},
			schema.SK:        &types.AttributeValueMemberS{Value: eventSK},
			"type":           &types.AttributeValueMemberS{Value: typ},
			"state":          &types.AttributeValueMemberS{Value: "processing"},
			"claimed_at":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			schema.ExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(EventTTL).Unix(), 10)},
		},
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (#s = :processing AND claimed_at < :stale)"),
		ExpressionAttributeNames: map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":processing": &types.AttributeValueMemberS{Value: "processing"},
			":stale":      &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(-EventLease).Unix(), 10)},
		}})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim billing event %s: %w", id, err)
	}
	return true, nil
}

// FinishEvent implements billing.Store.
func (s Store) FinishEvent(ctx context.Context, id string, now time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: dynamo.Key(eventPK(id), eventSK),
		UpdateExpression:          aws.String("SET #s = :done, done_at = :at"),
		ExpressionAttributeNames:  map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": &types.AttributeValueMemberS{Value: "done"}, ":at": &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339)}}})
	if err != nil {
		return fmt.Errorf("finish billing event %s: %w", id, err)
	}
	return nil
}

// ReleaseEvent implements billing.Store.
func (s Store) ReleaseEvent(ctx context.Context, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: dynamo.Key(eventPK(id), eventSK)})
	if err != nil {
		return fmt.Errorf("release billing event %s: %w", id, err)
	}
	return nil
}

// PutClose implements billing.Store (the close as JSON: figures, not queried).
func (s Store) PutClose(ctx context.Context, c billing.MonthClose) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: closePK}, schema.SK: &types.AttributeValueMemberS{Value: c.Month},
		"close": &types.AttributeValueMemberS{Value: string(b)}}})
	if err != nil {
		return fmt.Errorf("put close %s: %w", c.Month, err)
	}
	return nil
}

// Closes implements billing.Store.
func (s Store) Closes(ctx context.Context, limit int) ([]billing.MonthClose, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: closePK}},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, fmt.Errorf("closes: %w", err)
	}
	closes := []billing.MonthClose{}
	for _, it := range out.Items {
		var c billing.MonthClose
		if v, ok := it["close"].(*types.AttributeValueMemberS); ok && json.Unmarshal([]byte(v.Value), &c) == nil {
			closes = append(closes, c)
		}
	}
	return closes, nil
}
