package issuedb

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// IssueExists is a transaction item that holds only while the issue exists.
// Other domains (attachments, watchers) put it in the transactions that
// write under an issue, so nothing of theirs lands after the issue's delete.
func IssueExists(sc tenancy.Scope, issueID string) types.TransactWriteItem {
	return check(sc.Table, dynamo.Key(issuePK(sc.TenantID, issueID), skIssue), expression.AttributeExists(expression.Name("pk")))
}

// CommentLive is a transaction item that holds only while the comment
// exists in the issue and is not deleted (a tombstone).
func CommentLive(sc tenancy.Scope, issueID, commentID string) types.TransactWriteItem {
	return check(sc.Table, dynamo.Key(issuePK(sc.TenantID, issueID), preComment+commentID),
		expression.AttributeExists(expression.Name("pk")).And(expression.AttributeNotExists(expression.Name("deleted_at"))))
}

func check(table string, key map[string]types.AttributeValue, cond expression.ConditionBuilder) types.TransactWriteItem {
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		panic(err) // a constant expression
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: key,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}
}
