// Package cells is the global tenant directory of a platform made of cells
// (docs/scale.md, "Cells"): which cell holds each tenant and where that
// cell's API and user pool are; how many tenants of each tier each cell
// holds; placement of a new tenant in the cell with headroom according to
// the capacity model (internal/capacity); and the directory switch that
// moves a tenant to another cell.
//
// The directory is one table for every cell (schema.Directory, a DynamoDB
// global table in the directory stack). It is read by key only: at sign-in
// (GET /v1/workspaces/{slug}), by an authorizer that has not cached the
// tenant, and at registration.
package cells

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Cell is one cell as the directory knows it: where it is and where its
// tenants sign in and call (the outputs of its platform stack: ApiUrl,
// TenantUserPoolId, TenantClientId).
type Cell struct {
	ID, Account, Region string
	APIURL              string
	UserPoolID          string
	ClientID            string
	// Applied are quotas raised in the cell's account and Region (by
	// capacity quota ID); placement counts with them.
	Applied map[string]float64
}

// Entry is a tenant's line of the directory.
type Entry struct {
	TenantID   string     `dynamodbav:"tenant_id" json:"tenant_id"`
	Cell       string     `dynamodbav:"cell" json:"cell"`
	Tier       tiers.Name `dynamodbav:"tier" json:"tier"`
	APIURL     string     `dynamodbav:"api_url" json:"api_url"`
	Region     string     `dynamodbav:"region" json:"region"`
	UserPoolID string     `dynamodbav:"user_pool_id" json:"user_pool_id"`
	ClientID   string     `dynamodbav:"client_id" json:"client_id"`
	UpdatedAt  time.Time  `dynamodbav:"updated_at" json:"updated_at"`
	// ClosedAt is set when the tenant was offboarded (Close): the entry
	// keeps the slug claimed and routes nowhere.
	ClosedAt *time.Time `dynamodbav:"closed_at,omitempty" json:"closed_at,omitempty"`
	// ClaimExpiresAt is set on the entry of a registration whose admin
	// email is not verified yet: until then it claims the slug; after, the
	// slug is free again (Claimed answers false, Register replaces the
	// entry and moves its count). Confirm removes it at verification.
	ClaimExpiresAt *time.Time `dynamodbav:"claim_expires_at,omitempty" json:"claim_expires_at,omitempty"`
	// ClaimCount names the count an unverified claim is counted in: the
	// claims of its cell and tier expiring in one hour (claimCountKey),
	// which placement stops counting once that hour is over, so an
	// abandoned registration leaves its cell's count by itself. Empty: the
	// entry is counted in its cell's tenants (a verified tenant, a claim
	// registered before claims had their own counts).
	ClaimCount string `dynamodbav:"claim_count,omitempty" json:"-"`
}

// Expired reports whether e is an unverified registration's claim past its
// time at now.
func (e Entry) Expired(now time.Time) bool {
	return e.ClaimExpiresAt != nil && !now.Before(*e.ClaimExpiresAt)
}

// For is the entry of tenantID of tier t in cell c, signing in to the
// cell's shared pool (a Platinum tenant's own pool replaces it once its
// stack is deployed).
func For(tenantID string, t tiers.Name, c Cell) Entry {
	return Entry{TenantID: tenantID, Tier: t, Cell: c.ID, APIURL: c.APIURL, Region: c.Region, UserPoolID: c.UserPoolID, ClientID: c.ClientID}
}

type entryItem struct {
	_  dynamo.NotComparable
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	Entry
}

// Directory is the directory table.
type Directory struct {
	DB    *dynamodb.Client
	Table string
	Now   func() time.Time
}

func (d Directory) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

func entryKey(tenantID string) map[string]types.AttributeValue {
	return dynamo.Key(schema.DirectoryTenant+tenantID, schema.DirectoryEntry)
}

func countKey(cell string, t tiers.Name) map[string]types.AttributeValue {
	return dynamo.Key(schema.DirectoryCells, cell+"#"+string(t))
}

// claimsPrefix starts the sort keys of the claims' counts in the counts'
// partition: after every cell's tenant counts (a cell id is lowercase
// letters, digits and hyphens: schema.ValidateCell), and ordered by the
// hour their claims expire, so Counts reads the live ones only.
const claimsPrefix = "~claims#"

const claimHour = "2006-01-02T15"

// claimCount is the sort key of the count of cell's unverified claims of
// tier t expiring by the end of the hour of at (an hour's claims expire
// when the hour is over, up to an hour after their own time: placement
// counts an abandoned claim a little longer, never shorter).
func claimCount(cell string, t tiers.Name, at time.Time) string {
	return claimsPrefix + at.UTC().Format(claimHour) + "#" + cell + "#" + string(t)
}

// counted is the count e is in: its claims' count, or its cell's tenants.
func (e Entry) counted() string {
	if e.ClaimCount != "" {
		return e.ClaimCount
	}
	return e.Cell + "#" + string(e.Tier)
}

// countBy adds delta to the count named sk (counted, claimCount).
func countBy(table, sk string, delta int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(table), Key: dynamo.Key(schema.DirectoryCells, sk),
		UpdateExpression:          aws.String("ADD tenants :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.Itoa(delta)}},
	}}
}

// open conditions every write of an entry on its not being closed: an
// offboarded tenant's entry is never switched, renamed, removed or
// counted again.
const open = "attribute_not_exists(closed_at)"

// ErrNotFound is the answer for a tenant the directory does not hold.
var ErrNotFound = errs.NotFound("workspace")

// Get reads a tenant's entry (one strongly consistent GetItem). An
// offboarded tenant's entry (Close) is ErrNotFound, the answer for a
// tenant that never existed: every reader (the workspace lookup, the
// authorizer, a move, onboarding's SetHome) then routes it nowhere.
func (d Directory) Get(ctx context.Context, tenantID string) (Entry, error) {
	e, err := d.get(ctx, tenantID)
	if err == nil && e.ClosedAt != nil {
		return Entry{}, ErrNotFound
	}
	return e, err
}

func (d Directory) get(ctx context.Context, tenantID string) (Entry, error) {
	var it entryItem
	if err := dynamo.GetItem(ctx, d.DB, d.Table, entryKey(tenantID), &it, "directory entry", ErrNotFound); err != nil {
		return Entry{}, err
	}
	return it.Entry, nil
}

// Claimed reports whether tenantID is taken as a slug: an entry in any
// cell, an offboarded one included (Close keeps it claimed for good), but
// not an unverified registration's claim past its time (Expired).
func (d Directory) Claimed(ctx context.Context, tenantID string) (bool, error) {
	e, err := d.get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) {
		return false, nil
	}
	return err == nil && !e.Expired(d.now()), err
}

// Counts are the tenants per tier of every cell that holds one (one Query
// of the counts' partition).
func (d Directory) Counts(ctx context.Context) (map[string]map[tiers.Name]float64, error) {
	out := map[string]map[tiers.Name]float64{}
	add := func(cell, tier string, n float64) {
		if out[cell] == nil {
			out[cell] = map[tiers.Name]float64{}
		}
		out[cell][tiers.Name(tier)] += n
	}
	// The tenants' counts, then the claims' whose hour is not over (an
	// abandoned registration's claim counts until its hour is; older
	// hours' counts are never read again).
	live := claimsPrefix + d.now().Format(claimHour)
	for _, q := range []struct{ cond, from string }{{"pk = :pk AND sk < :sk", claimsPrefix}, {"pk = :pk AND sk >= :sk", live}} {
		p := dynamodb.NewQueryPaginator(d.DB, &dynamodb.QueryInput{
			TableName:              aws.String(d.Table),
			KeyConditionExpression: aws.String(q.cond),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: schema.DirectoryCells},
				":sk": &types.AttributeValueMemberS{Value: q.from},
			},
			ConsistentRead: aws.Bool(true),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("read cell counts: %w", err)
			}
			for _, item := range page.Items {
				var c struct {
					SK      string  `dynamodbav:"sk"`
					Tenants float64 `dynamodbav:"tenants"`
				}
				if err := attributevalue.UnmarshalMap(item, &c); err != nil {
					return nil, err
				}
				key := c.SK
				if rest, ok := strings.CutPrefix(key, claimsPrefix); ok {
					_, key, _ = strings.Cut(rest, "#") // the hour
				}
				if cell, tier, ok := strings.Cut(key, "#"); ok {
					add(cell, tier, c.Tenants)
				}
			}
		}
	}
	return out, nil
}

func countUpdate(table, cell string, t tiers.Name, delta int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(table), Key: countKey(cell, t),
		UpdateExpression:          aws.String("ADD tenants :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: strconv.Itoa(delta)}},
	}}
}

// Register writes a new tenant's entry and counts it in its cell, in one
// transaction; a tenant already in the directory is a conflict and
// nothing changes.
func (d Directory) Register(ctx context.Context, e Entry) error {
	if e.TenantID == "" || e.Cell == "" {
		return errs.Invalid("directory_entry_incomplete", "a directory entry needs a tenant and a cell")
	}
	e.UpdatedAt, e.ClaimCount = d.now(), ""
	if e.ClaimExpiresAt != nil {
		e.ClaimCount = claimCount(e.Cell, e.Tier, *e.ClaimExpiresAt)
	}
	item, err := attributevalue.MarshalMap(entryItem{PK: schema.DirectoryTenant + e.TenantID, SK: schema.DirectoryEntry, Entry: e})
	if err != nil {
		return err
	}
	taken := errs.Conflict("tenant_in_directory", "the tenant is already in the directory")
	_, err = d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(d.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		countBy(d.Table, e.counted(), 1),
	}})
	if err = dynamo.Translate(err, "register in directory", taken); !errs.Is(err, errs.KindConflict) {
		return err
	}
	// An unverified registration's claim past its time gives way: the new
	// entry replaces it only while it is that claim, and the count moves
	// from the claim's cell and tier to the new one's.
	old, gerr := d.get(ctx, e.TenantID)
	if gerr != nil || !old.Expired(e.UpdatedAt) {
		return err
	}
	was, merr := attributevalue.Marshal(*old.ClaimExpiresAt)
	if merr != nil {
		return merr
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(d.Table), Item: item,
		ConditionExpression:       aws.String("cell = :cell AND tier = :tier AND claim_expires_at = :was AND " + open),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cell": &types.AttributeValueMemberS{Value: old.Cell}, ":tier": &types.AttributeValueMemberS{Value: string(old.Tier)}, ":was": was}}}}
	if old.counted() != e.counted() { // one transaction may write an item once
		items = append(items, countBy(d.Table, old.counted(), -1), countBy(d.Table, e.counted(), 1))
	}
	_, err = d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return dynamo.Translate(err, "replace an expired claim in directory", taken)
}

// Confirm makes the claim of a registration in cell permanent (its admin
// email is verified): the entry loses ClaimExpiresAt, whether or not that
// has passed, as long as the entry is still that claim. An entry of
// another cell (the claim expired and another registration took the slug)
// or a closed one is a conflict. undo restores the claim's time (a code
// that turns out wrong); an entry confirmed already changes nothing.
func (d Directory) Confirm(ctx context.Context, tenantID, cell string) (undo func() error, err error) {
	undo = func() error { return nil }
	e, err := d.get(ctx, tenantID)
	if err != nil {
		return undo, err
	}
	if e.Cell != cell || e.ClosedAt != nil {
		return undo, errs.Conflict("tenant_not_in_cell", "the slug is claimed by another registration")
	}
	if e.ClaimExpiresAt == nil {
		return undo, nil
	}
	was, claims := *e.ClaimExpiresAt, e.ClaimCount
	put := func(from, to *time.Time) error {
		cur := e
		cur.ClaimExpiresAt, cur.UpdatedAt = to, d.now()
		cur.ClaimCount = ""
		if to != nil {
			cur.ClaimCount = claims
		}
		item, err := attributevalue.MarshalMap(entryItem{PK: schema.DirectoryTenant + tenantID, SK: schema.DirectoryEntry, Entry: cur})
		if err != nil {
			return err
		}
		cond, values := "cell = :cell AND attribute_not_exists(claim_expires_at)", map[string]types.AttributeValue{":cell": &types.AttributeValueMemberS{Value: cell}}
		if from != nil {
			v, err := attributevalue.Marshal(*from)
			if err != nil {
				return err
			}
			cond, values[":was"] = "cell = :cell AND claim_expires_at = :was", v
		}
		taken := errs.Conflict("tenant_not_in_cell", "the slug is claimed by another registration")
		if claims == "" { // a claim counted in the tenants already
			_, err = d.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.Table), Item: item,
				ConditionExpression: aws.String(cond + " AND " + open), ExpressionAttributeValues: values})
			return dynamo.Translate(err, "confirm directory claim", taken)
		}
		// The verified tenant leaves its claims' count for its cell's
		// tenants (and back, undone).
		delta := 1
		if to != nil {
			delta = -1
		}
		_, err = d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(d.Table), Item: item, ConditionExpression: aws.String(cond + " AND " + open), ExpressionAttributeValues: values}},
			countBy(d.Table, claims, -delta), countUpdate(d.Table, cell, e.Tier, delta),
		}})
		return dynamo.Translate(err, "confirm directory claim", taken)
	}
	if err := put(&was, nil); err != nil {
		return undo, err
	}
	return func() error { return put(nil, &was) }, nil
}

// Remove deletes a tenant's entry while it is in cell and uncounts it
// there (a registration that failed after claiming its slug; an
// offboarded tenant). A tenant not in cell changes nothing.
func (d Directory) Remove(ctx context.Context, tenantID, cell string, t tiers.Name) error {
	e, err := d.get(ctx, tenantID)
	if err != nil {
		return dynamo.Translate(err, "remove directory entry", errs.Conflict("tenant_not_in_cell", "the tenant is not in cell "+cell))
	}
	e.Cell, e.Tier = cell, t
	cond, values := "cell = :cell AND attribute_not_exists(claim_count) AND "+open, map[string]types.AttributeValue{":cell": &types.AttributeValueMemberS{Value: cell}}
	if e.ClaimCount != "" { // uncounted from the claims it is counted in
		cond, values[":claims"] = "cell = :cell AND claim_count = :claims AND "+open, &types.AttributeValueMemberS{Value: e.ClaimCount}
	}
	_, err = d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: aws.String(d.Table), Key: entryKey(tenantID),
			ConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
		}},
		countBy(d.Table, e.counted(), -1),
	}})
	return dynamo.Translate(err, "remove directory entry", errs.Conflict("tenant_not_in_cell", "the tenant is not in cell "+cell))
}

// Close is offboarding's part of the directory: the entry of a tenant in
// cell stops routing (its API, Region, pool and client are removed and it
// is marked closed, so Get answers ErrNotFound as for a tenant that never
// existed) and the tenant leaves its cell's count of its tier, in one
// transaction, so placement sees the headroom. The entry itself stays: its
// key keeps the slug claimed (Register conflicts), because a slug names a
// company's workspace in links, bookmarks, invitations, API clients and
// audit records outside the platform, which must never reach another
// company. Closing again changes nothing; errs not_found without an
// entry, conflict when the entry places the tenant in another cell.
func (d Directory) Close(ctx context.Context, tenantID, cell string) error {
	e, err := d.get(ctx, tenantID)
	if err != nil {
		return err
	}
	if e.Cell != cell {
		return errs.Conflict("tenant_not_in_cell", "the tenant is not in cell "+cell)
	}
	if e.ClosedAt != nil {
		return nil
	}
	err = d.updateEntry(ctx, tenantID, "cell = :cell AND tier = :tier",
		"SET closed_at = :now, updated_at = :now REMOVE api_url, #region, user_pool_id, client_id",
		map[string]types.AttributeValue{":cell": &types.AttributeValueMemberS{Value: cell}, ":tier": &types.AttributeValueMemberS{Value: string(e.Tier)}},
		countBy(d.Table, e.counted(), -1))
	return dynamo.Translate(err, "close directory entry", errs.Conflict("directory_entry_changed", "the tenant's entry changed meanwhile: retry"))
}

// Switch is the directory step of moving a tenant to another cell: the
// entry points at to (its cell, API and pool) only while it still points at
// from, and both cells' counts follow, in one transaction. A tenant that is
// not in from (moved already, or never there) is a conflict and nothing
// changes. The data copy and the write freeze around it are the tier
// migration's (internal/onboarding): Switch is its switch step across cells.
func (d Directory) Switch(ctx context.Context, tenantID, from string, to Entry) error {
	if to.Cell == "" || to.Cell == from {
		return errs.Invalid("directory_switch_same_cell", "a move needs another cell")
	}
	err := d.updateEntry(ctx, tenantID, "cell = :from AND tier = :tier",
		"SET cell = :to, api_url = :api, #region = :region, user_pool_id = :pool, client_id = :client, updated_at = :now",
		map[string]types.AttributeValue{
			":from": &types.AttributeValueMemberS{Value: from}, ":tier": &types.AttributeValueMemberS{Value: string(to.Tier)},
			":to": &types.AttributeValueMemberS{Value: to.Cell}, ":api": &types.AttributeValueMemberS{Value: to.APIURL},
			":region": &types.AttributeValueMemberS{Value: to.Region}, ":pool": &types.AttributeValueMemberS{Value: to.UserPoolID},
			":client": &types.AttributeValueMemberS{Value: to.ClientID},
		},
		countUpdate(d.Table, from, to.Tier, -1), countUpdate(d.Table, to.Cell, to.Tier, 1))
	return dynamo.Translate(err, "switch directory entry", errs.Conflict("tenant_not_in_cell", "the tenant is not in cell "+from))
}

// SetPool names a tenant's own user pool and app client in its entry
// while the entry places it in cell (a Platinum tenant whose stack is
// deployed: until then the entry names the cell's shared pool). One
// conditional UpdateItem; errs not_found without an entry, conflict when
// the entry places the tenant in another cell. Setting the same pool
// again changes only updated_at.
func (d Directory) SetPool(ctx context.Context, tenantID, cell, poolID, clientID string) error {
	now, err := attributevalue.Marshal(d.now())
	if err != nil {
		return err
	}
	_, err = d.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(d.Table), Key: entryKey(tenantID),
		ConditionExpression: aws.String("attribute_exists(pk) AND cell = :cell AND " + open),
		UpdateExpression:    aws.String("SET user_pool_id = :pool, client_id = :client, updated_at = :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":cell": &types.AttributeValueMemberS{Value: cell}, ":pool": &types.AttributeValueMemberS{Value: poolID},
			":client": &types.AttributeValueMemberS{Value: clientID}, ":now": now,
		},
	})
	if !dynamo.ConditionFailed(err) {
		return dynamo.Translate(err, "set directory pool", nil)
	}
	if _, err := d.Get(ctx, tenantID); err != nil {
		return err // not found, or unreadable
	}
	return errs.Conflict("tenant_not_in_cell", "the tenant is not in cell "+cell)
}

// SetHome names a tenant's tier, user pool and app client in its entry
// while the entry places it in cell: onboarding's activation (the tier
// unchanged, a Platinum tenant's own pool) and a tier migration's switch
// (the new tier's home: its own pool into Platinum, the shared pool back).
// A changed tier moves the tenant between the cell's counts of the two
// tiers in the same transaction, so placement counts it as what it is
// now. errs not_found without an entry, conflict when the entry places the
// tenant in another cell; running it again changes only updated_at.
func (d Directory) SetHome(ctx context.Context, tenantID, cell string, tier tiers.Name, poolID, clientID string) error {
	e, err := d.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	if e.Cell != cell {
		return errs.Conflict("tenant_not_in_cell", "the tenant is not in cell "+cell)
	}
	if e.Tier == tier || tier == "" {
		return d.SetPool(ctx, tenantID, cell, poolID, clientID)
	}
	err = d.updateEntry(ctx, tenantID, "cell = :cell AND tier = :from",
		"SET tier = :tier, user_pool_id = :pool, client_id = :client, updated_at = :now",
		map[string]types.AttributeValue{
			":cell": &types.AttributeValueMemberS{Value: cell}, ":from": &types.AttributeValueMemberS{Value: string(e.Tier)},
			":tier": &types.AttributeValueMemberS{Value: string(tier)}, ":pool": &types.AttributeValueMemberS{Value: poolID},
			":client": &types.AttributeValueMemberS{Value: clientID},
		},
		countUpdate(d.Table, cell, e.Tier, -1), countUpdate(d.Table, cell, tier, 1))
	return dynamo.Translate(err, "set directory home", errs.Conflict("directory_entry_changed", "the tenant's entry changed meanwhile: retry"))
}

// updateEntry updates tenantID's entry while cond holds and the entry is
// open, with the count updates, in one transaction (Close, Switch,
// SetHome). update may use :now (the time of the change) and #region.
func (d Directory) updateEntry(ctx context.Context, tenantID, cond, update string, values map[string]types.AttributeValue, counts ...types.TransactWriteItem) error {
	now, err := attributevalue.Marshal(d.now())
	if err != nil {
		return err
	}
	values[":now"] = now
	var names map[string]string
	if strings.Contains(update, "#region") {
		names = map[string]string{"#region": "region"}
	}
	_, err = d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{
		{Update: &types.Update{
			TableName: aws.String(d.Table), Key: entryKey(tenantID),
			ConditionExpression: aws.String(cond + " AND " + open), UpdateExpression: aws.String(update),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}},
	}, counts...)})
	return err
}
