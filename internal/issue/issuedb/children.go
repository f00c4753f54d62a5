package issuedb

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// The has-children flag (issue.Issue.HasChildren) lets a GET skip the
// roll-up Query of gsi8 for an issue that never had a sub-issue, which is
// most of them: one read instead of two.
//
// It is kept exact with two rules:
//   - the transaction that links a sub-issue to a parent (create, update
//     or move with a new parent_id) also sets the parent's flag, on the
//     condition that the parent still exists (a parent deleted meanwhile is
//     the same 400 as an unknown one);
//   - an issue's own writes replace its whole item, so they also require
//     the flag to be as it was read: a write that lost the race with a
//     first sub-issue is repeated once with the flag set (flagged), instead
//     of clearing it.
//
// The flag is never cleared (a parent whose sub-issues all left keeps
// running the Query, which then finds none), so no write has to read the
// parent's other children.

// errFlagged: the item's version is the one read, but a sub-issue was
// linked to it meanwhile (its has_children flag is now set).
var errFlagged = errors.New("a sub-issue was linked to the issue meanwhile")

// unchanged is the condition of an issue's own write: the version read,
// and the has-children flag as read.
func unchanged(old issue.Issue) *expression.ConditionBuilder {
	c := expression.Name("version").Equal(expression.Value(old.Version))
	switch {
	case old.HasChildren == nil:
		c = c.And(expression.AttributeNotExists(expression.Name("has_children")))
	case !*old.HasChildren:
		c = c.And(expression.Name("has_children").Equal(expression.Value(false)))
	}
	return &c
}

// staleGoneOrFlagged maps a failed unchanged condition of old's write:
// errFlagged when only the flag moved, else staleOrGone.
func staleGoneOrFlagged(old issue.Issue) failFunc {
	return func(stored map[string]av) error {
		if stored != nil {
			var it issueItem
			if attributevalue.UnmarshalMap(stored, &it) == nil && it.Version == old.Version &&
				it.HasChildren != nil && *it.HasChildren && (old.HasChildren == nil || !*old.HasChildren) {
				return errFlagged
			}
		}
		return staleOrGone(stored)
	}
}

// withFlagRetry runs write (an issue's own write of old -> i) and, if a
// sub-issue was linked to the issue between its read and the write, runs
// it once more with the flag set on both sides.
func withFlagRetry(ctx context.Context, old, i issue.Issue, write func(ctx context.Context, old, i issue.Issue) error) error {
	if i.HasChildren == nil {
		i.HasChildren = old.HasChildren // a change built without it keeps the stored flag
	}
	err := write(ctx, old, i)
	if !errors.Is(err, errFlagged) {
		return err
	}
	flagged := true
	old.HasChildren, i.HasChildren = &flagged, &flagged
	return write(ctx, old, i)
}

// linkParent adds to t the setting of cur's parent's flag when cur gets a
// new parent (old is the issue before the write; the zero Issue for a
// create).
func linkParent(t *tx, old, cur issue.Issue) {
	if cur.ParentID == "" || cur.ParentID == old.ParentID {
		return
	}
	u := expression.Set(expression.Name("has_children"), expression.Value(true))
	e, err := expression.NewBuilder().WithUpdate(u).WithCondition(*exists()).Build()
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	// No size change: a parent written since the flag exists holds it as
	// a BOOL already (an older item grows by the attribute, 13 bytes, which
	// the meter does not see).
	t.items = append(t.items, types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(t.table), Key: dynamo.Key(issuePK(cur.TenantID, cur.ParentID), skIssue),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}})
	t.fail = append(t.fail, func(map[string]av) error {
		return errs.Field("parent_id", "no such issue in this workspace")
	})
}
