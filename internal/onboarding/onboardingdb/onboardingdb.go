// Package onboardingdb stores lifecycle state in the control-plane table,
// next to the tenant it belongs to: pk "TENANT#<id>", sk "ONBOARDING".
// Registration writes it in the same transaction as the tenant record.
package onboardingdb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

func statePK(tenantID string) string { return schema.ControlTenant + tenantID }

const stateSK = "ONBOARDING"

type item struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	// State is stored whole; it is small and always read whole.
	State   onboarding.State `dynamodbav:"state"`
	Version int64            `dynamodbav:"version"`
}

// Store is the DynamoDB onboarding.Store and registrar.
type Store struct {
	DB      *dynamodb.Client
	Table   string
	Tenants *tenantdb.Store
}

var _ onboarding.Store = (*Store)(nil)

// New returns the store on the control table of names.
func New(db *dynamodb.Client, names schema.Names) *Store {
	return &Store{DB: db, Table: names.Control(), Tenants: tenantdb.New(db, names)}
}

// Register creates the tenant, its lifecycle state and its pending email
// verification in one transaction: conflict tenant_exists if the id was
// ever used.
func (s *Store) Register(ctx context.Context, t tenant.Tenant, st onboarding.State, v onboarding.Verification) error {
	st.Version = 1
	av, err := attributevalue.MarshalMap(item{PK: statePK(t.ID), SK: stateSK, State: st, Version: 1})
	if err != nil {
		return err
	}
	vv, err := attributevalue.MarshalMap(toVerificationItem(v))
	if err != nil {
		return err
	}
	notExists := aws.String("attribute_not_exists(pk)")
	return s.Tenants.CreateWith(ctx, t,
		types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: notExists}},
		types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: vv, ConditionExpression: notExists}})
}

// Reclaim removes an unverified registration in one transaction: the tenant
// (only at t's version and still pending verification), its state and its
// verification. Conflict registration_changed otherwise.
func (s *Store) Reclaim(ctx context.Context, t tenant.Tenant) error {
	cond := expression.Name("version").Equal(expression.Value(t.Version)).
		And(expression.Name("status").Equal(expression.Value(string(tenant.StatusPendingVerification))))
	ex, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	del := func(sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: dynamo.Key(statePK(t.ID), sk)}}
	}
	meta := del(tenantdb.MetaSK)
	meta.Delete.ConditionExpression, meta.Delete.ExpressionAttributeNames, meta.Delete.ExpressionAttributeValues = ex.Condition(), ex.Names(), ex.Values()
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		meta, del(stateSK), del(verificationSK)}})
	if _, cancelled := dynamo.CancelledItems(err); cancelled {
		return errs.Conflict("registration_changed", "the registration of "+t.ID+" changed meanwhile")
	}
	if err != nil {
		return fmt.Errorf("reclaim registration %s: %w", t.ID, err)
	}
	return nil
}

// Get implements onboarding.Store.
func (s *Store) Get(ctx context.Context, tenantID string) (onboarding.State, error) {
	var it item
	if err := dynamo.GetItem(ctx, s.DB, s.Table, key(tenantID), &it, "onboarding", errs.NotFound("onboarding")); err != nil {
		return onboarding.State{}, err
	}
	it.State.Version = it.Version
	return it.State, nil
}

// Put implements onboarding.Store with optimistic locking on Version.
func (s *Store) Put(ctx context.Context, st onboarding.State) (onboarding.State, error) {
	prev := st.Version
	st.Version++
	av, err := attributevalue.MarshalMap(item{PK: statePK(st.TenantID), SK: stateSK, State: st, Version: st.Version})
	if err != nil {
		return onboarding.State{}, err
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av,
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(prev)}},
	}
	if prev == 0 {
		// The first state of a tenant (a seeded tenant offboarded: no
		// state yet). "version = 0" never holds for a missing item.
		in.ConditionExpression, in.ExpressionAttributeValues = aws.String("attribute_not_exists(pk)"), nil
	}
	_, err = s.DB.PutItem(ctx, in)
	if err := dynamo.Translate(err, "put onboarding "+st.TenantID,
		errs.E(errs.KindPreconditionFailed, "onboarding_version_conflict", "onboarding of %s changed meanwhile", st.TenantID)); err != nil {
		return onboarding.State{}, err
	}
	return st, nil
}

// Delete implements onboarding.Store.
func (s *Store) Delete(ctx context.Context, tenantID string) error {
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(tenantID)}); err != nil {
		return fmt.Errorf("delete onboarding %s: %w", tenantID, err)
	}
	return nil
}

func key(tenantID string) map[string]types.AttributeValue {
	return dynamo.Key(statePK(tenantID), stateSK)
}
