// Package customfielddb stores a project's custom fields in the tenant's
// table: one partition per project, T#<tenant>#FIELDS#<project>, holding
// the fields (FIELD#<id>) and their name claims (NAME#<folded name>), so a
// project's fields are one Query and names are unique by a conditional Put
// (docs/data-model.md).
package customfielddb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Key builders: the only place key formats are spelled out.
func fieldsPK(tenant, project string) string {
	return schema.TenantKeyPrefix(tenant) + "FIELDS#" + project
}
func fieldSK(id string) string  { return preField + id }
func nameSK(name string) string { return "NAME#" + customfield.NameKey(name) }

const preField = "FIELD#"

type fieldItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Entity    string    `dynamodbav:"entity"`
	ID        string    `dynamodbav:"id"`
	ProjectID string    `dynamodbav:"project_id"`
	Name      string    `dynamodbav:"name"`
	Type      string    `dynamodbav:"field_type"`
	Options   []string  `dynamodbav:"options,omitempty"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	UpdatedAt time.Time `dynamodbav:"updated_at"`
	Version   int64     `dynamodbav:"version"`
}

type nameItem struct {
	_       dynamo.NotComparable
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Entity  string `dynamodbav:"entity"`
	FieldID string `dynamodbav:"field_id"`
}

func toItem(tenant string, f issue.FieldDef) fieldItem {
	return fieldItem{PK: fieldsPK(tenant, f.ProjectID), SK: fieldSK(f.ID), Entity: "custom_field", ID: f.ID, ProjectID: f.ProjectID,
		Name: f.Name, Type: string(f.Type), Options: f.Options, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, Version: f.Version}
}

func (it fieldItem) field() issue.FieldDef {
	return issue.FieldDef{ID: it.ID, ProjectID: it.ProjectID, Name: it.Name, Type: issue.FieldType(it.Type), Options: it.Options,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}
}

// Store implements customfield.Store on DynamoDB.
type Store struct{ DB *dynamodb.Client }

var _ customfield.Store = &Store{}

// List implements customfield.Store: one consistent Query of the project's
// fields (begins_with FIELD#), oldest first.
func (s *Store) List(ctx context.Context, sc tenancy.Scope, projectID string) ([]issue.FieldDef, error) {
	kc := expression.Key("pk").Equal(expression.Value(fieldsPK(sc.TenantID, projectID))).And(expression.Key("sk").BeginsWith(preField))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("list custom fields: %w", err)
	}
	var its []fieldItem
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &its); err != nil {
		return nil, fmt.Errorf("decode custom fields: %w", err)
	}
	out := make([]issue.FieldDef, 0, len(its))
	for _, it := range its {
		out = append(out, it.field())
	}
	return out, nil // ULID ids: sk order is creation order
}

func put(table string, item any, cond expression.ConditionBuilder) (types.TransactWriteItem, int64, error) {
	m, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, 0, err
	}
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, 0, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: m, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, dynamo.ItemSize(m), nil
}

func nameTaken(name string) error {
	return errs.Conflict("field_name_taken", fmt.Sprintf("the project has a field named %q", name)).
		WithFields(errs.FieldError{Field: "name", Reason: "is taken"})
}

// Create implements customfield.Store: the field and its name claim.
func (s *Store) Create(ctx context.Context, sc tenancy.Scope, f issue.FieldDef) error {
	absent := expression.AttributeNotExists(expression.Name("pk"))
	a, na, err := put(sc.Table, toItem(sc.TenantID, f), absent)
	if err != nil {
		return err
	}
	b, nb, err := put(sc.Table, nameItem{PK: fieldsPK(sc.TenantID, f.ProjectID), SK: nameSK(f.Name), Entity: "custom_field_name", FieldID: f.ID}, absent)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{a, b}})
	if failed, ok := dynamo.CancelledItems(err); ok && len(failed) > 1 && failed[1] {
		return nameTaken(f.Name)
	}
	if err != nil {
		return fmt.Errorf("create custom field: %w", err)
	}
	usage.AddItemBytes(ctx, na+nb)
	return nil
}

// Update implements customfield.Store.
func (s *Store) Update(ctx context.Context, sc tenancy.Scope, old, f issue.FieldDef) error {
	a, _, err := put(sc.Table, toItem(sc.TenantID, f), expression.Name("version").Equal(expression.Value(old.Version)))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{a}
	if customfield.NameKey(old.Name) != customfield.NameKey(f.Name) {
		b, _, err := put(sc.Table, nameItem{PK: fieldsPK(sc.TenantID, f.ProjectID), SK: nameSK(f.Name), Entity: "custom_field_name", FieldID: f.ID},
			expression.AttributeNotExists(expression.Name("pk")))
		if err != nil {
			return err
		}
		items = append(items, b, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(sc.Table),
			Key: dynamo.Key(fieldsPK(sc.TenantID, f.ProjectID), nameSK(old.Name))}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := dynamo.CancelledItems(err); ok {
		if len(failed) > 1 && failed[1] {
			return nameTaken(f.Name)
		}
		return errs.E(errs.KindPreconditionFailed, "version_mismatch", "the field changed meanwhile; read it again")
	}
	if err != nil {
		return fmt.Errorf("update custom field: %w", err)
	}
	return nil
}

// Delete implements customfield.Store: the field (if still at f's version)
// and its name claim, in one transaction.
func (s *Store) Delete(ctx context.Context, sc tenancy.Scope, f issue.FieldDef) error {
	e, err := expression.NewBuilder().WithCondition(expression.Name("version").Equal(expression.Value(f.Version))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(fieldsPK(sc.TenantID, f.ProjectID), fieldSK(f.ID)),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}},
		{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(fieldsPK(sc.TenantID, f.ProjectID), nameSK(f.Name))}},
	}})
	if _, ok := dynamo.CancelledItems(err); ok {
		return errs.E(errs.KindPreconditionFailed, "version_mismatch", "the field changed meanwhile; read it again")
	}
	if err != nil {
		return fmt.Errorf("delete custom field: %w", err)
	}
	var size int64
	for _, it := range []any{toItem(sc.TenantID, f), nameItem{PK: fieldsPK(sc.TenantID, f.ProjectID), SK: nameSK(f.Name), Entity: "custom_field_name", FieldID: f.ID}} {
		if m, err := attributevalue.MarshalMap(it); err == nil {
			size += dynamo.ItemSize(m)
		}
	}
	usage.AddItemBytes(ctx, -size)
	return nil
}
