// Package tenantdb stores the tenant registry in the control-plane table.
//
// Keys: a tenant is pk "TENANT#<id>", sk "META", and also sits in the gsi1
// partition "TENANTS" (sort key: its id) so the provider can page through all
// tenants with a Query; its rows of the provider's tenants table are beside
// it (rows.go). A dedicated user pool's issuer is its own item,
// pk "ISSUER#<iss>", which makes an issuer belong to one tenant only.
package tenantdb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

func tenantPK(id string) string  { return schema.ControlTenant + id }
func issuerPK(iss string) string { return schema.ControlIssuer + iss }

const metaSK, issuerSK, listPK = "META", "ISSUER", schema.ControlTenantList

// MetaSK is the sort key of a tenant item (its pk is "TENANT#<id>", shared
// with the items onboarding keeps next to it).
const MetaSK = metaSK

// item is the stored form of a tenant.
type item struct {
	PK           string             `dynamodbav:"pk"`
	SK           string             `dynamodbav:"sk"`
	GSI1PK       string             `dynamodbav:"gsi1pk"`
	GSI1SK       string             `dynamodbav:"gsi1sk"`
	ID           string             `dynamodbav:"id"`
	Name         string             `dynamodbav:"name"`
	Tier         string             `dynamodbav:"tier"`
	Status       string             `dynamodbav:"status"`
	StatusReason string             `dynamodbav:"status_reason,omitempty"`
	Table        string             `dynamodbav:"table_name"`
	APIKey       string             `dynamodbav:"api_key,omitempty"`
	APIKeyID     string             `dynamodbav:"api_key_id,omitempty"`
	UserPoolID   string             `dynamodbav:"user_pool_id,omitempty"`
	Issuer       string             `dynamodbav:"issuer,omitempty"`
	ClientIDs    []string           `dynamodbav:"client_ids,omitempty,stringset"`
	FormerPool   *tenant.FormerPool `dynamodbav:"former_pool,omitempty"`
	Downloads    *tenant.Downloads  `dynamodbav:"downloads,omitempty"`
	Branding     tenant.Branding    `dynamodbav:"branding"`
	WritesFrozen bool               `dynamodbav:"writes_frozen,omitempty"`
	HomeSince    time.Time          `dynamodbav:"home_since,omitempty"`
	KeyLogSince  time.Time          `dynamodbav:"key_log_since,omitempty"`
	RegToken     string             `dynamodbav:"registration_token_hash,omitempty"`
	CreatedAt    time.Time          `dynamodbav:"created_at"`
	UpdatedAt    time.Time          `dynamodbav:"updated_at"`
	Version      int64              `dynamodbav:"version"`
}

// issuerItem maps a dedicated pool's issuer to its tenant; its key makes the
// issuer unique across tenants.
type issuerItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	TenantID string `dynamodbav:"tenant_id"`
}

func toItem(t tenant.Tenant) item {
	return item{PK: tenantPK(t.ID), SK: metaSK, GSI1PK: listPK, GSI1SK: t.ID,
		ID: t.ID, Name: t.Name, Tier: string(t.Tier), Status: string(t.Status), StatusReason: t.StatusReason,
		Table: t.Table, APIKey: t.APIKey, APIKeyID: t.APIKeyID, UserPoolID: t.UserPoolID, Issuer: t.Issuer,
		ClientIDs: t.ClientIDs, FormerPool: t.FormerPool, Downloads: t.Downloads, Branding: t.Branding, WritesFrozen: t.WritesFrozen, HomeSince: t.HomeSince, KeyLogSince: t.KeyLogSince, RegToken: t.RegistrationTokenHash, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Version: t.Version}
}

func (it item) tenant() tenant.Tenant {
	return tenant.Tenant{ID: it.ID, Name: it.Name, Tier: tiers.Name(it.Tier), Status: tenant.Status(it.Status),
		StatusReason: it.StatusReason, Table: it.Table, APIKey: it.APIKey, APIKeyID: it.APIKeyID,
		UserPoolID: it.UserPoolID, Issuer: it.Issuer, ClientIDs: it.ClientIDs, FormerPool: it.FormerPool, Downloads: it.Downloads, Branding: it.Branding,
		WritesFrozen: it.WritesFrozen, HomeSince: it.HomeSince, KeyLogSince: it.KeyLogSince, RegistrationTokenHash: it.RegToken, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}
}

// Store is the DynamoDB tenant registry.
type Store struct {
	DB    *dynamodb.Client
	Table string // the control table
	// Cursors signs list cursors (the zero value: a key of this process).
	Cursors list.Codec
}

var _ tenant.Registry = (*Store)(nil)

// New returns a registry on the control table of names.
func New(db *dynamodb.Client, names schema.Names) *Store {
	return &Store{DB: db, Table: names.Control()}
}

// Get implements tenant.Registry.
func (s *Store) Get(ctx context.Context, id string) (tenant.Tenant, error) {
	var it item
	if err := dynamo.GetItem(ctx, s.DB, s.Table, dynamo.Key(tenantPK(id), metaSK), &it, "tenant", errs.NotFound("tenant")); err != nil {
		return tenant.Tenant{}, err
	}
	return it.tenant(), nil
}

// Create implements tenant.Registry. The tenant item and, for a dedicated
// pool, its issuer item are written in one transaction.
func (s *Store) Create(ctx context.Context, t tenant.Tenant) error {
	return s.CreateWith(ctx, t)
}

// CreateWith is Create with more items in the same transaction (onboarding
// writes its state with the tenant, so neither exists without the other).
// A condition failure of any item is tenant_exists.
func (s *Store) CreateWith(ctx context.Context, t tenant.Tenant, extra ...types.TransactWriteItem) error {
	t.Version = 1
	av, err := attributevalue.MarshalMap(toItem(t))
	if err != nil {
		return fmt.Errorf("encode tenant: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:           aws.String(s.Table),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}}
	if t.Issuer != "" {
		iv, _ := attributevalue.MarshalMap(issuerItem{PK: issuerPK(t.Issuer), SK: issuerSK, TenantID: t.ID})
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.Table), Item: iv, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	rows, err := s.rowPuts(append(ownRows(t), usersRow(t.ID, 0), mrrRow(t.ID, 0)))
	if err != nil {
		return err
	}
	items = append(items, extra...)
	items = append(items, rows...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if dynamo.ConditionFailed(err) {
		return errs.Conflict("tenant_exists", fmt.Sprintf("a tenant with id %q already exists", t.ID))
	}
	if err != nil {
		return fmt.Errorf("create tenant %s: %w", t.ID, err)
	}
	return nil
}

// Put implements tenant.Registry with optimistic locking on Version. Setting
// an issuer for the first time also writes its issuer item.
func (s *Store) Put(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	prev := t.Version
	t.Version = prev + 1
	av, err := attributevalue.MarshalMap(toItem(t))
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("encode tenant: %w", err)
	}
	cond := expression.Name("version").Equal(expression.Value(prev))
	ex, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return tenant.Tenant{}, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: aws.String(s.Table), Item: av,
		ConditionExpression:       ex.Condition(),
		ExpressionAttributeNames:  ex.Names(),
		ExpressionAttributeValues: ex.Values(),
	}}}
	if t.Issuer != "" {
		iv, _ := attributevalue.MarshalMap(issuerItem{PK: issuerPK(t.Issuer), SK: issuerSK, TenantID: t.ID})
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.Table), Item: iv,
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR tenant_id = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: t.ID}},
		}})
	}
	rows, err := s.rowPuts(ownRows(t))
	if err != nil {
		return tenant.Tenant{}, err
	}
	items = append(items, rows...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if dynamo.ConditionFailed(err) {
		return tenant.Tenant{}, errs.E(errs.KindPreconditionFailed, "tenant_version_conflict", "tenant %s changed meanwhile; reload and retry", t.ID)
	}
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("put tenant %s: %w", t.ID, err)
	}
	return t, nil
}

// SetBranding implements tenant.Registry with one UpdateItem that names the
// branding attributes only (schema.BrandingAttributes, which the branding
// function's IAM policy is limited to) and returns nothing.
func (s *Store) SetBranding(ctx context.Context, t tenant.Tenant) (tenant.Tenant, error) {
	bv, err := attributevalue.Marshal(t.Branding)
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("encode branding: %w", err)
	}
	t.UpdatedAt = t.UpdatedAt.UTC()
	atv, err := attributevalue.Marshal(t.UpdatedAt)
	if err != nil {
		return tenant.Tenant{}, err
	}
	branding, updatedAt, version := schema.BrandingAttributes[0], schema.BrandingAttributes[1], schema.BrandingAttributes[2]
	upd := expression.Set(expression.Name(branding), expression.Value(bv)).
		Set(expression.Name(updatedAt), expression.Value(atv)).
		Set(expression.Name(version), expression.Value(t.Version+1))
	ex, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name(version).Equal(expression.Value(t.Version))).Build()
	if err != nil {
		return tenant.Tenant{}, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(tenantPK(t.ID), metaSK),
		UpdateExpression: ex.Update(), ConditionExpression: ex.Condition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
	})
	if dynamo.ConditionFailed(err) {
		return tenant.Tenant{}, errs.E(errs.KindPreconditionFailed, "tenant_version_conflict", "tenant %s changed meanwhile; reload and retry", t.ID)
	}
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("set branding of %s: %w", t.ID, err)
	}
	t.Version++
	return t, nil
}

// ByIssuer implements tenant.Registry.
func (s *Store) ByIssuer(ctx context.Context, issuer string) (tenant.Tenant, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key:       dynamo.Key(issuerPK(issuer), issuerSK),
	})
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("tenant by issuer: %w", err)
	}
	if out.Item == nil {
		return tenant.Tenant{}, errs.NotFound("tenant")
	}
	var it issuerItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return tenant.Tenant{}, err
	}
	return s.Get(ctx, it.TenantID)
}

// DeleteIssuer forgets a dedicated pool's issuer (offboarding destroyed the pool).
func (s *Store) DeleteIssuer(ctx context.Context, issuer string) error {
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: dynamo.Key(issuerPK(issuer), issuerSK)}); err != nil {
		return fmt.Errorf("delete issuer: %w", err)
	}
	return nil
}

// List implements tenant.Registry: tenants in id order.
func (s *Store) List(ctx context.Context, req list.Request) (list.Page[tenant.Tenant], error) {
	return s.list(ctx, "", req)
}

// ListByStatus implements tenant.Registry: the same Query with a filter on
// the status (Root's console lists pending sign-ups with it).
func (s *Store) ListByStatus(ctx context.Context, status tenant.Status, req list.Request) (list.Page[tenant.Tenant], error) {
	return s.list(ctx, status, req)
}

func (s *Store) list(ctx context.Context, status tenant.Status, req list.Request) (list.Page[tenant.Tenant], error) {
	b := expression.NewBuilder().WithKeyCondition(expression.Key(schema.GSI1PK).Equal(expression.Value(listPK)))
	scope := list.Scope("tenants")
	if status != "" {
		b = b.WithFilter(expression.Name("status").Equal(expression.Value(string(status))))
		scope = list.Scope("tenants", "status="+string(status))
	}
	ex, err := b.Build()
	if err != nil {
		return list.Page[tenant.Tenant]{}, err
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(schema.GSI1),
		KeyConditionExpression:    ex.KeyCondition(),
		FilterExpression:          ex.Filter(),
		ExpressionAttributeNames:  ex.Names(),
		ExpressionAttributeValues: ex.Values(),
	}
	var its []item
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{In: in, Codec: s.Cursors, Scope: scope,
		KeyAttr: []string{schema.PK, schema.SK, schema.GSI1PK, schema.GSI1SK}, Request: req}, &its)
	if err != nil {
		return list.Page[tenant.Tenant]{}, fmt.Errorf("list tenants: %w", err)
	}
	ts := make([]tenant.Tenant, len(its))
	for i, it := range its {
		ts[i] = it.tenant()
	}
	return list.NewPage(ts, next), nil
}

var _ tenant.RootSessions = (*Store)(nil)

const rootSessionsSK = "SESSIONS"

// EndRootSessions implements tenant.RootSessions: one update that moves
// sessions_ended_at forward only.
func (s *Store) EndRootSessions(ctx context.Context, sub string, at time.Time) error {
	v := at.UTC().Format(time.RFC3339)
	ex, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("sessions_ended_at"), expression.Value(v))).
		WithCondition(expression.AttributeNotExists(expression.Name("sessions_ended_at")).
			Or(expression.Name("sessions_ended_at").LessThan(expression.Value(v)))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table),
		Key:              dynamo.Key(schema.ControlRootSessions+sub, rootSessionsSK),
		UpdateExpression: ex.Update(), ConditionExpression: ex.Condition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()})
	if dynamo.ConditionFailed(err) {
		return nil // a later end is recorded already
	}
	if err != nil {
		return fmt.Errorf("end root sessions: %w", err)
	}
	return nil
}

// RootSessionsEnded implements tenant.RootSessions (a strongly consistent
// read: the authorizer caches it).
func (s *Store) RootSessionsEnded(ctx context.Context, sub string) (time.Time, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: dynamo.Key(schema.ControlRootSessions+sub, rootSessionsSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, fmt.Errorf("read root sessions: %w", err)
	}
	v, ok := out.Item["sessions_ended_at"].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, v.Value)
}
