// Package usagedb keeps the usage counters in the control table (platform
// data, written with the functions' own credentials by the meter's flush).
//
// Keys, all in the tenant's partition pk "USAGE#<tenant>":
//   - sk "MONTH#<yyyy-mm>": calls, c01..c31 (calls by day), a01..a31 (newly
//     active users by day), mau, tier, seats; also in the gsi1 partition
//     "USAGEMONTH#<yyyy-mm>" (sort key: the tenant) for Root's table;
//   - sk "WEEK#<yyyy-Www>": wau;
//   - sk "STORAGE": item_bytes, attachment_bytes;
//   - sk "ACTIVE#<user>": last_day, the user's active-day marker;
//   - sk "NOTICE#<period>#<metric>#<level>": a threshold mail was sent (TTL).
//
// Every counter changes by an atomic ADD, so flushes of many processes add up.
package usagedb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
)

func tenantPK(t string) string            { return schema.ControlUsage + t }
func monthSK(m string) string             { return "MONTH#" + m }
func monthGSI(m string) string            { return schema.ControlUsageMonth + m }
func weekSK(w string) string              { return "WEEK#" + w }
func activeSK(user string) string         { return "ACTIVE#" + user }
func dayAttr(prefix string, d int) string { return fmt.Sprintf("%s%02d", prefix, d) }

const storageSK = "STORAGE"

// NoticeTTL keeps a sent-notice record long enough to cover its period.
const NoticeTTL = 400 * 24 * time.Hour

// Store implements usage.Store.
type Store struct {
	DB    *dynamodb.Client
	Table string // the control table
	Now   func() time.Time
	// marks are the delta markers to remove at the next write of each item
	// (nil: none are removed; New sets it).
	marks *sweep
}

var _ usage.Store = (*Store)(nil)

// New returns the store on the control table of names.
func New(db *dynamodb.Client, names schema.Names) *Store {
	return &Store{DB: db, Table: names.Control(), marks: &sweep{next: map[string][]string{}}}
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// update applies upd (ADDs: the counters) to one usage item. The write
// carries a token (internal/awsx/owntoken: an accumulating update always
// does), so the SDK's retry after a lost answer finds its own commit
// instead of adding the calls, users and bytes a second time (billing
// reads these counters).
func (s *Store) update(ctx context.Context, k map[string]types.AttributeValue, upd expression.UpdateBuilder, rv types.ReturnValue) (map[string]types.AttributeValue, error) {
	ex, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: k,
		UpdateExpression: ex.Update(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
		ReturnValues: rv})
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// Delta markers. The SDK's retries end with the call: when every attempt
// lost its answer (or the flush's deadline came), the call fails though a
// write may have landed, and the meter tries the delta again at its next
// flush, as a new call with a new owntoken. So each counter write of a
// delta also sets a marker attribute named after the delta's ID (f_<id>,
// the Unix second it was written), conditioned on its absence: a retry of
// a delta finds the marker of an item it already changed, fails its
// condition and takes the item as stored (ALL_OLD on the failed
// condition) as its answer, and adds nothing there again, while an item
// it did not reach yet (the storage item after the month's) is written.
// An item keeps one marker per process that wrote it lately: a delta
// written whole marks its markers for removal at the next write of each
// item (sweep), and a write also removes the markers of others older than
// MarkerTTL (a process that ended before writing the item again). A delta
// retried for longer than MarkerTTL may meet its marker removed and count
// twice: the meter retries at every flush (a minute).
const MarkerTTL = time.Hour

const markerPrefix = "f_"

func markerAttr(id string) string { return markerPrefix + id }

// sweep keeps, per item, the markers a process removes at its next write of
// the item.
type sweep struct {
	mu   sync.Mutex
	next map[string][]string
}

func itemKey(k map[string]types.AttributeValue) string {
	return k[schema.PK].(*types.AttributeValueMemberS).Value + "\x00" + k[schema.SK].(*types.AttributeValueMemberS).Value
}

// take returns the markers to remove at this write of item k.
func (w *sweep) take(k string) []string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.next[k]
	delete(w.next, k)
	return out
}

// give puts markers back for the next write of item k (a write that failed
// removed nothing).
func (w *sweep) give(k string, names ...string) {
	if w == nil || len(names) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		if !slices.Contains(w.next[k], n) {
			w.next[k] = append(w.next[k], n)
		}
	}
}

// stale are item's markers older than MarkerTTL at now, but own.
func stale(item map[string]types.AttributeValue, own string, now time.Time) []string {
	var out []string
	for name, v := range item {
		if strings.HasPrefix(name, markerPrefix) && name != own && number(v) < now.Add(-MarkerTTL).Unix() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// addOnce applies upd to item k once per delta id (the markers above) and
// answers the item after it (ALL_NEW; the item as stored when an earlier
// attempt of the delta had written it). written holds the item's key for
// the caller to sweep its marker once the whole delta is written.
func (s *Store) addOnce(ctx context.Context, k map[string]types.AttributeValue, upd expression.UpdateBuilder, id string, written *[]string) (map[string]types.AttributeValue, error) {
	key, mark, now := itemKey(k), markerAttr(id), s.now()
	removed := s.marks.take(key)
	upd = upd.Set(expression.Name(mark), expression.Value(now.Unix()))
	for _, n := range removed {
		upd = upd.Remove(expression.Name(n))
	}
	ex, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeNotExists(expression.Name(mark))).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: k,
		UpdateExpression: ex.Update(), ConditionExpression: ex.Condition(), ExpressionAttributeNames: ex.Names(),
		ExpressionAttributeValues: ex.Values(), ReturnValues: types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var item map[string]types.AttributeValue
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		item = out.Attributes
	case errors.As(err, &ccf) && ccf.Item[mark] != nil:
		item = owntoken.Strip(ccf.Item) // this delta's earlier attempt wrote it
		s.marks.give(key, removed...)
	default:
		s.marks.give(key, removed...)
		return nil, err
	}
	s.marks.give(key, stale(item, mark, now)...)
	*written = append(*written, key)
	return item, nil
}

// Add implements usage.Store: one UpdateItem per item the delta touches,
// each once per delta ID (addOnce).
func (s *Store) Add(ctx context.Context, d usage.Delta) (usage.Totals, error) {
	tot := usage.Totals{TenantID: d.TenantID, Tier: d.Tier, Month: d.Month}
	if d.ID == "" {
		d.ID = rand.Text()
	}
	var written []string
	if len(d.Calls) > 0 || len(d.Active) > 0 || d.NewMonthly > 0 {
		set := []attr{{"tenant_id", d.TenantID}, {"month", d.Month}, {schema.GSI1PK, monthGSI(d.Month)}, {schema.GSI1SK, d.TenantID}}
		if d.Tier != "" {
			set = append(set, attr{"tier", string(d.Tier)})
		}
		add := []attr{{"calls", sum(d.Calls)}, {"mau", d.NewMonthly}}
		for day, n := range d.Calls {
			add = append(add, attr{dayAttr("c", day), n})
		}
		for day, n := range d.Active {
			add = append(add, attr{dayAttr("a", day), n})
		}
		upd := update(set, add)
		attrs, err := s.addOnce(ctx, dynamo.Key(tenantPK(d.TenantID), monthSK(d.Month)), upd, d.ID, &written)
		if err != nil {
			return tot, fmt.Errorf("add usage of %s: %w", d.TenantID, err)
		}
		tot.Calls, tot.HasCalls = number(attrs["calls"]), true
	}
	for _, week := range slices.Sorted(maps.Keys(d.NewWeekly)) {
		if _, err := s.addOnce(ctx, dynamo.Key(tenantPK(d.TenantID), weekSK(week)),
			expression.Add(expression.Name("wau"), expression.Value(d.NewWeekly[week])), d.ID, &written); err != nil {
			return tot, fmt.Errorf("add weekly actives of %s: %w", d.TenantID, err)
		}
	}
	if d.ItemBytes != 0 || d.AttachmentBytes != 0 {
		upd := update(nil, []attr{{"item_bytes", d.ItemBytes}, {"attachment_bytes", d.AttachmentBytes}})
		attrs, err := s.addOnce(ctx, dynamo.Key(tenantPK(d.TenantID), storageSK), upd, d.ID, &written)
		if err != nil {
			return tot, fmt.Errorf("add storage of %s: %w", d.TenantID, err)
		}
		tot.Storage = usage.Storage{ItemBytes: number(attrs["item_bytes"]), AttachmentBytes: number(attrs["attachment_bytes"])}
		tot.HasStorage = true
	}
	// The delta is written whole: no retry of it will look for its
	// markers, which the next write of each item removes.
	for _, key := range written {
		s.marks.give(key, markerAttr(d.ID))
	}
	return tot, nil
}

// attr is an attribute's name and value in an update.
type attr struct {
	name  string
	value any
}

// update SETs set and ADDs add, in their order. One loop per clause rather
// than a chain of Set and Add calls: each call is inlined, a map update and
// an append (~450 bytes of code each; docs/performance.md, "Room under the
// 64 KiB step").
func update(set, add []attr) expression.UpdateBuilder {
	var upd expression.UpdateBuilder
	for _, a := range set {
		upd = upd.Set(expression.Name(a.name), expression.Value(a.value))
	}
	for _, a := range add {
		upd = upd.Add(expression.Name(a.name), expression.Value(a.value))
	}
	return upd
}

func sum(m map[int]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func number(v types.AttributeValue) int64 {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	i, _ := strconv.ParseInt(n.Value, 10, 64)
	return i
}

// MarkActive implements usage.Store with one conditional update: only the
// first writer of the day records it. The update keeps the day it replaces
// (prev_day) and answers the new values (UPDATED_NEW), not the old item
// (ALL_OLD): a retry after the first attempt committed finds its own write
// (owntoken), and the old item is gone by then, while prev_day still says
// which day came before, so the user's first day of a week or month is
// counted once, whatever the network lost.
func (s *Store) MarkActive(ctx context.Context, tenantID, userID string, day time.Time, id string) (time.Time, bool, error) {
	today := usage.DayKey(day)
	cond := expression.AttributeNotExists(expression.Name("last_day")).Or(expression.Name("last_day").LessThan(expression.Value(today)))
	upd := expression.Set(expression.Name("last_day"), expression.Value(today)).
		Set(expression.Name("prev_day"), expression.IfNotExists(expression.Name("last_day"), expression.Value("")))
	if id != "" {
		upd = upd.Set(expression.Name(markAttr), expression.Value(id))
	}
	ex, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return time.Time{}, false, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: dynamo.Key(tenantPK(tenantID), activeSK(userID)),
		UpdateExpression: ex.Update(), ConditionExpression: ex.Condition(), ExpressionAttributeNames: ex.Names(),
		ExpressionAttributeValues: ex.Values(), ReturnValues: types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var attrs map[string]types.AttributeValue
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		attrs = out.Attributes
	case errors.As(err, &ccf) && id != "" && stringAttr(ccf.Item[markAttr]) == id && stringAttr(ccf.Item["last_day"]) == today:
		// The meter's earlier flush recorded this mark, and lost the answer:
		// no other process could record the day after it.
		attrs = ccf.Item
	case dynamo.ConditionFailed(err):
		return time.Time{}, false, nil
	default:
		return time.Time{}, false, fmt.Errorf("mark active user of %s: %w", tenantID, err)
	}
	var prev time.Time
	if v := stringAttr(attrs["prev_day"]); v != "" {
		prev, _ = time.Parse(time.DateOnly, v)
	}
	return prev, true, nil
}

// markAttr is the id of the mark that recorded an active-user item's
// last_day (MarkActive): a retry of that mark finds its own write.
const markAttr = "mark"

func stringAttr(v types.AttributeValue) string {
	s, _ := v.(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// monthItem is the stored month; day attributes are read from the raw map.
type monthItem struct {
	TenantID string `dynamodbav:"tenant_id"`
	Month    string `dynamodbav:"month"`
	Tier     string `dynamodbav:"tier"`
	Calls    int64  `dynamodbav:"calls"`
	MAU      int64  `dynamodbav:"mau"`
	Seats    int64  `dynamodbav:"seats"`
}

func toMonth(raw map[string]types.AttributeValue) (usage.Month, error) {
	var it monthItem
	if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return usage.Month{}, err
	}
	m := usage.Month{TenantID: it.TenantID, Tier: tiers.Name(it.Tier), Month: it.Month, Calls: it.Calls,
		MonthlyActive: it.MAU, Seats: it.Seats, DailyCalls: make([]int64, 31), DailyActive: make([]int64, 31)}
	for d := 1; d <= 31; d++ {
		m.DailyCalls[d-1] = number(raw[dayAttr("c", d)])
		m.DailyActive[d-1] = number(raw[dayAttr("a", d)])
	}
	return m, nil
}

// Snapshot implements usage.Store with one BatchGetItem.
func (s *Store) Snapshot(ctx context.Context, tenantID, month, week string) (usage.Snapshot, error) {
	snap := usage.Snapshot{Month: usage.Month{TenantID: tenantID, Month: month, DailyCalls: make([]int64, 31), DailyActive: make([]int64, 31)}}
	keys := []map[string]types.AttributeValue{dynamo.Key(tenantPK(tenantID), monthSK(month)), dynamo.Key(tenantPK(tenantID), weekSK(week)), dynamo.Key(tenantPK(tenantID), storageSK)}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return snap, fmt.Errorf("usage of %s: %w", tenantID, err)
	}
	for _, it := range items {
		switch sk := it[schema.SK].(*types.AttributeValueMemberS).Value; {
		case sk == monthSK(month):
			if snap.Month, err = toMonth(it); err != nil {
				return snap, err
			}
		case sk == weekSK(week):
			snap.Weekly = number(it["wau"])
		case sk == storageSK:
			snap.Storage = usage.Storage{ItemBytes: number(it["item_bytes"]), AttachmentBytes: number(it["attachment_bytes"])}
		}
	}
	snap.Month.TenantID, snap.Month.Month = tenantID, month
	return snap, nil
}

func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += 100 {
		pending := keys[start:min(start+100, len(keys))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				time.Sleep(time.Duration(20<<min(attempt, 5)) * time.Millisecond)
			}
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				s.Table: {Keys: pending, ConsistentRead: aws.Bool(true)}}})
			if err != nil {
				return nil, err
			}
			out = append(out, res.Responses[s.Table]...)
			pending = res.UnprocessedKeys[s.Table].Keys
		}
	}
	return out, nil
}

// MaxMonthPages bounds Root's read of a month (1 MB pages: tens of thousands of tenants).
const MaxMonthPages = 50

// Months implements usage.Store: a Query of the month's gsi1 partition.
func (s *Store) Months(ctx context.Context, month string) ([]usage.Month, error) {
	ex, err := expression.NewBuilder().WithKeyCondition(expression.Key(schema.GSI1PK).Equal(expression.Value(monthGSI(month)))).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(schema.GSI1),
		KeyConditionExpression: ex.KeyCondition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()})
	var out []usage.Month
	for page := 0; p.HasMorePages() && page < MaxMonthPages; page++ {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("usage of %s: %w", month, err)
		}
		for _, it := range pg.Items {
			m, err := toMonth(it)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// StorageOf implements usage.Store with BatchGetItem.
func (s *Store) StorageOf(ctx context.Context, tenantIDs []string) (map[string]usage.Storage, error) {
	keys := make([]map[string]types.AttributeValue, len(tenantIDs))
	for i, t := range tenantIDs {
		keys[i] = dynamo.Key(tenantPK(t), storageSK)
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("storage of tenants: %w", err)
	}
	out := make(map[string]usage.Storage, len(items))
	for _, it := range items {
		pk := it[schema.PK].(*types.AttributeValueMemberS).Value
		out[pk[len(schema.ControlUsage):]] = usage.Storage{ItemBytes: number(it["item_bytes"]), AttachmentBytes: number(it["attachment_bytes"])}
	}
	return out, nil
}

// Current reads many tenants' calls of month and their storage in one batch
// read (Root's tenants table: one page of tenants).
func (s *Store) Current(ctx context.Context, tenantIDs []string, month string) (map[string]usage.Current, error) {
	keys := make([]map[string]types.AttributeValue, 0, 2*len(tenantIDs))
	for _, t := range tenantIDs {
		keys = append(keys, dynamo.Key(tenantPK(t), monthSK(month)), dynamo.Key(tenantPK(t), storageSK))
	}
	items, err := dynamo.BatchGet(ctx, s.DB, s.Table, keys)
	if err != nil {
		return nil, fmt.Errorf("usage of tenants: %w", err)
	}
	out := make(map[string]usage.Current, len(tenantIDs))
	for _, it := range items {
		id := it[schema.PK].(*types.AttributeValueMemberS).Value[len(schema.ControlUsage):]
		c := out[id]
		if it[schema.SK].(*types.AttributeValueMemberS).Value == storageSK {
			c.Storage = usage.Storage{ItemBytes: number(it["item_bytes"]), AttachmentBytes: number(it["attachment_bytes"])}
		} else {
			c.Calls = number(it["calls"])
		}
		out[id] = c
	}
	return out, nil
}

// SetSeats implements usage.Store.
func (s *Store) SetSeats(ctx context.Context, tenantID string, tier tiers.Name, month string, seats int64) error {
	upd := expression.Set(expression.Name("seats"), expression.Value(seats)).
		Set(expression.Name("tier"), expression.Value(string(tier))).
		Set(expression.Name("tenant_id"), expression.Value(tenantID)).
		Set(expression.Name("month"), expression.Value(month)).
		Set(expression.Name(schema.GSI1PK), expression.Value(monthGSI(month))).
		Set(expression.Name(schema.GSI1SK), expression.Value(tenantID))
	if _, err := s.update(ctx, dynamo.Key(tenantPK(tenantID), monthSK(month)), upd, types.ReturnValueNone); err != nil {
		return fmt.Errorf("record seats of %s: %w", tenantID, err)
	}
	return nil
}

// ClaimNotice implements usage.Store with a conditional put.
func (s *Store) ClaimNotice(ctx context.Context, tenantID, period string, metric usage.Metric, level usage.Level) (bool, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			schema.PK:        &types.AttributeValueMemberS{Value: tenantPK(tenantID)},
			schema.SK:        &types.AttributeValueMemberS{Value: "NOTICE#" + period + "#" + string(metric) + "#" + string(level)},
			"sent_at":        &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339)},
			schema.ExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(NoticeTTL).Unix(), 10)},
		},
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim usage notice of %s: %w", tenantID, err)
	}
	return true, nil
}
