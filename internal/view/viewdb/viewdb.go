// Package viewdb stores saved views in the tenant's application table:
//
//	private view  pk T#t#VIEWS#U#<owner>  sk VIEW#<id>
//	shared view   pk T#t#VIEWS#SHARED     sk VIEW#<id>
//
// A user's list is two Queries in parallel (their partition and the shared
// one, each one page: views are capped); a view by id is one BatchGetItem
// of its two possible keys under the caller, so another user's private
// view, like another tenant's, is simply not found. Sharing moves the item
// between the partitions in one transaction.
package viewdb

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx/owntoken"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/view"
	"golang.org/x/sync/errgroup"
)

type av = types.AttributeValue

// Key builders: the only place key formats are spelled out.
func tp(tenant string) string               { return schema.TenantKeyPrefix(tenant) }
func privatePK(tenant, owner string) string { return tp(tenant) + "VIEWS#U#" + owner }
func sharedPK(tenant string) string         { return tp(tenant) + "VIEWS#SHARED" }
func viewSK(id string) string               { return preView + id }
func pkOf(tenant string, v view.View) string {
	if v.Visibility == view.Shared {
		return sharedPK(tenant)
	}
	return privatePK(tenant, v.OwnerID)
}

const preView = "VIEW#"

// item is a view as stored.
type item struct {
	PK         string            `dynamodbav:"pk"`
	SK         string            `dynamodbav:"sk"`
	Entity     string            `dynamodbav:"entity"`
	ID         string            `dynamodbav:"id"`
	Name       string            `dynamodbav:"name"`
	OwnerID    string            `dynamodbav:"owner_id"`
	Visibility string            `dynamodbav:"visibility"`
	Filter     map[string]string `dynamodbav:"filter"`
	Sort       string            `dynamodbav:"sort"`
	Order      string            `dynamodbav:"order,omitempty"`
	GroupBy    string            `dynamodbav:"group_by"`
	Columns    []string          `dynamodbav:"columns"`
	CreatedAt  time.Time         `dynamodbav:"created_at"`
	UpdatedAt  time.Time         `dynamodbav:"updated_at"`
}

func toItem(tenant string, v view.View) item {
	return item{PK: pkOf(tenant, v), SK: viewSK(v.ID), Entity: "view", ID: v.ID, Name: v.Name, OwnerID: v.OwnerID,
		Visibility: string(v.Visibility), Filter: v.Filter, Sort: v.Sort, Order: v.Order, GroupBy: v.GroupBy,
		Columns: v.Columns, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

func (it item) view() view.View {
	f := it.Filter
	if f == nil {
		f = map[string]string{}
	}
	return view.View{ID: it.ID, Name: it.Name, OwnerID: it.OwnerID, Visibility: view.Visibility(it.Visibility), Filter: f,
		Sort: it.Sort, Order: it.Order, GroupBy: it.GroupBy, Columns: it.Columns, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

// Store is the DynamoDB store of views.
type Store struct {
	DB *dynamodb.Client
}

// Put writes a new view (old nil) or v over old, conditioned on old's
// updated_at; a visibility change deletes old's item in the same transaction.
func (s *Store) Put(ctx context.Context, sc tenancy.Scope, old *view.View, v view.View) error {
	it, err := attributevalue.MarshalMap(toItem(sc.TenantID, v))
	if err != nil {
		return fmt.Errorf("encode view: %w", err)
	}
	var cond expression.ConditionBuilder
	if old == nil {
		cond = expression.AttributeNotExists(expression.Name("pk"))
	} else {
		cond = expression.Name("updated_at").Equal(expression.Value(old.UpdatedAt))
	}
	if old != nil && old.Visibility != v.Visibility {
		return s.move(ctx, sc, *old, it)
	}
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: it,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	if old != nil {
		in.ReturnValues = types.ReturnValueAllOld
	}
	out, err := s.DB.PutItem(ctx, in)
	if err != nil {
		return dynamo.Translate(err, "put view", changed(old))
	}
	// The storage meter: the item as written carries the write's token
	// (owntoken: a conditional PutItem), and replaced the old one.
	grown := dynamo.ItemSize(it) + owntoken.Size
	if old != nil {
		grown -= dynamo.ItemSize(owntoken.OldItem(out.Attributes, out.ResultMetadata, stored(sc.TenantID, *old)))
	}
	usage.AddItemBytes(ctx, grown)
	return nil
}

// stored is v's item as this store writes it: with a write token (every
// write of a view leaves one: move puts one of its own), for the storage
// meter when the answer that carried the old item was lost.
func stored(tenant string, v view.View) map[string]av {
	it, err := attributevalue.MarshalMap(toItem(tenant, v))
	if err != nil {
		return nil
	}
	it[owntoken.Attr] = &types.AttributeValueMemberS{Value: rand.Text()}
	return it
}

func changed(old *view.View) error {
	if old == nil {
		return errs.Conflict("view_exists", "view id already used")
	}
	return errs.E(errs.KindPreconditionFailed, "view_changed", "the view changed meanwhile; read it again")
}

// move deletes old's item (unchanged since read) and puts the new one in
// the other partition.
func (s *Store) move(ctx context.Context, sc tenancy.Scope, old view.View, it map[string]av) error {
	// A token of its own, as every other write of a view leaves one
	// (a conditional PutItem's): a view's stored size is one figure, which
	// the storage meter counts.
	it[owntoken.Attr] = &types.AttributeValueMemberS{Value: rand.Text()}
	c, err := expression.NewBuilder().WithCondition(expression.Name("updated_at").Equal(expression.Value(old.UpdatedAt))).Build()
	if err != nil {
		return err
	}
	n, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(sc.Table), Key: dynamo.Key(pkOf(sc.TenantID, old), viewSK(old.ID)),
			ConditionExpression: c.Condition(), ExpressionAttributeNames: c.Names(), ExpressionAttributeValues: c.Values()}},
		{Put: &types.Put{TableName: aws.String(sc.Table), Item: it,
			ConditionExpression: n.Condition(), ExpressionAttributeNames: n.Names(), ExpressionAttributeValues: n.Values()}},
	}})
	if _, ok := dynamo.CancelledItems(err); ok {
		return changed(&old)
	}
	if err != nil {
		return fmt.Errorf("move view: %w", err)
	}
	usage.AddItemBytes(ctx, dynamo.ItemSize(it)-dynamo.ItemSize(stored(sc.TenantID, old)))
	return nil
}

// Get reads the view under the caller's private partition and the shared
// one (one BatchGetItem).
func (s *Store) Get(ctx context.Context, sc tenancy.Scope, userID, id string) (view.View, error) {
	keys := []map[string]av{dynamo.Key(privatePK(sc.TenantID, userID), viewSK(id)), dynamo.Key(sharedPK(sc.TenantID), viewSK(id))}
	var found []map[string]av
	for len(keys) > 0 {
		res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{sc.Table: {Keys: keys}}})
		if err != nil {
			return view.View{}, fmt.Errorf("get view: %w", err)
		}
		found = append(found, res.Responses[sc.Table]...)
		keys = res.UnprocessedKeys[sc.Table].Keys
	}
	if len(found) == 0 {
		return view.View{}, errs.NotFound("view")
	}
	var it item
	if err := attributevalue.UnmarshalMap(found[0], &it); err != nil {
		return view.View{}, fmt.Errorf("decode view: %w", err)
	}
	return it.view(), nil
}

// Visible lists the user's private views and the shared ones (two Queries
// in parallel, one page each: the caps keep them within a page).
func (s *Store) Visible(ctx context.Context, sc tenancy.Scope, userID string) ([]view.View, error) {
	pks := []string{privatePK(sc.TenantID, userID), sharedPK(sc.TenantID)}
	got := make([][]item, len(pks))
	g, ctx := errgroup.WithContext(ctx)
	for i, pk := range pks {
		g.Go(func() error {
			kc := expression.Key("pk").Equal(expression.Value(pk)).And(expression.Key("sk").BeginsWith(preView))
			e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
			if err != nil {
				return err
			}
			p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
				ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
			for p.HasMorePages() {
				res, err := p.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("list views: %w", err)
				}
				var items []item
				if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
					return fmt.Errorf("decode views: %w", err)
				}
				got[i] = append(got[i], items...)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := []view.View{}
	for _, items := range got {
		for _, it := range items {
			out = append(out, it.view())
		}
	}
	return out, nil
}

// Delete removes the view (the storage meter: the item it removed, none
// when a concurrent delete got there first).
func (s *Store) Delete(ctx context.Context, sc tenancy.Scope, v view.View) error {
	out, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(pkOf(sc.TenantID, v), viewSK(v.ID)),
		ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return fmt.Errorf("delete view: %w", err)
	}
	if gone := owntoken.OldItem(out.Attributes, out.ResultMetadata, stored(sc.TenantID, v)); len(gone) > 0 {
		usage.AddItemBytes(ctx, -dynamo.ItemSize(gone))
	}
	return nil
}
