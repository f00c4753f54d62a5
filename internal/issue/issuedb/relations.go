package issuedb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// relationItem is a relation, stored once in its canonical direction
// under the From issue (pk T#t#ISSUE#<from>, sk REL#<type>#<to>), with a
// gsi1 entry under the To issue (T#t#ISSUE#<to>#INREL / <type>#<from>), so
// each side lists it with one Query, and deleting From purges it with the
// rest of From's partition.
type relationItem struct {
	_         dynamo.NotComparable
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	GSI1PK    string    `dynamodbav:"gsi1pk"`
	GSI1SK    string    `dynamodbav:"gsi1sk"`
	Entity    string    `dynamodbav:"entity"`
	From      string    `dynamodbav:"from_issue"`
	To        string    `dynamodbav:"to_issue"`
	Type      string    `dynamodbav:"rel_type"`
	CreatedBy string    `dynamodbav:"created_by"`
	CreatedAt time.Time `dynamodbav:"created_at"`
}

const preRel = "REL#"

func relSK(typ issue.RelationType, to string) string { return preRel + string(typ) + "#" + to }
func inRelGSI(tenant, to string) string              { return issuePK(tenant, to) + "#INREL" }

func toRelationItem(tenant string, r issue.Relation) relationItem {
	return relationItem{PK: issuePK(tenant, r.From), SK: relSK(r.Type, r.To), GSI1PK: inRelGSI(tenant, r.To),
		GSI1SK: string(r.Type) + "#" + r.From, Entity: "relation", From: r.From, To: r.To, Type: string(r.Type),
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

func (it relationItem) relation() issue.Relation {
	return issue.Relation{From: it.From, To: it.To, Type: issue.RelationType(it.Type), CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt}
}

// relate adds r to t: the relation if absent, and the issue at its other
// end must exist (the issue at this end is the transaction's own write or
// checked by the caller).
func relate(t *tx, tenant string, r issue.Relation, checkFrom bool) {
	t.put(toRelationItem(tenant, r), notExists(), func(map[string]av) error {
		e := errs.Conflict("relation_exists", fmt.Sprintf("the issues are already related (%s)", r.Type))
		e.Fields = []errs.FieldError{{Field: "issue_id", Reason: "already related"}}
		return e
	})
	t.check(dynamo.Key(issuePK(tenant, r.To), skIssue), exists(), func(map[string]av) error { return errs.NotFound("issue") })
	if checkFrom {
		t.check(dynamo.Key(issuePK(tenant, r.From), skIssue), exists(), func(map[string]av) error { return errs.NotFound("issue") })
	}
}

// AddRelation implements issue.RelationStore: one transaction (the
// relation if absent, both issues still there).
func (s *Store) AddRelation(ctx context.Context, sc tenancy.Scope, r issue.Relation) error {
	t := &tx{table: sc.Table}
	relate(t, sc.TenantID, r, true)
	return t.run(ctx, s.DB, "add relation")
}

// RemoveRelation implements issue.RelationStore.
func (s *Store) RemoveRelation(ctx context.Context, sc tenancy.Scope, r issue.Relation) error {
	t := &tx{table: sc.Table}
	t.delIf(dynamo.Key(issuePK(sc.TenantID, r.From), relSK(r.Type, r.To)), exists(),
		func(map[string]av) error { return errs.NotFound("relation") })
	t.gone(toRelationItem(sc.TenantID, r))
	return t.run(ctx, s.DB, "remove relation")
}

// Relations implements issue.RelationStore: the issue's own relations
// (Query of its partition, begins_with REL#) and those naming it (Query of
// gsi1), in parallel.
func (s *Store) Relations(ctx context.Context, sc tenancy.Scope, issueID string) ([]issue.Relation, error) {
	var own, in []relationItem
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		kc := expression.Key("pk").Equal(expression.Value(issuePK(sc.TenantID, issueID))).And(expression.Key("sk").BeginsWith(preRel))
		return s.queryRelations(gctx, sc, "", kc, &own)
	})
	g.Go(func() error {
		return s.queryRelations(gctx, sc, "gsi1", expression.Key("gsi1pk").Equal(expression.Value(inRelGSI(sc.TenantID, issueID))), &in)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]issue.Relation, 0, len(own)+len(in))
	for _, it := range append(own, in...) {
		out = append(out, it.relation())
	}
	return out, nil
}

func (s *Store) queryRelations(ctx context.Context, sc tenancy.Scope, index string, kc expression.KeyConditionBuilder, out *[]relationItem) error {
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(issue.MaxRelations)}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	res, err := s.DB.Query(ctx, in)
	if err != nil {
		return fmt.Errorf("query relations: %w", err)
	}
	return attributevalue.UnmarshalListOfMaps(res.Items, out)
}

// Targets implements issue.RelationStore: one Query of the From issue's
// partition, begins_with REL#<type>#, keys only.
func (s *Store) Targets(ctx context.Context, sc tenancy.Scope, from string, typ issue.RelationType) ([]string, error) {
	prefix := relSK(typ, "")
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]av{":pk": str(issuePK(sc.TenantID, from)), ":p": str(prefix)},
		ProjectionExpression:      aws.String("sk"), Limit: aws.Int32(issue.MaxRelations)})
	if err != nil {
		return nil, fmt.Errorf("relation targets: %w", err)
	}
	out := make([]string, 0, len(res.Items))
	for _, m := range res.Items {
		var k struct {
			SK string `dynamodbav:"sk"`
		}
		if err := attributevalue.UnmarshalMap(m, &k); err == nil {
			out = append(out, strings.TrimPrefix(k.SK, prefix))
		}
	}
	return out, nil
}

// ChildCategories implements issue.Store: Query gsi8 (the parent's
// sub-issues), category only, up to max.
func (s *Store) ChildCategories(ctx context.Context, sc tenancy.Scope, parent string, max int) (map[issue.Category]int, bool, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), IndexName: aws.String("gsi8"),
		KeyConditionExpression:    aws.String("gsi8pk = :pk"),
		ExpressionAttributeValues: map[string]av{":pk": str(childrenGSI(sc.TenantID, parent))},
		ExpressionAttributeNames:  map[string]string{"#c": "category"},
		ProjectionExpression:      aws.String("#c")}
	counts := map[issue.Category]int{}
	n := 0
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("sub-issues: %w", err)
		}
		for _, m := range pg.Items {
			var c struct {
				Category string `dynamodbav:"category"`
			}
			_ = attributevalue.UnmarshalMap(m, &c)
			counts[issue.Category(c.Category)]++
			if n++; n >= max && p.HasMorePages() {
				return counts, true, nil
			}
		}
	}
	return counts, false, nil
}
