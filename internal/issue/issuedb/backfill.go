package issuedb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// BackfillPage is one step of moving issues written before projects into
// the default project: one Query page (in creation order, gsi2) of the
// tenant's issues that have no project_id, each given the default project
// and its gsi7 entry by a conditional UpdateItem (attribute_not_exists
// project_id, so an issue written meanwhile by the current code, or by an
// earlier run, is left alone: idempotent). The version is not bumped: the
// issue did not change, only where the index finds it. after is where the
// previous page stopped ("" to start); next is "" when done.
func (s *Store) BackfillPage(ctx context.Context, sc tenancy.Scope, after string, limit int32) (next string, moved int, err error) {
	kc := expression.Key("gsi2pk").Equal(expression.Value(issuesGSI(sc.TenantID)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return "", 0, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), IndexName: aws.String("gsi2"),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ProjectionExpression: aws.String("pk, sk, gsi2pk, gsi2sk, project_id"), Limit: aws.Int32(limit)}
	if after != "" {
		id := after[len(after)-26:] // gsi2sk is <created>#<ulid>
		in.ExclusiveStartKey = map[string]av{"gsi2pk": str(issuesGSI(sc.TenantID)), "gsi2sk": str(after),
			"pk": str(issuePK(sc.TenantID, id)), "sk": str(skIssue)}
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return "", 0, fmt.Errorf("backfill projects: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	var n int
	for _, it := range out.Items {
		if _, has := it["project_id"]; has {
			continue
		}
		n++
		key := map[string]av{"pk": it["pk"], "sk": it["sk"]}
		g.Go(func() error { return s.moveToDefault(gctx, sc, key) })
	}
	if err := g.Wait(); err != nil {
		return "", 0, err
	}
	if out.LastEvaluatedKey == nil {
		return "", n, nil
	}
	last, _ := out.LastEvaluatedKey["gsi2sk"].(*types.AttributeValueMemberS)
	if last == nil {
		return "", 0, fmt.Errorf("backfill projects: page without a position")
	}
	return last.Value, n, nil
}

// moveToDefault gives one issue written before projects the default
// project: project_id and its gsi7 entry (sorted like gsi1, so copied from it).
func (s *Store) moveToDefault(ctx context.Context, sc tenancy.Scope, key map[string]av) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: key,
		UpdateExpression:    aws.String("SET project_id = :p, gsi7pk = :g, gsi7sk = gsi1sk"),
		ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(project_id)"),
		ExpressionAttributeValues: map[string]av{":p": str(issue.DefaultProjectID),
			":g": str(projectIssuesGSI(sc.TenantID, issue.DefaultProjectID))}})
	if dynamo.ConditionFailed(err) {
		return nil // deleted, or moved meanwhile
	}
	if err != nil {
		return fmt.Errorf("move issue to the default project: %w", err)
	}
	return nil
}
