// Package tenantdata reads and deletes a tenant's application data as a
// whole, for offboarding (and, later, for moving a tenant between the pooled
// table and its own table: the export is the import's input).
//
// Completeness over cleverness: every partition key of the pooled table
// starts with "T#<tenant>#" (schema.TenantKeyPrefix; the ABAC policy
// enforces it), so the offboarding job finds ALL of a tenant's items by
// paging through the pooled table with that prefix as a filter, whatever
// domain wrote them. That read is O(pooled table) and runs only in the
// offboarding job, never on a request path; at a size where it hurts,
// replace it with a DynamoDB export to S3. A Platinum tenant's own table
// holds nothing else, so it is paged through whole. Families list the
// tenant's users by Query, for Cognito clean-up and the usage summary.
package tenantdata

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Family is one kind of tenant item in the pooled table.
type Family struct {
	Name string
	// Index and Partition locate the list of the tenant's items of the family.
	Index     string
	Partition func(tenantID string) string
	// Expand also reads every item under the base partition of each listed
	// item (a user's partition may hold more than the user item).
	Expand bool
	// UserName, when set, gives the Cognito username of a listed item.
	UserName func(item map[string]types.AttributeValue) string
}

// Families of the pooled table that the lifecycle reads by Query.
var Families = []Family{
	{
		// internal/people/userdb.go: user pk "T#<t>#USER#<id>", listed in gsi1 "T#<t>#USERS".
		Name: "users", Index: schema.GSI1, Expand: true,
		Partition: func(t string) string { return schema.TenantKeyPrefix(t) + "USERS" },
		UserName: func(it map[string]types.AttributeValue) string {
			if v, ok := it["email"].(*types.AttributeValueMemberS); ok {
				return v.Value
			}
			return ""
		},
	},
}

// Store implements onboarding.Data.
type Store struct {
	// DB is the tenant-scoped client: Queries and deletes run as the tenant.
	DB *dynamodb.Client
	// Platform reads whole tables for the offboarding job (Scan is not a
	// tenant action: it has no leading key for the tenant policy to check).
	Platform *dynamodb.Client
	Families []Family // default: Families
}

var _ onboarding.Data = Store{}

func (s Store) platform() *dynamodb.Client {
	if s.Platform != nil {
		return s.Platform
	}
	return s.DB
}

func (s Store) families() []Family {
	if s.Families != nil {
		return s.Families
	}
	return Families
}

func siloed(t tenant.Tenant) bool { return tiers.MustGet(t.Tier).Isolation == tiers.Silo }

// Items returns every item of the tenant in its table.
func (s Store) Items(ctx context.Context, t tenant.Tenant) ([]map[string]types.AttributeValue, error) {
	if t.Table == "" {
		return nil, nil // never placed
	}
	if siloed(t) {
		return s.scanOwn(ctx, t.Table)
	}
	return s.scan(ctx, t.Table, schema.TenantKeyPrefix(t.ID))
}

// Export implements onboarding.Data: a gzip of JSON lines, the first the
// tenant record, then {"table": ..., "item": <DynamoDB JSON>} per item.
func (s Store) Export(ctx context.Context, t tenant.Tenant) ([]byte, int, error) {
	items, err := s.Items(ctx, t)
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(map[string]any{"format": "issuetracker-export/1", "tenant": t, "items": len(items)}); err != nil {
		return nil, 0, err
	}
	for _, it := range items {
		if err := enc.Encode(map[string]any{"table": t.Table, "item": DynamoJSON(it)}); err != nil {
			return nil, 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), len(items), nil
}

// Delete implements onboarding.Data for the pooled table; a silo table goes
// with its stack.
func (s Store) Delete(ctx context.Context, t tenant.Tenant) (int, error) {
	if siloed(t) {
		return 0, nil
	}
	items, err := s.Items(ctx, t)
	if err != nil {
		return 0, err
	}
	ctx = tenancy.WithTenant(ctx, t.ID) // the deletes run as the tenant
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: map[string]types.AttributeValue{schema.PK: it[schema.PK], schema.SK: it[schema.SK]}}})
		}
		pending := map[string][]types.WriteRequest{t.Table: reqs}
		for len(pending) > 0 {
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return 0, fmt.Errorf("delete items of %s: %w", t.ID, err)
			}
			pending = out.UnprocessedItems
		}
	}
	return len(items), nil
}

// UserNames implements onboarding.Data.
func (s Store) UserNames(ctx context.Context, t tenant.Tenant) ([]string, error) {
	if t.Table == "" {
		return nil, nil
	}
	ctx = tenancy.WithTenant(ctx, t.ID)
	var names []string
	for _, f := range s.families() {
		if f.UserName == nil {
			continue
		}
		listed, err := s.query(ctx, t.Table, f.Index, indexPK(f.Index), f.Partition(t.ID))
		if err != nil {
			return nil, err
		}
		for _, it := range listed {
			if n := f.UserName(it); n != "" {
				names = append(names, n)
			}
		}
	}
	return names, nil
}

// CountUsers counts the tenant's people with one Query (usage summary).
func (s Store) CountUsers(ctx context.Context, t tenant.Tenant) (int, error) {
	if t.Table == "" {
		return 0, nil
	}
	ctx = tenancy.WithTenant(ctx, t.ID)
	f := Families[0]
	n := 0
	var start map[string]types.AttributeValue
	for {
		out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(t.Table), IndexName: aws.String(f.Index),
			KeyConditionExpression:    aws.String("#k = :v"),
			ExpressionAttributeNames:  map[string]string{"#k": indexPK(f.Index)},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: f.Partition(t.ID)}},
			Select:                    types.SelectCount, ExclusiveStartKey: start})
		if err != nil {
			return 0, fmt.Errorf("count users of %s: %w", t.ID, err)
		}
		n += int(out.Count)
		if start = out.LastEvaluatedKey; start == nil {
			return n, nil
		}
	}
}

func (s Store) query(ctx context.Context, table, index, attr, value string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(table),
		KeyConditionExpression:    aws.String("#k = :v"),
		ExpressionAttributeNames:  map[string]string{"#k": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}},
	}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query %s %s=%s: %w", table, attr, value, err)
		}
		out = append(out, pg.Items...)
	}
	return out, nil
}

// scanOwn pages through a Platinum tenant's own table (offboarding job only).
func (s Store) scanOwn(ctx context.Context, table string) ([]map[string]types.AttributeValue, error) {
	return s.scan(ctx, table, "")
}

// scan pages through a table, keeping the items whose partition key starts
// with prefix (all when empty). Offboarding job only, never a request path.
func (s Store) scan(ctx context.Context, table, prefix string) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	in := &dynamodb.ScanInput{TableName: aws.String(table)}
	if prefix != "" {
		in.FilterExpression = aws.String("begins_with(#pk, :prefix)")
		in.ExpressionAttributeNames = map[string]string{"#pk": schema.PK}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prefix": &types.AttributeValueMemberS{Value: prefix}}
	}
	p := dynamodb.NewScanPaginator(s.platform(), in)
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read table %s: %w", table, err)
		}
		out = append(out, pg.Items...)
	}
	return out, nil
}

func indexPK(index string) string {
	switch index {
	case schema.GSI1:
		return schema.GSI1PK
	case schema.GSI2:
		return schema.GSI2PK
	case schema.GSI3:
		return schema.GSI3PK
	}
	return schema.PK
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
