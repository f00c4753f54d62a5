package issuedb

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// inStatusPage is how many index entries one Query of InStatus reads.
const inStatusPage = 100

// InStatus implements issue.Store: Queries of the status partition (gsi6
// T#t#ISSUES#S#<status>, shared by every project using that status id)
// with a filter on the project, from after (a gsi6 sort key) on, until max
// ids or the end. A lagging index entry may name an issue that has left
// the status: callers re-read the issue.
func (s *Store) InStatus(ctx context.Context, sc tenancy.Scope, projectID string, st issue.Status, after string, max int) ([]string, string, error) {
	if !issue.ValidStatusID(st) {
		return nil, "", nil
	}
	pk := statusGSI(sc.TenantID, st)
	inProject := expression.Name("project_id").Equal(expression.Value(projectID))
	if projectOrDefault(projectID) == issue.DefaultProjectID { // written before projects: none stored
		inProject = inProject.Or(expression.AttributeNotExists(expression.Name("project_id")))
	}
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key(schema.GSI6PK).Equal(expression.Value(pk))).
		WithFilter(inProject).WithProjection(expression.NamesList(expression.Name("id"), expression.Name(schema.GSI6SK))).Build()
	if err != nil {
		return nil, "", fmt.Errorf("issues in status: %w", err)
	}
	var ids []string
	for {
		in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), IndexName: aws.String(schema.GSI6),
			KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(), ProjectionExpression: e.Projection(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(inStatusPage)}
		if after != "" {
			id := after[strings.LastIndexByte(after, '#')+1:]
			if !issue.ValidID(id) {
				return nil, "", errs.Invalid("invalid_position", "malformed job position")
			}
			in.ExclusiveStartKey = dynamo.Key(issuePK(sc.TenantID, id), skIssue)
			in.ExclusiveStartKey[schema.GSI6PK], in.ExclusiveStartKey[schema.GSI6SK] = str(pk), str(after)
		}
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("issues in status: %w", err)
		}
		var page []struct {
			ID  string `dynamodbav:"id"`
			Pos string `dynamodbav:"gsi6sk"`
		}
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, "", fmt.Errorf("issues in status: %w", err)
		}
		for n, x := range page {
			ids = append(ids, x.ID)
			if len(ids) == max && (n < len(page)-1 || len(out.LastEvaluatedKey) != 0) {
				// At most max: the next call goes on after this one.
				return ids, x.Pos, nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return ids, "", nil
		}
		var last struct {
			Pos string `dynamodbav:"gsi6sk"`
		}
		_ = attributevalue.UnmarshalMap(out.LastEvaluatedKey, &last)
		after = last.Pos
		if len(ids) >= max {
			return ids, after, nil
		}
	}
}

// Move implements issue.Store: the issue (now in another project, under a
// new number) is written over old as Update does (label uses, postings
// and cycle scope records by their delta), with the new key alias in the
// same transaction. The old alias stays: the old key keeps finding
// the issue, as a renamed project's keys do.
func (s *Store) Move(ctx context.Context, sc tenancy.Scope, old, i issue.Issue, a issue.Activity, h *issue.StatusChange) error {
	return withFlagRetry(ctx, old, i, func(ctx context.Context, old, i issue.Issue) error {
		return s.move(ctx, sc, old, i, a, h)
	})
}

func (s *Store) move(ctx context.Context, sc tenancy.Scope, old, i issue.Issue, a issue.Activity, h *issue.StatusChange) error {
	t := &tx{table: sc.Table}
	it := toIssueItem(i)
	t.put(it, unchanged(old), staleGoneOrFlagged(old))
	t.gone(toIssueItem(old))
	linkParent(t, old, i)
	t.put(keyItem{PK: issueKeyPK(i.TenantID, i.ProjectID, i.Number), SK: skKey, IssueID: i.ID}, notExists(),
		func(map[string]av) error { return errs.Conflict("issue_key_taken", "issue key already used") })
	t.put(toActivityItem(i.TenantID, a), nil, nil)
	if h != nil {
		t.put(toHistoryItem(i.TenantID, *h), nil, nil)
	}
	labelDelta(t, i.TenantID, i.ID, old.Labels, i.Labels)
	termDelta(t, i.TenantID, i.ID, "I", decodeTerms(toIssueItem(old).Terms), decodeTerms(it.Terms))
	cycleDelta(t, old, i, i.UpdatedAt)
	return t.run(ctx, s.DB, "move issue")
}
