package issuedb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// scopeItem is an issue's record in a cycle's scope: pk
// T#t#CYCLE#<cycle>#SCOPE, sk ISSUE#<issue>. The issue's own transactions
// write it (cycleDelta), so it never disagrees with the issue: added_at
// when the issue joined, removed_at when it left (or was deleted), and its
// points, category and completion as of its last write in the cycle. A
// cycle's scope report is one Query of this partition.
type scopeItem struct {
	PK          string     `dynamodbav:"pk"`
	SK          string     `dynamodbav:"sk"`
	Entity      string     `dynamodbav:"entity"`
	IssueID     string     `dynamodbav:"issue_id"`
	AddedAt     time.Time  `dynamodbav:"added_at"`
	RemovedAt   *time.Time `dynamodbav:"removed_at,omitempty"`
	Points      *int       `dynamodbav:"points,omitempty"`
	Category    string     `dynamodbav:"category"`
	CompletedAt *time.Time `dynamodbav:"completed_at,omitempty"`
	// Estimates are "<time>|<points>" ("<time>|" unestimated) from the
	// join on, so a report knows the points at the start and at a removal.
	Estimates []string `dynamodbav:"estimates,omitempty"`
}

func estimateEntry(at time.Time, p *int) string {
	s := at.UTC().Format(time.RFC3339Nano) + "|"
	if p != nil {
		s += strconv.Itoa(*p)
	}
	return s
}

func decodeEstimates(ss []string) []issue.Estimated {
	out := make([]issue.Estimated, 0, len(ss))
	for _, s := range ss {
		at, p, ok := strings.Cut(s, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			continue
		}
		e := issue.Estimated{At: t}
		if n, err := strconv.Atoi(p); err == nil {
			e.Points = &n
		}
		out = append(out, e)
	}
	return out
}

// completedAt is when a completed issue was resolved (nil otherwise).
func completedAt(i issue.Issue) *time.Time {
	if i.Category != issue.Completed {
		return nil
	}
	if i.ResolvedAt != nil {
		return i.ResolvedAt
	}
	return i.ClosedAt
}

// cycleDelta keeps the scope records of the cycles old and cur are in: a
// new cycle gets a record added now, the cycle left gets removed_at, and
// an issue staying in its cycle refreshes its points and category when
// they changed. Nothing is written for an issue in no cycle.
func cycleDelta(t *tx, old, cur issue.Issue, at time.Time) {
	at = at.UTC()
	if old.CycleID != "" && old.CycleID != cur.CycleID {
		t.update(dynamo.Key(cycleScopePK(old.TenantID, old.CycleID), useSK(old.ID)), scopeUpdate(old, &at, nil))
	}
	switch {
	case cur.CycleID == "":
	case cur.CycleID != old.CycleID:
		// The cycle exists and is not being deleted (cycle.Service.Delete
		// marks it before it checks that no issue is in it).
		cond := expression.AttributeExists(expression.Name("pk")).And(expression.AttributeNotExists(expression.Name("deleting")))
		t.check(dynamo.Key(cyclePK(cur.TenantID, cur.CycleID), "CYCLE"), &cond, func(map[string]av) error {
			return errs.E(errs.KindUnprocessable, "invalid_cycle", "cycle_id: no such cycle in this workspace").
				WithFields(errs.FieldError{Field: "cycle_id", Reason: "no such cycle in this workspace"})
		})
		t.put(scopeItem{PK: cycleScopePK(cur.TenantID, cur.CycleID), SK: useSK(cur.ID), Entity: "cycle_scope", IssueID: cur.ID,
			AddedAt: at, Points: cur.Estimate, Category: string(cur.Category), CompletedAt: completedAt(cur),
			Estimates: []string{estimateEntry(at, cur.Estimate)}}, nil, nil)
	case !ptrEq(old.Estimate, cur.Estimate):
		t.update(dynamo.Key(cycleScopePK(cur.TenantID, cur.CycleID), useSK(cur.ID)), scopeUpdate(cur, nil, &at))
	case old.Category != cur.Category || !ptrEq(completedAt(old), completedAt(cur)):
		t.update(dynamo.Key(cycleScopePK(cur.TenantID, cur.CycleID), useSK(cur.ID)), scopeUpdate(cur, nil, nil))
	}
}

func ptrEq[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// scopeUpdate sets i's points, category and completion on its record,
// removed_at when removed is not nil, and a new estimate entry at
// estimated when it is not nil.
func scopeUpdate(i issue.Issue, removed, estimated *time.Time) expression.UpdateBuilder {
	set := []setValue{{"category", expression.Value(string(i.Category))}, {"issue_id", expression.Value(i.ID)},
		{"entity", expression.Value("cycle_scope")}}
	var remove []string
	if i.Estimate != nil {
		set = append(set, setValue{"points", expression.Value(*i.Estimate)})
	} else {
		remove = append(remove, "points")
	}
	if c := completedAt(i); c != nil {
		set = append(set, setValue{"completed_at", expression.Value(c.UTC().Format(time.RFC3339Nano))})
	} else {
		remove = append(remove, "completed_at")
	}
	if estimated != nil {
		set = append(set, setValue{"estimates", expression.ListAppend(
			expression.IfNotExists(expression.Name("estimates"), expression.Value([]string{})),
			expression.Value([]string{estimateEntry(*estimated, i.Estimate)}))})
	}
	if removed != nil {
		set = append(set, setValue{"removed_at", expression.Value(removed.Format(time.RFC3339Nano))})
	}
	var u expression.UpdateBuilder
	for _, v := range set {
		u = u.Set(expression.Name(v.name), v.value)
	}
	for _, name := range remove {
		u = u.Remove(expression.Name(name))
	}
	return u
}

// setValue is an attribute an update sets. scopeUpdate collects them and
// calls Set in one loop: each Set call is inlined (a map update and an
// append, ~450 bytes of code; docs/performance.md, "Room under the 64 KiB
// step").
type setValue struct {
	name  string
	value expression.OperandBuilder
}

// update adds an UpdateItem of an item that exists (an issue's scope
// record is written when it joins the cycle; one written before cycles
// kept records is simply recreated with what is known).
func (t *tx) update(k map[string]av, u expression.UpdateBuilder) {
	e, err := expression.NewBuilder().WithUpdate(u).Build()
	if err != nil {
		t.err = fmt.Errorf("%w", err)
		return
	}
	t.items = append(t.items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(t.table), Key: k,
		UpdateExpression: e.Update(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}})
	t.fail = append(t.fail, nil)
}

// MaxCycleScope bounds the scope records one report reads: a cycle of a
// few hundred issues is one Query page (records are ~150 bytes).
const MaxCycleScope = 10000

// CycleScope returns the scope records of a cycle (every issue ever
// planned in it), reading at most MaxCycleScope; truncated when there are
// more. One Query per 1 MB page (about 6,000 records).
func (s *Store) CycleScope(ctx context.Context, sc tenancy.Scope, cycleID string) ([]issue.CycleMember, bool, error) {
	kc := expression.Key("pk").Equal(expression.Value(cycleScopePK(sc.TenantID, cycleID)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, false, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	out := []issue.CycleMember{}
	pg := dynamodb.NewQueryPaginator(s.DB, in)
	for pg.HasMorePages() {
		res, err := pg.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("cycle scope: %w", err)
		}
		var its []scopeItem
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &its); err != nil {
			return nil, false, fmt.Errorf("decode cycle scope: %w", err)
		}
		for _, it := range its {
			if len(out) == MaxCycleScope {
				return out, true, nil
			}
			out = append(out, issue.CycleMember{IssueID: it.IssueID, AddedAt: it.AddedAt, RemovedAt: it.RemovedAt,
				Points: it.Points, Category: issue.Category(it.Category), CompletedAt: it.CompletedAt, Estimates: decodeEstimates(it.Estimates)})
		}
	}
	return out, false, nil
}

// CyclePlanned implements cycle.Scope: whether a scope record of the cycle
// has no removed_at (an issue is in the cycle now). Consistent Queries of
// the records' partition, paged until one is found.
func (s *Store) CyclePlanned(ctx context.Context, sc tenancy.Scope, cycleID string) (bool, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("pk").Equal(expression.Value(cycleScopePK(sc.TenantID, cycleID)))).
		WithFilter(expression.AttributeNotExists(expression.Name("removed_at"))).
		WithProjection(expression.NamesList(expression.Name("pk"))).Build()
	if err != nil {
		return false, err
	}
	pg := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(), ProjectionExpression: e.Projection(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for pg.HasMorePages() {
		res, err := pg.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("cycle planned: %w", err)
		}
		if len(res.Items) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// DropCycleScope implements cycle.Scope: Query the cycle's scope records
// page by page and delete them with BatchWriteItem (their bytes leave the
// storage counter).
func (s *Store) DropCycleScope(ctx context.Context, sc tenancy.Scope, cycleID string) error {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("pk").Equal(expression.Value(cycleScopePK(sc.TenantID, cycleID)))).Build()
	if err != nil {
		return err
	}
	pg := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for pg.HasMorePages() {
		res, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("cycle scope: %w", err)
		}
		keys := make([]map[string]av, len(res.Items))
		var size int64
		for i, it := range res.Items {
			keys[i] = map[string]av{"pk": it["pk"], "sk": it["sk"]}
			size += dynamo.ItemSize(it)
		}
		if err := s.batchDelete(ctx, sc, keys); err != nil {
			return err
		}
		usage.AddItemBytes(ctx, -size)
	}
	return nil
}
