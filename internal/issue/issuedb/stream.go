package issuedb

import (
	"context"
	"fmt"

	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// ChangeFilter selects the stream records of issues, their status history
// and their comments (what analytics and the activity consumers read).
var ChangeFilter = changes.Filter{SortKeys: []string{skIssue}, SortKeyPrefixes: []string{preHist, preComment}}

// Entities of the items the filter passes (their "entity" attribute).
const (
	EntityIssue        = "issue"
	EntityStatusChange = "status_change"
	EntityComment      = "comment"
)

// DecodeIssue decodes an issue item (a stream image or a read).
func DecodeIssue(m changes.Item) (issue.Issue, error) {
	var it issueItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return issue.Issue{}, fmt.Errorf("decode issue: %w", err)
	}
	return it.issue(), nil
}

// DecodeStatusChange decodes a status-history item.
func DecodeStatusChange(m changes.Item) (issue.StatusChange, error) {
	var it historyItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return issue.StatusChange{}, fmt.Errorf("decode status change: %w", err)
	}
	return it.change(), nil
}

// DecodeComment decodes a comment item.
func DecodeComment(m changes.Item) (issue.Comment, error) {
	var it commentItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return issue.Comment{}, fmt.Errorf("decode comment: %w", err)
	}
	return it.comment(), nil
}

// IssuePage returns up to limit issue items of the tenant in creation
// order after cursor (gsi2), and the cursor of the next page ("" at the
// end). Rebuilds (analytics backfill) read the tenant's issues with it.
func (s *Store) IssuePage(ctx context.Context, sc tenancy.Scope, cursor string, limit int) ([]changes.Item, string, error) {
	kc := expression.Key("gsi2pk").Equal(expression.Value(issuesGSI(sc.TenantID)))
	if cursor != "" {
		kc = kc.And(expression.Key("gsi2sk").GreaterThan(expression.Value(cursor)))
	}
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table), IndexName: aws.String("gsi2"),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, "", fmt.Errorf("query issues by creation: %w", err)
	}
	next := ""
	if out.LastEvaluatedKey != nil && len(out.Items) > 0 {
		var it issueItem
		if err := attributevalue.UnmarshalMap(out.Items[len(out.Items)-1], &it); err != nil {
			return nil, "", err
		}
		next = it.GSI2SK
	}
	return out.Items, next, nil
}

// IssueChildren returns the status-history and comment items of an issue.
func (s *Store) IssueChildren(ctx context.Context, sc tenancy.Scope, issueID string) ([]changes.Item, error) {
	var all []changes.Item
	for _, prefix := range []string{preComment, preHist} {
		kc := expression.Key("pk").Equal(expression.Value(issuePK(sc.TenantID, issueID))).And(expression.Key("sk").BeginsWith(prefix))
		e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			return nil, err
		}
		p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("query %s of issue: %w", prefix, err)
			}
			all = append(all, page.Items...)
		}
	}
	return all, nil
}

// ActivityFilter selects what the activity consumer (notifications) reads:
// issues (a removal drops the issue's watchers), activity entries (who
// changed what) and comments.
var ActivityFilter = changes.Filter{SortKeys: []string{skIssue}, SortKeyPrefixes: []string{preAct, preComment}}

// EntityActivity is the "entity" of an activity entry.
const EntityActivity = "activity"

// DecodeActivity decodes an activity entry.
func DecodeActivity(m changes.Item) (issue.Activity, error) {
	var it activityItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return issue.Activity{}, fmt.Errorf("decode activity: %w", err)
	}
	return it.activity(), nil
}

// ActivityAfter returns up to limit activity entries of an issue written
// after the entry afterID, oldest first (one Query, no cursor: the
// activity consumer rebuilds a creation from the changes that followed it).
func (s *Store) ActivityAfter(ctx context.Context, sc tenancy.Scope, issueID, afterID string, limit int) ([]issue.Activity, error) {
	kc := expression.Key("pk").Equal(expression.Value(issuePK(sc.TenantID, issueID))).
		And(expression.Key("sk").Between(expression.Value(preAct+afterID+"\x00"), expression.Value(preAct+"\U0010FFFF")))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("query activity of issue: %w", err)
	}
	acts := make([]issue.Activity, 0, len(out.Items))
	for _, m := range out.Items {
		a, err := DecodeActivity(m)
		if err != nil {
			return nil, err
		}
		acts = append(acts, a)
	}
	return acts, nil
}
