package analyticsdb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// Store implements analytics.Store on DynamoDB.
type Store struct{ DB *dynamodb.Client }

var _ analytics.Store = Store{}

type settingsItem struct {
	PK      string                 `dynamodbav:"pk"`
	SK      string                 `dynamodbav:"sk"`
	Entity  string                 `dynamodbav:"entity"`
	Zones   []analytics.ZoneChange `dynamodbav:"zones"`
	Version int64                  `dynamodbav:"version"`
}

// Settings implements analytics.Store.
func (s Store) Settings(ctx context.Context, sc tenancy.Scope) (analytics.Settings, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(settingsPK(sc.TenantID), skSettings), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return analytics.Settings{}, fmt.Errorf("get analytics settings: %w", err)
	}
	var it settingsItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return analytics.Settings{}, fmt.Errorf("decode analytics settings: %w", err)
	}
	return analytics.Settings{Zones: it.Zones, Version: it.Version}, nil
}

// PutSettings implements analytics.Store.
func (s Store) PutSettings(ctx context.Context, sc tenancy.Scope, set analytics.Settings) error {
	m, err := attributevalue.MarshalMap(settingsItem{PK: settingsPK(sc.TenantID), SK: skSettings, Entity: "analytics_settings", Zones: set.Zones, Version: set.Version})
	if err != nil {
		return err
	}
	cond := expression.AttributeNotExists(expression.Name("pk"))
	if set.Version > 1 {
		cond = expression.Name("version").Equal(expression.Value(set.Version - 1))
	}
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: m, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errs.E(errs.KindPreconditionFailed, "settings_changed", "the analytics settings changed meanwhile; read them again")
	}
	if err != nil {
		return fmt.Errorf("put analytics settings: %w", err)
	}
	return nil
}

// stateItem is an issue's analytics state. Pending holds a new state whose
// delta needs more than one transaction (MaxCellsPerTx), with Done the
// chunks applied so far; the next read finishes it.
type stateItem struct {
	PK         string                          `dynamodbav:"pk"`
	SK         string                          `dynamodbav:"sk"`
	Entity     string                          `dynamodbav:"entity"`
	IssueID    string                          `dynamodbav:"issue_id"`
	Known      bool                            `dynamodbav:"known"`
	Deleted    bool                            `dynamodbav:"deleted"`
	Version    int64                           `dynamodbav:"version"`
	CreatedAt  time.Time                       `dynamodbav:"created_at"`
	StartedAt  *time.Time                      `dynamodbav:"started_at,omitempty"`
	ResolvedAt *time.Time                      `dynamodbav:"resolved_at,omitempty"`
	ClosedAt   *time.Time                      `dynamodbav:"closed_at,omitempty"`
	Category   string                          `dynamodbav:"category,omitempty"`
	Priority   string                          `dynamodbav:"priority,omitempty"`
	AssigneeID string                          `dynamodbav:"assignee_id,omitempty"`
	TeamID     string                          `dynamodbav:"team_id,omitempty"`
	ReporterID string                          `dynamodbav:"reporter_id,omitempty"`
	History    map[string]analytics.Transition `dynamodbav:"history,omitempty"`
	Responders []analytics.Response            `dynamodbav:"responders,omitempty"`
	Applied    map[string]map[string]int64     `dynamodbav:"applied,omitempty"`
	Rev        int64                           `dynamodbav:"rev"`
	Pending    *stateItem                      `dynamodbav:"pending,omitempty"`
	Done       int                             `dynamodbav:"done,omitempty"`
	// ExpiresAt lets a deleted issue's tombstone go once no stream record
	// of it can arrive any more (streams keep records 24 hours).
	ExpiresAt int64 `dynamodbav:"expires_at,omitempty"`
}

func toStateItem(tenant string, st analytics.IssueState) stateItem {
	it := stateItem{PK: statePK(tenant, st.IssueID), SK: skState, Entity: "analytics_issue", IssueID: st.IssueID, Known: st.Known,
		Deleted: st.Deleted, Version: st.Version, CreatedAt: st.CreatedAt, StartedAt: st.StartedAt, ResolvedAt: st.ResolvedAt,
		ClosedAt: st.ClosedAt, Category: string(st.Category), Priority: string(st.Priority), AssigneeID: st.AssigneeID,
		TeamID: st.TeamID, ReporterID: st.ReporterID, History: st.History, Responders: st.Responders, Applied: st.Applied, Rev: st.Rev}
	if st.Deleted {
		it.ExpiresAt = time.Now().Add(7 * 24 * time.Hour).Unix()
	}
	return it
}

func (it stateItem) state() analytics.IssueState {
	return analytics.IssueState{IssueID: it.IssueID, Known: it.Known, Deleted: it.Deleted, Version: it.Version,
		CreatedAt: it.CreatedAt, StartedAt: it.StartedAt, ResolvedAt: it.ResolvedAt, ClosedAt: it.ClosedAt,
		Category: issue.Category(it.Category), Priority: issue.Priority(it.Priority), AssigneeID: it.AssigneeID,
		TeamID: it.TeamID, ReporterID: it.ReporterID, History: it.History, Responders: it.Responders,
		Applied: analytics.Contribution(it.Applied), Rev: it.Rev}
}

// State implements analytics.Store; it first finishes a pending
// multi-transaction apply, if a crash left one.
func (s Store) State(ctx context.Context, sc tenancy.Scope, issueID string) (analytics.IssueState, error) {
	for range 3 {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(statePK(sc.TenantID, issueID), skState), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return analytics.IssueState{}, fmt.Errorf("get analytics state: %w", err)
		}
		if out.Item == nil {
			return analytics.IssueState{IssueID: issueID}, nil
		}
		var it stateItem
		if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
			return analytics.IssueState{}, fmt.Errorf("decode analytics state: %w", err)
		}
		if it.Pending == nil {
			return it.state(), nil
		}
		next := it.Pending.state()
		err = s.chunks(ctx, sc, it.state(), next, analytics.Delta(analytics.Contribution(it.Applied), next.Applied), it.Done)
		if err != nil && !errors.Is(err, analytics.ErrStateChanged) {
			return analytics.IssueState{}, err
		}
	}
	return analytics.IssueState{}, analytics.ErrStateChanged
}

// States implements analytics.Store: BatchGetItem (consistent), 100 keys a
// call; an issue without a state gets a zero one.
func (s Store) States(ctx context.Context, sc tenancy.Scope, ids []string) (map[string]analytics.IssueState, error) {
	out := make(map[string]analytics.IssueState, len(ids))
	for _, id := range ids {
		out[id] = analytics.IssueState{IssueID: id}
	}
	for chunk := range slices.Chunk(ids, 100) {
		keys := make([]map[string]av, len(chunk))
		for i, id := range chunk {
			keys[i] = dynamo.Key(statePK(sc.TenantID, id), skState)
		}
		for len(keys) > 0 {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				sc.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}})
			if err != nil {
				return nil, fmt.Errorf("get analytics states: %w", err)
			}
			for _, m := range res.Responses[sc.Table] {
				var it stateItem
				if err := attributevalue.UnmarshalMap(m, &it); err != nil {
					return nil, fmt.Errorf("decode analytics state: %w", err)
				}
				st := it.state()
				st.IssueID = strings.TrimPrefix(it.PK, statePK(sc.TenantID, "")) // also for a pending first write
				st.Pending = it.Pending != nil
				out[st.IssueID] = st
			}
			keys = res.UnprocessedKeys[sc.Table].Keys
		}
	}
	return out, nil
}

// ApplyMany implements analytics.Store.
func (s Store) ApplyMany(ctx context.Context, sc tenancy.Scope, states []analytics.IssueState, delta analytics.Contribution) error {
	items := make([]types.TransactWriteItem, 0, len(states)+len(delta))
	for _, c := range delta.Cells() {
		u, err := s.cellUpdate(sc, c, delta[c])
		if err != nil {
			return err
		}
		items = append(items, u)
	}
	for _, st := range states {
		w, err := s.stateWrite(sc, analytics.IssueState{IssueID: st.IssueID, Rev: st.Rev - 1}, st, 0, 1)
		if err != nil {
			return err
		}
		items = append(items, w)
	}
	if len(items) > analytics.MaxTxActions {
		return fmt.Errorf("apply analytics: %d actions exceed one transaction", len(items))
	}
	return s.transact(ctx, sc, items)
}

// MaxCellsPerTx is how many rollup cells one transaction updates, with the
// state item and the open check: DynamoDB takes 100 actions per transaction.
const MaxCellsPerTx = 98

// Apply implements analytics.Store: the delta's cells are ADDed and the
// state written in one transaction conditioned on the previous revision.
// A delta over MaxCellsPerTx cells (an old issue with a long history moved
// to another team) goes in chunks: the first records the new state as
// pending, each chunk advances a counter under the same condition, the last
// writes the state; a crash midway is finished by the next State.
func (s Store) Apply(ctx context.Context, sc tenancy.Scope, st analytics.IssueState, delta analytics.Contribution) error {
	prev := analytics.IssueState{IssueID: st.IssueID, Rev: st.Rev - 1}
	return s.chunks(ctx, sc, prev, st, delta, 0)
}

func (s Store) chunks(ctx context.Context, sc tenancy.Scope, prev, next analytics.IssueState, delta analytics.Contribution, done int) error {
	cells := delta.Cells()
	n := (len(cells) + MaxCellsPerTx - 1) / MaxCellsPerTx
	if n == 0 {
		n = 1
	}
	for k := done; k < n; k++ {
		part := cells[min(k*MaxCellsPerTx, len(cells)):min((k+1)*MaxCellsPerTx, len(cells))]
		var items []types.TransactWriteItem
		for _, c := range part {
			u, err := s.cellUpdate(sc, c, delta[c])
			if err != nil {
				return err
			}
			items = append(items, u)
		}
		st, err := s.stateWrite(sc, prev, next, k, n)
		if err != nil {
			return err
		}
		items = append(items, st)
		if err := s.transact(ctx, sc, items); err != nil {
			return err
		}
	}
	return nil
}

// stateWrite is the state action of chunk k of n: the last puts the new
// state, the first of several records it as pending, the others count.
func (s Store) stateWrite(sc tenancy.Scope, prev, next analytics.IssueState, k, n int) (types.TransactWriteItem, error) {
	var cond expression.ConditionBuilder
	if prev.Rev == 0 {
		cond = expression.AttributeNotExists(expression.Name("pk"))
	} else {
		cond = expression.Name("rev").Equal(expression.Value(prev.Rev))
	}
	if k > 0 {
		cond = expression.Name("done").Equal(expression.Value(k))
	}
	if k == n-1 {
		e, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		m, err := attributevalue.MarshalMap(toStateItem(sc.TenantID, next))
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(sc.Table), Item: m, ConditionExpression: e.Condition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
	}
	var upd expression.UpdateBuilder
	if k == 0 {
		pending := toStateItem(sc.TenantID, next)
		upd = expression.Set(expression.Name("pending"), expression.Value(pending)).Set(expression.Name("done"), expression.Value(1))
		if prev.Rev == 0 {
			upd = upd.Set(expression.Name("rev"), expression.Value(0)).Set(expression.Name("entity"), expression.Value("analytics_issue")).
				Set(expression.Name("issue_id"), expression.Value(next.IssueID))
		}
	} else {
		upd = expression.Set(expression.Name("done"), expression.Value(k+1))
	}
	e, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(sc.Table), Key: dynamo.Key(statePK(sc.TenantID, next.IssueID), skState),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
}

// cellUpdate ADDs a cell's counts to its rollup item.
func (s Store) cellUpdate(sc tenancy.Scope, cell string, fields map[string]int64) (types.TransactWriteItem, error) {
	k, err := cellKey(sc.TenantID, cell)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	var upd expression.UpdateBuilder
	for _, f := range names {
		upd = upd.Add(expression.Name(f), expression.Value(fields[f]))
	}
	if strings.HasPrefix(cell, "D|") {
		upd = upd.Add(expression.Name(fieldWrites), expression.Value(1)) // compaction's guard (compact.go)
	}
	e, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(sc.Table), Key: k, UpdateExpression: e.Update(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}, nil
}

// cellKey is the item key of a rollup cell ("D|scope|day", "G|scope").
func cellKey(tenant, cell string) (map[string]av, error) {
	parts := strings.Split(cell, "|")
	switch {
	case len(parts) == 3 && parts[0] == "D":
		return dynamo.Key(dayPK(tenant, parts[1]), parts[2]), nil
	case len(parts) == 2 && parts[0] == "G":
		return dynamo.Key(gaugePK(tenant), parts[1]), nil
	}
	return nil, fmt.Errorf("bad rollup cell %q", cell)
}

// transact runs one transaction, retrying conflicts with concurrent
// transactions on the same rollup items (other shards of the stream); a
// failed state condition is ErrStateChanged.
// transact runs items with the check that the tenant is not closed (its
// data deleted by offboarding) as the last action: a failed check is
// ErrTenantClosed, another failed condition ErrStateChanged.
func (s Store) transact(ctx context.Context, sc tenancy.Scope, items []types.TransactWriteItem) error {
	items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(sc.Table),
		Key: dynamo.Key(closedPK(sc.TenantID), skClosed), ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	for attempt := 0; ; attempt++ {
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			if err != nil {
				return fmt.Errorf("apply analytics delta: %w", err)
			}
			return nil
		}
		if r := tce.CancellationReasons; len(r) == len(items) && aws.ToString(r[len(r)-1].Code) == "ConditionalCheckFailed" {
			return analytics.ErrTenantClosed
		}
		conflict := false
		for _, r := range tce.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				return analytics.ErrStateChanged
			case "TransactionConflict":
				conflict = true
			}
		}
		if !conflict || attempt >= 10 {
			return fmt.Errorf("apply analytics delta: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 15 * time.Millisecond):
		}
	}
}

// Days implements analytics.Store: one Query (paged) of the scope's days.
func (s Store) Days(ctx context.Context, sc tenancy.Scope, scope, from, to string) ([]analytics.DayRollup, error) {
	kc := expression.Key("pk").Equal(expression.Value(dayPK(sc.TenantID, scope))).And(expression.Key("sk").Between(expression.Value(from), expression.Value(to)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	var out []analytics.DayRollup
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query analytics days: %w", err)
		}
		for _, m := range page.Items {
			d, err := dayRollup(m)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// dayRollup decodes a day item: its counters, and its histograms as the
// compacted blobs plus the bin counters added since (compact.go).
func dayRollup(m map[string]av) (analytics.DayRollup, error) {
	d := analytics.DayRollup{Lead: analytics.Histogram{}, Cycle: analytics.Histogram{}, Response: analytics.Histogram{}}
	for k, v := range m {
		n, ok := num(v)
		switch {
		case k == "sk":
			d.Day = str2(v)
		case k == blobLead || k == blobCycle || k == blobResp:
			b, isB := v.(*types.AttributeValueMemberB)
			if !isB {
				return d, fmt.Errorf("analytics day %s: %s is not binary", d.Day, k)
			}
			if err := histogram(&d, k).AddBinary(b.Value); err != nil {
				return d, fmt.Errorf("analytics day %s: %w", str2(m["sk"]), err)
			}
		case !ok:
		case k == analytics.FieldCreated:
			d.Created = n
		case k == analytics.FieldResolved:
			d.Resolved = n
		case k == analytics.FieldNet:
			d.Net = n
		default:
			if prefix, bin, isBin := binCounter(k); isBin && n != 0 {
				histogram(&d, prefix)[bin] += n
			}
		}
	}
	return d, nil
}

func num(v av) (int64, bool) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseInt(n.Value, 10, 64)
	return x, err == nil
}

func str2(v av) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// Gauges implements analytics.Store: one Query of the gauge partition.
func (s Store) Gauges(ctx context.Context, sc tenancy.Scope, prefix string) ([]analytics.Gauge, error) {
	kc := expression.Key("pk").Equal(expression.Value(gaugePK(sc.TenantID)))
	if prefix != "" {
		kc = kc.And(expression.Key("sk").BeginsWith(prefix))
	}
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	var out []analytics.Gauge
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query analytics gauges: %w", err)
		}
		for _, m := range page.Items {
			g := analytics.Gauge{Scope: str2(m["sk"])}
			g.Open, _ = num(m[analytics.FieldOpen])
			g.Started, _ = num(m[analytics.FieldStarted])
			out = append(out, g)
		}
	}
	return out, nil
}

// ClosedTTL is how long a closed tenant's marker stays: longer than a
// change stream keeps its records (24 hours), so no late record outlives it.
const ClosedTTL = 48 * time.Hour

// Close marks the tenant's analytics as closed in table before its data is
// deleted: from then on every analytics transaction of the tenant fails
// its check (ErrTenantClosed), so the stream records of the deletes (and
// any late ones) cannot write rollups back after the sweep. The marker
// expires after ClosedTTL; IsClosedMarker tells the sweep to keep it.
func Close(ctx context.Context, db *dynamodb.Client, table, tenantID string, now time.Time) error {
	item := dynamo.Key(closedPK(tenantID), skClosed)
	item[schema.ExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ClosedTTL).Unix(), 10)}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		return fmt.Errorf("close analytics of %s: %w", tenantID, err)
	}
	return nil
}

// IsClosedMarker reports whether item is a tenant's closed marker.
func IsClosedMarker(item map[string]types.AttributeValue) bool {
	sk, ok := item[schema.SK].(*types.AttributeValueMemberS)
	pk, ok2 := item[schema.PK].(*types.AttributeValueMemberS)
	return ok && ok2 && sk.Value == skClosed && strings.HasSuffix(pk.Value, "#"+KeyInfix+"CLOSED")
}
