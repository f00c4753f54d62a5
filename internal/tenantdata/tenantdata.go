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
// holds nothing else, so it is paged through whole. The tenant's users (for
// Cognito clean-up and the usage summary) come from the people directory.
package tenantdata

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Store implements onboarding.Data.
type Store struct {
	// DB is the tenant-scoped client: Queries and deletes run as the tenant.
	DB *dynamodb.Client
	// Platform reads whole tables for the offboarding job (Scan is not a
	// tenant action: it has no leading key for the tenant policy to check).
	Platform *dynamodb.Client
	// OwnAccounts read the tables of Platinum tenants in AWS accounts of
	// their own whole, by tenant id: clients with the session of the
	// provisioning role there (constructs/crossaccount, which may Scan
	// that table only). Other tenants' tables are read with Platform.
	OwnAccounts map[string]*dynamodb.Client
	// Memo, when set, keeps what a migration's last Sync left in the new
	// home, so the write freeze reads only the old one (drain.go).
	Memo *SyncMemo
	// Segments of a migration's parallel Scans and Writers of its batch
	// writes at once (0: the constants Segments and Writers).
	Segments, Writers int
}

var _ onboarding.Data = Store{}

func (s Store) platform() *dynamodb.Client {
	if s.Platform != nil {
		return s.Platform
	}
	return s.DB
}

func siloed(t tenant.Tenant) bool { return tiers.MustGet(t.Tier).Isolation == tiers.Silo }

// Items returns every item of the tenant in its table.
func (s Store) Items(ctx context.Context, t tenant.Tenant) ([]map[string]types.AttributeValue, error) {
	if t.Table == "" {
		return nil, nil // never placed
	}
	if siloed(t) {
		return s.scanOwn(ctx, t)
	}
	return s.scan(ctx, s.platform(), t.Table, schema.TenantKeyPrefix(t.ID))
}

// Export implements onboarding.Data: a gzip of JSON lines, the first the
// tenant record, then {"table": ..., "item": <DynamoDB JSON>} per item.
func (s Store) Export(ctx context.Context, t tenant.Tenant) ([]byte, int, error) {
	items, err := s.Items(ctx, t)
	if err != nil {
		return nil, 0, err
	}
	// A migration's freeze barrier (put and deleted at once) is not data.
	items = slices.DeleteFunc(items, func(it map[string]types.AttributeValue) bool { return keylog.IsBarrier(str(it[schema.SK])) })
	for i, it := range items {
		items[i], _ = keylog.Unmarked(it)   // a migration's mark is not data
		items[i] = owntoken.Strip(items[i]) // nor a write's retry token
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(map[string]any{"format": ExportFormat, "tenant": t, "items": len(items)}); err != nil {
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
	ctx = tenancy.WithTenant(ctx, t.ID) // the writes run as the tenant
	// First close the tenant's analytics: the deletes below are stream
	// records, and the analytics consumer must not write rollups back for
	// them (or for any late record) once the sweep is done.
	if t.Table != "" {
		if err := analyticsdb.Close(ctx, s.DB, t.Table, t.ID, time.Now()); err != nil {
			return 0, err
		}
	}
	items, err := s.Items(ctx, t)
	if err != nil {
		return 0, err
	}
	items = slices.DeleteFunc(items, analyticsdb.IsClosedMarker) // it expires by itself
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: map[string]types.AttributeValue{schema.PK: it[schema.PK], schema.SK: it[schema.SK]}}})
		}
		pending := map[string][]types.WriteRequest{t.Table: reqs}
		for len(pending) > 0 {
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending}, awsx.Bulk)
			if err != nil {
				return 0, fmt.Errorf("delete items of %s: %w", t.ID, err)
			}
			pending = out.UnprocessedItems
		}
	}
	return len(items), nil
}

// UserNames implements onboarding.Data: the Cognito usernames (emails) of
// the tenant's directory, paged through with the directory's own query.
func (s Store) UserNames(ctx context.Context, t tenant.Tenant) ([]string, error) {
	if t.Table == "" {
		return nil, nil
	}
	ctx = tenancy.WithTenant(ctx, t.ID)
	dir := peopledb.UserDB{DB: s.DB}
	var names []string
	for cursor := ""; ; {
		page, err := dir.List(ctx, t.Scope(), list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("users of %s: %w", t.ID, err)
		}
		for _, u := range page.Items {
			names = append(names, u.Email)
		}
		if cursor = page.NextCursor; cursor == "" {
			return names, nil
		}
	}
}

// CountUsers is the tenant's seat count as the user limit sees it (the
// directory's counter: one read).
func (s Store) CountUsers(ctx context.Context, t tenant.Tenant) (int, error) {
	if t.Table == "" {
		return 0, nil
	}
	n, _, err := peopledb.UserDB{DB: s.DB}.Counters(tenancy.WithTenant(ctx, t.ID), t.Scope())
	if err != nil {
		return 0, fmt.Errorf("count users of %s: %w", t.ID, err)
	}
	return n, nil
}

// scanOwn pages through a Platinum tenant's own table (offboarding job
// only), in the tenant's own account when it has one (OwnAccounts).
func (s Store) scanOwn(ctx context.Context, t tenant.Tenant) ([]map[string]types.AttributeValue, error) {
	if c, ok := s.OwnAccounts[t.ID]; ok {
		return s.scan(ctx, c, t.Table, "")
	}
	return s.scan(ctx, s.platform(), t.Table, "")
}

// scan pages through a table, keeping the items whose partition key starts
// with prefix (all when empty). Offboarding job only, never a request path.
func (s Store) scan(ctx context.Context, db *dynamodb.Client, table, prefix string) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	in := &dynamodb.ScanInput{TableName: aws.String(table)}
	if prefix != "" {
		in.FilterExpression = aws.String("begins_with(#pk, :prefix)")
		in.ExpressionAttributeNames = map[string]string{"#pk": schema.PK}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prefix": &types.AttributeValueMemberS{Value: prefix}}
	}
	p := dynamodb.NewScanPaginator(db, in)
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read table %s: %w", table, err)
		}
		out = append(out, pg.Items...)
	}
	return out, nil
}
