package tenantdb

// The provider's tenants table (tenant.Directory). Each tenant has one row
// item per sort order in its own partition (pk "TENANT#<id>", sk
// "ROW#<order>"), whose gsi2 key puts it in that order's partition
// ("TENANTROWS#<order>", sort key "<value>\x01<id>"), and two search rows
// ("TENANTROWS#search": its name key and its id). A page is one Query of a
// gsi2 partition and one BatchGetItem of the tenants it names (their
// record and the two figures other domains own), so its cost does not grow
// with the number of tenants. Each row has one writer: the registry writes
// name, created, tier, status and search with the tenant record in the same
// transaction; billing writes mrr with the account; the hourly job writes
// users (the directory's count lives in the tenant's own table) and
// rewrites every row (tenants created before the rows existed, repairs).

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// sep ends a row's sort value before the tenant id: it sorts before every
// character a name may hold (internal/text refuses control characters), so
// "ab" comes before "ab c".
const sep = "\x01"

const (
	searchOrder          = "search"
	searchName, searchID = "search-name", "search-id"
	// maxKeyRunes bounds the name part of a sort key (names are at most a
	// few hundred characters; the key stays well under DynamoDB's limit).
	maxKeyRunes = 200
)

func rowSK(kind string) string        { return "ROW#" + kind }
func rowsPK(order string) string      { return schema.ControlTenantRows + order }
func sortKey(value, id string) string { return value + sep + id }

// rowItem is one row of the tenants table.
type rowItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI2PK string `dynamodbav:"gsi2pk"`
	GSI2SK string `dynamodbav:"gsi2sk"`
	ID     string `dynamodbav:"id"`
	// Kind and NameKey (search rows): which text matched, and the name's
	// key, so a tenant whose name and id both match is listed once.
	Kind    string `dynamodbav:"kind,omitempty"`
	NameKey string `dynamodbav:"name_key,omitempty"`
	// Users and MRRCents: the figure of a users or mrr row.
	Users    *int   `dynamodbav:"users,omitempty"`
	MRRCents *int64 `dynamodbav:"mrr_cents,omitempty"`
}

func nameKey(name string) string {
	k := tenant.SearchKey(name)
	if r := []rune(k); len(r) > maxKeyRunes {
		k = string(r[:maxKeyRunes])
	}
	return k
}

func tierRank(n tiers.Name) int {
	for i, t := range tiers.All() {
		if t.Name == n {
			return i
		}
	}
	return 99
}

// ownRows are the rows the registry writes with the tenant record.
func ownRows(t tenant.Tenant) []rowItem {
	// A tombstone has no name (offboarding erases it) and is shown by its id:
	// it sorts where it is shown.
	pk, nk := tenantPK(t.ID), nameKey(cmp.Or(t.Name, t.ID))
	row := func(kind, order, value string) rowItem {
		return rowItem{PK: pk, SK: rowSK(kind), GSI2PK: rowsPK(order), GSI2SK: sortKey(value, t.ID), ID: t.ID}
	}
	search := func(kind, value string) rowItem {
		r := row(kind, searchOrder, value)
		r.Kind, r.NameKey = kind, nk
		return r
	}
	return []rowItem{
		row(string(tenant.OrderName), string(tenant.OrderName), nk),
		row(string(tenant.OrderCreated), string(tenant.OrderCreated), t.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000000Z")),
		row(string(tenant.OrderTier), string(tenant.OrderTier), fmt.Sprintf("%02d", tierRank(t.Tier))),
		row(string(tenant.OrderStatus), string(tenant.OrderStatus), string(t.Status)),
		search(searchName, nk),
		search(searchID, t.ID),
	}
}

func usersRow(id string, n int) rowItem {
	o := string(tenant.OrderUsers)
	return rowItem{PK: tenantPK(id), SK: rowSK(o), GSI2PK: rowsPK(o), GSI2SK: sortKey(fmt.Sprintf("%010d", max(n, 0)), id), ID: id, Users: &n}
}

func mrrRow(id string, cents int64) rowItem {
	o := string(tenant.OrderMRR)
	return rowItem{PK: tenantPK(id), SK: rowSK(o), GSI2PK: rowsPK(o), GSI2SK: sortKey(fmt.Sprintf("%015d", max(cents, 0)), id), ID: id, MRRCents: &cents}
}

// rowPuts are the transaction items writing rows.
func (s *Store) rowPuts(rows []rowItem) ([]types.TransactWriteItem, error) {
	out := make([]types.TransactWriteItem, 0, len(rows))
	for _, r := range rows {
		av, err := attributevalue.MarshalMap(r)
		if err != nil {
			return nil, fmt.Errorf("encode tenant row: %w", err)
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av}})
	}
	return out, nil
}

// MRRRow is the transaction item billing writes with a tenant's account
// (the mrr row is billing's: it knows the amount).
func MRRRow(table, tenantID string, cents int64) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(mrrRow(tenantID, cents))
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: av}}, nil
}

// MRRRowKey is the key of a tenant's mrr row (billing deletes it with the
// account a move left behind).
func MRRRowKey(tenantID string) map[string]types.AttributeValue {
	return dynamo.Key(tenantPK(tenantID), rowSK(string(tenant.OrderMRR)))
}

// SetUsers implements tenant.Directory.
func (s *Store) SetUsers(ctx context.Context, id string, users int) error {
	return s.putRow(ctx, usersRow(id, users))
}

// SetMRR implements tenant.Directory.
func (s *Store) SetMRR(ctx context.Context, id string, cents int64) error {
	return s.putRow(ctx, mrrRow(id, cents))
}

func (s *Store) putRow(ctx context.Context, r rowItem) error {
	av, err := attributevalue.MarshalMap(r)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return fmt.Errorf("write tenant row %s of %s: %w", r.SK, r.ID, err)
	}
	return nil
}

// Refresh rewrites every row of t (the hourly job: tenants registered
// before the rows existed, and repairs), with its seat count and MRR.
func (s *Store) Refresh(ctx context.Context, t tenant.Tenant, users int, mrrCents int64) error {
	rows := append(ownRows(t), usersRow(t.ID, users), mrrRow(t.ID, mrrCents))
	items := make([]map[string]types.AttributeValue, 0, len(rows))
	for _, r := range rows {
		av, err := attributevalue.MarshalMap(r)
		if err != nil {
			return err
		}
		items = append(items, av)
	}
	return dynamo.BatchPut(ctx, s.DB, s.Table, items)
}

// Rows implements tenant.Directory.
func (s *Store) Rows(ctx context.Context, l tenant.Listing, req list.Request) (list.Page[tenant.Row], error) {
	order, q := string(l.Order), ""
	key := expression.Key(schema.GSI2PK).Equal(expression.Value(rowsPK(order)))
	b := expression.NewBuilder()
	if l.Search != "" {
		order, q = searchOrder, tenant.SearchKey(l.Search)
		key = expression.Key(schema.GSI2PK).Equal(expression.Value(rowsPK(order))).
			And(expression.Key(schema.GSI2SK).BeginsWith(q))
		// A tenant whose name and id both start with q is listed by its name.
		b = b.WithFilter(expression.Name("kind").Equal(expression.Value(searchName)).
			Or(expression.Not(expression.Name("name_key").BeginsWith(q))))
	}
	ex, err := b.WithKeyCondition(key).Build()
	if err != nil {
		return list.Page[tenant.Row]{}, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(schema.GSI2),
		KeyConditionExpression: ex.KeyCondition(), FilterExpression: ex.Filter(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
		ScanIndexForward: aws.Bool(!l.Desc)}
	scope := list.Scope("tenant-rows", "order="+order, "desc="+strconv.FormatBool(l.Desc), "q="+q, "status="+string(l.Status))
	var rows []rowItem
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{In: in, Codec: s.Cursors, Scope: scope,
		KeyAttr: []string{schema.PK, schema.SK, schema.GSI2PK, schema.GSI2SK}, Request: req}, &rows)
	if err != nil {
		return list.Page[tenant.Row]{}, fmt.Errorf("list tenant rows: %w", err)
	}
	out, err := s.join(ctx, rows, l.Status)
	if err != nil {
		return list.Page[tenant.Row]{}, err
	}
	return list.NewPage(out, next), nil
}

// join reads the tenants the rows name, with their users and mrr rows, in
// one BatchGetItem, and keeps the order of rows; a row whose tenant is gone
// or has another status than want (when set) is left out.
func (s *Store) join(ctx context.Context, rows []rowItem, want tenant.Status) ([]tenant.Row, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.ID] {
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
	}
	keys := make([]map[string]types.AttributeValue, 0, 3*len(ids))
	for _, id := range ids {
		keys = append(keys, dynamo.Key(tenantPK(id), metaSK), dynamo.Key(tenantPK(id), rowSK(string(tenant.OrderUsers))),
			dynamo.Key(tenantPK(id), rowSK(string(tenant.OrderMRR))))
	}
	got, err := dynamo.BatchGet(ctx, s.DB, s.Table, keys)
	if err != nil {
		return nil, fmt.Errorf("tenants of the rows: %w", err)
	}
	byID := map[string]*tenant.Row{}
	figures := map[string]rowItem{}
	for _, raw := range got {
		sk := raw[schema.SK].(*types.AttributeValueMemberS).Value
		if sk == metaSK {
			var it item
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, err
			}
			byID[it.ID] = &tenant.Row{Tenant: it.tenant()}
			continue
		}
		var r rowItem
		if err := attributevalue.UnmarshalMap(raw, &r); err != nil {
			return nil, err
		}
		figures[r.ID+sk] = r
	}
	out := make([]tenant.Row, 0, len(ids))
	for _, id := range ids {
		row, ok := byID[id]
		if !ok || (want != "" && row.Status != want) {
			continue
		}
		if u := figures[id+rowSK(string(tenant.OrderUsers))].Users; u != nil {
			row.Users = *u
		}
		if m := figures[id+rowSK(string(tenant.OrderMRR))].MRRCents; m != nil {
			row.MRRCents = *m
		}
		out = append(out, *row)
	}
	return out, nil
}

var _ tenant.Directory = (*Store)(nil)
