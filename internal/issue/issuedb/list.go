package issuedb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"golang.org/x/sync/errgroup"
)

// sortIndex maps a sort order to its tenant-wide index.
var sortIndex = map[issue.Sort]struct{ name, pk, sk string }{
	issue.SortUpdated:  {"gsi1", "gsi1pk", "gsi1sk"},
	issue.SortCreated:  {"gsi2", "gsi2pk", "gsi2sk"},
	issue.SortPriority: {"gsi3", "gsi3pk", "gsi3sk"},
	issue.SortDue:      {"gsi4", "gsi4pk", "gsi4sk"},
}

// ListQuery is one page request of an issue list.
type ListQuery struct {
	Sort   issue.Sort
	Desc   bool
	Filter issue.Filter
	Limit  int
	Cursor string // opaque, from a previous page
}

// Page bounds: a list request reads at most maxPages Query pages of
// pageRead items, so its cost is constant whatever the tenant's size; a
// selective filter may answer a short page with a next_cursor.
const (
	pageRead = 100
	maxPages = 5
)

// listCursor is what an opaque cursor holds: where the last page stopped in
// which ordering. The tenant is never in it: keys are rebuilt from the caller.
type listCursor struct {
	Sort issue.Sort `json:"s"`
	Desc bool       `json:"d"`
	SK   string     `json:"k"`
	ID   string     `json:"i"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return errs.Field("cursor", "is not a cursor this list returned")
	}
	return nil
}

// List answers one page of the tenant's issues in the requested order,
// filtered with issue.Filter.Match (the same predicate search uses). The
// plan (plan.go) picks the index; its partitions are merged in sort-key
// order, which is the same for every index of one sort order, so a cursor
// is a position in that order whichever plan wrote it.
func (s Store) List(ctx context.Context, table, tenant string, q ListQuery) ([]issue.Issue, string, error) {
	if _, ok := sortIndex[q.Sort]; !ok {
		return nil, "", errs.Field("sort", "must be one of updated, created, priority, due")
	}
	var start *listCursor
	if q.Cursor != "" {
		var c listCursor
		if err := decodeCursor(q.Cursor, &c); err != nil {
			return nil, "", err
		}
		if c.Sort != q.Sort || c.Desc != q.Desc || !issue.ValidID(c.ID) || !strings.HasSuffix(c.SK, "#"+c.ID) {
			return nil, "", errs.Field("cursor", "belongs to another ordering or is damaged")
		}
		start = &c
	}
	p := choosePlan(tenant, q)
	limit := int32(pageRead)
	if !p.residual.Selective() {
		limit = int32(q.Limit) // every item read is answered
	}
	streams := make([]*stream, len(p.partitions))
	for n, part := range p.partitions {
		kc := expression.Key(p.pkAttr).Equal(expression.Value(part))
		e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			return nil, "", err
		}
		in := &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(p.index),
			KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ScanIndexForward: aws.Bool(!q.Desc), Limit: aws.Int32(limit)}
		if start != nil {
			in.ExclusiveStartKey = map[string]av{p.pkAttr: str(part), p.skAttr: str(start.SK),
				"pk": str(issuePK(tenant, start.ID)), "sk": str(skIssue)}
		}
		streams[n] = &stream{in: in}
	}
	m := merge{db: s.DB, streams: streams, desc: q.Desc, sk: sortKeyOf(q.Sort), budget: maxPages + len(streams) - 1}
	var out []issue.Issue
	var last issueItem
	for {
		it, ok, err := m.next(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("list issues: %w", err)
		}
		if !ok {
			if m.exhausted() {
				return out, "", nil
			}
			return out, cursorAt(q, last), nil // budget spent: a short page
		}
		last = it
		if i := it.issue(); q.Filter.Match(i) {
			out = append(out, i)
			if len(out) == q.Limit {
				return out, cursorAt(q, it), nil
			}
		}
	}
}

// sortKeyOf is the index sort key of an issue in an order.
func sortKeyOf(s issue.Sort) func(issueItem) string {
	switch s {
	case issue.SortCreated:
		return func(it issueItem) string { return it.GSI2SK }
	case issue.SortPriority:
		return func(it issueItem) string { return it.GSI3SK }
	case issue.SortDue:
		return func(it issueItem) string { return it.GSI4SK }
	}
	return func(it issueItem) string { return it.GSI1SK }
}

// stream is the Query pages of one partition.
type stream struct {
	in   *dynamodb.QueryInput
	buf  []issueItem
	done bool
}

// merge yields the items of its streams in sort-key order, reading at most
// budget Query pages (the first page of every stream in parallel).
type merge struct {
	db      *dynamodb.Client
	streams []*stream
	desc    bool
	sk      func(issueItem) string
	budget  int
	started bool
}

// fill reads the stream's next page; the caller counts it against the budget.
func (m *merge) fill(ctx context.Context, st *stream) error {
	res, err := m.db.Query(ctx, st.in)
	if err != nil {
		return err
	}
	for _, raw := range res.Items {
		var it issueItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return fmt.Errorf("decode issue: %w", err)
		}
		st.buf = append(st.buf, it)
	}
	st.in.ExclusiveStartKey = res.LastEvaluatedKey
	st.done = res.LastEvaluatedKey == nil
	return nil
}

// next returns the next item; ok is false when every stream is exhausted or
// the budget is spent with a stream still unread (then no item is skipped:
// everything returned sorts before what that stream holds).
func (m *merge) next(ctx context.Context) (issueItem, bool, error) {
	if !m.started {
		m.started = true
		g, gctx := errgroup.WithContext(ctx)
		for _, st := range m.streams {
			g.Go(func() error { return m.fill(gctx, st) })
		}
		m.budget -= len(m.streams)
		if err := g.Wait(); err != nil {
			return issueItem{}, false, err
		}
	}
	var best *stream
	for _, st := range m.streams {
		for len(st.buf) == 0 && !st.done {
			if m.budget <= 0 {
				return issueItem{}, false, nil
			}
			m.budget--
			if err := m.fill(ctx, st); err != nil {
				return issueItem{}, false, err
			}
		}
		if len(st.buf) == 0 {
			continue
		}
		if best == nil || m.before(st.buf[0], best.buf[0]) {
			best = st
		}
	}
	if best == nil {
		return issueItem{}, false, nil
	}
	it := best.buf[0]
	best.buf = best.buf[1:]
	return it, true, nil
}

func (m *merge) before(a, b issueItem) bool {
	if m.desc {
		return m.sk(a) > m.sk(b)
	}
	return m.sk(a) < m.sk(b)
}

// exhausted reports whether every stream has been read to its end.
func (m *merge) exhausted() bool {
	for _, st := range m.streams {
		if len(st.buf) > 0 || !st.done {
			return false
		}
	}
	return true
}

// cursorAt points after it. A page that ends exactly at the end of the
// list still gets a cursor; the next page is then empty without one.
func cursorAt(q ListQuery, it issueItem) string {
	return encodeCursor(listCursor{Sort: q.Sort, Desc: q.Desc, SK: sortKeyOf(q.Sort)(it), ID: it.ID})
}

// childCursor is the cursor of a list inside an issue's partition.
type childCursor struct {
	SK string `json:"k"`
}

// queryChildren reads one page of the items of an issue's partition whose sk
// starts with prefix, oldest first, into dst (a pointer to a slice).
func (s Store) queryChildren(ctx context.Context, table, pk, prefix string, limit int, cursor string, dst any) (string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk)).And(expression.Key("sk").BeginsWith(prefix))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return "", err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(int32(limit)),
		ConsistentRead: aws.Bool(true)}
	if cursor != "" {
		var c childCursor
		if err := decodeCursor(cursor, &c); err != nil {
			return "", err
		}
		if !strings.HasPrefix(c.SK, prefix) {
			return "", errs.Field("cursor", "belongs to another list")
		}
		in.ExclusiveStartKey = key(pk, c.SK)
	}
	res, err := s.DB.Query(ctx, in)
	if err != nil {
		return "", fmt.Errorf("query %s: %w", prefix, err)
	}
	if err := attributevalue.UnmarshalListOfMaps(res.Items, dst); err != nil {
		return "", fmt.Errorf("decode %s: %w", prefix, err)
	}
	if res.LastEvaluatedKey == nil {
		return "", nil
	}
	sk, _ := res.LastEvaluatedKey["sk"].(*types.AttributeValueMemberS)
	return encodeCursor(childCursor{SK: sk.Value}), nil
}

// Activity returns a page of the issue's activity, oldest first.
func (s Store) Activity(ctx context.Context, table, tenant, issueID string, limit int, cursor string) ([]issue.Activity, string, error) {
	var items []activityItem
	next, err := s.queryChildren(ctx, table, issuePK(tenant, issueID), preAct, limit, cursor, &items)
	out := make([]issue.Activity, len(items))
	for i, it := range items {
		out[i] = it.activity()
	}
	return out, next, err
}

// History returns a page of the issue's status history, oldest first.
func (s Store) History(ctx context.Context, table, tenant, issueID string, limit int, cursor string) ([]issue.StatusChange, string, error) {
	var items []historyItem
	next, err := s.queryChildren(ctx, table, issuePK(tenant, issueID), preHist, limit, cursor, &items)
	out := make([]issue.StatusChange, len(items))
	for i, it := range items {
		out[i] = it.change()
	}
	return out, next, err
}
