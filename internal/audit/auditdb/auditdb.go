// Package auditdb stores the audit log in the control-plane table.
//
// Keys: a record is pk "AUDIT#<tenant>", sk "<time (schema.TimeKey)>#<ulid>", so a
// tenant's log is one Query in time order and two records never collide.
package auditdb

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/oklog/ulid/v2"
)

func auditPK(tenantID string) string { return schema.ControlAudit + tenantID }

type item struct {
	PK       string            `dynamodbav:"pk"`
	SK       string            `dynamodbav:"sk"`
	TenantID string            `dynamodbav:"tenant_id"`
	At       time.Time         `dynamodbav:"at"`
	Actor    audit.Actor       `dynamodbav:"actor"`
	Action   string            `dynamodbav:"action"`
	Detail   map[string]string `dynamodbav:"detail,omitempty"`
}

// Store is the DynamoDB audit log.
type Store struct {
	DB    *dynamodb.Client
	Table string // the control table
	// Cursors signs list cursors (the zero value: a key of this process).
	Cursors list.Codec
	// ListName names the list its cursors belong to ("audit" if empty): the
	// provider's view of a tenant's log and the tenant's own view are two
	// lists, and a cursor of one is refused by the other.
	ListName string
}

var _ audit.Log = Store{}

// New returns the audit log on the control table of names.
func New(db *dynamodb.Client, names schema.Names) Store { return Store{DB: db, Table: names.Control()} }

// Append implements audit.Log.
func (s Store) Append(ctx context.Context, r audit.Record) error {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	r.At = r.At.UTC()
	it := item{PK: auditPK(r.TenantID), SK: schema.TimeKey(r.At) + "#" + ulid.Make().String(),
		TenantID: r.TenantID, At: r.At, Actor: r.Actor, Action: r.Action, Detail: r.Detail}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av,
		ConditionExpression: aws.String("attribute_not_exists(pk)")}); err != nil {
		return fmt.Errorf("append audit %s %s: %w", r.TenantID, r.Action, err)
	}
	return nil
}

// List implements audit.Log: a tenant's records, newest first.
func (s Store) List(ctx context.Context, tenantID string, req list.Request) (list.Page[audit.Record], error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: auditPK(tenantID)}},
		ScanIndexForward: aws.Bool(false),
	}
	var its []item
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{In: in, Codec: s.Cursors, Scope: list.Scope(cmp.Or(s.ListName, "audit"), tenantID),
		KeyAttr: []string{schema.PK, schema.SK}, Request: req}, &its)
	if err != nil {
		return list.Page[audit.Record]{}, fmt.Errorf("list audit of %s: %w", tenantID, err)
	}
	recs := make([]audit.Record, len(its))
	for i, it := range its {
		recs[i] = audit.Record{TenantID: it.TenantID, At: it.At, Actor: it.Actor, Action: it.Action, Detail: it.Detail}
	}
	return list.NewPage(recs, next), nil
}
