// Package cycledb stores the cycle domain in the tenant's table. A cycle
// is its own item (T#t#CYCLE#<id> / CYCLE), listed by owner through gsi1
// (T#t#CYCLES#<owner> / <starts_on>#<id>); the owner's guard item
// (T#t#CYCLES#<owner> / GUARD) holds every cycle window of the owner and a
// version, so the overlap check is one consistent GetItem and the write is
// conditioned on it (docs/data-model.md). The issues' scope records are
// the issue store's (issuedb/cycles.go).
package cycledb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Key builders: the only place key formats are spelled out.
func cyclePK(tenant, id string) string    { return schema.TenantKeyPrefix(tenant) + "CYCLE#" + id }
func ownerPK(tenant, owner string) string { return schema.TenantKeyPrefix(tenant) + "CYCLES#" + owner }
func ownerSK(c cycle.Cycle) string        { return c.StartsOn + "#" + c.ID }
func windowOf(w cycle.Window) string      { return w.StartsOn + "|" + w.EndsOn + "|" + w.ID }
func guardKey(tenant, owner string) map[string]types.AttributeValue {
	return dynamo.Key(ownerPK(tenant, owner), skGuard)
}

const (
	skCycle = "CYCLE"
	skGuard = "GUARD"
)

// cycleItem is a cycle as stored.
type cycleItem struct {
	_         dynamo.NotComparable
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	GSI1PK    string    `dynamodbav:"gsi1pk"` // the owner's cycles
	GSI1SK    string    `dynamodbav:"gsi1sk"` // by start
	Entity    string    `dynamodbav:"entity"`
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	ProjectID string    `dynamodbav:"project_id,omitempty"`
	TeamID    string    `dynamodbav:"team_id,omitempty"`
	StartsOn  string    `dynamodbav:"starts_on"`
	EndsOn    string    `dynamodbav:"ends_on"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	UpdatedAt time.Time `dynamodbav:"updated_at"`
	Version   int64     `dynamodbav:"version"`
}

// guardItem is an owner's cycle windows ("start|end|id", by start) and a
// version every cycle write of the owner moves.
type guardItem struct {
	PK      string   `dynamodbav:"pk"`
	SK      string   `dynamodbav:"sk"`
	Entity  string   `dynamodbav:"entity"`
	V       int64    `dynamodbav:"v"`
	Windows []string `dynamodbav:"windows,omitempty"`
}

func toItem(tenant string, c cycle.Cycle) cycleItem {
	return cycleItem{PK: cyclePK(tenant, c.ID), SK: skCycle, GSI1PK: ownerPK(tenant, c.Owner()), GSI1SK: ownerSK(c),
		Entity: "cycle", ID: c.ID, Name: c.Name, ProjectID: c.ProjectID, TeamID: c.TeamID, StartsOn: c.StartsOn,
		EndsOn: c.EndsOn, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

func (it cycleItem) cycle() cycle.Cycle {
	return cycle.Cycle{ID: it.ID, Name: it.Name, ProjectID: it.ProjectID, TeamID: it.TeamID, StartsOn: it.StartsOn,
		EndsOn: it.EndsOn, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}
}

// Store implements cycle.Store on DynamoDB.
type Store struct {
	DB      *dynamodb.Client
	Cursors list.Codec
}

var _ cycle.Store = &Store{}

// Guard implements cycle.Store: one consistent GetItem.
func (s *Store) Guard(ctx context.Context, sc tenancy.Scope, owner string) ([]cycle.Window, int64, error) {
	var g guardItem
	err := dynamo.GetItem(ctx, s.DB, sc.Table, guardKey(sc.TenantID, owner), &g, "cycle guard", errNoGuard)
	if errors.Is(err, errNoGuard) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	out := make([]cycle.Window, 0, len(g.Windows))
	for _, w := range g.Windows {
		if p := strings.SplitN(w, "|", 3); len(p) == 3 {
			out = append(out, cycle.Window{StartsOn: p[0], EndsOn: p[1], ID: p[2]})
		}
	}
	return out, g.V, nil
}

var errNoGuard = errors.New("no guard")

// Put implements cycle.Store: one transaction of the cycle (new, or over
// old's version) and the owner's guard (at version).
func (s *Store) Put(ctx context.Context, sc tenancy.Scope, old *cycle.Cycle, c cycle.Cycle, ws []cycle.Window, version int64) error {
	item, err := attributevalue.MarshalMap(toItem(sc.TenantID, c))
	if err != nil {
		return err
	}
	ss := make([]string, len(ws))
	for i, w := range ws {
		ss[i] = windowOf(w)
	}
	guard, err := attributevalue.MarshalMap(guardItem{PK: ownerPK(sc.TenantID, c.Owner()), SK: skGuard, Entity: "cycle_guard", V: version + 1, Windows: ss})
	if err != nil {
		return err
	}
	cc := expression.AttributeNotExists(expression.Name("pk"))
	if old != nil {
		cc = expression.Name("version").Equal(expression.Value(old.Version))
	}
	gc := expression.AttributeNotExists(expression.Name("pk"))
	if version > 0 {
		gc = expression.Name("v").Equal(expression.Value(version))
	}
	items := []types.TransactWriteItem{}
	for _, x := range []struct {
		item map[string]types.AttributeValue
		cond expression.ConditionBuilder
	}{{item, cc}, {guard, gc}} {
		e, err := expression.NewBuilder().WithCondition(x.cond).Build()
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(sc.Table), Item: x.item,
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := dynamo.CancelledItems(err); ok {
		switch {
		case len(failed) > 0 && failed[0] && old != nil:
			return errs.E(errs.KindPreconditionFailed, "version_mismatch", "the cycle changed meanwhile; read it again")
		case len(failed) > 0 && failed[0]:
			return errs.Conflict("cycle_exists", "cycle id already used")
		case len(failed) > 1 && failed[1]:
			return errs.Conflict("cycle_guard_moved", "another cycle of the same owner was written meanwhile; try again")
		}
	}
	if err != nil {
		return fmt.Errorf("put cycle: %w", err)
	}
	if old == nil {
		usage.AddItemBytes(ctx, dynamo.ItemSize(item))
	}
	return nil
}

// MarkDeleting implements cycle.Store: one UpdateItem of the cycle,
// conditioned on its version.
func (s *Store) MarkDeleting(ctx context.Context, sc tenancy.Scope, c cycle.Cycle, on bool) error {
	u := expression.Remove(expression.Name("deleting"))
	if on {
		u = expression.Set(expression.Name("deleting"), expression.Value(true))
	}
	e, err := expression.NewBuilder().WithUpdate(u).
		WithCondition(expression.Name("version").Equal(expression.Value(c.Version))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(cyclePK(sc.TenantID, c.ID), skCycle),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errs.E(errs.KindPreconditionFailed, "version_mismatch", "the cycle changed meanwhile; read it again")
	}
	if err != nil {
		return fmt.Errorf("mark cycle: %w", err)
	}
	return nil
}

// Delete implements cycle.Store: one transaction deleting the cycle (if
// still marked at its version) and writing the owner's guard (at version).
func (s *Store) Delete(ctx context.Context, sc tenancy.Scope, c cycle.Cycle, ws []cycle.Window, version int64) error {
	ss := make([]string, len(ws))
	for i, w := range ws {
		ss[i] = windowOf(w)
	}
	guard, err := attributevalue.MarshalMap(guardItem{PK: ownerPK(sc.TenantID, c.Owner()), SK: skGuard, Entity: "cycle_guard", V: version + 1, Windows: ss})
	if err != nil {
		return err
	}
	ce, err := expression.NewBuilder().WithCondition(expression.Name("version").Equal(expression.Value(c.Version)).
		And(expression.AttributeExists(expression.Name("deleting")))).Build()
	if err != nil {
		return err
	}
	ge, err := expression.NewBuilder().WithCondition(expression.Name("v").Equal(expression.Value(version))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(cyclePK(sc.TenantID, c.ID), skCycle),
			ConditionExpression: ce.Condition(), ExpressionAttributeNames: ce.Names(), ExpressionAttributeValues: ce.Values()}},
		{Put: &types.Put{TableName: aws.String(sc.Table), Item: guard,
			ConditionExpression: ge.Condition(), ExpressionAttributeNames: ge.Names(), ExpressionAttributeValues: ge.Values()}},
	}})
	if failed, ok := dynamo.CancelledItems(err); ok {
		switch {
		case len(failed) > 0 && failed[0]:
			return errs.E(errs.KindPreconditionFailed, "version_mismatch", "the cycle changed meanwhile; read it again")
		case len(failed) > 1 && failed[1]:
			return errs.Conflict("cycle_guard_moved", "another cycle of the same owner was written meanwhile; try again")
		}
	}
	if err != nil {
		return fmt.Errorf("delete cycle: %w", err)
	}
	if item, err := attributevalue.MarshalMap(toItem(sc.TenantID, c)); err == nil {
		usage.AddItemBytes(ctx, -dynamo.ItemSize(item))
	}
	return nil
}

// Get implements cycle.Store.
func (s *Store) Get(ctx context.Context, sc tenancy.Scope, id string) (cycle.Cycle, error) {
	if !issue.ValidID(id) {
		return cycle.Cycle{}, errs.NotFound("cycle")
	}
	var it cycleItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(cyclePK(sc.TenantID, id), skCycle), &it, "cycle", errs.NotFound("cycle")); err != nil {
		return cycle.Cycle{}, err
	}
	return it.cycle(), nil
}

// List implements cycle.Store: one Query of gsi1 per page, latest start first.
func (s *Store) List(ctx context.Context, sc tenancy.Scope, owner string, req list.Request) (list.Page[cycle.Cycle], error) {
	kc := expression.Key(schema.GSI1PK).Equal(expression.Value(ownerPK(sc.TenantID, owner)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return list.Page[cycle.Cycle]{}, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(sc.Table), IndexName: aws.String(schema.GSI1),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ScanIndexForward: aws.Bool(false)}
	var its []cycleItem
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{In: in, Codec: s.Cursors, Scope: list.Scope("cycles", sc.TenantID, owner),
		KeyAttr: []string{schema.PK, schema.SK, schema.GSI1PK, schema.GSI1SK}, Request: req}, &its)
	if err != nil {
		return list.Page[cycle.Cycle]{}, err
	}
	out := make([]cycle.Cycle, len(its))
	for i, it := range its {
		out[i] = it.cycle()
	}
	return list.NewPage(out, next), nil
}
