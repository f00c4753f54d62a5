package issuedb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// sortIndex maps a sort order to its tenant-wide index.
var sortIndex = map[issue.Sort]struct{ name, pk, sk string }{
	issue.SortUpdated:  {"gsi1", "gsi1pk", "gsi1sk"},
	issue.SortCreated:  {"gsi2", "gsi2pk", "gsi2sk"},
	issue.SortPriority: {"gsi3", "gsi3pk", "gsi3sk"},
	issue.SortDue:      {"gsi4", "gsi4pk", "gsi4sk"},
}

// Page bounds: a list request reads at most maxPages Query pages of
// pageRead items (one page beyond the first; with several partitions, one
// beyond each partition's first), so its cost is constant whatever the
// tenant's size; a filter the index does not select may answer a short
// page with a next_cursor.
const (
	pageRead = 100
	maxPages = 2
)

// listCursor is the position a cursor holds: where the last page stopped.
// The tenant is never in it: keys are rebuilt from the caller, and the
// cursor's scope (listScope) binds it to the tenant, ordering and filter.
type listCursor struct {
	_  dynamo.NotComparable
	SK string `json:"k"`
	ID string `json:"i"`
}

// listScope binds an issue list cursor to the caller's tenant, the
// ordering and the filter it was made for.
func listScope(tenant string, q issue.ListQuery) string {
	f, _ := json.Marshal(q.Filter)
	return list.Scope("issues", tenant, string(q.Sort), strconv.FormatBool(q.Desc), string(f))
}

// List answers one page of the tenant's issues in the requested order,
// filtered with issue.Filter.Match (the same predicate search uses). The
// plan (plan.go) picks the index; its partitions are merged in sort-key
// order, which is the same for every index of one sort order, so a cursor
// is a position in that order whichever plan wrote it.
func (s *Store) List(ctx context.Context, sc tenancy.Scope, q issue.ListQuery) ([]issue.Issue, string, error) {
	if _, ok := sortIndex[q.Sort]; !ok {
		return nil, "", errs.Field("sort", "must be one of updated, created, priority, due")
	}
	var start *listCursor
	if q.Cursor != "" {
		var c listCursor
		if err := s.Cursors.Decode(ctx, listScope(sc.TenantID, q), q.Cursor, &c); err != nil {
			return nil, "", err
		}
		if !issue.ValidID(c.ID) || !strings.HasSuffix(c.SK, "#"+c.ID) {
			return nil, "", errs.Invalid("invalid_cursor", "the cursor is damaged", errs.FieldError{Field: "cursor", Reason: "damaged"})
		}
		start = &c
	}
	p := choosePlan(sc.TenantID, q)
	limit := int32(pageRead)
	if !p.residual.Selective() {
		limit = int32(q.Limit) // every item read is answered
	}
	streams := make([]*stream, len(p.partitions))
	for n, part := range p.partitions {
		kc := expression.Key(p.pkAttr).Equal(expression.Value(part))
		prefix := ""
		if n < len(p.prefixes) {
			prefix = p.prefixes[n]
			kc = kc.And(expression.Key(p.skAttr).BeginsWith(prefix))
		}
		e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			return nil, "", err
		}
		in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), IndexName: aws.String(p.index),
			KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ScanIndexForward: aws.Bool(!q.Desc), Limit: aws.Int32(limit)}
		if start != nil {
			// start.SK is the position in the list's order; a prefixed
			// partition's sort keys are that position behind the prefix.
			in.ExclusiveStartKey = map[string]av{p.pkAttr: str(part), p.skAttr: str(prefix + start.SK),
				"pk": str(issuePK(sc.TenantID, start.ID)), "sk": str(skIssue)}
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
			next, err := s.cursorAt(ctx, sc.TenantID, q, last) // budget spent: a short page
			return out, next, err
		}
		last = it
		if i := it.issue(); q.Filter.Match(i) {
			out = append(out, i)
			if len(out) == q.Limit {
				next, err := s.cursorAt(ctx, sc.TenantID, q, it)
				return out, next, err
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
func (s *Store) cursorAt(ctx context.Context, tenant string, q issue.ListQuery, it issueItem) (string, error) {
	return s.Cursors.Encode(ctx, listScope(tenant, q), listCursor{SK: sortKeyOf(q.Sort)(it), ID: it.ID})
}

// queryChildren reads one page of the items of an issue's partition whose sk
// starts with prefix, oldest first, into dst (a pointer to a slice). The
// cursor is bound to that issue and that kind of child.
func (s *Store) queryChildren(ctx context.Context, table, pk, prefix string, req list.Request, dst any) (string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk)).And(expression.Key("sk").BeginsWith(prefix))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return "", err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)}
	return dynamo.QueryPage(ctx, s.DB, dynamo.Page{In: in, Codec: s.Cursors, Scope: list.Scope("issue-children", pk, prefix),
		KeyAttr: []string{"pk", "sk"}, Request: req}, dst)
}

// children reads a page of an issue's children and converts them.
func children[I, T any](ctx context.Context, s *Store, sc tenancy.Scope, issueID, prefix string, req list.Request, conv func(I) T) (list.Page[T], error) {
	var items []I
	next, err := s.queryChildren(ctx, sc.Table, issuePK(sc.TenantID, issueID), prefix, req, &items)
	if err != nil {
		return list.Page[T]{}, err
	}
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return list.NewPage(out, next), nil
}

// Activity returns a page of the issue's activity, oldest first.
func (s *Store) Activity(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[issue.Activity], error) {
	return children(ctx, s, sc, issueID, preAct, req, activityItem.activity)
}

// History returns a page of the issue's status history, oldest first.
func (s *Store) History(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[issue.StatusChange], error) {
	return children(ctx, s, sc, issueID, preHist, req, historyItem.change)
}
