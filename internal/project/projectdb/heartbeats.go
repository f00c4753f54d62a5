package projectdb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Heartbeats keeps the status-deletion jobs' heartbeats in the control
// table, with the function's own credentials (not a tenant's): one
// partition, schema.ControlStatusDeletionJobs, sk <tenant>#<project>#<status>.
// Few jobs run at a time, so the periodic job reads them in one Query.
type Heartbeats struct {
	DB    *dynamodb.Client
	Table string // the control table
}

// heartbeatItem is a heartbeat as stored; at is in Unix milliseconds (0:
// handed back, stale at once).
type heartbeatItem struct {
	_         dynamo.NotComparable
	PK        string       `dynamodbav:"pk"`
	SK        string       `dynamodbav:"sk"`
	TenantID  string       `dynamodbav:"tenant_id"`
	ProjectID string       `dynamodbav:"project_id"`
	Status    issue.Status `dynamodbav:"status"`
	By        string       `dynamodbav:"by,omitempty"`
	StartedAt time.Time    `dynamodbav:"started_at"`
	At        int64        `dynamodbav:"at"`
	Moved     int          `dynamodbav:"moved"`
	Runner    string       `dynamodbav:"runner"`
}

func heartbeatSK(h project.Heartbeat) string {
	return h.TenantID + "#" + h.ProjectID + "#" + string(h.Status)
}

func heartbeatKey(h project.Heartbeat) map[string]av {
	return dynamo.Key(schema.ControlStatusDeletionJobs, heartbeatSK(h))
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Beat implements project.Heartbeats: one PutItem.
func (b *Heartbeats) Beat(ctx context.Context, h project.Heartbeat) error {
	it := heartbeatItem{PK: schema.ControlStatusDeletionJobs, SK: heartbeatSK(h), TenantID: h.TenantID, ProjectID: h.ProjectID,
		Status: h.Status, By: h.By, StartedAt: h.StartedAt, At: millis(h.At), Moved: h.Moved, Runner: h.Runner}
	m, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	_, err = b.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(b.Table), Item: m})
	return dynamo.Translate(err, "put status deletion heartbeat", nil)
}

// Stale implements project.Heartbeats: one Query of the partition (the
// time is filtered, the partition is small).
func (b *Heartbeats) Stale(ctx context.Context, before time.Time) ([]project.Heartbeat, error) {
	e, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(schema.PK).Equal(expression.Value(schema.ControlStatusDeletionJobs))).
		WithFilter(expression.Name("at").LessThan(expression.Value(before.UnixMilli()))).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(b.Table), KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)}
	var out []project.Heartbeat
	for p := dynamodb.NewQueryPaginator(b.DB, in); p.HasMorePages(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list status deletion heartbeats: %w", err)
		}
		var its []heartbeatItem
		if err := attributevalue.UnmarshalListOfMaps(pg.Items, &its); err != nil {
			return nil, fmt.Errorf("decode status deletion heartbeats: %w", err)
		}
		for _, it := range its {
			h := project.Heartbeat{TenantID: it.TenantID, ProjectID: it.ProjectID, Status: it.Status, By: it.By,
				StartedAt: it.StartedAt, Moved: it.Moved, Runner: it.Runner}
			if it.At != 0 {
				h.At = time.UnixMilli(it.At).UTC()
			}
			out = append(out, h)
		}
	}
	return out, nil
}

// update runs a conditional UpdateItem of the heartbeat's time and runner;
// false when cond does not hold.
func (b *Heartbeats) update(ctx context.Context, h project.Heartbeat, at int64, runner string, cond expression.ConditionBuilder) (bool, error) {
	e, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("at"), expression.Value(at)).Set(expression.Name("runner"), expression.Value(runner))).
		WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	_, err = b.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(b.Table), Key: heartbeatKey(h),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	return err == nil, dynamo.Translate(err, "update status deletion heartbeat", nil)
}

// Claim implements project.Heartbeats: an UpdateItem conditioned on the
// time read (two runners, or a caller's progress, cannot both pass it).
func (b *Heartbeats) Claim(ctx context.Context, h project.Heartbeat, runner string, now time.Time) (bool, error) {
	return b.update(ctx, h, now.UnixMilli(), runner, expression.Name("at").Equal(expression.Value(millis(h.At))))
}

// Release implements project.Heartbeats: an UpdateItem conditioned on the runner.
func (b *Heartbeats) Release(ctx context.Context, h project.Heartbeat, runner string) error {
	_, err := b.update(ctx, h, 0, runner, expression.Name("runner").Equal(expression.Value(runner)))
	return err
}

// Remove implements project.Heartbeats: a DeleteItem (a heartbeat of a
// later job of the same status, started meanwhile, stays).
func (b *Heartbeats) Remove(ctx context.Context, h project.Heartbeat) error {
	in := &dynamodb.DeleteItemInput{TableName: aws.String(b.Table), Key: heartbeatKey(h)}
	if !h.StartedAt.IsZero() {
		ts, err := attributevalue.Marshal(h.StartedAt)
		if err != nil {
			return err
		}
		e, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(schema.PK)).
			Or(expression.Name("started_at").Equal(expression.Value(ts)))).Build()
		if err != nil {
			return err
		}
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
	}
	_, err := b.DB.DeleteItem(ctx, in)
	if dynamo.ConditionFailed(err) {
		return nil
	}
	return dynamo.Translate(err, "delete status deletion heartbeat", nil)
}

var _ project.Heartbeats = (*Heartbeats)(nil)
